"""The copy-on-write union: an upper directory over read-only lower layers.

Most tests run on the same two layers plus an empty upper directory, and their fixture
checks afterwards that neither layer changed in any way (content, metadata, inodes).
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

import pytest
from layer_support import Dir, File, Link, make_tree, snapshot
from sockerless_memory import rootfs
from sockerless_memory.sandbox import layers
from sockerless_memory.sandbox.fs import FileSystem, Mount
from sockerless_memory.sandbox.harness import Sandbox

OLD = 1_000_000_000  # a lower-layer mtime nothing in a test sets by accident

BOTTOM = {
    "etc/": Dir(0o755, OLD),
    "etc/passwd": "root:x:0:0::/root:/bin/sh\n",
    "etc/gone": "gone\n",
    "etc/keep": "keep-bottom\n",
    "opt/old/a": "a",
    "srv/data/x": "x",
    "usr/bin/tool": File("#!/bin/sh\necho tool\n", 0o755, OLD),
    "usr/share/": Dir(0o750, OLD),
    "usr/share/doc/": Dir(0o755, OLD + 1),
    "usr/share/doc/readme": File("readme\n", 0o640, OLD),
    "usr/lib/file-then-dir": "bottom file",
    "var/dir-then-file/inner": "hidden",
    "lnk": Link("usr/bin"),
    "etc/abs-link": Link("/etc/passwd"),
}
TOP = {
    "etc/.wh.gone": "",
    "etc/top": "top\n",
    "etc/keep": File("keep-top\n", 0o600, OLD),
    "opt/old/.wh..wh..opq": "",
    "opt/old/b": "b",
    "usr/lib/file-then-dir/inner": "top dir",
    "var/dir-then-file": "now a file",
    "usr/share/doc/more": "more\n",
    "usr/share/": Dir(0o750, OLD),
    "usr/share/doc/": Dir(0o755, OLD + 1),
    "etc/": Dir(0o755, OLD),
}


class World:
    """A union FileSystem with its upper directory and its two lower layers (three with ``base``)."""

    def __init__(self, tmp_path: Path, base: Path | None = None) -> None:
        self.bottom = make_tree(tmp_path / "bottom", BOTTOM)
        self.top = make_tree(tmp_path / "top", TOP)
        self.upper = tmp_path / "upper"
        self.upper.mkdir()
        self.lowers = [str(self.top), str(self.bottom), *([str(base)] if base else [])]
        self.fs = FileSystem(str(self.upper), lowers=self.lowers)

    def sandbox(self) -> Sandbox:
        """A sandbox (shell and utilities) on this union."""
        return Sandbox(root=str(self.upper), lowers=self.lowers)

    def up(self, rel: str) -> Path:
        """A path inside the upper directory."""
        return self.upper / rel.lstrip("/")

    def names(self, path: str) -> list[str]:
        return sorted(self.fs.listdir(path))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in rootfs, as the bottom-most layer of the tests that run the shell."""
    root = tmp_path_factory.mktemp("base") / "rootfs"
    rootfs.build(str(root))
    return root


def _world(tmp_path: Path, base: Path | None = None):
    world = World(tmp_path, base)
    trees = [Path(p) for p in world.lowers]
    before = [snapshot(t) for t in trees]
    yield world
    world.fs.close()
    assert [snapshot(t) for t in trees] == before, "a lower layer was modified"


@pytest.fixture
def w(tmp_path: Path):
    yield from _world(tmp_path)


@pytest.fixture
def wsh(tmp_path: Path, base: Path):
    yield from _world(tmp_path, base)


def errno_of(func, *args, **kwargs) -> int:
    with pytest.raises(OSError) as err:
        func(*args, **kwargs)
    return err.value.errno


