"""Build file handling: safe unpacking, the merged image view, COPY placement, context sources."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from sockerless.api.errors import InvalidParameter
from sockerless.engine.builder import context as contexts
from sockerless.engine.builder import copying, tarsafe
from sockerless.engine.builder.imagefs import ImageFS


def _tar(members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None) -> tarfile.TarFile:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for member in members:
            content = (data or {}).get(member.name) if member.isreg() else None
            if content is not None:
                member.size = len(content)
            tar.addfile(member, io.BytesIO(content) if content is not None else None)
    buffer.seek(0)
    return tarfile.open(fileobj=buffer)


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


def test_extract_refuses_writing_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    tar = _tar([_member("esc", tarfile.SYMTYPE, str(outside)), _member("esc/owned")], {"esc/owned": b"x"})
    with pytest.raises(InvalidParameter, match="outside"):
        tarsafe.extract(tar, str(dest), what="build context")
    assert not (outside / "owned").exists()
    with pytest.raises(InvalidParameter, match="outside"):
        tarsafe.extract(_tar([_member("../up")], {"../up": b"x"}), str(dest), what="layer")
    tarsafe.extract(_tar([_member("abs", tarfile.SYMTYPE, "/etc/passwd")]), str(dest), what="layer")
    assert os.readlink(dest / "abs") == "/etc/passwd"  # a symlink's text is data
    target = outside / "victim"
    target.write_text("original")
    tarsafe.extract(_tar([_member("swap", tarfile.SYMTYPE, str(target)), _member("swap")], {"swap": b"new"}),
                    str(dest), what="build context")
    assert target.read_text() == "original" and (dest / "swap").read_bytes() == b"new"


def _layers(tmp_path: Path) -> list[Path]:
    low, high = tmp_path / "l0", tmp_path / "l1"
    (low / "etc").mkdir(parents=True)
    (low / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
    (low / "usr" / "bin").mkdir(parents=True)
    os.symlink("usr/bin", low / "bin")
    (low / "old").mkdir()
    (low / "old" / "f").write_text("gone")
    (low / "keep").mkdir()
    (low / "keep" / "lower").write_text("hidden")
    (high / "keep").mkdir(parents=True)
    (high / "keep" / ".wh..wh..opq").write_text("")
    (high / "keep" / "upper").write_text("shown")
    (high / ".wh.old").write_text("")
    return [low, high]


def test_image_view_honours_whiteouts_and_symlinks(tmp_path: Path) -> None:
    fs = ImageFS(_layers(tmp_path))
    assert fs.lstat("/old") is None and fs.lstat("/old/f") is None
    assert fs.lstat("/keep/lower") is None and fs.lstat("/keep/upper") is not None
    assert fs.resolve("/bin/tool") == "/usr/bin/tool" and fs.is_dir("/bin")
    assert fs.resolve("/../../bin") == "/usr/bin"  # never above the root
    copy = fs.export("/keep", tmp_path / "out")
    assert sorted(os.listdir(copy)) == ["upper"]


def test_copy_placement(tmp_path: Path) -> None:
    fs = ImageFS(_layers(tmp_path))
    src = tmp_path / "ctx"
    (src / "dir" / "sub").mkdir(parents=True)
    (src / "dir" / "sub" / "a").write_text("a")
    (src / "f").write_text("f")
    writer = copying.LayerWriter(fs, copying.CopyOptions(uid=1000, gid=1000))
    copying.place(writer, [(src / "dir", "dir")], "/bin/", "/", "COPY")  # a directory's content, through /bin -> usr/bin
    copying.place(writer, [(src / "f", "f")], "new/name", "/work", "COPY")
    assert "usr/bin/sub/a" in writer.entries and "work/new/name" in writer.entries
    assert writer.entries["work"][0].mode == 0o755 and writer.entries["work"][0].uid == 1000
    assert writer.entries["usr"][0].uid == os.lstat(tmp_path / "l0" / "usr").st_uid  # an existing parent keeps its owner
    with pytest.raises(InvalidParameter, match="must be a directory and end with a /"):
        copying.place(writer, [(src / "f", "f"), (src / "dir", "dir")], "/x", "/", "COPY")
    out = tmp_path / "layer.tar"
    writer.write(str(out))
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert names.index("usr") < names.index("usr/bin") < names.index("usr/bin/sub/a")


def test_context_sources_stay_inside(tmp_path: Path) -> None:
    root = tmp_path / "ctx"
    root.mkdir()
    (root / "a.txt").write_text("a")
    (root / "b.txt").write_text("b")
    os.symlink("/etc/passwd", root / "abs-link")
    os.symlink("a.txt", root / "rel-link")
    ctx = contexts.BuildContext(root=root.resolve(), dockerfile="", dockerfile_path="Dockerfile")
    assert [name for _, name in ctx.resolve("*.txt")] == ["a.txt", "b.txt"]
    assert ctx.resolve("rel-link")[0][0] == root.resolve() / "a.txt"
    with pytest.raises(InvalidParameter, match="file not found"):
        ctx.resolve("abs-link")  # /etc/passwd inside the context does not exist
    with pytest.raises(InvalidParameter, match="outside the build context"):
        ctx.resolve("../x")
