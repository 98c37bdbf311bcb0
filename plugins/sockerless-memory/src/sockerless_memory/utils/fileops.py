"""Copying and removing trees through the jail (cp, mv, rm, install, rsync).

Every operation goes through :class:`~sockerless_memory.sandbox.fs.FileSystem`, which
resolves paths inside the container root; symlinks are copied as links (their text is
never followed on the host), so a tree can never reach outside the root.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from collections.abc import Callable
from dataclasses import dataclass

from ..sandbox.files import CHUNK
from .common import Util, chomp, strerror


def join(directory: str, name: str) -> str:
    """``directory/name`` without doubled slashes."""
    return directory.rstrip("/") + "/" + name if directory.rstrip("/") else "/" + name


def last_component(path: str) -> str:
    """The final name of ``path`` (trailing slashes ignored)."""
    stripped = path.rstrip("/")
    return stripped.rsplit("/", 1)[-1] if stripped else "/"


def ask(u: Util, question: str) -> bool:
    """Prompt on stderr (``NAME: QUESTION? ``) and read the answer from stdin: yes if it starts with y."""
    try:
        u.proc.stderr.write(f"{u.label}: {question}? ".encode("utf-8", "surrogateescape"))
        answer = u.proc.stdin.readline()
    except OSError:
        return False
    return chomp(answer).strip()[:1] in (b"y", b"Y")


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    """True for the same inode."""
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


@dataclass
class CopyOptions:
    """What ``cp`` was asked to do."""

    recursive: bool = False
    deref: str = "always"  # "always" (-L), "never" (-P/-d), "cmdline" (-H)
    preserve: bool = False
    force: bool = False
    no_clobber: bool = False
    interactive: bool = False
    verbose: bool = False
    update: bool = False
    link: str | None = None  # "hard" (-l) or "symbolic" (-s)


class Copier:
    """Copies files and trees; reports errors as ``NAME: ...`` and returns False on failure."""

    def __init__(self, u: Util, opts: CopyOptions) -> None:
        self.u = u
        self.opts = opts
        self.created: set[tuple[int, int]] = set()

    def _stat_source(self, src: str, top: bool) -> os.stat_result:
        follow = self.opts.deref == "always" or (self.opts.deref == "cmdline" and top)
        return self.u.stat(src, follow=follow)

    def copy(self, src: str, dst: str, *, top: bool = True) -> bool:
        """Copy ``src`` to exactly ``dst``."""
        u = self.u
        u.check()
        try:
            st = self._stat_source(src, top)
        except OSError as exc:
            u.error(f"can't stat '{src}': {strerror(exc)}")
            return False
        try:
            dst_st = u.lstat(dst)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                u.error(f"can't stat '{dst}': {strerror(exc)}")
                return False
            dst_st = None
        if dst_st is not None:
            try:
                followed = u.stat(dst)
            except OSError:
                followed = None
            if followed is not None and same_file(st, followed) and not stat_mod.S_ISLNK(st.st_mode):
                u.error(f"'{src}' and '{dst}' are the same file")
                return False
        if stat_mod.S_ISDIR(st.st_mode):
            return self._copy_dir(src, dst, st, dst_st)
        if dst_st is not None:
            if self.opts.no_clobber:
                return True
            if self.opts.update and dst_st.st_mtime_ns >= st.st_mtime_ns:
                return True
            if self.opts.interactive and not ask(u, f"overwrite '{dst}'"):
                return True
        if self.opts.verbose:
            u.out.write(f"'{src}' -> '{dst}'\n".encode("utf-8", "surrogateescape"))
        if self.opts.link is not None:
            return self._make_link(src, dst, dst_st)
        if stat_mod.S_ISLNK(st.st_mode):
            return self._copy_symlink(src, dst, st, dst_st)
        if stat_mod.S_ISREG(st.st_mode):
            return self._copy_file(src, dst, st, dst_st)
        u.error(f"can't create '{dst}': special files cannot be created in the sandbox")
        return False

    def _make_link(self, src: str, dst: str, dst_st: os.stat_result | None) -> bool:
        u = self.u
        try:
            if dst_st is not None:
                u.fs.unlink(dst, u.cwd)
            if self.opts.link == "hard":
                u.fs.link(src, dst, u.cwd)
            else:
                u.fs.symlink(src, dst, u.cwd)
        except OSError as exc:
            u.error(f"can't create link '{dst}': {strerror(exc)}")
            return False
        return True

    def _copy_dir(self, src: str, dst: str, st: os.stat_result, dst_st: os.stat_result | None) -> bool:
        u = self.u
        if not self.opts.recursive:
            u.error(f"omitting directory '{src}'")
            return False
        if (st.st_dev, st.st_ino) in self.created:
            u.error(f"recursion detected, omitting directory '{src}'")
            return False
        if dst_st is not None and not u.is_dir(dst):
            u.error(f"can't create directory '{dst}': File exists")
            return False
        if self.opts.verbose:
            u.out.write(f"'{src}' -> '{dst}'\n".encode("utf-8", "surrogateescape"))
        if dst_st is None:
            try:
                u.fs.mkdir(dst, 0o700, u.cwd)  # opened up once the contents are in
            except OSError as exc:
                u.error(f"can't create directory '{dst}': {strerror(exc)}")
                return False
            created = u.stat(dst)
            self.created.add((created.st_dev, created.st_ino))
        ok = True
        try:
            names = u.fs.listdir(src, u.cwd)
        except OSError as exc:
            u.error(f"can't open '{src}': {strerror(exc)}")
            return False
        for name in names:
            ok = self.copy(join(src, name), join(dst, name), top=False) and ok
        mode = st.st_mode & 0o7777
        try:
            if self.opts.preserve:
                self._preserve(dst, st)
            elif dst_st is None:
                u.fs.chmod(dst, mode & ~u.proc.umask, u.cwd)
        except OSError as exc:
            u.error(f"can't preserve permissions of '{dst}': {strerror(exc)}")
            ok = False
        return ok

    def _copy_symlink(self, src: str, dst: str, st: os.stat_result, dst_st: os.stat_result | None) -> bool:
        u = self.u
        try:
            target = u.fs.readlink(src, u.cwd)
            if dst_st is not None:
                if stat_mod.S_ISDIR(dst_st.st_mode):
                    raise OSError(errno.EISDIR, os.strerror(errno.EISDIR))
                u.fs.unlink(dst, u.cwd)
            u.fs.symlink(target, dst, u.cwd)
            if self.opts.preserve:
                self._preserve(dst, st, follow=False)
        except OSError as exc:
            u.error(f"can't create symlink '{dst}': {strerror(exc)}")
            return False
        return True

    def _open_dest(self, dst: str, mode: int):
        u = self.u
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        try:
            return u.open(dst, flags, mode)
        except OSError:
            if not self.opts.force:
                raise
            u.fs.unlink(dst, u.cwd)
            return u.open(dst, flags, mode)

    def _copy_file(self, src: str, dst: str, st: os.stat_result, dst_st: os.stat_result | None) -> bool:
        u = self.u
        try:
            source = u.open(src)
        except OSError as exc:
            u.error(f"can't open '{src}': {strerror(exc)}")
            return False
        try:
            try:
                target = self._open_dest(dst, st.st_mode & 0o777)
            except OSError as exc:
                u.error(f"can't create '{dst}': {strerror(exc)}")
                return False
            try:
                while chunk := source.read1(CHUNK):
                    target.write(chunk)
                    u.check()
            finally:
                target.release()
        except OSError as exc:
            u.error(f"error copying '{src}' to '{dst}': {strerror(exc)}")
            return False
        finally:
            source.release()
        if self.opts.preserve:
            try:
                self._preserve(dst, st)
            except OSError as exc:
                u.error(f"can't preserve times of '{dst}': {strerror(exc)}")
                return False
        return True

    def _preserve(self, dst: str, st: os.stat_result, follow: bool = True) -> None:
        u = self.u
        try:
            u.fs.chown(dst, st.st_uid, st.st_gid, u.cwd, follow=follow)
        except OSError:
            pass  # like cp -p run by a user: ownership is kept only where allowed
        if follow:
            u.fs.chmod(dst, st.st_mode & 0o7777, u.cwd)
        u.fs.utime(dst, (st.st_atime_ns, st.st_mtime_ns), u.cwd, follow=follow)


def _removal(u: Util, path: str, action: Callable[[], object]) -> bool:
    """Run one step of a removal; report a failure as ``rm`` does."""
    try:
        action()
    except OSError as exc:
        u.error(f"can't remove '{path}': {strerror(exc)}")
        return False
    return True


def remove_tree(u: Util, path: str, *, recursive: bool, force: bool = False, interactive: bool = False) -> bool:
    """``rm``: remove ``path`` (a directory only when ``recursive``); symlinks are never followed."""
    u.check()
    try:
        st = u.lstat(path)
    except OSError as exc:
        if force and exc.errno == errno.ENOENT:
            return True
        u.error(f"can't remove '{path}': {strerror(exc)}")
        return False
    if stat_mod.S_ISDIR(st.st_mode):
        if not recursive:
            u.error(f"'{path}' is a directory")
            return False
        if interactive and not ask(u, f"descend into directory '{path}'"):
            return True
        names: list[str] = []
        if not _removal(u, path, lambda: names.extend(u.fs.listdir(path, u.cwd))):
            return False
        ok = True
        for name in names:
            ok = remove_tree(u, join(path, name), recursive=True, force=force, interactive=interactive) and ok
        if interactive and not ask(u, f"remove directory '{path}'"):
            return ok
        return _removal(u, path, lambda: u.fs.rmdir(path, u.cwd)) and ok
    if interactive and not ask(u, f"remove '{path}'"):
        return True
    return _removal(u, path, lambda: u.fs.unlink(path, u.cwd))
