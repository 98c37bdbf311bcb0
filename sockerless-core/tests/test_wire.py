import pytest
from sockerless.api import wire
from sockerless.api.errors import InvalidParameter
from sockerless.api.models.containers import ContainerCreateRequest, normalize_create


def test_nulls_mean_defaults_like_go():
    req = wire.convert(wire.loads(b'{"Image": "alpine", "Cmd": null, "Env": null, "HostConfig": {"Binds": null, '
                                  b'"RestartPolicy": null}}'), ContainerCreateRequest)
    assert req.Image == "alpine"
    assert req.Cmd is None
    assert req.HostConfig.RestartPolicy.Name == ""


def test_strslice_accepts_a_string():
    raw = normalize_create(wire.loads(b'{"Image": "alpine", "Cmd": "echo hi", "Entrypoint": "sh"}'))
    req = wire.convert(raw, ContainerCreateRequest)
    assert req.Cmd == ["echo hi"] and req.Entrypoint == ["sh"]


def test_unknown_fields_are_ignored_and_type_errors_reported():
    req = wire.convert(wire.loads(b'{"Image": "alpine", "NotAField": 1}'), ContainerCreateRequest)
    assert req.Image == "alpine"
    with pytest.raises(InvalidParameter, match="Image"):
        wire.convert(wire.loads(b'{"Image": 5}'), ContainerCreateRequest)
    with pytest.raises(InvalidParameter, match="invalid JSON"):
        wire.loads(b"{bad")
    with pytest.raises(InvalidParameter, match="EOF"):
        wire.loads(b"  ")


def test_unset_fields_are_omitted_on_output():
    data = wire.encode(ContainerCreateRequest(Image="alpine"))
    assert b'"Healthcheck"' not in data and b'"Tty":false' in data and b'"Env":null' in data


def test_member_names_match_fields_ignoring_case_as_go_does():
    req = wire.convert(wire.loads(b'{"image": "alpine", "tty": true, "cmd": ["a"], "Cmd": ["b"]}'),
                       ContainerCreateRequest)
    assert req.Image == "alpine" and req.Tty is True
    assert req.Cmd == ["b"]  # the exact spelling wins
