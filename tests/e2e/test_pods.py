"""The Podman ``/libpod/pods`` subset: real effect on the members, Podman's shapes, the grouping rule."""

from __future__ import annotations

import json
import time
import uuid

import pytest


def call(daemon, method: str, path: str, body: object | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    status, _, raw = daemon.request(method, path, data, {"Content-Type": "application/json"} if data else None)
    return status, (json.loads(raw) if raw.strip() else None)


@pytest.fixture
def pod(daemon):
    name = f"pod-{uuid.uuid4().hex[:8]}"
    status, body = call(daemon, "POST", "/v4.0.0/libpod/pods/create",
                        {"name": name, "labels": {"suite": "pods"}, "hostname": "podhost"})
    assert status == 201 and len(body["Id"]) == 64
    yield name
    call(daemon, "DELETE", f"/libpod/pods/{name}?force=true")


def member(daemon, pod: str, name: str, cmd: list[str]) -> str:
    status, body = call(daemon, "POST", f"/containers/create?name={name}&pod={pod}", {"Image": "alpine", "Cmd": cmd})
    assert status == 201, body
    return body["Id"]


def test_pod_create_inspect_exists_and_conflicts(daemon, pod):
    assert call(daemon, "POST", "/libpod/pods/create", {"name": pod})[0] == 409
    assert daemon.request("GET", f"/libpod/pods/{pod}/exists")[0] == 204
    assert daemon.request("GET", "/libpod/pods/no-such-pod/exists")[0] == 404
    status, body = call(daemon, "GET", f"/libpod/pods/{pod}/json")
    assert status == 200
    assert body["Name"] == pod and body["State"] == "Created" and body["NumContainers"] == 0
    assert body["SharedNamespaces"] == ["ipc", "net", "uts"] and body["Labels"] == {"suite": "pods"}
    status, body = call(daemon, "POST", "/containers/create?pod=no-such-pod", {"Image": "alpine"})
    assert status == 404 and "no such pod" in body["message"]


def test_pod_start_stop_kill_rm_act_on_members(daemon, docker, pod):
    first = member(daemon, pod, f"{pod}-a", ["sleep", "300"])
    second = member(daemon, pod, f"{pod}-b", ["sh", "-c", "hostname; sleep 300"])
    assert call(daemon, "POST", f"/libpod/pods/{pod}/start") == (200, {"Errs": None, "Id": call(
        daemon, "GET", f"/libpod/pods/{pod}/json")[1]["Id"]})
    for cid in (first, second):
        assert docker("inspect", "-f", "{{.State.Running}}", cid).stdout.strip() == b"true"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and docker("logs", second).stdout != b"podhost\n":
        time.sleep(0.1)
    assert docker("logs", second).stdout == b"podhost\n"  # the pod's hostname (shared uts)
    status, listing = call(daemon, "GET", '/libpod/pods/json?filters={"label":["suite=pods"]}')
    mine = [p for p in listing if p["Name"] == pod]
    assert mine and mine[0]["Status"] == "Running"
    assert sorted(c["Id"] for c in mine[0]["Containers"]) == sorted([first, second])
    assert daemon.request("POST", f"/libpod/pods/{pod}/start")[0] == 304
    docker("stop", "-t", "0", first, check=True)
    assert call(daemon, "GET", f"/libpod/pods/{pod}/json")[1]["State"] == "Degraded"
    assert call(daemon, "POST", f"/libpod/pods/{pod}/kill?signal=SIGKILL")[0] == 200
    assert docker("wait", second, check=True).stdout.strip() == b"137"
    assert call(daemon, "GET", f"/libpod/pods/{pod}/json")[1]["State"] == "Exited"
    assert call(daemon, "POST", f"/libpod/pods/{pod}/kill")[0] == 409
    call(daemon, "POST", f"/libpod/pods/{pod}/start")
    assert call(daemon, "POST", f"/libpod/pods/{pod}/stop?t=0")[0] == 200
    assert docker("inspect", "-f", "{{.State.Running}}", first).stdout.strip() == b"false"
    assert call(daemon, "DELETE", f"/libpod/pods/{pod}")[0] == 409
    status, body = call(daemon, "DELETE", f"/libpod/pods/{pod}?force=true")
    assert status == 200 and set(body["RemovedCtrs"]) == {first, second}
    assert docker("inspect", first).returncode != 0
    assert daemon.request("GET", f"/libpod/pods/{pod}/exists")[0] == 404


def test_removing_a_member_leaves_the_pod(daemon, docker, pod):
    cid = member(daemon, pod, f"{pod}-x", ["true"])
    docker("rm", cid, check=True)
    _, body = call(daemon, "GET", f"/libpod/pods/{pod}/json")
    assert body["NumContainers"] == 0 and call(daemon, "DELETE", f"/libpod/pods/{pod}")[0] == 200
