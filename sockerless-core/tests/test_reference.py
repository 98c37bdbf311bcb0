import pytest
from sockerless.api.errors import InvalidParameter
from sockerless.engine import reference


@pytest.mark.parametrize(("text", "familiar", "name"), [
    ("alpine", "alpine:latest", "docker.io/library/alpine"),
    ("alpine:3.19", "alpine:3.19", "docker.io/library/alpine"),
    ("library/alpine", "alpine:latest", "docker.io/library/alpine"),
    ("docker.io/library/alpine:edge", "alpine:edge", "docker.io/library/alpine"),
    ("index.docker.io/user/app", "user/app:latest", "docker.io/user/app"),
    ("localhost:5000/team/app:v1", "localhost:5000/team/app:v1", "localhost:5000/team/app"),
    ("ghcr.io/owner/repo", "ghcr.io/owner/repo:latest", "ghcr.io/owner/repo"),
    ("alpine@sha256:" + "a" * 64, "alpine@sha256:" + "a" * 64, "docker.io/library/alpine"),
])
def test_parse(text, familiar, name):
    ref = reference.parse(text)
    assert ref.familiar == familiar
    assert ref.name == name


def test_registry_host():
    assert reference.parse("alpine").registry_host == "registry-1.docker.io"
    assert reference.parse("localhost:5000/x").registry_host == "localhost:5000"


@pytest.mark.parametrize("bad", ["", "UPPER", "a b", "alpine:", "alpine:bad tag", "alpine@sha256:short", " alpine"])
def test_invalid(bad):
    with pytest.raises(InvalidParameter):
        reference.parse(bad)
