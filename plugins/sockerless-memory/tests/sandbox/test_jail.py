"""The root jail: nothing outside the container root is ever read or written."""

from __future__ import annotations

import errno
import os
import threading

import pytest

from sockerless_memory.sandbox.fs import FileSystem, Mount


@pytest.fixture
def world(tmp_path):
    """A host directory with a secret next to a container root."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret").write_text("host secret\n")
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (root / "tmp").mkdir()
    fs = FileSystem(str(root))
    yield fs, root, host
    fs.close()


def test_absolute_symlink_resolves_inside_root(world):
    fs, root, host = world
    os.symlink(str(host / "secret"), root / "tmp" / "abs")
    with pytest.raises(FileNotFoundError):
        fs.read_bytes("/tmp/abs")
    os.symlink("/etc/passwd", root / "tmp" / "inside")
    assert fs.read_bytes("/tmp/inside").startswith(b"root:")


def test_relative_symlink_and_dotdot_are_clamped(world):
    fs, root, host = world
    os.symlink("../../../../../host/secret", root / "tmp" / "rel")
    with pytest.raises(FileNotFoundError):
        fs.read_bytes("/tmp/rel")
    assert fs.read_bytes("/../../../etc/passwd").startswith(b"root:")
    assert fs.realpath("/tmp/../../..") == "/"


def test_writes_through_links_stay_inside(world):
    fs, root, host = world
    os.symlink(str(host), root / "tmp" / "hostdir")
    with pytest.raises(FileNotFoundError):  # the host path does not exist inside the root
        fs.write_bytes("/tmp/hostdir/planted", b"x")
    mirror = root / str(host).lstrip("/")
    mirror.mkdir(parents=True)
    fs.write_bytes("/tmp/hostdir/planted", b"x")
    assert not (host / "planted").exists()
    assert (mirror / "planted").read_bytes() == b"x"
    os.symlink(str(host / "newfile"), root / "tmp" / "dangling")
    fs.write_bytes("/tmp/dangling", b"y")
    assert not (host / "newfile").exists()
    assert (mirror / "newfile").read_bytes() == b"y"


def test_chmod_chown_utime_do_not_follow_outside(world):
    fs, root, host = world
    before = os.stat(host / "secret")
    os.symlink(str(host / "secret"), root / "tmp" / "link")
    with pytest.raises(FileNotFoundError):
        fs.chmod("/tmp/link", 0o777)
    fs.chown("/tmp/link", 0, 0, follow=False)
    assert os.stat(host / "secret").st_mode == before.st_mode


def test_hard_links_cannot_reach_outside(world):
    fs, root, host = world
    with pytest.raises(FileNotFoundError):
        fs.link(str(host / "secret"), "/tmp/hard")
    fs.write_bytes("/tmp/file", b"data")
    fs.link("/tmp/file", "/tmp/hard")
    assert fs.read_bytes("/tmp/hard") == b"data"


def test_devices_fifos_and_sockets_are_refused(world):
    fs, root, host = world
    os.mkfifo(root / "tmp" / "fifo")
    with pytest.raises(OSError) as err:
        fs.open("/tmp/fifo", os.O_RDONLY)
    assert err.value.errno == errno.EACCES
    if os.geteuid() == 0:
        os.mknod(root / "tmp" / "null", 0o666 | 0o020000, os.makedev(1, 3))
        with pytest.raises(OSError):
            fs.open("/tmp/null", os.O_RDONLY)


def test_mounts_appear_only_at_their_mount_point(tmp_path, world):
    fs, root, host = world
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "data").write_text("in volume")
    fs.add_mount(Mount("/mnt/vol", str(vol)))
    (root / "mnt" / "vol").mkdir(parents=True)
    assert fs.read_bytes("/mnt/vol/data") == b"in volume"
    os.symlink("../../../../secret", vol / "escape")
    with pytest.raises(FileNotFoundError):
        fs.read_bytes("/mnt/vol/escape")
    assert fs.read_bytes("/mnt/vol/../../etc/passwd").startswith(b"root:")
    with pytest.raises(OSError) as err:
        fs.rename("/mnt/vol/data", "/tmp/moved")
    assert err.value.errno == errno.EXDEV


def test_readonly_mount_refuses_writes(tmp_path, world):
    fs, root, host = world
    vol = tmp_path / "ro"
    vol.mkdir()
    fs.add_mount(Mount("/ro", str(vol), readonly=True))
    for attempt in (lambda: fs.write_bytes("/ro/x", b"1"), lambda: fs.mkdir("/ro/d"), lambda: fs.unlink("/ro/x")):
        with pytest.raises(OSError) as err:
            attempt()
        assert err.value.errno in (errno.EROFS, errno.ENOENT)
    assert os.listdir(vol) == []


def test_symlink_loops_fail_cleanly(world):
    fs, root, host = world
    os.symlink("b", root / "tmp" / "a")
    os.symlink("a", root / "tmp" / "b")
    with pytest.raises(OSError) as err:
        fs.read_bytes("/tmp/a")
    assert err.value.errno == errno.ELOOP


def test_concurrent_symlink_swap_never_escapes(world):
    """A racing attacker flips a directory to a host symlink while we read through it."""
    fs, root, host = world
    target = root / "tmp" / "flip"
    (root / "tmp" / "real").mkdir()
    (root / "tmp" / "real" / "secret").write_text("inside\n")
    stop = threading.Event()

    def flipper():
        while not stop.is_set():
            for make in (lambda: os.symlink(str(host), target), lambda: os.symlink("real", target)):
                try:
                    os.unlink(target)
                except FileNotFoundError:
                    pass
                try:
                    make()
                except FileExistsError:
                    pass

    thread = threading.Thread(target=flipper, daemon=True)
    thread.start()
    try:
        for _ in range(3000):
            try:
                data = fs.read_bytes("/tmp/flip/secret")
            except OSError:
                continue
            assert data == b"inside\n"
    finally:
        stop.set()
        thread.join(5)
