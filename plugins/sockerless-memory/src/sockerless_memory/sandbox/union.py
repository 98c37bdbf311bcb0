"""Upper-directory primitives of the union: whiteouts, opaque directories, merged entries.

Everything here acts on descriptors of directories in the container's upper directory
(``O_PATH`` fds the jail resolved) and on names inside them; nothing takes a path the
kernel would resolve. Temporary names start with ``.wh..wh.``: the sandbox can neither
see nor name them (the jail reserves every ``.wh.`` name), so no container process can
interfere with an entry while it is being prepared. Copy-up lives in :mod:`.copyup`.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import stat as stat_mod
from collections.abc import Callable

from .layers import OPAQUE, WHITEOUT

_PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_RENAME_NOREPLACE = 1

try:
    _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    _renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
except (AttributeError, OSError):  # a libc without renameat2
    _renameat2 = None


def _err(code: int, path: str) -> OSError:
    return OSError(code, os.strerror(code), path)


def is_reserved(name: str) -> bool:
    """True for names the union keeps for itself (whiteouts, markers, temporaries)."""
    return name.startswith(WHITEOUT)


def temp_name() -> str:
    """A fresh hidden name for an entry being prepared in an upper directory."""
    return f"{WHITEOUT}{WHITEOUT}.tmp.{secrets.token_hex(8)}"


def has_entry(dir_fd: int, name: str) -> bool:
    """True when ``name`` exists in the directory (never followed)."""
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:  # ".wh." + a name near NAME_MAX: cannot exist
            return False
        raise
    return True


def has_whiteout(dir_fd: int, name: str) -> bool:
    """True when the upper directory deletes the lower ``name``."""
    return has_entry(dir_fd, WHITEOUT + name)


def is_opaque(dir_fd: int) -> bool:
    """True when the upper directory hides the lower directories below it."""
    return has_entry(dir_fd, OPAQUE)


def _touch(dir_fd: int, name: str) -> None:
    try:
        os.close(os.open(name, _NEW_FILE, 0o600, dir_fd=dir_fd))
    except FileExistsError:
        pass


def add_whiteout(dir_fd: int, name: str) -> None:
    """Delete the lower ``name`` from the merged view."""
    _touch(dir_fd, WHITEOUT + name)


def drop_whiteout(dir_fd: int, name: str) -> None:
    """Let the lower ``name`` show again (or let a new upper entry replace the whiteout)."""
    try:
        os.unlink(WHITEOUT + name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def add_opaque(dir_fd: int) -> None:
    """Make the upper directory hide its lower directories."""
    _touch(dir_fd, OPAQUE)


def rename_noreplace(src_dir_fd: int, src: str, dst_dir_fd: int, dst: str) -> None:
    """``renameat2(RENAME_NOREPLACE)``: ``FileExistsError`` rather than replacing ``dst``."""
    if _renameat2 is not None:
        if _renameat2(src_dir_fd, os.fsencode(src), dst_dir_fd, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL):
            raise _err(code, dst)
    # no RENAME_NOREPLACE here: a hard link fails on an existing name, a directory is checked first
    st = os.stat(src, dir_fd=src_dir_fd, follow_symlinks=False)
    if stat_mod.S_ISDIR(st.st_mode):
        if has_entry(dst_dir_fd, dst):
            raise _err(errno.EEXIST, dst)
        os.rename(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)
        return
    os.link(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd, follow_symlinks=False)
    os.unlink(src, dir_fd=src_dir_fd)


def make_opaque_dir(parent_fd: int, name: str, mode: int) -> None:
    """``mkdir`` over a deleted lower directory: a new directory that hides the old content.

    It is prepared under a hidden name with its marker inside, then renamed into place, so
    the lower content never shows through it, not even for a moment.
    """
    tmp = temp_name()
    os.mkdir(tmp, 0o700, dir_fd=parent_fd)
    try:
        fd = os.open(tmp, _PATH_FLAGS | os.O_DIRECTORY, dir_fd=parent_fd)
        try:
            add_opaque(fd)
            os.chmod(f"/proc/self/fd/{fd}", mode & 0o7777)
        finally:
            os.close(fd)
        rename_noreplace(parent_fd, tmp, parent_fd, name)
    except BaseException:
        _discard_dir(parent_fd, tmp)
        raise


def _discard_dir(parent_fd: int, name: str) -> None:
    """Remove a directory that holds only markers (best effort)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
    except OSError:
        return
    try:
        for entry in os.listdir(fd):
            if is_reserved(entry):
                with contextlib.suppress(OSError):
                    os.unlink(entry, dir_fd=fd)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(name, dir_fd=parent_fd)