# -- lookup and listings -------------------------------------------------------------------------
def test_lookup_precedence_upper_then_top_then_bottom(w):
    assert w.fs.read_bytes("/etc/passwd").startswith(b"root:")  # bottom only
    assert w.fs.read_bytes("/etc/keep") == b"keep-top\n"  # top wins over bottom
    w.up("etc").mkdir()
    w.up("etc/keep").write_text("upper\n")
    assert w.fs.read_bytes("/etc/keep") == b"upper\n"  # upper wins over both
    assert w.fs.stat("/etc/passwd").st_ino == os.stat(w.bottom / "etc/passwd").st_ino


def test_lower_whiteouts_and_opaque_directories(w):
    assert not w.fs.exists("/etc/gone")
    assert w.names("/etc") == ["abs-link", "keep", "passwd", "top"]
    assert w.names("/opt/old") == ["b"]  # the opaque marker hides the bottom's "a"
    assert not w.fs.exists("/opt/old/a")


def test_non_directories_stop_directory_merging(w):
    assert w.fs.is_dir("/usr/lib/file-then-dir")
    assert w.names("/usr/lib/file-then-dir") == ["inner"]
    assert w.fs.read_bytes("/var/dir-then-file") == b"now a file"
    assert errno_of(w.fs.stat, "/var/dir-then-file/inner") == errno.ENOTDIR


def test_whiteout_files_are_never_visible(w):
    for path in ("/etc/.wh.gone", "/opt/old/.wh..wh..opq"):
        assert not w.fs.exists(path, follow=False)
        assert errno_of(w.fs.open, path, os.O_RDONLY) == errno.ENOENT
    w.fs.unlink("/etc/passwd")
    assert w.up("etc/.wh.passwd").exists()
    assert ".wh.passwd" not in w.fs.listdir("/etc")
    assert errno_of(w.fs.stat, "/etc/.wh.passwd") == errno.ENOENT
    assert errno_of(w.fs.readlink, "/etc/.wh.passwd") == errno.ENOENT


def test_sandbox_cannot_create_reserved_names(w):
    for attempt in (lambda: w.fs.write_bytes("/etc/.wh.passwd", b""), lambda: w.fs.mkdir("/.wh..wh..opq"),
                    lambda: w.fs.symlink("x", "/.wh.etc"), lambda: w.fs.link("/etc/passwd", "/etc/.wh.keep")):
        assert errno_of(attempt) == errno.EPERM
    assert w.fs.exists("/etc/passwd") and w.fs.exists("/etc")


def test_upper_whiteouts_and_opaque_markers_made_by_hand(w):
    """An upper directory laid out by another tool (OCI whiteout files) reads the same."""
    w.up("usr/share").mkdir(parents=True)
    (w.up("usr/share") / ".wh.doc").write_text("")
    assert w.names("/usr/share") == []
    w.up("usr/bin").mkdir()
    (w.up("usr/bin") / ".wh..wh..opq").write_text("")
    (w.up("usr/bin") / "mine").write_text("")
    assert w.names("/usr/bin") == ["mine"]


def test_listing_entries_have_types_and_follow_links_in_the_jail(w):
    w.up("etc").mkdir()
    os.symlink("/etc/passwd", w.up("etc/up-link"))
    with w.fs.scandir("/") as entries:
        by_name = {e.name: e for e in entries}
    assert by_name["lnk"].is_symlink() and by_name["lnk"].is_dir() and not by_name["lnk"].is_dir(follow_symlinks=False)
    assert by_name["etc"].is_dir(follow_symlinks=False)
    assert by_name["lnk"].stat().st_ino == os.stat(w.bottom / "usr/bin").st_ino
    with w.fs.scandir("/etc") as entries:
        by_name = {e.name: e for e in entries}
    assert sorted(by_name) == ["abs-link", "keep", "passwd", "top", "up-link"]
    assert by_name["up-link"].is_file() and by_name["abs-link"].is_file()
    assert by_name["keep"].stat().st_mode & 0o777 == 0o600
    walked = {top: sorted(files) for top, _, files in w.fs.walk("/usr")}
    assert walked["/usr/share/doc"] == ["more", "readme"]
    assert walked["/usr/lib/file-then-dir"] == ["inner"]


