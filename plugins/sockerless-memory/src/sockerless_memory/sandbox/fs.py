"""The root jail: every file operation of the sandbox goes through :class:`FileSystem`.

Paths are *container* paths. They are resolved one component at a time, starting from a
directory file descriptor of the container root, opening each component with
``O_PATH | O_NOFOLLOW`` relative to its parent. The kernel is never asked to follow a
symlink: links are read and resolved here, absolute targets from the container root and
``..`` clamped at it, so a link swapped in concurrently can at worst make an operation
fail, never reach outside the root. Final operations use ``*at`` calls on the resolved
parent directory with no-follow semantics, or act on an ``O_PATH`` descriptor of the
verified object through ``/proc/self/fd``.

Bind mounts and volumes are entries of the mount table: when resolution reaches a mount
point it continues in the mounted host directory, so a mount appears at its mount point
and nowhere else. Device nodes, sockets and FIFOs found inside the root are refused: a
tar entry or a host bind can never open a host device.

The root may be a copy-on-write union, as with overlayfs: the container's writable
upper directory over read-only image layers (the lowers). A name in the upper directory
wins; otherwise the merged lowers answer, from an in-memory cache shared by every
container of the image (:mod:`.layers`, with the OCI whiteouts of the layers applied).
Changes stay in the upper directory, with OCI whiteout files (``.wh.NAME``, opaque
``.wh..wh..opq``) for deletions; those names are reserved and invisible to the sandbox.
Modifying a lower object first copies it up (:mod:`.union`), through descriptors of the
upper root like everything else. Lower layers are only ever read, through descriptors
walked from their root without following links: no operation can write them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat as stat_mod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from . import copyup, layers, union
from .layers import OPAQUE, LayerStack, Leaf, View, whited_out
from .resolution import (
    PATH_FLAGS,
    Dir,
    EntryList,
    Found,
    MountPoint,
    Resolved,
    ScanDir,
    check_open,
    components,
    err,
    join,
    writes,
)
from .union import UnionEntry

MAX_SYMLINKS = 40


def _daemon_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# The host applies the daemon's umask on top of the container process's; modes the
# sandbox asked for are restored with an explicit chmod when the two differ.
DAEMON_UMASK = _daemon_umask()
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def normpath(path: str, cwd: str = "/") -> str:
    """Lexically normalise a container path against ``cwd`` (no symlink resolution)."""
    if not path.startswith("/"):
        path = (cwd.rstrip("/") or "") + "/" + path
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


@dataclass(frozen=True)
class Mount:
    """A host directory mounted at ``target`` (a normalised container path)."""

    target: str
    source: str
    readonly: bool = False


class FileSystem:
    """A container's file namespace: its root directory, its lower layers, its mount table.

    ``root`` is the container's root directory; with ``lowers`` (read-only layer
    directories, top-most first) it is the writable upper directory of a copy-on-write
    union over them. Without lowers the root is a plain directory.
    """

    def __init__(self, root: str, mounts: Sequence[Mount] = (), lowers: Sequence[str | os.PathLike[str]] = ()) -> None:
        self.root = os.path.abspath(root)
        self._stack: LayerStack | None = layers.open_stack([os.fspath(p) for p in lowers]) if lowers else None
        self._root = MountPoint("/", os.open(self.root, PATH_FLAGS | os.O_DIRECTORY), False)
        self._mounts: dict[str, MountPoint] = {}
        for mount in mounts:
            self.add_mount(mount)

    @property
    def lowers(self) -> list[str]:
        """The lower layer directories, top-most first (empty without a union)."""
        return [tree.path for tree in self._stack.trees] if self._stack is not None else []

    # -- mount table -------------------------------------------------------------------
    def add_mount(self, mount: Mount) -> None:
        """Mount a host directory (or file) at a container path."""
        target = normpath(mount.target)
        fd = os.open(mount.source, os.O_PATH | os.O_CLOEXEC)
        old = self._mounts.pop(target, None)
        if old is not None:
            os.close(old.fd)
        self._mounts[target] = MountPoint(target, fd, mount.readonly)

    @property
    def mount_targets(self) -> list[str]:
        """Container paths that have something mounted on them."""
        return sorted(self._mounts)

    def close(self) -> None:
        """Release the directory descriptors held by the jail."""
        for mount in self._mounts.values():
            os.close(mount.fd)
        self._mounts.clear()
        if self._root.fd >= 0:
            os.close(self._root.fd)
            self._root.fd = -1
        self._stack = None

    # -- resolution --------------------------------------------------------------------
    def resolve(self, path: str, cwd: str = "/", *, follow: bool = True) -> Resolved:
        """Resolve ``path`` inside the jail.

        Every intermediate component must be a directory (or a symlink to one). The final
        component is followed when it is a symlink and ``follow`` is true. The final
        component need not exist.
        """
        if not path:
            raise err(errno.ENOENT, path)
        if self._root.fd < 0:
            raise err(errno.EBADF, path)
        if len(path) > 1 and path.endswith("/"):
            follow = True  # POSIX: a trailing slash resolves the final symlink (it must name a directory)
        stack = self._stack
        root = Dir(self._root.fd, "/", self._root, False, stack.root if stack else None, stack is not None)
        dirs = [root]
        try:
            return self._walk(dirs, path, cwd, follow)
        finally:
            for entry in dirs:
                if entry.owned and entry.fd >= 0:
                    os.close(entry.fd)

    def _lookup(self, top: Dir, name: str) -> tuple[int, os.stat_result | None, View | Leaf | None]:
        """What ``name`` is in ``top``: (upper O_PATH fd, its stat, None), (-1, None, lower) or nothing."""
        if top.union and union.is_reserved(name):
            return -1, None, None  # whiteouts and markers never exist for the sandbox
        if top.fd >= 0:
            try:
                fd = os.open(name, PATH_FLAGS, dir_fd=top.fd)
            except FileNotFoundError:
                pass
            else:
                try:
                    return fd, os.fstat(fd), None
                except BaseException:
                    os.close(fd)
                    raise
        return -1, None, self._visible_lower(top, name) if top.union else None

    def _visible_lower(self, top: Dir, name: str) -> View | Leaf | None:
        """The lower ``name`` below ``top`` unless the upper directory whites it out."""
        low = top.lowers()
        if low is None:
            return None
        found = low.child(name)
        if found is None or (top.fd >= 0 and union.has_whiteout(top.fd, name)):
            return None
        return found

    @staticmethod
    def _lower_child(top: Dir, name: str) -> View | Leaf | None:
        """The lower ``name`` below ``top``, whiteouts aside (what an upper entry there covers)."""
        low = top.lowers()
        return low.child(name) if low is not None else None

    def _walk(self, stack: list[Dir], path: str, cwd: str, follow: bool) -> Resolved:
        pending = components(path if path.startswith("/") else cwd.rstrip("/") + "/" + path)
        pending.reverse()  # used as a stack: next component at the end
        links = 0
        while pending:
            name = pending.pop()
            if name == "..":
                if len(stack) > 1:
                    entry = stack.pop()
                    if entry.owned and entry.fd >= 0:
                        os.close(entry.fd)
                continue
            last = not pending
            top = stack[-1]
            child_path = join(top.path, name)
            mount = self._mounts.get(child_path)
            if mount is not None:
                fd, lower = os.dup(mount.fd), None
                try:
                    st: os.stat_result | None = os.fstat(fd)
                except OSError:
                    os.close(fd)
                    raise
            else:
                fd, st, lower = self._lookup(top, name)
                if fd < 0 and lower is None:
                    if last:
                        return self._resolved(stack, name, looked=True)
                    raise err(errno.ENOENT, path)
            if st is not None:
                is_link, is_dir = stat_mod.S_ISLNK(st.st_mode), stat_mod.S_ISDIR(st.st_mode)
            else:
                is_link, is_dir = isinstance(lower, Leaf) and lower.target is not None, isinstance(lower, View)
            if is_link and (follow or not last):
                if fd >= 0:
                    os.close(fd)
                    target = os.readlink(name, dir_fd=top.fd)
                else:
                    assert isinstance(lower, Leaf) and lower.target is not None
                    target = lower.target
                links += 1
                if links > MAX_SYMLINKS:
                    raise err(errno.ELOOP, path)
                if target.startswith("/"):
                    while len(stack) > 1:
                        entry = stack.pop()
                        if entry.owned and entry.fd >= 0:
                            os.close(entry.fd)
                parts = components(target)
                pending.extend(reversed(parts))
                if not parts and last:
                    return self._resolved(stack, None)
                continue
            if last:
                if mount is not None:
                    stack.append(Dir(fd, child_path, mount, True))
                    return self._resolved(stack, None, mount_point=True)
                res = self._resolved(stack, name, looked=True)
                res.fd, res.st, res.lower = fd, st, lower
                return res
            if not is_dir:
                if fd >= 0:
                    os.close(fd)
                raise err(errno.ENOTDIR, path)
            if mount is not None:
                stack.append(Dir(fd, child_path, mount, True))
            elif fd >= 0:
                below = self._lower_child(top, name) if top.union else None
                stack.append(Dir(fd, child_path, top.mount, True, below if isinstance(below, View) else None,
                                  top.union))
            else:
                assert isinstance(lower, View)
                stack.append(Dir(-1, child_path, top.mount, False, lower, True))
        return self._resolved(stack, None, mount_point=stack[-1].mount.target == stack[-1].path)

    def _resolved(self, stack: list[Dir], name: str | None, *, mount_point: bool = False,
                  looked: bool = False) -> Resolved:
        top = stack[-1]
        path = join(top.path, name) if name is not None else top.path
        res = Resolved(top.copy(), name, path, mount_point)
        res.looked = looked
        return res

    def _find(self, res: Resolved, *, fresh: bool = False) -> Found | None:
        """The object a resolution names, or None when it does not exist.

        What the walk found is used (and the descriptor taken from the resolution) unless
        ``fresh`` asks for a new lookup, as operations that act on the name do.
        """
        if res.looked and not fresh:
            res.looked = False
            if res.fd >= 0:
                assert res.st is not None
                found = Found(res.fd, res.st)
                res.fd = -1
                return found
            return Found(-1, res.lower.st, res.lower) if res.lower is not None else None
        top = res.dir
        if res.name is None:
            if top.fd < 0:
                assert top.lower is not None
                return Found(-1, top.lower.st, top.lower)
            fd = os.dup(top.fd)
            try:
                return Found(fd, os.fstat(fd))
            except BaseException:
                os.close(fd)
                raise
        fd, st, lower = self._lookup(top, res.name)
        if fd >= 0:
            assert st is not None
            return Found(fd, st)
        return Found(-1, lower.st, lower) if lower is not None else None

    def _existing(self, res: Resolved, path: str, *, fresh: bool = False) -> Found:
        found = self._find(res, fresh=fresh)
        if found is None:
            raise err(errno.ENOENT, path)
        return found

    # -- queries -----------------------------------------------------------------------
    def realpath(self, path: str, cwd: str = "/") -> str:
        """The canonical container path of an existing object (``readlink -f``)."""
        with self.resolve(path, cwd, follow=True) as res:
            self._existing(res, path).close()
            return res.path

    def stat(self, path: str, cwd: str = "/", *, follow: bool = True) -> os.stat_result:
        """``stat``/``lstat`` of a container path."""
        with self.resolve(path, cwd, follow=follow) as res:
            found = self._existing(res, path)
            found.close()
        if len(path) > 1 and path.endswith("/") and not stat_mod.S_ISDIR(found.st.st_mode):
            raise err(errno.ENOTDIR, path)
        return found.st

    def lstat(self, path: str, cwd: str = "/") -> os.stat_result:
        """``lstat`` of a container path."""
        return self.stat(path, cwd, follow=False)

    def exists(self, path: str, cwd: str = "/", *, follow: bool = True) -> bool:
        """True if the path names an existing object."""
        try:
            self.stat(path, cwd, follow=follow)
        except OSError:
            return False
        return True

    def is_dir(self, path: str, cwd: str = "/") -> bool:
        """True if the path is (or links to) a directory."""
        try:
            return stat_mod.S_ISDIR(self.stat(path, cwd).st_mode)
        except OSError:
            return False

    def access(self, path: str, mode: int, cwd: str = "/") -> bool:
        """``access(2)`` as the container sees it (existence plus permission bits)."""
        try:
            st = self.stat(path, cwd)
        except OSError:
            return False
        if mode == os.F_OK:
            return True
        if mode & os.X_OK and not stat_mod.S_ISDIR(st.st_mode) and not st.st_mode & 0o111:
            return False
        return True

    def readlink(self, path: str, cwd: str = "/") -> str:
        """The target text of a symlink."""
        with self.resolve(path, cwd, follow=False) as res:
            top, name = res.dir, res.name
            if name is None:
                raise err(errno.EINVAL, path)
            if top.union and union.is_reserved(name):
                raise err(errno.ENOENT, path)
            if top.fd >= 0:
                try:
                    return os.readlink(name, dir_fd=top.fd)
                except FileNotFoundError:
                    if not top.union:
                        raise
            lower = self._visible_lower(top, name) if top.union else None
            if lower is None:
                raise err(errno.ENOENT, path)
            if not isinstance(lower, Leaf) or lower.target is None:
                raise err(errno.EINVAL, path)
            return lower.target

    def listdir(self, path: str, cwd: str = "/") -> list[str]:
        """Names in a directory (without ``.`` and ``..``), unsorted."""
        with self.scandir(path, cwd) as entries:
            return [entry.name for entry in entries]

    def scandir(self, path: str, cwd: str = "/") -> ScanDir | EntryList:
        """Iterate the entries (``os.DirEntry``-like) of a directory (use as a context manager)."""
        if self._stack is not None:
            with self.resolve(path, cwd, follow=True) as res:
                if res.dir.union:
                    found = self._existing(res, path)
                    try:
                        if not stat_mod.S_ISDIR(found.st.st_mode):
                            raise err(errno.ENOTDIR, path)
                        return EntryList(self._merged_entries(res, found))
                    finally:
                        found.close()
        fd = self.open(path, os.O_RDONLY | os.O_DIRECTORY, cwd=cwd)
        return ScanDir(fd)

    def _stat_entry(self, path: str, follow: bool) -> os.stat_result:
        return self.stat(path, follow=follow)

    def _merged_entries(self, res: Resolved, found: Found) -> list[UnionEntry]:
        """The merged listing of an existing union directory: upper names, then lower ones."""
        entries: list[UnionEntry] = []
        taken: set[str] = set()  # upper names and whiteouts: lower entries of these do not show
        lower: View | Leaf | None
        if found.fd >= 0:
            opaque = False
            fd = self._reopen(found.fd, os.O_RDONLY | os.O_DIRECTORY, res.path, found.st)
            try:
                with os.scandir(fd) as it:
                    for entry in it:
                        name = entry.name
                        if union.is_reserved(name):
                            opaque = opaque or name == OPAQUE
                            if (gone := whited_out(name)) is not None:
                                taken.add(gone)
                            continue
                        taken.add(name)
                        entries.append(UnionEntry.from_dir_entry(entry, join(res.path, name), self._stat_entry))
            finally:
                os.close(fd)
            lower = None if opaque else self._covered(res)
        else:
            lower = found.lower
        if isinstance(lower, View):
            for name, child in lower.children().items():
                if name not in taken:
                    entries.append(UnionEntry(name, join(res.path, name), self._stat_entry, st=child.st))
        return entries

    def _covered(self, res: Resolved) -> View | Leaf | None:
        """The lower object at the resolved path, whiteouts and the object's own markers aside."""
        if res.name is None:
            return res.dir.lower
        return self._lower_child(res.dir, res.name)

    def _merges(self, res: Resolved, found: Found) -> bool:
        """True for a directory whose content comes (in part) from the lower layers."""
        if found.fd < 0:
            return isinstance(found.lower, View)
        return isinstance(self._covered(res), View) and not union.is_opaque(found.fd)

    # -- opening -----------------------------------------------------------------------
    def open(self, path: str, flags: int, mode: int = 0o666, *, cwd: str = "/") -> int:
        """Open a container path and return a host file descriptor (close-on-exec).

        ``O_NOFOLLOW`` in ``flags`` refuses a final symlink as ``open(2)`` does. Creating a
        file through a dangling symlink creates the link's target inside the jail. Opening
        a lower-layer file for writing copies it up first.
        """
        follow = not flags & os.O_NOFOLLOW
        flags &= ~os.O_NOFOLLOW
        for _ in range(MAX_SYMLINKS):
            with self.resolve(path, cwd, follow=follow) as res:
                if flags & _WRITE_FLAGS and res.readonly:
                    raise err(errno.EROFS, path)
                fd = self._open_resolved(res, path, flags, mode, follow)
            if fd is not None:
                return fd
        raise err(errno.ELOOP, path)

    def _open_resolved(self, res: Resolved, path: str, flags: int, mode: int, follow: bool) -> int | None:
        top, name = res.dir, res.name
        if name is None:
            if top.fd < 0:
                assert top.lower is not None
                return self._open_lower(top.lower, flags, path)
            return self._reopen(top.fd, flags, path)
        found = self._find(res)
        if found is None:
            if not flags & os.O_CREAT:
                raise err(errno.ENOENT, path)
            dfd, hidden = self._new_entry(res, path)
            try:
                fd = os.open(name, flags | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dfd)
                if mode & DAEMON_UMASK:
                    os.fchmod(fd, mode & 0o7777)
            except FileExistsError:
                if flags & os.O_EXCL:
                    raise
                return None  # created concurrently: resolve again
            if hidden is not None:
                union.drop_whiteout(dfd, name)
            return fd
        try:
            if flags & os.O_CREAT and flags & os.O_EXCL:
                raise err(errno.EEXIST, path)
            if found.fd >= 0:
                if stat_mod.S_ISLNK(found.st.st_mode):
                    if not follow:
                        raise err(errno.ELOOP, path)
                    return None  # swapped for a symlink after resolution: resolve again
                return self._reopen(found.fd, flags & ~(os.O_CREAT | os.O_EXCL), path, found.st)
            lower = found.lower
            assert lower is not None
            if isinstance(lower, Leaf) and lower.target is not None:
                # only with O_NOFOLLOW: resolution follows a final lower link itself
                raise err(errno.ELOOP, path)
            if not writes(flags):
                return self._open_lower(lower, flags, path)
            check_open(lower.st, flags, path)  # refuse before copying anything up
            self._copy_up(res, lower, data=not flags & os.O_TRUNC)
            return None  # open the copy in the next round
        finally:
            found.close()

    def _reopen(self, pfd: int, flags: int, path: str, st: os.stat_result | None = None) -> int:
        check_open(st or os.fstat(pfd), flags, path)
        return os.open(f"/proc/self/fd/{pfd}", flags | os.O_CLOEXEC)

    @staticmethod
    def _open_lower(lower: View | Leaf, flags: int, path: str) -> int:
        """A read-only descriptor of a lower-layer object."""
        check_open(lower.st, flags, path)
        flags &= ~(os.O_CREAT | os.O_EXCL | os.O_TRUNC)
        if isinstance(lower, View):
            return lower.layers[0].open(lower.rel, flags, lower.st)
        return lower.open(flags)

    # -- copy-up -----------------------------------------------------------------------
    def _upper_dir(self, res: Resolved) -> int:
        """The upper descriptor of the resolved directory, copying it (and its parents) up."""
        top = res.dir
        if top.fd < 0:
            top.fd = self._upper_chain(top.path)
            top.owned = True
            top.opaque = None
        return top.fd

    def _upper_chain(self, path: str) -> int:
        """Copy the directories of ``path`` up as needed; an O_PATH fd of the last one."""
        assert self._stack is not None
        return copyup.copy_up_chain(self._root.fd, self._stack.root, path)

    def _copy_up(self, res: Resolved, lower: View | Leaf, *, data: bool = True) -> None:
        """Copy the lower object the resolution names into the upper root."""
        if res.name is None:
            self._upper_dir(res)  # the directory itself
            return
        dfd = self._upper_dir(res)
        if isinstance(lower, Leaf):
            copyup.copy_up_leaf(dfd, res.name, lower, data=data)
            return
        with copyup.kept_times(dfd):
            fd = copyup.copy_up_dir(dfd, res.name, lower.st)
            try:
                copyup.set_dir_times(fd, lower.st)
            finally:
                os.close(fd)

    def _new_entry(self, res: Resolved, path: str) -> tuple[int, View | Leaf | None]:
        """Prepare to create the resolved (missing) name: the upper directory fd to create it
        in, and the lower object a whiteout hides there (the whiteout goes once it exists)."""
        top, name = res.dir, res.name
        assert name is not None
        if not top.union:
            return top.fd, None
        if union.is_reserved(name):
            raise err(errno.EPERM, path)
        if self._visible_lower(top, name) is not None:
            raise err(errno.EEXIST, path)
        dfd = self._upper_dir(res)
        return dfd, self._lower_child(top, name)

    # -- modification ------------------------------------------------------------------
    def _parent(self, path: str, cwd: str, *, write: bool = True) -> Resolved:
        res = self.resolve(path, cwd, follow=False)
        if res.name is None:
            res.close()
            raise err(errno.EBUSY if res.is_mount_point else errno.EEXIST, path)
        if write and res.readonly:
            res.close()
            raise err(errno.EROFS, path)
        return res

    def mkdir(self, path: str, mode: int = 0o777, cwd: str = "/") -> None:
        """Create a directory (the final component must not exist)."""
        with self.resolve(path, cwd, follow=False) as res:
            if res.name is None:
                raise err(errno.EEXIST, path)
            if res.readonly:
                raise err(errno.EROFS, path)
            dfd, hidden = self._new_entry(res, path)
            if isinstance(hidden, View):
                # the deleted lower directory must not show through the new one
                union.make_opaque_dir(dfd, res.name, mode)
                union.drop_whiteout(dfd, res.name)
                return
            os.mkdir(res.name, mode, dir_fd=dfd)
            if mode & DAEMON_UMASK:
                # by descriptor, never by name: the new entry may already have been swapped
                fd = os.open(res.name, PATH_FLAGS | os.O_DIRECTORY, dir_fd=dfd)
                try:
                    os.chmod(f"/proc/self/fd/{fd}", mode & 0o7777)
                finally:
                    os.close(fd)
            if hidden is not None:
                union.drop_whiteout(dfd, res.name)

    def makedirs(self, path: str, mode: int = 0o777, cwd: str = "/", *, exist_ok: bool = True) -> None:
        """``mkdir -p``."""
        target = normpath(path, cwd)
        current = ""
        for part in components(target):
            current += "/" + part
            try:
                self.mkdir(current, mode)
            except FileExistsError:
                if not self.is_dir(current):
                    raise err(errno.ENOTDIR, current) from None
        if not exist_ok and not target:
            raise err(errno.EEXIST, path)

    def rmdir(self, path: str, cwd: str = "/") -> None:
        """Remove an empty directory (a lower one is whited out)."""
        with self._parent(path, cwd) as res:
            top, name = res.dir, res.name
            assert name is not None
            if not top.union:
                os.rmdir(name, dir_fd=top.fd)
                return
            found = self._existing(res, path, fresh=True)
            try:
                if not stat_mod.S_ISDIR(found.st.st_mode):
                    raise err(errno.ENOTDIR, path)
                if self._merged_entries(res, found):
                    raise err(errno.ENOTEMPTY, path)
                in_upper = found.fd >= 0
            finally:
                found.close()
            covered = self._lower_child(top, name) if in_upper else found.lower
            dfd = self._upper_dir(res)
            if covered is not None:
                union.add_whiteout(dfd, name)  # before the upper directory goes: no moment shows the lower one
            if not in_upper:
                return
            try:
                union.remove_upper_dir(dfd, name)
            except BaseException:
                if covered is not None:
                    union.drop_whiteout(dfd, name)
                raise

    def unlink(self, path: str, cwd: str = "/") -> None:
        """Remove a non-directory entry (a symlink itself, not its target)."""
        with self._parent(path, cwd) as res:
            top, name = res.dir, res.name
            assert name is not None
            if not top.union:
                os.unlink(name, dir_fd=top.fd)
                return
            found = self._existing(res, path, fresh=True)
            found.close()
            if stat_mod.S_ISDIR(found.st.st_mode):
                raise err(errno.EISDIR, path)
            if found.lower is not None:  # only in the lowers: a whiteout deletes it
                dfd = self._upper_dir(res)
                union.add_whiteout(dfd, name)
                with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                    os.unlink(name, dir_fd=dfd)  # a copy-up that raced us made the copy that goes too
                return
            covered = self._lower_child(top, name)
            if covered is not None:
                union.add_whiteout(top.fd, name)
            try:
                os.unlink(name, dir_fd=top.fd)
            except BaseException:
                if covered is not None:
                    union.drop_whiteout(top.fd, name)
                raise

    def rename(self, src: str, dst: str, cwd: str = "/") -> None:
        """``rename(2)``; ``OSError(EXDEV)`` across mounts and for directories of the lower layers."""
        with self._parent(src, cwd) as a, self._parent(dst, cwd) as b:
            if a.mount_target != b.mount_target:
                raise err(errno.EXDEV, dst)
            if not a.dir.union:
                os.rename(a.name, b.name, src_dir_fd=a.dir_fd, dst_dir_fd=b.dir_fd)
                return
            self._union_rename(a, b, src, dst)

    def _union_rename(self, a: Resolved, b: Resolved, src: str, dst: str) -> None:
        assert a.name is not None and b.name is not None
        if union.is_reserved(a.name):
            raise err(errno.ENOENT, src)
        if union.is_reserved(b.name):
            raise err(errno.EPERM, dst)
        source = self._existing(a, src, fresh=True)
        target = self._find(b, fresh=True)
        try:
            if target is not None and (source.st.st_dev, source.st.st_ino) == (target.st.st_dev, target.st.st_ino):
                return  # the same file: rename does nothing
            is_dir = stat_mod.S_ISDIR(source.st.st_mode)
            target_is_dir = target is not None and stat_mod.S_ISDIR(target.st.st_mode)
            if target is not None and is_dir != target_is_dir:
                raise err(errno.ENOTDIR if is_dir else errno.EISDIR, dst)
            # directories merged with a lower layer cannot move (overlayfs without
            # redirect_dir says the same): callers copy and delete instead
            if is_dir and self._merges(a, source):
                raise err(errno.EXDEV, src)
            if target is not None and target_is_dir and self._merges(b, target):
                raise err(errno.EXDEV, dst)
            source_lower = source.lower
            target_upper_dir = target is not None and target_is_dir and target.fd >= 0
        finally:
            source.close()
            if target is not None:
                target.close()
        if isinstance(source_lower, Leaf):
            self._copy_up(a, source_lower)
        sfd = self._upper_dir(a)
        dfd = self._upper_dir(b)
        covered_src = self._lower_child(a.dir, a.name)
        below_dst = self._lower_child(b.dir, b.name)
        if is_dir and isinstance(below_dst, View):
            # the moved directory must keep hiding the lower directory it now covers
            fd = os.open(a.name, PATH_FLAGS | os.O_DIRECTORY, dir_fd=sfd)
            try:
                union.add_opaque(fd)
            finally:
                os.close(fd)
        if target_upper_dir:
            fd = os.open(b.name, PATH_FLAGS | os.O_DIRECTORY, dir_fd=dfd)
            try:
                union.clear_markers(fd)  # rename(2) replaces only an empty directory
            finally:
                os.close(fd)
        if covered_src is not None:
            union.add_whiteout(sfd, a.name)
        try:
            os.rename(a.name, b.name, src_dir_fd=sfd, dst_dir_fd=dfd)
        except BaseException:
            if covered_src is not None:
                union.drop_whiteout(sfd, a.name)
            raise
        if target is None and below_dst is not None:
            union.drop_whiteout(dfd, b.name)

    def link(self, src: str, dst: str, cwd: str = "/") -> None:
        """Create a hard link ``dst`` to the existing non-directory ``src`` (not followed)."""
        with self._parent(src, cwd, write=False) as a, self._parent(dst, cwd) as b:
            if a.mount_target != b.mount_target:
                raise err(errno.EXDEV, dst)
            hidden = None
            if a.dir.union:
                assert a.name is not None
                if union.is_reserved(a.name):
                    raise err(errno.ENOENT, src)
                source = self._existing(a, src, fresh=True)
                source.close()
                if stat_mod.S_ISDIR(source.st.st_mode):
                    raise err(errno.EPERM, src)
                if isinstance(source.lower, Leaf):
                    self._copy_up(a, source.lower)
                self._upper_dir(a)
                _, hidden = self._new_entry(b, dst)
            os.link(a.name, b.name, src_dir_fd=a.dir_fd, dst_dir_fd=b.dir_fd, follow_symlinks=False)
            if hidden is not None:
                union.drop_whiteout(b.dir_fd, b.name)

    def symlink(self, target: str, path: str, cwd: str = "/") -> None:
        """Create a symlink at ``path`` whose text is ``target`` (resolved in the jail when followed)."""
        with self._parent(path, cwd) as res:
            dfd, hidden = self._new_entry(res, path)
            os.symlink(target, res.name, dir_fd=dfd)
            if hidden is not None:
                union.drop_whiteout(dfd, res.name)

    def _on_object(self, path: str, cwd: str, follow: bool, func: Callable[[int, os.stat_result, Resolved], None],
                   refuse: Callable[[os.stat_result], None] | None = None) -> None:
        """Run ``func(fd, stat, resolved)`` on an O_PATH descriptor of the object itself.

        A lower-layer object is copied up first (unless ``refuse`` rejects it).
        """
        with self.resolve(path, cwd, follow=follow) as res:
            found = self._existing(res, path)
            try:
                if res.readonly:
                    raise err(errno.EROFS, path)
                if found.fd < 0:
                    if refuse is not None:
                        refuse(found.st)
                    assert found.lower is not None
                    self._copy_up(res, found.lower)
                    found = self._existing(res, path, fresh=True)
                    if found.fd < 0:
                        raise err(errno.EIO, path)
                func(found.fd, found.st, res)
            finally:
                found.close()

    def chmod(self, path: str, mode: int, cwd: str = "/", *, follow: bool = True) -> None:
        """Change permission bits (a symlink itself cannot be chmod-ed, as on Linux)."""

        def refuse(st: os.stat_result) -> None:
            if stat_mod.S_ISLNK(st.st_mode):
                raise err(errno.EOPNOTSUPP, path)

        def apply(fd: int, st: os.stat_result, res: Resolved) -> None:
            refuse(st)
            os.chmod(f"/proc/self/fd/{fd}", mode)

        self._on_object(path, cwd, follow, apply, refuse)

    def chown(self, path: str, uid: int, gid: int, cwd: str = "/", *, follow: bool = True) -> None:
        """Change ownership (``-1`` keeps a value)."""

        def apply(fd: int, st: os.stat_result, res: Resolved) -> None:
            if stat_mod.S_ISLNK(st.st_mode):
                # lchown on the name never follows the link, so a swapped entry stays harmless
                os.chown(res.name, uid, gid, dir_fd=res.dir_fd, follow_symlinks=False)
            else:
                os.chown(f"/proc/self/fd/{fd}", uid, gid)

        self._on_object(path, cwd, follow, apply)

    def utime(self, path: str, times_ns: tuple[int, int] | None, cwd: str = "/", *, follow: bool = True) -> None:
        """Set (atime, mtime) in ns, or to now when ``None``."""

        def apply(fd: int, st: os.stat_result, res: Resolved) -> None:
            kwargs = {"ns": times_ns} if times_ns else {}
            if stat_mod.S_ISLNK(st.st_mode):
                os.utime(res.name, dir_fd=res.dir_fd, follow_symlinks=False, **kwargs)
            else:
                os.utime(f"/proc/self/fd/{fd}", **kwargs)

        self._on_object(path, cwd, follow, apply)

    def truncate(self, path: str, length: int, cwd: str = "/") -> None:
        """Truncate a regular file."""
        fd = self.open(path, os.O_WRONLY, cwd=cwd)
        try:
            os.ftruncate(fd, length)
        finally:
            os.close(fd)

    # -- whole-file helpers --------------------------------------------------------------
    def read_bytes(self, path: str, cwd: str = "/") -> bytes:
        """Read a whole file."""
        fd = self.open(path, os.O_RDONLY, cwd=cwd)
        try:
            chunks = []
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def write_bytes(self, path: str, data: bytes, mode: int = 0o644, cwd: str = "/") -> None:
        """Create or replace a file's contents."""
        fd = self.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode, cwd=cwd)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    def walk(self, path: str, cwd: str = "/") -> Iterator[tuple[str, list[str], list[str]]]:
        """``os.walk`` over container paths, top-down, without following symlinks."""
        top = normpath(path, cwd)
        dirs: list[str] = []
        files: list[str] = []
        try:
            with self.scandir(top) as entries:
                for entry in entries:
                    (dirs if entry.is_dir(follow_symlinks=False) else files).append(entry.name)
        except OSError:
            return
        yield top, dirs, files
        for name in dirs:
            yield from self.walk(join(top, name))
