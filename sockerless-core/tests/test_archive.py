"""Docker's archive semantics over a real directory tree (``RootedFileSystem``), escapes included."""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from sockerless.archive import (
    ArchiveError,
    ExtractOptions,
    PathNotFound,
    RootedFileSystem,
    archive_path,
    container_owner,
    export_root,
    extract_to_dir,
    paths,
    stat_path,
)


@pytest.fixture
def tree(tmp_path: Path):
    """A container root with a directory, files, links; a sibling ``outside`` that must stay untouched."""
    root = tmp_path / "root"
    (root / "tmp" / "d").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\nnobody:x:65534:65533::/:/bin/false\n")
    (root / "etc" / "group").write_text("root:x:0:\nstaff:x:50:\n")
    (root / "tmp" / "d" / "f").write_text("hello")
    os.link(root / "tmp" / "d" / "f", root / "tmp" / "d" / "h")
    os.symlink("f", root / "tmp" / "d" / "l")
    os.symlink("d", root / "tmp" / "dl")
    os.symlink("/etc", root / "tmp" / "abs")
    os.symlink("../../../../..", root / "tmp" / "up")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret")
    fs = RootedFileSystem(root)
    yield fs, root, outside
    fs.close()


def names(data: bytes) -> list[tuple[str, str]]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return [(m.name, m.linkname if (m.islnk() or m.issym()) else m.type.decode()) for m in archive]