def test_symlinks_resolve_across_layers(w):
    assert w.fs.realpath("/lnk/tool") == "/usr/bin/tool"
    assert w.fs.read_bytes("/lnk/tool").startswith(b"#!")
    assert w.fs.readlink("/lnk") == "usr/bin"
    assert w.fs.read_bytes("/etc/abs-link").startswith(b"root:")
    assert w.fs.realpath("/usr/../../../lnk/../share") == "/usr/share"  # ".." of a link's target
    assert errno_of(w.fs.readlink, "/etc/passwd") == errno.EINVAL


# -- copy-up -------------------------------------------------------------------------------------
def test_write_copies_up_file_and_parent_chain_with_metadata(w):
    fd = w.fs.open("/usr/share/doc/readme", os.O_WRONLY | os.O_APPEND)
    os.write(fd, b"more\n")
    os.close(fd)
    assert w.fs.read_bytes("/usr/share/doc/readme") == b"readme\nmore\n"
    copy = w.up("usr/share/doc/readme")
    assert copy.read_bytes() == b"readme\nmore\n"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o640
    for rel, lower in (("usr/share", w.top / "usr/share"), ("usr/share/doc", w.top / "usr/share/doc")):
        st, ref = w.up(rel).stat(), lower.stat()
        assert stat.S_IMODE(st.st_mode) == stat.S_IMODE(ref.st_mode)
        assert (st.st_uid, st.st_gid) == (ref.st_uid, ref.st_gid)
        assert st.st_mtime_ns == ref.st_mtime_ns, rel  # copy-up is no change of the directories
    assert w.names("/usr/share/doc") == ["more", "readme"]  # the rest still comes from below
    assert sorted(os.listdir(w.up("usr/share/doc"))) == ["readme"]


def test_copy_up_for_metadata_changes_keeps_content_and_times(w):
    w.fs.chmod("/usr/bin/tool", 0o700)
    copy = w.up("usr/bin/tool")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o700
    assert copy.read_bytes() == (w.bottom / "usr/bin/tool").read_bytes()
    assert copy.stat().st_mtime == OLD
    w.fs.utime("/etc/passwd", (OLD * 10**9, OLD * 10**9))
    assert w.up("etc/passwd").stat().st_mtime == OLD
    if os.geteuid() == 0:
        w.fs.chown("/etc/top", 1234, 5678)
        st = w.up("etc/top").stat()
        assert (st.st_uid, st.st_gid) == (1234, 5678)
        assert w.fs.stat("/etc/top").st_uid == 1234


