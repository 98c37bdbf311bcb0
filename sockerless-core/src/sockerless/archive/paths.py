"""Docker's path rules for ``docker cp`` (Go's ``filepath`` semantics and the daemon's resolution)."""

from __future__ import annotations

import errno
import stat as stat_mod

from .fs import ArchiveFS

MAX_LINKS = 255


def clean(path: str) -> str:
    """Go's ``filepath.Clean``: lexical normalisation, ``..`` at the root dropped."""
    if not path:
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append(part)
            continue
        parts.append(part)
    text = "/".join(parts)
    return ("/" + text) if rooted else (text or ".")


def join(*elements: str) -> str:
    """Go's ``filepath.Join``: join the non-empty elements and clean the result."""
    kept = [e for e in elements if e]
    return clean("/".join(kept)) if kept else ""


def base(path: str) -> str:
    """Go's ``filepath.Base`` (``/`` for the root, ``.`` for an empty path)."""
    if not path:
        return "."
    path = path.rstrip("/")
    if not path:
        return "/"
    return path.rsplit("/", 1)[-1]


def dirname(path: str) -> str:
    """Go's ``filepath.Dir``."""
    head = path[: path.rfind("/") + 1]
    return clean(head) if head else "."


def split_dir_entry(path: str) -> tuple[str, str]:
    """Docker's ``SplitPathDirEntry``: (parent directory, last entry), trailing ``/.`` respected."""
    cleaned = clean(path)
    if path.endswith("/.") or path == ".":
        cleaned += "/."
    return dirname(cleaned), base(cleaned)


def preserve_trailing(cleaned: str, original: str) -> str:
    """Docker's ``PreserveTrailingDotOrSeparator``: keep a trailing ``/.`` or ``/`` of the original."""
    if base(cleaned) != "." and base(original) == ".":
        if not cleaned.endswith("/"):
            cleaned += "/"
        cleaned += "."
    if not cleaned.endswith("/") and original.endswith("/"):
        cleaned += "/"
    return cleaned


def absolute(path: str) -> str:
    """The request path as an absolute container path, its trailing ``/`` or ``/.`` kept."""
    return preserve_trailing(join("/", path), path)


def follows_final(abs_path: str) -> bool:
    """True when the path asks for the final symlink to be followed (trailing ``/`` or ``/.``)."""
    return abs_path.endswith("/") or abs_path.endswith("/.")


def resolve_in_scope(fs: ArchiveFS, path: str) -> str:
    """Every symlink of ``path`` evaluated inside the container root (Docker's ``FollowSymlinkInScope``).

    Missing components are kept lexically; the result is a clean absolute path.
    """
    pending = [p for p in clean("/" + path).split("/") if p]
    pending.reverse()
    current: list[str] = []
    links = 0
    while pending:
        name = pending.pop()
        if name == "..":
            if current:
                current.pop()
            continue
        candidate = "/" + "/".join([*current, name])
        try:
            st = fs.lstat(candidate)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                current.append(name)
                continue
            raise
        if not stat_mod.S_ISLNK(st.st_mode):
            current.append(name)
            continue
        links += 1
        if links > MAX_LINKS:
            raise OSError(errno.ELOOP, "too many links", path)
        target = fs.readlink(candidate)
        if target.startswith("/"):
            current = []
        pending.extend(reversed([p for p in target.split("/") if p and p != "."]))
    return "/" + "/".join(current)


def resolve_request(fs: ArchiveFS, path: str) -> tuple[str, str]:
    """Docker's ``ResolvePath``: (resolved container path, absolute request path).

    The parent directory is resolved in scope; the final entry is followed only when the
    request ends with ``/`` or ``/.``.
    """
    abs_path = absolute(path)
    if follows_final(abs_path):
        resolved = resolve_in_scope(fs, abs_path)
    else:
        parent, entry = dirname(abs_path), base(abs_path)
        resolved = join(resolve_in_scope(fs, parent), entry) if entry != "/" else "/"
    return resolved, abs_path