def only_markers(dir_fd: int) -> list[str] | None:
    """The reserved names in an upper directory, or None when it holds anything else."""
    fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        names = os.listdir(fd)
    finally:
        os.close(fd)
    return names if all(is_reserved(n) for n in names) else None


def clear_markers(dir_fd: int) -> None:
    """Empty an upper directory of whiteouts and markers; ``ENOTEMPTY`` if it holds more."""
    names = only_markers(dir_fd)
    if names is None:
        raise _err(errno.ENOTEMPTY, "")
    for entry in names:
        try:
            os.unlink(entry, dir_fd=dir_fd)
        except IsADirectoryError:  # a directory being prepared here right now
            raise _err(errno.ENOTEMPTY, "") from None
        except FileNotFoundError:
            pass


def remove_upper_dir(parent_fd: int, name: str) -> None:
    """``rmdir`` of an upper directory the caller found empty in the merged view.

    It may still hold whiteouts of deleted lower entries: then it is first renamed to a
    hidden name (it leaves the view at once, atomically), then emptied and removed. If a
    visible entry was created in it meanwhile, it is put back and ``ENOTEMPTY`` raised.
    """
    try:
        os.rmdir(name, dir_fd=parent_fd)
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    tmp = temp_name()
    os.rename(name, tmp, src_dir_fd=parent_fd, dst_dir_fd=parent_fd)
    fd = os.open(tmp, _PATH_FLAGS | os.O_DIRECTORY, dir_fd=parent_fd)
    try:
        clear_markers(fd)
    except OSError:
        with contextlib.suppress(OSError):
            rename_noreplace(parent_fd, tmp, parent_fd, name)
        raise _err(errno.ENOTEMPTY, name) from None
    finally:
        os.close(fd)
    os.rmdir(tmp, dir_fd=parent_fd)


class UnionEntry:
    """One entry of a merged directory listing, shaped like ``os.DirEntry``.

    Its type is known from the listing; anything more is asked of the jail (``stat_of``
    with the entry's container path), never of the host kernel, so following a symlink
    stays inside the container and an entry stays usable after its listing is closed.
    """

    __slots__ = ("_st", "_stat_of", "_type", "name", "path")

    def __init__(self, name: str, path: str, stat_of: Callable[[str, bool], os.stat_result],
                 file_type: int = 0, st: os.stat_result | None = None) -> None:
        self.name = name
        self.path = path  # the container path
        self._stat_of = stat_of
        self._st = st  # the lstat, when already known (lower entries)
        self._type = stat_mod.S_IFMT(st.st_mode) if st is not None else file_type  # 0: unknown

    @classmethod
    def from_dir_entry(cls, entry: os.DirEntry, path: str,
                       stat_of: Callable[[str, bool], os.stat_result]) -> UnionEntry:
        """Wrap an entry of an upper directory (its type taken while the directory is open)."""
        if entry.is_symlink():
            file_type = stat_mod.S_IFLNK
        elif entry.is_dir(follow_symlinks=False):
            file_type = stat_mod.S_IFDIR
        elif entry.is_file(follow_symlinks=False):
            file_type = stat_mod.S_IFREG
        else:
            file_type = 0
        return cls(entry.name, path, stat_of, file_type)

    def _lstat(self) -> os.stat_result:
        if self._st is None:
            self._st = self._stat_of(self.path, False)
            self._type = stat_mod.S_IFMT(self._st.st_mode)
        return self._st

    def _file_type(self) -> int:
        return self._type or stat_mod.S_IFMT(self._lstat().st_mode)

    def is_symlink(self) -> bool:
        """True for a symlink (never followed)."""
        try:
            return self._file_type() == stat_mod.S_IFLNK
        except OSError:
            return False

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        """``lstat``, or the jail's ``stat`` of the link target."""
        if follow_symlinks and self.is_symlink():
            return self._stat_of(self.path, True)
        return self._lstat()

    def _is(self, file_type: int, follow_symlinks: bool) -> bool:
        try:
            if follow_symlinks and self.is_symlink():
                return stat_mod.S_IFMT(self._stat_of(self.path, True).st_mode) == file_type
            return self._file_type() == file_type
        except OSError:
            return False

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        """True for a directory (or a link to one, when followed)."""
        return self._is(stat_mod.S_IFDIR, follow_symlinks)

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        """True for a regular file (or a link to one, when followed)."""
        return self._is(stat_mod.S_IFREG, follow_symlinks)

    def inode(self) -> int:
        """The inode number."""
        return self._lstat().st_ino

    def __repr__(self) -> str:
        return f"<UnionEntry {self.name!r}>"
