"""File access of WASI programs: the union of image layers, copy-up, whiteouts, mounts, confinement."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from layer_support import make_tree, snapshot
from sockerless_memory import rootfs
from sockerless_memory.sandbox.fs import Mount
from sockerless_memory.sandbox.harness import Sandbox
from wasm_support import install


@pytest.fixture
def layers(tmp_path: Path) -> list[Path]:
    """Two image layers, top-most first: some data over the built-in rootfs."""
    base = tmp_path / "base"
    base.mkdir()
    rootfs.build(str(base))
    top = make_tree(tmp_path / "top", {"data/image.txt": "from the image\n", "data/gone.txt": "delete me\n",
                                        "data/keep/inner.txt": "inner\n"})
    return [top, base]


@pytest.fixture
def volume(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "volume", {"host.txt": "on the volume\n"})


@pytest.fixture
def box(layers: list[Path], volume: Path, tmp_path: Path, wtool: bytes):
    ro = make_tree(tmp_path / "ro", {"fixed.txt": "read only\n"})
    mounts = [Mount("/vol", str(volume)), Mount("/ro", str(ro), readonly=True)]
    with Sandbox(lowers=[str(p) for p in layers], mounts=mounts) as sandbox:
        install(sandbox, wtool)
        yield sandbox


def test_reads_image_files(box: Sandbox) -> None:
    assert box.run(["wtool", "cat", "/data/image.txt"]).out == "from the image\n"
    assert box.run(["wtool", "stat", "/data/image.txt"]).out == "size=15 dir=0\n"
    assert box.run(["wtool", "stat", "/data/keep"]).out.endswith(" dir=1\n")


def test_writes_copy_up_and_never_touch_the_layers(box: Sandbox, layers: list[Path]) -> None:
    before = [snapshot(p) for p in layers]
    assert box.run(["wtool", "append", "/data/image.txt", "added\n"]).status == 0
    assert box.run(["wtool", "cat", "/data/image.txt"]).out == "from the image\nadded\n"
    assert (Path(box.root) / "data/image.txt").read_text() == "from the image\nadded\n"
    assert box.run(["wtool", "write", "/data/new.txt", "new\n"]).status == 0
    assert box.run(["wtool", "mkdir", "/data/dir"]).status == 0
    assert box.run(["wtool", "mv", "/data/new.txt", "/data/dir/moved.txt"]).status == 0
    assert box.run(["wtool", "cat", "/data/dir/moved.txt"]).out == "new\n"
    assert [p for p in layers if snapshot(p) != before[layers.index(p)]] == []


def test_deleting_image_files_leaves_whiteouts(box: Sandbox, layers: list[Path]) -> None:
    before = snapshot(layers[0])
    assert box.run(["wtool", "rm", "/data/gone.txt"]).status == 0
    result = box.run(["wtool", "cat", "/data/gone.txt"])
    assert result.status == 1 and "No such file or directory" in result.err
    assert os.path.exists(os.path.join(box.root, "data", ".wh.gone.txt"))
    assert box.run(["wtool", "rmdir", "/data/keep"]).status == 1  # not empty
    assert box.run(["wtool", "rm", "/data/keep/inner.txt"]).status == 0
    assert box.run(["wtool", "rmdir", "/data/keep"]).status == 0
    assert snapshot(layers[0]) == before
    listing = box.run(["wtool", "ls", "/data"]).out.split()
    assert sorted(listing) == ["image.txt"]


def test_directory_listing_merges_upper_and_layers(box: Sandbox) -> None:
    box.run(["wtool", "write", "/data/upper.txt", "u"])
    listing = box.run(["wtool", "ls", "/data"]).out.split()
    assert sorted(listing) == ["gone.txt", "image.txt", "keep/", "upper.txt"]
    assert "busybox" in box.run(["wtool", "ls", "/bin"]).out.split()


def test_volumes_appear_at_their_mount_points(box: Sandbox, volume: Path) -> None:
    assert box.run(["wtool", "cat", "/vol/host.txt"]).out == "on the volume\n"
    assert box.run(["wtool", "write", "/vol/made.txt", "by wasm\n"]).status == 0
    assert (volume / "made.txt").read_text() == "by wasm\n"
    assert not os.path.exists(os.path.join(box.root, "vol", "made.txt"))
    assert sorted(box.run(["wtool", "ls", "/vol"]).out.split()) == ["host.txt", "made.txt"]
    moved = box.run(["wtool", "mv", "/vol/made.txt", "/data/made.txt"])
    assert moved.status == 1 and "Cross-device" in moved.err


def test_root_and_volumes_are_the_preopened_directories(box: Sandbox) -> None:
    assert box.run(["wtool", "preopens"]).out == "3 /\n4 /ro\n5 /vol\n"
    # through the volume's own preopen (the longest prefix wins in wasi-libc) or the root's: one jail
    assert box.run(["wtool", "cat", "/vol/host.txt"]).out == "on the volume\n"
    assert box.run(["wtool", "cat", "/vol/../data/image.txt"]).out == "from the image\n"


def test_read_only_mounts_refuse_writes(box: Sandbox) -> None:
    assert box.run(["wtool", "cat", "/ro/fixed.txt"]).out == "read only\n"
    result = box.run(["wtool", "write", "/ro/fixed.txt", "no"])
    assert result.status == 1 and "Read-only file system" in result.err


def test_symlinks(box: Sandbox) -> None:
    assert box.run(["wtool", "ln", "/data/image.txt", "/data/link"]).status == 0
    assert box.run(["wtool", "readlink", "/data/link"]).out == "/data/image.txt\n"
    assert box.run(["wtool", "cat", "/data/link"]).out == "from the image\n"  # absolute: from the container root


def test_escape_attempts_stay_inside_the_root(box: Sandbox, tmp_path: Path) -> None:
    outside = make_tree(tmp_path / "outside", {"secret.txt": "HOST SECRET\n"})
    before = snapshot(outside)
    root = Path(box.root)
    os.symlink(str(outside), root / "abs")  # an absolute link naming a host path
    depth = len(root.parts)
    os.symlink("../" * (depth + 2) + str(outside).lstrip("/"), root / "rel")  # a relative link climbing out
    attempts = [
        ["wtool", "cat", "/abs/secret.txt"],
        ["wtool", "cat", "/rel/secret.txt"],
        ["wtool", "cat", "/../../../../../../.." + str(outside) + "/secret.txt"],
        ["wtool", "cat", "../../../../../../.." + str(outside) + "/secret.txt"],
        ["wtool", "write", "/abs/planted.txt", "x"],
        ["wtool", "write", "/rel/planted.txt", "x"],
        ["wtool", "ln", str(outside), "/mine"],
        ["wtool", "cat", "/mine/secret.txt"],
        ["wtool", "write", "/mine/planted.txt", "x"],
        ["wtool", "mkdir", "/rel/newdir"],
        ["wtool", "rm", "/abs/secret.txt"],
        ["wtool", "mv", "/abs/secret.txt", "/stolen.txt"],
    ]
    for argv in attempts:
        result = box.run(argv)
        assert "HOST SECRET" not in result.out, argv
    assert snapshot(outside) == before
    assert box.run(["wtool", "ls", "/.."]).out == box.run(["wtool", "ls", "/"]).out
