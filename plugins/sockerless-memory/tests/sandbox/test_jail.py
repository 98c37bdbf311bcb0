"""The root jail: nothing outside the container root is ever read or written."""

from __future__ import annotations

import errno
import os
import threading

import pytest
from layer_support import Link, flipping, make_tree, snapshot
from sockerless_memory.sandbox.fs import FileSystem, Mount


@pytest.fixture(params=["plain", "union"])
def world(request, tmp_path):
    """A host directory with a secret next to a container root.

    ``plain``: the root is one directory. ``union``: the image's files are in a read-only
    lower layer and the root is an upper directory that holds only ``/tmp`` (so the tests
    plant their links in the upper directory, over a merged ``/tmp``).
    """
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret").write_text("host secret\n")
    root = tmp_path / "root"
    image = tmp_path / "layer" if request.param == "union" else root
    (image / "etc").mkdir(parents=True)
    (image / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (image / "tmp").mkdir()
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    fs = FileSystem(str(root), lowers=[str(image)] if image != root else [])
    before = snapshot(image) if image != root else None
    yield fs, root, host
    fs.close()
    assert sorted(os.listdir(host)) == ["secret"], "the host was modified"
    if before is not None:
        assert snapshot(image) == before, "the lower layer was modified"


def test_absolute_symlink_resolves_inside_root(world):
    fs, root, host = world
    os.symlink(str(host / "secret"), root / "tmp" / "abs")
    with pytest.raises(FileNotFoundError):
        fs.read_bytes("/tmp/abs")
    os.symlink("/etc/passwd", root / "tmp" / "inside")
    assert fs.read_bytes("/tmp/inside").startswith(b"root:")


def test_relative_symlink_and_dotdot_are_clamped(world):
    fs, root, _host = world
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
    fs, _root, host = world
    with pytest.raises(FileNotFoundError):
        fs.link(str(host / "secret"), "/tmp/hard")
    fs.write_bytes("/tmp/file", b"data")
    fs.link("/tmp/file", "/tmp/hard")
    assert fs.read_bytes("/tmp/hard") == b"data"


def test_devices_fifos_and_sockets_are_refused(world):
    fs, root, _host = world
    os.mkfifo(root / "tmp" / "fifo")
    with pytest.raises(OSError) as err:
        fs.open("/tmp/fifo", os.O_RDONLY)
    assert err.value.errno == errno.EACCES
    if os.geteuid() == 0:
        os.mknod(root / "tmp" / "null", 0o666 | 0o020000, os.makedev(1, 3))
        with pytest.raises(OSError):
            fs.open("/tmp/null", os.O_RDONLY)


def test_mounts_appear_only_at_their_mount_point(tmp_path, world):
    fs, root, _host = world
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
    fs, _root, _host = world
    vol = tmp_path / "ro"
    vol.mkdir()
    fs.add_mount(Mount("/ro", str(vol), readonly=True))
    for attempt in (lambda: fs.write_bytes("/ro/x", b"1"), lambda: fs.mkdir("/ro/d"), lambda: fs.unlink("/ro/x")):
        with pytest.raises(OSError) as err:
            attempt()
        assert err.value.errno in (errno.EROFS, errno.ENOENT)
    assert os.listdir(vol) == []


def test_symlink_loops_fail_cleanly(world):
    fs, root, _host = world
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
    with flipping(target, str(host), "real"):
        for _ in range(3000):
            try:
                data = fs.read_bytes("/tmp/flip/secret")
            except OSError:
                continue
            assert data == b"inside\n"


# -- the union: links and races in lower layers and in the upper directory ---------------------
@pytest.fixture
def layered(tmp_path):
    """A union whose lower layer is hostile: links that point at the host, absolute and relative."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret").write_text("host secret\n")
    (host / "sub").mkdir()
    layer = make_tree(tmp_path / "layer", {
        "etc/passwd": "root:x:0:0::/root:/bin/sh\n",
        "usr/share/doc/readme": "inside\n",
        "abs": Link(str(host / "secret")),
        "absdir": Link(str(host)),
        "rel": Link("../../../../../../" + str(host / "secret").lstrip("/")),
        "reldir": Link("../../../../../../" + str(host).lstrip("/")),
        "etc/up": Link("../../../../.."),
        "tmp/": None,
    })
    upper = tmp_path / "upper"
    upper.mkdir()
    fs = FileSystem(str(upper), lowers=[str(layer)])
    before, host_before = snapshot(layer), _files(host)
    yield fs, upper, host, layer
    fs.close()
    assert snapshot(layer) == before, "the lower layer was modified"
    assert _files(host) == host_before, "the host was modified"


def _files(root):
    """Relative path -> content of every file (None for a directory or link) under ``root``."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        found.update({os.path.relpath(os.path.join(dirpath, name), root): None for name in dirnames})
        for name in filenames:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, root)] = handle.read()
    return found


def test_lower_links_to_the_host_resolve_inside(layered):
    fs, _upper, _host, _layer = layered
    for path in ("/abs", "/rel", "/absdir/secret", "/reldir/secret"):
        with pytest.raises(FileNotFoundError):
            fs.read_bytes(path)
    assert fs.realpath("/etc/up") == "/"
    assert fs.read_bytes("/etc/up/etc/passwd").startswith(b"root:")
    assert sorted(fs.listdir("/etc/up")) == sorted(fs.listdir("/"))


