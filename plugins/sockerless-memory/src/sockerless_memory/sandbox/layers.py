"""Read-only image layers, cached in memory and shared by every container that uses them.

A layer directory is immutable once unpacked, so its structure is read once: each
directory's entries (with their ``lstat`` and symlink text) are listed lazily, on first
use, and kept. A :class:`LayerStack` merges the layers of one image (top-most first,
honouring OCI whiteouts and opaque markers inside the layers) into :class:`View`
directories and :class:`Leaf` entries, also cached, so a lookup that misses a container's
upper directory costs no system call at all.

Layers are keyed by their real path plus the device, inode and ctime of their root, so a
layer removed and unpacked again (even on a recycled inode) is never served from a stale
cache. Files are read through descriptors: a layer is walked from a descriptor of its
root, one ``O_NOFOLLOW`` component at a time, so the kernel never follows a link in it.
"""

from __future__ import annotations

import collections
import errno
import os
import stat as stat_mod
import threading
import weakref
from collections.abc import Sequence

WHITEOUT = ".wh."
"""Prefix of an OCI whiteout entry: ``.wh.NAME`` deletes ``NAME`` of the layers below."""
OPAQUE = ".wh..wh..opq"


def whited_out(name: str) -> str | None:
    """The name a whiteout entry deletes; ``None`` for the opaque marker and other ``.wh..wh.`` metadata."""
    if name.startswith(WHITEOUT + WHITEOUT):
        return None
    return name[len(WHITEOUT):]
"""OCI opaque marker: the directory holding it hides the content of the layers below."""

_PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_KEEP_TREES = 64  # recently used layers kept cached after their last container is gone
_KEEP_STACKS = 32

# One lock for every fill of the shared caches; lookups of filled entries take no lock.
_FILL_LOCK = threading.RLock()


def _err(code: int, path: str) -> OSError:
    return OSError(code, os.strerror(code), path)


class Listing:
    """One directory of one layer: its entries, the whiteouts it holds, its opaque marker."""

    __slots__ = ("entries", "links", "opaque", "whiteouts")

    def __init__(self, entries: dict[str, os.stat_result], links: dict[str, str], whiteouts: frozenset[str],
                 opaque: bool) -> None:
        self.entries = entries
        self.links = links
        self.whiteouts = whiteouts
        self.opaque = opaque


class LayerTree:
    """One unpacked layer directory on disk, never written; its listings are cached."""

    def __init__(self, fd: int, key: tuple[int, int, int, str]) -> None:
        self.fd = fd  # O_PATH descriptor of the layer root, owned by the tree
        self.key = key
        self.path = key[3]
        self.root_stat = os.fstat(fd)
        self._listings: dict[str, Listing] = {}
        weakref.finalize(self, os.close, fd)

    def listing(self, rel: str) -> Listing:
        """The cached listing of directory ``rel`` ("" for the layer root, else "a/b")."""
        found = self._listings.get(rel)
        if found is None:
            with _FILL_LOCK:
                found = self._listings.get(rel)
                if found is None:
                    found = self._listings[rel] = self._read(rel)
        return found

    def _read(self, rel: str) -> Listing:
        fd = self.open(rel, os.O_RDONLY | os.O_DIRECTORY)
        entries: dict[str, os.stat_result] = {}
        links: dict[str, str] = {}
        whiteouts: set[str] = set()
        opaque = False
        try:
            with os.scandir(fd) as it:
                for entry in it:
                    name = entry.name
                    if name.startswith(WHITEOUT):
                        opaque = opaque or name == OPAQUE
                        if (gone := whited_out(name)) is not None:
                            whiteouts.add(gone)
                        continue
                    st = entry.stat(follow_symlinks=False)  # fstatat on the directory fd, no follow
                    entries[name] = st
                    if stat_mod.S_ISLNK(st.st_mode):
                        links[name] = os.readlink(name, dir_fd=fd)
        finally:
            os.close(fd)
        return Listing(entries, links, frozenset(whiteouts), opaque)

    def open(self, rel: str, flags: int, expect: os.stat_result | None = None) -> int:
        """Open ``rel`` read-only, walking from the layer root without following any link.

        ``expect`` (the cached stat) is checked against the object found, so a layer
        changed on disk behind the cache gives ``EIO`` instead of another file.
        """
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC):
            raise _err(errno.EROFS, rel)  # lower layers are never written, whoever asks
        parts = [p for p in rel.split("/") if p]
        if not parts:
            return os.open(".", flags | os.O_CLOEXEC, dir_fd=self.fd)
        fd = -1
        try:
            for part in parts:
                if part in (".", ".."):
                    raise _err(errno.EINVAL, rel)
                nfd = os.open(part, _PATH_FLAGS, dir_fd=self.fd if fd < 0 else fd)
                if fd >= 0:
                    os.close(fd)
                fd = nfd
            st = os.fstat(fd)
            if expect is not None and (st.st_ino != expect.st_ino or st.st_dev != expect.st_dev
                                       or stat_mod.S_IFMT(st.st_mode) != stat_mod.S_IFMT(expect.st_mode)):
                raise _err(errno.EIO, rel)
            if stat_mod.S_ISLNK(st.st_mode):
                raise _err(errno.ELOOP, rel)
            if not (stat_mod.S_ISREG(st.st_mode) or stat_mod.S_ISDIR(st.st_mode)):
                raise _err(errno.EACCES, rel)  # devices, FIFOs and sockets of a layer are never opened
            return os.open(f"/proc/self/fd/{fd}", flags | os.O_CLOEXEC)
        finally:
            if fd >= 0:
                os.close(fd)


