"""Docker's wire behaviour on raw HTTP: headers, versions, errors, status codes."""

from __future__ import annotations

import json


def test_ping_get_and_head(daemon):
    status, headers, body = daemon.request("GET", "/_ping")
    assert (status, body) == (200, b"OK")
    assert headers["api-version"] == "1.45"
    assert headers["ostype"] == "linux"
    assert headers["server"].startswith("Sockerless/")
    assert headers["cache-control"] == "no-cache, no-store, must-revalidate"
    status, headers, body = daemon.request("HEAD", "/_ping")
    assert status == 200 and body == b""
    assert headers["api-version"] == "1.45"


def test_versioned_and_unversioned_paths(daemon):
    for path in ("/version", "/v1.24/version", "/v1.41/version", "/v1.45/version"):
        status, headers, body = daemon.request("GET", path)
        assert status == 200, path
        assert json.loads(body)["ApiVersion"] == "1.45"
        assert headers["api-version"] == "1.45"


def test_version_outside_range_is_rejected_like_docker(daemon):
    status, _, body = daemon.request("GET", "/v1.46/version")
    assert status == 400
    assert json.loads(body)["message"] == "client version 1.46 is too new. Maximum supported API version is 1.45"
    status, _, body = daemon.request("GET", "/v1.23/version")
    assert status == 400
    assert "client version 1.23 is too old. Minimum supported API version is 1.24" in json.loads(body)["message"]
    status, _, body = daemon.request("GET", "/vabc/version")
    assert status == 404
    assert json.loads(body)["message"] == "page not found"


def test_unknown_paths_and_methods_are_404(daemon):
    assert daemon.request("GET", "/nope")[0] == 404
    status, _, body = daemon.request("GET", "/containers/create")
    assert status == 404 and json.loads(body) == {"message": "page not found"}


def test_malformed_json_is_400(daemon):
    status, headers, body = daemon.request("POST", "/containers/create", b"{bad", {"Content-Type": "application/json"})
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["message"].startswith("invalid JSON")


def test_wrong_field_type_is_400(daemon):
    status, _, body = daemon.request("POST", "/containers/create", b'{"Image": 5}', {"Content-Type": "application/json"})
    assert status == 400
    assert "Image" in json.loads(body)["message"]


def test_wrong_content_type_is_400(daemon):
    status, _, _ = daemon.request("POST", "/containers/create", b'{"Image":"alpine"}', {"Content-Type": "text/plain"})
    assert status == 400


def test_unknown_container_is_404(daemon):
    for method, path in (("GET", "/containers/nope/json"), ("POST", "/containers/nope/start"),
                         ("DELETE", "/containers/nope"), ("GET", "/v1.41/containers/nope/logs?stdout=1")):
        status, _, body = daemon.request(method, path)
        assert status == 404, path
        assert json.loads(body) == {"message": "No such container: nope"}


def test_unknown_image_on_create_is_404(daemon):
    status, _, body = daemon.request("POST", "/containers/create", b'{"Image":"does-not-exist"}',
                                     {"Content-Type": "application/json"})
    assert status == 404
    assert json.loads(body)["message"] == "No such image: does-not-exist:latest"


def test_name_conflict_is_409_and_bad_name_400(daemon, name):
    body = b'{"Image":"alpine","Cmd":["true"]}'
    hdr = {"Content-Type": "application/json"}
    status, _, first = daemon.request("POST", f"/containers/create?name={name}", body, hdr)
    assert status == 201
    cid = json.loads(first)["Id"]
    assert len(cid) == 64
    status, _, again = daemon.request("POST", f"/containers/create?name={name}", body, hdr)
    assert status == 409
    assert f'The container name "/{name}" is already in use by container "{cid}"' in json.loads(again)["message"]
    status, _, bad = daemon.request("POST", "/containers/create?name=-bad", body, hdr)
    assert status == 400
    assert json.loads(bad)["message"].startswith("Invalid container name (-bad)")
    assert daemon.request("DELETE", f"/containers/{cid}")[0] == 204


def test_unknown_filter_is_400(daemon):
    status, _, body = daemon.request("GET", '/containers/json?filters={"bogus":["x"]}')
    assert status == 400
    assert json.loads(body)["message"] == "invalid filter 'bogus'"


def test_start_twice_is_304_and_stop_stopped_is_304(daemon, name):
    hdr = {"Content-Type": "application/json"}
    _, _, body = daemon.request("POST", f"/containers/create?name={name}", b'{"Image":"alpine","Cmd":["sleep","30"]}', hdr)
    cid = json.loads(body)["Id"]
    assert daemon.request("POST", f"/containers/{cid}/start")[0] == 204
    assert daemon.request("POST", f"/containers/{cid}/start")[0] == 304
    assert daemon.request("POST", f"/containers/{cid}/kill")[0] == 204
    assert daemon.request("POST", f"/containers/{cid}/wait")[0] == 200
    assert daemon.request("POST", f"/containers/{cid}/stop")[0] == 304
    status, _, body = daemon.request("POST", f"/containers/{cid}/kill")
    assert status == 409 and "is not running" in json.loads(body)["message"]
    assert daemon.request("DELETE", f"/containers/{cid}")[0] == 204


def test_oversized_body_is_refused(daemon):
    status, _, body = daemon.request("POST", "/containers/create", b"{" + b" " * (17 * 1024 * 1024) + b"}",
                                     {"Content-Type": "application/json"})
    assert status == 413
    assert "exceeds" in json.loads(body)["message"]
