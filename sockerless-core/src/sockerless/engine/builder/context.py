"""The build context: the tar a client sends, unpacked, with ``.dockerignore`` applied."""

from __future__ import annotations

import bz2
import fnmatch
import gzip
import hashlib
import lzma
import os
import posixpath
import shutil
import stat as stat_mod
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ...api.errors import InvalidParameter
from . import tarsafe
from .dockerignore import IgnoreMatcher
from .imagefs import ImageFS


@dataclass
class BuildContext:
    """An unpacked build context and the Dockerfile read from it."""

    root: Path
    dockerfile: str
    dockerfile_path: str

    def resolve(self, source: str) -> list[tuple[Path, str]]:
        """``(host path, name)`` of what a COPY source names (globs expanded, symlinks followed
        inside the context); 400 when it leaves the context or is missing."""
        if posixpath.normpath(source).startswith("../") or posixpath.normpath(source) == "..":
            raise InvalidParameter(f"forbidden path outside the build context: {source} ()")
        cleaned = posixpath.normpath("/" + source).lstrip("/")
        if any(c in cleaned for c in "*?["):
            matches = sorted(glob(self.root, cleaned))
            if not matches:
                raise InvalidParameter(f"COPY failed: no source files were specified (nothing matches {source})")
            return [(self._in_scope(os.path.relpath(m, self.root)), m.name) for m in matches]
        return [(self._in_scope(cleaned), posixpath.basename(cleaned) or ".")]

    def _in_scope(self, rel: str) -> Path:
        """The host path of a context path, its symlinks resolved as if the context were ``/``."""
        resolved = ImageFS([self.root]).resolve("/" + rel)
        path = self.root / resolved.lstrip("/") if resolved != "/" else self.root
        if not os.path.lexists(path):
            raise InvalidParameter(f"COPY failed: file not found in build context or excluded by .dockerignore: "
                                   f"stat {rel or '.'}: file does not exist")
        return path


def glob(root: Path, pattern: str) -> list[Path]:
    """Paths under ``root`` matching ``pattern`` (``filepath.Match`` semantics, component by component;
    symlinked directories are not entered)."""
    parts = pattern.split("/")
    current = [root]
    for index, part in enumerate(parts):
        following: list[Path] = []
        for base in current:
            if not base.is_dir() or (base.is_symlink() and index):
                continue
            if any(c in part for c in "*?["):
                following += [base / n for n in sorted(os.listdir(base)) if fnmatch.fnmatchcase(n, part)]
            elif os.path.lexists(base / part):
                following.append(base / part)
        current = following
    return current


_COMPRESSED = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))


def _plain_tar(archive: str) -> None:
    """Make ``archive`` an uncompressed tar that ends on a block boundary with its end marker.

    The Docker CLI sends a context whose Dockerfile it added from outside the context without
    the final padding and end-of-archive blocks (Go's reader does not mind; Python's does).
    """
    with open(archive, "rb") as handle:
        magic = handle.read(6)
    for prefix, opener in _COMPRESSED:
        if magic.startswith(prefix):
            plain = archive + ".plain"
            try:
                with opener(archive, "rb") as source, open(plain, "wb") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
            except (OSError, EOFError, lzma.LZMAError) as exc:
                raise InvalidParameter(f"the build context cannot be decompressed: {exc}") from None
            os.replace(plain, archive)
            break
    size = os.path.getsize(archive)
    with open(archive, "ab") as handle:
        handle.write(b"\0" * ((-size) % tarfile.BLOCKSIZE + 2 * tarfile.BLOCKSIZE))


def unpack(archive: str, directory: Path, dockerfile: str) -> BuildContext:
    """Unpack the client's context tar (plain, gzip, bzip2 or xz) and apply ``.dockerignore``."""
    _plain_tar(archive)
    try:
        tar = tarfile.open(archive, mode="r:")  # noqa: SIM115 - closed by the with below
    except tarfile.TarError as exc:
        raise InvalidParameter(f"the build context is not a tar archive: {exc}") from None
    with tar:
        tarsafe.extract(tar, str(directory), what="build context")
    root = directory.resolve()
    name = posixpath.normpath(dockerfile or "Dockerfile").lstrip("/")
    path = root / name
    if not dockerfile and not path.is_file() and (root / "dockerfile").is_file():
        name, path = "dockerfile", root / "dockerfile"
    real = os.path.realpath(path)
    if not real.startswith(str(root) + os.sep) or not os.path.isfile(real):
        raise InvalidParameter(f"Cannot locate specified Dockerfile: {name}")
    text = Path(real).read_text(errors="replace")
    ignore = root / ".dockerignore"
    if ignore.is_file() and not ignore.is_symlink():
        _apply_ignore(root, IgnoreMatcher.from_text(ignore.read_text(errors="replace")))
    return BuildContext(root=root, dockerfile=text, dockerfile_path=name)


def _apply_ignore(root: Path, matcher: IgnoreMatcher) -> None:
    """Delete what ``.dockerignore`` leaves out (a directory stays when an exception keeps something in it)."""
    if not matcher.patterns:
        return
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if matcher.ignored(rel):
                os.unlink(os.path.join(dirpath, name))
        if rel_dir != "." and matcher.ignored(rel_dir) and not os.listdir(dirpath):
            os.rmdir(dirpath)


def content_hash(paths: list[Path]) -> str:
    """A digest of names, modes and content of the sources (what the step cache compares)."""
    digest = hashlib.sha256()
    for top in paths:
        entries = [top]
        if top.is_dir() and not top.is_symlink():
            entries += sorted(Path(d) / n for d, dirs, files in os.walk(top) for n in dirs + files)
        for entry in entries:
            st = os.lstat(entry)
            digest.update(f"{os.path.relpath(entry, top)}\0{st.st_mode:o}\0".encode())
            if stat_mod.S_ISLNK(st.st_mode):
                digest.update(os.readlink(entry).encode())
            elif stat_mod.S_ISREG(st.st_mode):
                with open(entry, "rb") as handle:
                    while chunk := handle.read(1 << 20):
                        digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()


def discard(directory: Path) -> None:
    """Remove an unpacked context."""
    shutil.rmtree(directory, ignore_errors=True)
