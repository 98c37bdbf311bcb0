"""Version bridging: what a request made at a newer API version becomes for an older engine."""

from __future__ import annotations

import pytest
from sockerless.api.errors import InvalidParameter
from sockerless_docker import adapt
from sockerless_docker.negotiate import EngineVersion
from sockerless_docker.settings import LABEL, Settings, parse_address

ENGINE_141 = EngineVersion.from_reply({"ApiVersion": "1.41", "MinAPIVersion": "1.12", "Version": "20.10.24"})
SETTINGS = Settings(address=parse_address("unix:///engine.sock"))


def exchange(requested: tuple[int, int], settings: Settings = SETTINGS) -> adapt.Exchange:
    return adapt.Exchange("POST", "/containers/create", requested, ENGINE_141.forward(requested), ENGINE_141, settings)


def test_forwarded_version_is_capped_at_the_engines() -> None:
    assert ENGINE_141.forward((1, 45)) == (1, 41)
    assert ENGINE_141.forward((1, 30)) == (1, 30)
    assert ENGINE_141.forward(None) == (1, 41)


def test_podman_is_recognised_by_its_component() -> None:
    podman = EngineVersion.from_reply({"ApiVersion": "1.41", "Components": [{"Name": "Podman Engine"}]})
    assert podman.is_podman and not ENGINE_141.is_podman


def test_create_adds_the_label_and_keeps_the_clients() -> None:
    body = adapt.container_create(exchange((1, 45)), {"Image": "alpine", "Labels": {"a": "b"}})
    assert body["Labels"] == {"a": "b", LABEL: "docker"}


def test_default_network_applies_only_when_none_was_asked_for() -> None:
    settings = Settings(address=SETTINGS.address, default_network="none")
    assert adapt.container_create(exchange((1, 45), settings), {"Image": "a"})["HostConfig"]["NetworkMode"] == "none"
    body = adapt.container_create(exchange((1, 45), settings), {"Image": "a", "HostConfig": {"NetworkMode": "host"}})
    assert body["HostConfig"]["NetworkMode"] == "host"
    # the CLI at 1.44+ names the default network in an endpoint too
    body = adapt.container_create(exchange((1, 45), settings), {"Image": "a", "HostConfig": {"NetworkMode": "default"},
                                  "NetworkingConfig": {"EndpointsConfig": {"default": {}}}})
    assert body["HostConfig"]["NetworkMode"] == "none" and body["NetworkingConfig"]["EndpointsConfig"] == {}


def test_mac_address_and_extra_endpoints_of_144_clients() -> None:
    ex = exchange((1, 44))
    body = adapt.container_create(ex, {"Image": "a", "HostConfig": {"NetworkMode": "front"}, "NetworkingConfig": {
        "EndpointsConfig": {"back": {"Aliases": ["b"]}, "front": {"MacAddress": "02:42:ac:11:00:02"}}}})
    assert list(body["NetworkingConfig"]["EndpointsConfig"]) == ["front"]
    assert body["MacAddress"] == "02:42:ac:11:00:02"
    assert ex.extra_endpoints == {"back": {"Aliases": ["b"]}}


def test_a_141_client_is_left_alone() -> None:
    ex = exchange((1, 41))
    endpoints = {"a": {}, "b": {}}
    body = adapt.container_create(ex, {"Image": "a", "NetworkingConfig": {"EndpointsConfig": dict(endpoints)}})
    assert list(body["NetworkingConfig"]["EndpointsConfig"]) == ["a", "b"] and not ex.extra_endpoints


@pytest.mark.parametrize("mount, version", [
    ({"Type": "bind", "Source": "/x", "Target": "/y", "BindOptions": {"CreateMountpoint": True}}, "1.42"),
    ({"Type": "bind", "Source": "/x", "Target": "/y", "BindOptions": {"ReadOnlyNonRecursive": True}}, "1.44"),
    ({"Type": "volume", "Source": "v", "Target": "/y", "VolumeOptions": {"Subpath": "s"}}, "1.45"),
])
def test_mount_options_the_engine_cannot_honour_are_refused(mount: dict, version: str) -> None:
    with pytest.raises(InvalidParameter, match=f"needs API {version}.*speaks 1.41"):
        adapt.container_create(exchange((1, 45)), {"Image": "a", "HostConfig": {"Mounts": [mount]}})


def test_ignored_newer_fields_become_warnings() -> None:
    ex = exchange((1, 45))
    adapt.container_create(ex, {"Image": "a", "Healthcheck": {"Test": ["CMD", "true"], "StartInterval": 10**9},
                                "HostConfig": {"Annotations": {"k": "v"}}})
    reply = adapt.container_created(ex, {"Id": "x", "Warnings": []})
    assert len(reply["Warnings"]) == 2 and "StartInterval" in reply["Warnings"][0]


def test_duplicate_network_names_are_refused_for_144_clients() -> None:
    assert adapt.network_create(exchange((1, 44)), {"Name": "n"})["CheckDuplicate"] is True
    assert "CheckDuplicate" not in adapt.network_create(exchange((1, 41)), {"Name": "n"})


def test_version_reply_names_the_served_range_and_the_engines() -> None:
    reply = adapt.version_reply(exchange((1, 45)), {"ApiVersion": "1.41", "MinAPIVersion": "1.12", "Components": []})
    assert (reply["ApiVersion"], reply["MinAPIVersion"]) == ("1.45", "1.24")
    details = reply["Components"][-1]["Details"]
    assert details["EngineApiVersion"] == "1.41" and details["Engine"] == "unix:///engine.sock"


def test_adapters_are_found_by_method_and_path() -> None:
    assert adapt.find("POST", "/containers/create").request is adapt.container_create
    assert adapt.find("GET", "/containers/create") is None
    assert adapt.find("POST", "/containers/abc/start") is None


def test_volume_prune_is_emulated_only_where_the_meaning_changed() -> None:
    from sockerless_docker.emulate import prune_needs_emulation

    assert prune_needs_emulation("POST", "/volumes/prune", (1, 45), (1, 41), b"")
    assert prune_needs_emulation("POST", "/volumes/prune", (1, 42), (1, 41), b'filters={"label":["a"]}')
    assert not prune_needs_emulation("POST", "/volumes/prune", (1, 45), (1, 41), b"filters=%7B%22all%22%3A%5B%22true%22%5D%7D")
    assert not prune_needs_emulation("POST", "/volumes/prune", (1, 41), (1, 41), b"")
    assert not prune_needs_emulation("POST", "/volumes/prune", (1, 45), (1, 45), b"")
    assert not prune_needs_emulation("POST", "/containers/prune", (1, 45), (1, 41), b"")


def test_prune_all_drops_the_filter_older_engines_refuse() -> None:
    from urllib.parse import parse_qs

    from sockerless_docker.emulate import prune_query

    query = b"filters=%7B%22all%22%3A%5B%22true%22%5D%2C%22label%22%3A%5B%22a%22%5D%7D"
    assert parse_qs(prune_query("POST", "/volumes/prune", (1, 45), (1, 41), query).decode()) == {
        "filters": ['{"label": ["a"]}']}
    assert prune_query("POST", "/volumes/prune", (1, 45), (1, 41), b'filters={"all":["true"]}') == b""
    assert prune_query("POST", "/volumes/prune", (1, 45), (1, 45), query) == query