class Leaf:
    """A non-directory of the merged lower layers."""

    __slots__ = ("layer", "rel", "st", "target")

    def __init__(self, layer: LayerTree, rel: str, st: os.stat_result, target: str | None) -> None:
        self.layer = layer
        self.rel = rel
        self.st = st
        self.target = target  # symlink text, None for other types

    def open(self, flags: int) -> int:
        """A read-only host descriptor of the file."""
        return self.layer.open(self.rel, flags, self.st)


class View:
    """A directory of the merged lower layers: the same path in each layer that shows through."""

    __slots__ = ("_children", "_layers", "candidates", "rel", "st")

    def __init__(self, rel: str, candidates: tuple[LayerTree, ...], st: os.stat_result) -> None:
        self.rel = rel
        self.candidates = candidates  # top-most first, before opaque markers cut them
        self.st = st  # the top-most layer's directory decides mode, owner and times
        self._layers: tuple[LayerTree, ...] | None = None
        self._children: dict[str, View | Leaf] | None = None

    @property
    def layers(self) -> tuple[LayerTree, ...]:
        """The layers whose directory is merged here (an opaque one is the last)."""
        if self._layers is None:
            kept = []
            for tree in self.candidates:
                kept.append(tree)
                if tree.listing(self.rel).opaque:
                    break
            self._layers = tuple(kept)
        return self._layers

    def children(self) -> dict[str, View | Leaf]:
        """Merged entries by name (computed once, then shared)."""
        found = self._children
        if found is None:
            with _FILL_LOCK:
                found = self._children
                if found is None:
                    found = self._children = self._merge()
        return found

    def child(self, name: str) -> View | Leaf | None:
        """The merged entry ``name``, or None."""
        return self.children().get(name)

    def _merge(self) -> dict[str, View | Leaf]:
        result: dict[str, View | Leaf] = {}
        dirs: dict[str, list[LayerTree]] = {}
        first_dir_stat: dict[str, os.stat_result] = {}
        blocked: set[str] = set()  # hidden below: whited out, or covered by a non-directory
        prefix = self.rel + "/" if self.rel else ""
        for tree in self.layers:
            listing = tree.listing(self.rel)
            for name, st in listing.entries.items():
                if name in blocked:
                    continue
                if stat_mod.S_ISDIR(st.st_mode):
                    if name not in dirs:
                        dirs[name] = []
                        first_dir_stat[name] = st
                    dirs[name].append(tree)
                    continue
                blocked.add(name)
                if name not in dirs:
                    result[name] = Leaf(tree, prefix + name, st, listing.links.get(name))
            blocked |= listing.whiteouts
        for name, trees in dirs.items():
            result[name] = View(prefix + name, tuple(trees), first_dir_stat[name])
        return result


class LayerStack:
    """The lower layers of one image, top-most first, merged."""

    def __init__(self, trees: tuple[LayerTree, ...]) -> None:
        self.trees = trees
        self.root = View("", trees, trees[0].root_stat)


# -- the shared registry ---------------------------------------------------------------------
_trees: weakref.WeakValueDictionary[tuple, LayerTree] = weakref.WeakValueDictionary()
_stacks: weakref.WeakValueDictionary[tuple, LayerStack] = weakref.WeakValueDictionary()
_recent_trees: collections.OrderedDict[tuple, LayerTree] = collections.OrderedDict()
_recent_stacks: collections.OrderedDict[tuple, LayerStack] = collections.OrderedDict()
_REGISTRY_LOCK = threading.Lock()


def _keep(recent: collections.OrderedDict, key: tuple, value: object, limit: int) -> None:
    recent[key] = value
    recent.move_to_end(key)
    while len(recent) > limit:
        recent.popitem(last=False)


def open_tree(path: str) -> LayerTree:
    """The shared tree of the layer directory at ``path`` (a trusted daemon path)."""
    real = os.path.realpath(path)
    fd = os.open(real, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    key = (st.st_dev, st.st_ino, st.st_ctime_ns, real)
    with _REGISTRY_LOCK:
        tree = _trees.get(key)
        if tree is None:
            tree = _trees[key] = LayerTree(fd, key)
        else:
            os.close(fd)
        _keep(_recent_trees, key, tree, _KEEP_TREES)
    return tree


def open_stack(paths: Sequence[str]) -> LayerStack:
    """The shared merged view of layer directories ``paths`` (top-most first)."""
    trees = tuple(open_tree(path) for path in paths)
    key = tuple(tree.key for tree in trees)
    with _REGISTRY_LOCK:
        stack = _stacks.get(key)
        if stack is None:
            stack = _stacks[key] = LayerStack(trees)
        _keep(_recent_stacks, key, stack, _KEEP_STACKS)
    return stack

