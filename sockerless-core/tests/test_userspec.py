"""Docker's --user forms against a container's passwd and group files."""

from __future__ import annotations

import pytest
from sockerless.userspec import UnknownUser, resolve

FILES = {"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nbin:x:2:2:bin:/bin:\napp:x:1000:1000::/home/app:/bin/sh\n",
         "/etc/group": "root:x:0:\napp:x:1000:\nwheel:x:10:app,bin\nstaff:x:50:\n"}


def read(path: str) -> str:
    if path not in FILES:
        raise FileNotFoundError(path)
    return FILES[path]


@pytest.mark.parametrize(("spec", "expected"), [
    ("app", (1000, 1000, (10,), "/home/app")),
    ("1000", (1000, 1000, (10,), "/home/app")),
    ("app:staff", (1000, 50, (10,), "/home/app")),
    ("app:10", (1000, 10, (), "/home/app")),
    ("4242", (4242, 0, (), "/")),
    ("4242:4343", (4242, 4343, (), "/")),
    ("bin", (2, 2, (10,), "/bin")),
])
def test_forms(spec: str, expected: tuple) -> None:
    identity = resolve(spec, read)
    assert identity is not None
    assert (identity.uid, identity.gid, identity.groups, identity.home) == expected


def test_empty_spec_and_missing_names() -> None:
    assert resolve("", read) is None
    with pytest.raises(UnknownUser, match="unable to find user nobody: no matching entries in passwd file"):
        resolve("nobody", read)
    with pytest.raises(UnknownUser, match="unable to find group nogroup"):
        resolve("app:nogroup", read)


def test_missing_files_mean_only_numeric_users_resolve() -> None:
    def nothing(path: str) -> str:
        raise FileNotFoundError(path)

    identity = resolve("7:8", nothing)
    assert identity is not None and (identity.uid, identity.gid) == (7, 8)
    with pytest.raises(UnknownUser):
        resolve("app", nothing)