def test_copy_up_preserves_owners_when_root(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("owners are kept only when the daemon runs as root")
    lower = make_tree(tmp_path / "l", {"d/f": "data", "d/l": Link("f")})
    for rel in ("d", "d/f"):
        os.chown(lower / rel, 4321, 8765)
    os.chown(lower / "d/l", 1111, 2222, follow_symlinks=False)
    upper = tmp_path / "u"
    upper.mkdir()
    fs = FileSystem(str(upper), lowers=[str(lower)])
    try:
        fs.chmod("/d/f", 0o600)
        fs.utime("/d/l", None, follow=False)
        for rel, owner in (("d", (4321, 8765)), ("d/f", (4321, 8765)), ("d/l", (1111, 2222))):
            st = os.lstat(upper / rel)
            assert (st.st_uid, st.st_gid) == owner, rel
        assert stat.S_IMODE(os.stat(upper / "d/f").st_mode) == 0o600
    finally:
        fs.close()


def test_truncating_open_copies_metadata_only(w):
    w.fs.write_bytes("/etc/keep", b"new\n")
    assert w.fs.read_bytes("/etc/keep") == b"new\n"
    assert stat.S_IMODE(w.up("etc/keep").stat().st_mode) == 0o600
    w.fs.truncate("/usr/share/doc/more", 2)
    assert w.fs.read_bytes("/usr/share/doc/more") == b"mo"


def test_read_only_opens_never_copy_up(w):
    for path in ("/etc/passwd", "/usr/bin/tool", "/lnk/tool"):
        os.close(w.fs.open(path, os.O_RDONLY))
        os.close(w.fs.open(path, os.O_RDONLY | os.O_CREAT))
    os.close(w.fs.open("/usr/share", os.O_RDONLY | os.O_DIRECTORY))
    w.fs.stat("/usr/share/doc/readme")
    w.fs.listdir("/usr/share/doc")
    assert os.listdir(w.upper) == []


def test_symlinks_copy_up_as_symlinks(w):
    w.fs.utime("/lnk", (OLD * 10**9, OLD * 10**9), follow=False)
    assert os.readlink(w.up("lnk")) == "usr/bin"
    assert os.lstat(w.up("lnk")).st_mtime == OLD
    assert not w.up("usr").exists()  # the link's target was not copied
    w.fs.chown("/etc/abs-link", -1, -1, follow=False)
    assert os.readlink(w.up("etc/abs-link")) == "/etc/passwd"
    assert errno_of(w.fs.chmod, "/lnk", 0o777, follow=False) == errno.EOPNOTSUPP
    w.fs.chmod("/lnk/tool", 0o711)  # followed: the target is copied up
    assert stat.S_IMODE(w.up("usr/bin/tool").stat().st_mode) == 0o711


def test_creating_in_a_lower_directory_copies_up_only_the_chain(w):
    w.fs.write_bytes("/usr/share/doc/new", b"n")
    assert sorted(os.listdir(w.up("usr/share/doc"))) == ["new"]
    assert os.listdir(w.up("usr")) == ["share"]
    assert w.names("/usr/share/doc") == ["more", "new", "readme"]
    assert w.up("usr/share/doc").stat().st_mtime != OLD + 1  # the new entry changed it, as it should
    assert w.up("usr/share").stat().st_mtime == OLD  # copying the chain up did not
    w.fs.mkdir("/srv/data/sub")
    w.fs.symlink("../x", "/opt/old/l")
    assert w.fs.readlink("/opt/old/l") == "../x"
    assert sorted(os.listdir(w.up("srv/data"))) == ["sub"]


def test_directory_copy_up_for_chmod_copies_no_content(w):
    w.fs.chmod("/usr/share", 0o711)
    assert stat.S_IMODE(w.fs.stat("/usr/share").st_mode) == 0o711
    assert os.listdir(w.up("usr/share")) == []
    assert w.names("/usr/share") == ["doc"]
    w.fs.chmod("/", 0o755)
    assert stat.S_IMODE(w.upper.stat().st_mode) == 0o755


def test_hard_link_of_a_lower_file_copies_it_up(w):
    w.fs.link("/etc/passwd", "/etc/passwd-link")
    up, link = w.up("etc/passwd").stat(), w.up("etc/passwd-link").stat()
    assert up.st_ino == link.st_ino and up.st_nlink == 2
    assert w.fs.read_bytes("/etc/passwd-link").startswith(b"root:")
    assert errno_of(w.fs.link, "/etc/top", "/etc/keep") == errno.EEXIST
    assert errno_of(w.fs.link, "/usr", "/usr2") == errno.EPERM
    w.fs.unlink("/etc/keep")
    w.fs.link("/etc/top", "/etc/keep")  # over a whiteout: it goes
    assert w.fs.read_bytes("/etc/keep") == b"top\n"
    assert not w.up("etc/.wh.keep").exists()


def test_concurrent_appends_to_one_lower_file_all_land(w):
    def append(i: int) -> None:
        fd = w.fs.open("/etc/passwd", os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, f"line{i}\n".encode())
        finally:
            os.close(fd)

    threads = [threading.Thread(target=append, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = w.fs.read_bytes("/etc/passwd").decode().splitlines()
    assert lines[0].startswith("root:") and sorted(lines[1:]) == sorted(f"line{i}" for i in range(16))
    assert [n for n in os.listdir(w.up("etc")) if n.startswith(".wh.")] == []  # no temporaries left


# -- deletion ------------------------------------------------------------------------------------
def test_unlink_of_lower_and_upper_entries(w):
    w.fs.unlink("/etc/top")
    assert not w.fs.exists("/etc/top") and w.up("etc/.wh.top").exists()
    w.fs.write_bytes("/etc/mine", b"m")
    w.fs.unlink("/etc/mine")
    assert not w.up("etc/mine").exists() and not w.up("etc/.wh.mine").exists()
    w.fs.chmod("/etc/keep", 0o644)  # copied up: the upper copy covers the lower one
    w.fs.unlink("/etc/keep")
    assert not w.fs.exists("/etc/keep") and w.up("etc/.wh.keep").exists() and not w.up("etc/keep").exists()
    assert errno_of(w.fs.unlink, "/etc") == errno.EISDIR
    assert errno_of(w.fs.unlink, "/etc/gone") == errno.ENOENT
    w.fs.unlink("/lnk")  # the link, not its target
    assert w.fs.is_dir("/usr/bin")


def test_recreating_a_deleted_name_drops_the_whiteout(w):
    w.fs.unlink("/etc/passwd")
    w.fs.write_bytes("/etc/passwd", b"new\n")
    assert w.fs.read_bytes("/etc/passwd") == b"new\n"
    assert not w.up("etc/.wh.passwd").exists()
    w.fs.unlink("/etc/top")
    w.fs.symlink("passwd", "/etc/top")
    assert w.fs.read_bytes("/etc/top") == b"new\n"
    assert not w.up("etc/.wh.top").exists()


def test_rmdir_checks_the_merged_view(w):
    assert errno_of(w.fs.rmdir, "/usr/share/doc") == errno.ENOTEMPTY
    w.fs.unlink("/usr/share/doc/readme")
    assert errno_of(w.fs.rmdir, "/usr/share/doc") == errno.ENOTEMPTY  # "more" still shows
    w.fs.unlink("/usr/share/doc/more")
    assert w.names("/usr/share/doc") == []
    w.fs.rmdir("/usr/share/doc")  # its upper copy held only whiteouts
    assert not w.fs.exists("/usr/share/doc")
    assert sorted(os.listdir(w.up("usr/share"))) == [".wh.doc"]
    assert errno_of(w.fs.rmdir, "/srv/data") == errno.ENOTEMPTY
    w.fs.unlink("/srv/data/x")
    w.fs.rmdir("/srv/data")
    assert errno_of(w.fs.rmdir, "/etc/passwd") == errno.ENOTDIR
    w.fs.mkdir("/new")
    w.fs.rmdir("/new")
    assert not w.up("new").exists() and not w.up(".wh.new").exists()


def test_rmdir_of_a_lower_only_empty_directory(tmp_path):
    lower = make_tree(tmp_path / "l", {"empty/": Dir(), "keep": "k"})
    upper = tmp_path / "u"
    upper.mkdir()
    fs = FileSystem(str(upper), lowers=[str(lower)])
    try:
        fs.rmdir("/empty")
        assert sorted(os.listdir(upper)) == [".wh.empty"]
        assert sorted(fs.listdir("/")) == ["keep"]
    finally:
        fs.close()


def test_mkdir_over_a_deleted_lower_directory_is_opaque(w):
    for path in ("/usr/share/doc/readme", "/usr/share/doc/more"):
        w.fs.unlink(path)
    w.fs.rmdir("/usr/share/doc")
    w.fs.mkdir("/usr/share/doc", 0o700)
    assert w.names("/usr/share/doc") == []
    assert stat.S_IMODE(w.fs.stat("/usr/share/doc").st_mode) == 0o700
    assert sorted(os.listdir(w.up("usr/share/doc"))) == [".wh..wh..opq"]
    assert not w.up("usr/share/.wh.doc").exists()
    w.fs.write_bytes("/usr/share/doc/fresh", b"f")
    assert w.names("/usr/share/doc") == ["fresh"]
    assert errno_of(w.fs.stat, "/usr/share/doc/readme") == errno.ENOENT
    assert errno_of(w.fs.mkdir, "/usr/share/doc") == errno.EEXIST
    assert errno_of(w.fs.mkdir, "/etc/passwd") == errno.EEXIST
    assert errno_of(w.fs.mkdir, "/usr") == errno.EEXIST


def test_file_over_a_deleted_lower_directory(w):
    w.fs.unlink("/srv/data/x")
    w.fs.rmdir("/srv/data")
    w.fs.write_bytes("/srv/data", b"file now")
    assert w.fs.read_bytes("/srv/data") == b"file now"
    assert sorted(os.listdir(w.up("srv"))) == ["data"]


def test_rm_rf_and_recreate_through_the_shell(wsh):
    w, box = wsh, wsh.sandbox()
    try:
        result = box.run(["rm", "-rf", "/usr"])
        assert result.status == 0, result.err
        assert not w.fs.exists("/usr")
        assert box.run(["mkdir", "-p", "/usr/share"]).status == 0
        assert sorted(w.fs.listdir("/usr")) == ["share"]
        assert w.fs.listdir("/usr/share") == []
    finally:
        box.close()


# -- rename ----------------------------------------------------------------------------------------
def test_rename_of_files(w):
    w.fs.write_bytes("/mine", b"m")
    w.fs.rename("/mine", "/etc/moved")  # upper only: a plain rename
    assert w.fs.read_bytes("/etc/moved") == b"m" and not w.up(".wh.mine").exists()
    w.fs.rename("/etc/passwd", "/srv/passwd")  # lower: copied up, then renamed
    assert w.fs.read_bytes("/srv/passwd").startswith(b"root:")
    assert not w.fs.exists("/etc/passwd") and w.up("etc/.wh.passwd").exists()
    assert w.fs.stat("/srv/passwd").st_ino == w.up("srv/passwd").stat().st_ino
    w.fs.chmod("/etc/top", 0o644)
    w.fs.rename("/etc/top", "/etc/top2")  # upper copy of a lower file: a whiteout stays behind
    assert not w.fs.exists("/etc/top") and w.fs.read_bytes("/etc/top2") == b"top\n"
    w.fs.rename("/etc/top2", "/etc/keep")  # onto a lower file: covers it
    assert w.fs.read_bytes("/etc/keep") == b"top\n"
    w.fs.unlink("/etc/keep")
    w.fs.rename("/srv/passwd", "/etc/keep")  # onto a whiteout: it goes
    assert w.fs.read_bytes("/etc/keep").startswith(b"root:") and not w.up("etc/.wh.keep").exists()
    w.fs.rename("/lnk", "/lnk2")  # a lower symlink moves as a symlink
    assert os.readlink(w.up("lnk2")) == "usr/bin" and not w.fs.exists("/lnk", follow=False)


def test_rename_of_directories(w):
    assert errno_of(w.fs.rename, "/usr/share", "/srv/share") == errno.EXDEV  # lower only
    w.fs.write_bytes("/usr/share/new", b"n")
    assert errno_of(w.fs.rename, "/usr/share", "/srv/share") == errno.EXDEV  # merged
    w.fs.makedirs("/made/sub")
    w.fs.write_bytes("/made/sub/f", b"f")
    w.fs.rename("/made", "/srv/made")  # upper only
    assert w.fs.read_bytes("/srv/made/sub/f") == b"f"
    assert errno_of(w.fs.rename, "/srv/made", "/srv/data") == errno.EXDEV  # onto a lower directory
    assert errno_of(w.fs.rename, "/srv/made", "/etc/passwd") == errno.ENOTDIR
    assert errno_of(w.fs.rename, "/etc/passwd", "/srv/made") == errno.EISDIR
    w.fs.unlink("/opt/old/b")
    w.fs.rmdir("/opt/old")
    w.fs.rename("/srv/made", "/opt/old")  # onto a deleted lower directory: it must stay hidden
    assert w.names("/opt/old") == ["sub"]
    assert not w.up("opt/.wh.old").exists()
    w.fs.mkdir("/opt/other")
    w.fs.rename("/opt/old", "/opt/other")  # an opaque directory moves over an empty one
    assert w.names("/opt") == ["other"]
    assert w.names("/opt/other") == ["sub"]
    assert not w.fs.exists("/opt/old")


def test_rename_onto_an_opaque_empty_directory(w):
    w.fs.unlink("/opt/old/b")
    w.fs.rmdir("/opt/old")
    w.fs.mkdir("/opt/old")  # opaque, empty
    w.fs.makedirs("/x/y")
    w.fs.rename("/x", "/opt/old")
    assert w.names("/opt/old") == ["y"]
    assert w.up("opt/old/.wh..wh..opq").exists()


def test_rename_to_itself_does_nothing(w):
    w.fs.rename("/etc/passwd", "/etc/passwd")
    assert os.listdir(w.upper) == []
    w.fs.write_bytes("/f", b"1")
    w.fs.link("/f", "/g")
    w.fs.rename("/f", "/g")
    assert w.fs.exists("/f") and w.fs.exists("/g")


def test_mv_of_a_lower_directory_falls_back_to_copying(wsh):
    w, box = wsh, wsh.sandbox()
    try:
        result = box.sh("mv /usr/share /srv/moved && ls /srv/moved/doc && cat /srv/moved/doc/readme && ls /usr")
        assert result.status == 0, result.err
        assert result.out == "more\nreadme\nreadme\nbin\nlib\nlocal\nsbin\n"
        assert stat.S_IMODE(w.fs.stat("/srv/moved").st_mode) == 0o750
        assert box.sh("mv /etc/keep /srv/keep && cat /srv/keep").out == "keep-top\n"
    finally:
        box.close()


# -- layout and mounts -------------------------------------------------------------------------------
def test_mounts_keep_working_over_the_union(tmp_path, w):
    vol = make_tree(tmp_path / "vol", {"v": "volume", ".wh.x": "not a whiteout here"})
    w.fs.add_mount(Mount("/usr/share", str(vol)))
    assert sorted(w.fs.listdir("/usr/share")) == [".wh.x", "v"]  # a mount is a plain directory
    assert w.fs.read_bytes("/usr/share/.wh.x") == b"not a whiteout here"
    w.fs.write_bytes("/usr/share/new", b"n")
    assert (vol / "new").read_bytes() == b"n"
    assert errno_of(w.fs.rename, "/usr/share/new", "/etc/new") == errno.EXDEV
    ro = make_tree(tmp_path / "ro", {"r": "r"})
    w.fs.add_mount(Mount("/srv/data", str(ro), readonly=True))
    assert errno_of(w.fs.write_bytes, "/srv/data/r", b"") == errno.EROFS
    assert errno_of(w.fs.chmod, "/srv/data/r", 0o777) == errno.EROFS
    assert not w.up("usr").exists() and not w.up("srv").exists()


def test_devices_and_fifos_of_a_lower_layer_are_refused(tmp_path):
    lower = tmp_path / "l"
    lower.mkdir()
    os.mkfifo(lower / "fifo")
    upper = tmp_path / "u"
    upper.mkdir()
    fs = FileSystem(str(upper), lowers=[str(lower)])
    try:
        assert stat.S_ISFIFO(fs.stat("/fifo").st_mode)
        assert errno_of(fs.open, "/fifo", os.O_RDONLY) == errno.EACCES
        assert errno_of(fs.open, "/fifo", os.O_WRONLY) == errno.EACCES
        assert errno_of(fs.chmod, "/fifo", 0o600) == errno.EACCES  # never copied up
        fs.unlink("/fifo")
        assert not fs.exists("/fifo")
    finally:
        fs.close()


def test_lookups_of_cached_lowers_touch_no_layer(w, monkeypatch):
    """Once listed, a layer is never read again: the cache answers every lookup."""
    for path in ("/usr/bin/tool", "/lnk/tool", "/etc/keep", "/nope"):
        w.fs.exists(path)
    w.fs.listdir("/usr/share/doc")

    def refuse(*args, **kwargs):
        raise AssertionError("a cached layer was read again")

    monkeypatch.setattr(layers.LayerTree, "_read", refuse)
    assert w.fs.realpath("/lnk/tool") == "/usr/bin/tool"
    assert w.fs.stat("/etc/keep").st_mode & 0o777 == 0o600
    assert not w.fs.exists("/usr/bin/nope")
    assert sorted(w.fs.listdir("/usr/share/doc")) == ["more", "readme"]
    other = FileSystem(str(w.upper), lowers=w.lowers)  # another container of the same image
    try:
        assert other.exists("/usr/share/doc/readme")
    finally:
        other.close()


def test_lower_lookups_cost_only_the_upper_checks(w, monkeypatch):
    """Resolving through lower-only directories asks the kernel about the upper dir only."""
    for path in ("/usr/share/doc/readme", "/lnk/tool", "/usr/bin"):
        w.fs.stat(path)
    calls: list[tuple[str, tuple, dict]] = []

    def spy(real):
        def call(*args, **kwargs):
            calls.append((real.__name__, args, kwargs))
            return real(*args, **kwargs)
        return call

    for name in ("open", "stat", "lstat", "readlink", "scandir", "listdir"):
        monkeypatch.setattr(os, name, spy(getattr(os, name)))
    w.fs.stat("/usr/share/doc/readme")  # "usr": upper entry, upper whiteout; the rest is cached
    w.fs.realpath("/lnk/tool")  # "lnk" and, after the link, "usr" again: 2 + 2
    assert not w.fs.exists("/usr/bin/nope")  # 2
    monkeypatch.undo()
    assert len(calls) == 8, calls
    assert {args[0] for _, args, _ in calls} == {"usr", ".wh.usr", "lnk", ".wh.lnk"}


def test_layer_cache_is_shared_and_keyed_by_inode(tmp_path):
    lower = make_tree(tmp_path / "l", {"a": "1"})
    first, second = layers.open_tree(str(lower)), layers.open_tree(str(tmp_path / "l" / ".." / "l"))
    assert first is second
    assert first.listing("").entries.keys() == {"a"}
    os.rename(lower, tmp_path / "old")
    make_tree(tmp_path / "l", {"b": "2"})  # the same path, a new layer
    assert layers.open_tree(str(tmp_path / "l")).listing("").entries.keys() == {"b"}


def test_layer_trees_refuse_writes_and_traversal(tmp_path):
    lower = make_tree(tmp_path / "l", {"d/f": "1", "link": Link("/etc")})
    tree = layers.open_tree(str(lower))
    for flags in (os.O_WRONLY, os.O_RDWR, os.O_RDONLY | os.O_TRUNC, os.O_RDONLY | os.O_CREAT):
        assert errno_of(tree.open, "d/f", flags) == errno.EROFS
    assert errno_of(tree.open, "d/../d/f", os.O_RDONLY) == errno.EINVAL
    assert errno_of(tree.open, "link", os.O_RDONLY) == errno.ELOOP
    with pytest.raises(OSError):
        tree.open("link/passwd", os.O_RDONLY)


def test_no_lowers_means_no_special_names(tmp_path):
    root = make_tree(tmp_path / "r", {".wh.x": "plain file"})
    fs = FileSystem(str(root))
    try:
        assert fs.listdir("/") == [".wh.x"]
        fs.write_bytes("/.wh.y", b"ok")
        assert fs.lowers == []
    finally:
        fs.close()