def test_writes_through_lower_links_land_in_the_upper_dir(layered):
    fs, upper, host, _layer = layered
    with pytest.raises(FileNotFoundError):  # the host path does not exist inside the root
        fs.write_bytes("/abs", b"planted")
    fs.makedirs(str(host))
    fs.write_bytes("/abs", b"planted")  # dangling inside the jail: creates the target, inside
    inside = upper / str(host / "secret").lstrip("/")
    assert inside.read_bytes() == b"planted"
    assert (host / "secret").read_text() == "host secret\n"
    with pytest.raises(FileNotFoundError):
        fs.write_bytes("/reldir/sub/x", b"x")
    fs.makedirs(str(host / "sub"))
    fs.write_bytes("/reldir/sub/x", b"x")
    assert (upper / str(host / "sub" / "x").lstrip("/")).read_bytes() == b"x"


def test_metadata_calls_through_lower_links_stay_inside(layered):
    fs, upper, host, _layer = layered
    with pytest.raises(FileNotFoundError):
        fs.chmod("/abs", 0o777)
    with pytest.raises(FileNotFoundError):
        fs.utime("/absdir", None)
    fs.chown("/abs", -1, -1, follow=False)  # the link itself is copied up
    assert os.readlink(upper / "abs") == str(host / "secret")
    fs.link("/rel", "/tmp/hard")  # a hard link to the link, not to its target
    assert os.lstat(upper / "tmp" / "hard").st_ino == os.lstat(upper / "rel").st_ino
    assert os.path.islink(upper / "tmp" / "hard")
    fs.rename("/absdir", "/tmp/moved")
    assert os.readlink(upper / "tmp" / "moved") == str(host)


def test_copy_up_never_follows_a_link_swapped_into_the_upper_chain(layered):
    """A racer keeps turning ``/usr`` of the upper dir into a link to the host while files
    below it are copied up (the chain is walked with O_NOFOLLOW, so it fails instead)."""
    fs, upper, host, _layer = layered
    target = upper / "usr"
    stop = threading.Event()

    def flipper():
        aside = 0
        while not stop.is_set():
            try:  # whatever the jail copied up goes away, a host link takes its place
                os.rename(target, upper / f"aside{aside}")
                aside += 1
            except FileNotFoundError:
                pass
            try:
                os.symlink(str(host), target)
            except FileExistsError:
                pass
            try:
                os.unlink(target)
            except (FileNotFoundError, IsADirectoryError):
                pass

    thread = threading.Thread(target=flipper, daemon=True)
    thread.start()
    done = 0
    try:
        for i in range(300):
            try:
                fs.write_bytes(f"/usr/share/doc/f{i}", b"x")
                fs.chmod("/usr/share/doc/readme", 0o600)
                done += 1
            except OSError:
                continue
    finally:
        stop.set()
        thread.join(5)
    assert _files(host) == {"secret": b"host secret\n", "sub": None}
    assert done  # the race did not stop every copy-up


def test_racing_upper_links_never_reach_the_host_during_copy_up(layered):
    """Flip an upper entry between a host link and a link to a lower-only directory while
    writing through it: every write lands in the upper dir, never on the host."""
    fs, upper, host, _layer = layered
    flip = upper / "tmp" / "flip"
    (upper / "tmp").mkdir(exist_ok=True)
    with flipping(flip, str(host), "/usr/share/doc"):
        for i in range(500):
            try:
                fs.write_bytes(f"/tmp/flip/w{i % 7}", b"w")
                assert fs.read_bytes("/tmp/flip/readme") == b"inside\n"
            except OSError:
                continue


def test_a_layer_changed_behind_the_cache_is_not_followed(tmp_path):
    """Lower layers are immutable; if one changed anyway, the cached structure is no way out."""
    host = tmp_path / "host"
    host.mkdir()
    layer = make_tree(tmp_path / "layer", {"usr/share/doc/readme": "inside\n"})
    (tmp_path / "upper").mkdir()
    fs = FileSystem(str(tmp_path / "upper"), lowers=[str(layer)])
    assert fs.read_bytes("/usr/share/doc/readme") == b"inside\n"  # cached now
    doc = layer / "usr" / "share" / "doc"
    os.rename(doc, layer / "usr" / "share" / "doc.orig")
    (host / "readme").write_text("host secret\n")
    os.symlink(str(host), doc)
    try:
        with pytest.raises(OSError):
            fs.read_bytes("/usr/share/doc/readme")
        with pytest.raises(OSError):
            fs.chmod("/usr/share/doc/readme", 0o600)  # copy-up reads the lower file too
    finally:
        fs.close()


def test_whiteout_names_cannot_be_used_to_delete_or_escape(layered):
    fs, _upper, host, _layer = layered
    for attempt in (lambda: fs.write_bytes("/etc/.wh.passwd", b""), lambda: fs.symlink(str(host), "/.wh.usr"),
                    lambda: fs.mkdir("/etc/.wh..wh..opq"), lambda: fs.rename("/etc/passwd", "/etc/.wh.x")):
        with pytest.raises(OSError) as err:
            attempt()
        assert err.value.errno == errno.EPERM
    assert fs.read_bytes("/etc/passwd").startswith(b"root:")
    assert sorted(fs.listdir("/usr")) == ["share"]