def tar_of(*members: tuple[str, bytes, dict]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as archive:
        for name, data, attrs in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1700000000
            for key, value in attrs.items():
                setattr(info, key, value)
            if info.type != tarfile.REGTYPE:
                info.size = 0
            archive.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    return buf.getvalue()


def test_go_path_rules():
    assert paths.clean("/../a//b/./c/..") == "/a/b"
    assert paths.clean("../x") == "../x"
    assert paths.base("/") == "/" and paths.base("/a/b/") == "b" and paths.base("/a/.") == "."
    assert paths.absolute("tmp/d/.") == "/tmp/d/." and paths.absolute("/tmp/d/") == "/tmp/d/"
    assert paths.absolute("/") == "/"


def test_stat_shapes(tree):
    fs, _, _ = tree
    st = stat_path(fs, "/tmp/d")
    assert st.name == "d" and st.mode == (1 << 31) | 0o755 and st.link_target == ""
    link = stat_path(fs, "/tmp/dl")
    assert link.mode == (1 << 27) | 0o777 and link.link_target == "/tmp/d" and link.size == 1
    assert stat_path(fs, "/tmp/d/l").link_target == "/tmp/d/f"
    assert stat_path(fs, "/tmp/dl/").name == "dl" and stat_path(fs, "/tmp/dl/").is_dir
    assert stat_path(fs, "/tmp/dl/.").name == "."
    assert stat_path(fs, "/").name == "/"
    assert stat_path(fs, "/tmp/up").link_target == "/"  # clamped at the root
    decoded = json.loads(base64.b64decode(st.header()))
    assert list(decoded) == ["name", "size", "mode", "mtime", "linkTarget"]
    assert decoded["mtime"].endswith("Z")
    with pytest.raises(PathNotFound):
        stat_path(fs, "/nope")
    with pytest.raises(ArchiveError, match="not a directory"):
        stat_path(fs, "/tmp/d/f/")


def test_archive_names_follow_docker(tree):
    fs, _, _ = tree
    _, stream = archive_path(fs, "/tmp/d")
    assert names(b"".join(stream)) == [("d", "5"), ("d/f", "0"), ("d/h", "d/f"), ("d/l", "f")]
    _, stream = archive_path(fs, "/tmp/dl")
    assert names(b"".join(stream)) == [("dl", "d")]
    _, stream = archive_path(fs, "/tmp/dl/")
    assert [n for n, _ in names(b"".join(stream))] == ["dl", "dl/f", "dl/h", "dl/l"]
    _, stream = archive_path(fs, "/tmp/dl/.")
    assert names(b"".join(stream))[:3] == [(".", "5"), ("./f", "0"), ("./h", "./f")]
    _, stream = archive_path(fs, "/tmp/d/f")
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        member = archive.next()
        assert member.name == "f" and archive.extractfile(member).read() == b"hello"


def test_archive_of_a_link_leading_out_stays_inside(tree):
    fs, _, _ = tree
    _, stream = archive_path(fs, "/tmp/up/")
    entries = [n for n, _ in names(b"".join(stream))]
    assert "up/tmp/d/f" in entries and not any("secret" in n for n in entries)


def test_extract_basic_and_ownership(tree):
    fs, root, _ = tree
    data = tar_of(("new", b"", {"type": tarfile.DIRTYPE, "mode": 0o750}),
                  ("new/file", b"abc", {"mode": 0o640, "uid": 123, "gid": 456}),
                  ("new/hard", b"", {"type": tarfile.LNKTYPE, "linkname": "new/file", "mode": 0o640, "uid": 123, "gid": 456}),
                  ("new/sym", b"", {"type": tarfile.SYMTYPE, "linkname": "file"}))
    extract_to_dir(fs, "/tmp", io.BytesIO(data), ExtractOptions(set_owner=os.geteuid() == 0))
    file = root / "tmp" / "new" / "file"
    assert file.read_bytes() == b"abc" and oct(file.stat().st_mode & 0o777) == "0o640"
    assert file.stat().st_mtime == 1700000000 and (root / "tmp" / "new").stat().st_mtime == 1700000000
    assert os.path.samefile(file, root / "tmp" / "new" / "hard")
    assert os.readlink(root / "tmp" / "new" / "sym") == "file"
    if os.geteuid() == 0:
        assert (file.stat().st_uid, file.stat().st_gid) == (123, 456)


def test_extract_replaces_and_merges(tree):
    fs, root, _ = tree
    extract_to_dir(fs, "/tmp", io.BytesIO(tar_of(("d", b"", {"type": tarfile.DIRTYPE}), ("d/g", b"g", {}))))
    assert (root / "tmp" / "d" / "f").exists() and (root / "tmp" / "d" / "g").read_bytes() == b"g"
    with pytest.raises(ArchiveError, match='cannot overwrite directory "/tmp/d" with non-directory "/tmp"'):
        extract_to_dir(fs, "/tmp", io.BytesIO(tar_of(("d", b"x", {}))), ExtractOptions(no_overwrite_dir_non_dir=True))
    with pytest.raises(ArchiveError, match="cannot overwrite non-directory"):
        extract_to_dir(fs, "/tmp", io.BytesIO(tar_of(("d/f", b"", {"type": tarfile.DIRTYPE}))),
                       ExtractOptions(no_overwrite_dir_non_dir=True))
    extract_to_dir(fs, "/tmp", io.BytesIO(tar_of(("d", b"x", {}))))
    assert (root / "tmp" / "d").read_bytes() == b"x"


def test_extract_destination_errors(tree):
    fs, _, _ = tree
    with pytest.raises(PathNotFound):
        extract_to_dir(fs, "/nonexistent", io.BytesIO(tar_of(("x", b"x", {}))))
    with pytest.raises(ArchiveError, match="extraction point is not a directory"):
        extract_to_dir(fs, "/tmp/d/f", io.BytesIO(tar_of(("x", b"x", {}))))
    extract_to_dir(fs, "/tmp", io.BytesIO(b""))  # an empty body is an empty archive
    with pytest.raises(ArchiveError, match="Error processing tar file"):
        extract_to_dir(fs, "/tmp", io.BytesIO(b"garbage" * 100))


def test_extract_through_symlinked_destination(tree):
    fs, root, _ = tree
    extract_to_dir(fs, "/tmp/dl", io.BytesIO(tar_of(("via", b"v", {}))))
    assert (root / "tmp" / "d" / "via").read_bytes() == b"v"


@pytest.mark.parametrize("members, message", [
    ([("../../escape", b"x", {})], "is outside of"),
    ([("bad", b"", {"type": tarfile.SYMTYPE, "linkname": "../../../../outside"})], "invalid symlink"),
    ([("hl", b"", {"type": tarfile.LNKTYPE, "linkname": "../../outside/secret"})], "invalid hardlink"),
    ([("dev", b"", {"type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3})], "device nodes"),
])
def test_extract_refuses_traversal(tree, members, message):
    fs, root, outside = tree
    with pytest.raises(ArchiveError, match=message):
        extract_to_dir(fs, "/tmp", io.BytesIO(tar_of(*members)))
    assert sorted(os.listdir(outside)) == ["secret"] and not (root.parent / "escape").exists()


def test_escape_attempts_stay_in_the_root(tree):
    """Absolute names, absolute links written through, links that climb: all land inside the root."""
    fs, root, outside = tree
    data = tar_of(("/abs-name", b"a", {}),
                  ("lnk", b"", {"type": tarfile.SYMTYPE, "linkname": "/"}),
                  ("lnk/through", b"t", {}),
                  ("up2", b"", {"type": tarfile.SYMTYPE, "linkname": "/../../.."}),
                  ("up2/climbed", b"c", {}))
    extract_to_dir(fs, "/tmp", io.BytesIO(data))
    assert (root / "tmp" / "abs-name").read_bytes() == b"a"
    assert (root / "through").read_bytes() == b"t" and (root / "climbed").read_bytes() == b"c"
    extract_to_dir(fs, "/tmp/up", io.BytesIO(tar_of(("via-up", b"u", {}))))  # /tmp/up -> the root
    assert (root / "via-up").read_bytes() == b"u"
    assert sorted(os.listdir(outside)) == ["secret"]
    assert sorted(os.listdir(root.parent)) == ["outside", "root"]


def test_reading_through_links_stays_in_the_root(tree, tmp_path):
    fs, root, outside = tree
    os.symlink(str(outside), root / "hostabs")  # a host-absolute link is a container path
    with pytest.raises(PathNotFound):
        stat_path(fs, "/hostabs/secret")
    _, stream = archive_path(fs, "/tmp/abs/")
    assert "abs/passwd" in [n for n, _ in names(b"".join(stream))]


def test_export_and_owner(tree):
    fs, _, _ = tree
    entries = [n for n, _ in names(b"".join(export_root(fs)))]
    assert entries[0] == "etc" and "tmp/d/f" in entries and not any(n.startswith(("/", "./")) for n in entries)
    assert container_owner(fs, "nobody") == (65534, 65533)
    assert container_owner(fs, "1000:50") == (1000, 50)
    assert container_owner(fs, "root:staff") == (0, 50)
    assert container_owner(fs, "") is None
    with pytest.raises(ArchiveError, match="unable to find user ghost"):
        container_owner(fs, "ghost")
