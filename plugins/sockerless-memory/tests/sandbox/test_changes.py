"""A container's changes (docker diff) and their export as an OCI layer (docker commit, RUN)."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

from layer_support import Dir, make_tree
from sockerless_memory.changes import ADDED, DELETED, MODIFIED, export_changes, list_changes
from sockerless_memory.sandbox.fs import FileSystem

OLD = 1_000_000_000
LOWER = {
    "bin/": Dir(0o755, OLD), "bin/ls": "ls", "bin/cat": "cat",
    "etc/": Dir(0o755, OLD), "etc/passwd": "root:x:0:0::/root:/bin/sh\n",
    "opt/": Dir(0o755, OLD), "opt/app/": Dir(0o755, OLD), "opt/app/old": "old",
    "srv/": Dir(0o755, OLD), "srv/untouched": "u",
}


def _changed(tmp_path: Path) -> tuple[Path, list[Path]]:
    lower = make_tree(tmp_path / "lower", LOWER)
    upper = tmp_path / "upper"
    upper.mkdir()
    fs = FileSystem(str(upper), lowers=[str(lower)])
    try:
        fs.makedirs("/tmp/a")
        fs.write_bytes("/tmp/a/f", b"x\n")
        fs.unlink("/bin/ls")
        fs.write_bytes("/etc/passwd", b"root:x:0:0::/root:/bin/sh\ny\n")
        fs.unlink("/opt/app/old")
        fs.rmdir("/opt/app")
        fs.mkdir("/opt/app")  # a new directory over a deleted one: opaque
        fs.write_bytes("/opt/app/new", b"n")
        fs.link("/tmp/a/f", "/tmp/a/hard")
        fs.makedirs("/etc")
        fs.write_bytes("/etc/hostname", b"runtime file\n")  # mounted in by the runtime: never a change
    finally:
        fs.close()
    return upper, [lower]


def test_list_changes_like_docker_diff(tmp_path: Path) -> None:
    upper, lowers = _changed(tmp_path)
    changes = list_changes(upper, lowers)
    assert set(changes) == {
        ("/bin", MODIFIED), ("/bin/ls", DELETED), ("/etc", MODIFIED), ("/etc/passwd", MODIFIED),
        ("/opt", MODIFIED), ("/opt/app", MODIFIED), ("/opt/app/old", DELETED), ("/opt/app/new", ADDED),
        ("/tmp", ADDED), ("/tmp/a", ADDED), ("/tmp/a/f", ADDED), ("/tmp/a/hard", ADDED),
    }
    paths = [p for p, _ in changes]
    assert paths.index("/tmp") < paths.index("/tmp/a") < paths.index("/tmp/a/f")
    assert list_changes(tmp_path / "never-started", lowers) == []


def test_export_is_an_oci_layer(tmp_path: Path) -> None:
    upper, _ = _changed(tmp_path)
    out = tmp_path / "layer.tar"
    export_changes(upper, str(out))
    with tarfile.open(out) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert tar.extractfile("etc/passwd").read() == b"root:x:0:0::/root:/bin/sh\ny\n"
    assert "bin/.wh.ls" in members and members["bin/.wh.ls"].size == 0
    assert "opt/app/.wh..wh..opq" in members and "opt/app/new" in members
    assert members["tmp/a/hard"].islnk() and members["tmp/a/hard"].linkname == "tmp/a/f"
    assert "etc/hostname" not in members
    assert not any(".wh..wh..tmp" in name for name in members)
    names = list(members)
    assert names.index("tmp") < names.index("tmp/a") < names.index("tmp/a/f")


def test_export_never_follows_symlinks_out(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    upper.mkdir()
    os.symlink("/etc", upper / "escape")
    out = tmp_path / "layer.tar"
    export_changes(upper, str(out))
    with tarfile.open(out) as tar:
        member = tar.getmember("escape")
        assert member.issym() and member.linkname == "/etc"
        assert len(tar.getmembers()) == 1
