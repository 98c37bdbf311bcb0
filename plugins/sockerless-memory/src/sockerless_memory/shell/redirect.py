"""Redirections: applied to a process's descriptor table, optionally saving what they replace."""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from typing import TYPE_CHECKING

from ..sandbox.files import BytesInput, OpenFile
from . import procsub
from .ast import HereDoc, ProcSub, Redir
from .errors import ShellError

if TYPE_CHECKING:
    from ..sandbox.process import FdTable, Process
    from .shell import Shell

Saved = list[tuple[int, "OpenFile | None"]]

_FLAGS = {
    "<": os.O_RDONLY,
    ">": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    ">|": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    ">>": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "<>": os.O_RDWR | os.O_CREAT,
    "&>": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "&>>": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
}


def _save(fds: FdTable, fd: int, saved: Saved) -> None:
    for entry in saved:
        if entry[0] == fd:
            return
    old = fds.get(fd)
    saved.append((fd, old.acquire() if old is not None else None))


def _open_error(path: str, op: str, exc: OSError) -> ShellError:
    """busybox's wording: ``can't open X: no such file`` / ``can't create X: nonexistent directory``."""
    code = exc.errno or errno.EIO
    if op == "<":
        reason = "no such file" if code in (errno.ENOENT, errno.ENOTDIR) else os.strerror(code)
        return ShellError(f"can't open {path}: {reason}", 1)
    reason = "nonexistent directory" if code in (errno.ENOENT, errno.ENOTDIR) else os.strerror(code)
    return ShellError(f"can't create {path}: {reason}", 1)


class RedirMixin:
    """Redirection handling for :class:`~.shell.Shell`."""

    def redirect(self: Shell, redirs: list[Redir], saved: Saved | None, proc: Process | None = None) -> None:
        """Apply ``redirs`` to ``proc`` (the shell's own process by default).

        With ``saved`` the replaced descriptors are recorded for :meth:`restore`. Raises
        :class:`ShellError` (status 1) when a redirection fails.
        """
        if proc is None:
            proc = self.proc
        fds = proc.fds
        for r in redirs:
            op = r.op
            fd = r.fd
            if fd is None:
                fd = 0 if op[0] == "<" else 1
            if saved is not None:
                _save(fds, fd, saved)
                if op[0] == "&":
                    _save(fds, 2, saved)
            flags = _FLAGS.get(op)
            if flags is not None:
                sub = _process_substitution(r.target)
                if sub is not None:  # "< <(list)": the pipe itself, in whichever process redirects
                    end, _child = procsub.start(self, sub)
                    fds.install(end, fd)
                    continue
                path = self.expand_str(r.target)  # type: ignore[arg-type]
                fds.install(self._open(proc, path, op, flags), fd)
                if op[0] == "&":
                    fds.dup2(1, 2)
            elif op == "<&" or op == ">&":
                self._dup(proc, fds, r, fd, saved)
            elif op == "<<" or op == "<<-":
                doc = r.target
                assert isinstance(doc, HereDoc)
                body = doc.body if type(doc.body) is str else self.expand_str(doc.body)
                fds.install(BytesInput(body.encode("utf-8", "surrogateescape")), fd)  # type: ignore[union-attr]
            elif op == "<<<":
                text = self.expand_str(r.target) + "\n"  # type: ignore[arg-type]
                fds.install(BytesInput(text.encode("utf-8", "surrogateescape")), fd)
            else:  # pragma: no cover - the parser only produces the operators above
                raise ShellError(f"unsupported redirection {op}", 1)

    def _open(self: Shell, proc: Process, path: str, op: str, flags: int) -> OpenFile:
        if not path:
            raise ShellError(f"can't {'open' if op == '<' else 'create'} : no such file", 1)
        if op == ">" and self.opts.noclobber:
            try:
                st = self.fs.stat(path, proc.cwd)
            except OSError:
                st = None
            if st is not None and stat_mod.S_ISREG(st.st_mode):
                raise ShellError(f"can't create {path}: File exists", 1)
        try:
            return proc.open(path, flags, 0o666)
        except OSError as exc:
            raise _open_error(path, op, exc) from None

    def _dup(self: Shell, proc: Process, fds: FdTable, r: Redir, fd: int, saved: Saved | None) -> None:
        target = self.expand_str(r.target)  # type: ignore[arg-type]
        if target == "-":
            fds.close(fd)
            return
        move = target.endswith("-") and target[:-1].isdigit()
        number = target[:-1] if move else target
        if number.isdigit():
            src = int(number)
            if fds.get(src) is None:
                raise ShellError(f"{src}: Bad file descriptor", 1)
            if src != fd:
                fds.dup2(src, fd)
                if move:
                    fds.close(src)
            return
        if r.op == ">&" and r.fd is None:  # ">&file": both stdout and stderr (bash, busybox)
            if saved is not None:
                _save(fds, 2, saved)
            fds.install(self._open(proc, target, "&>", _FLAGS["&>"]), 1)
            fds.dup2(1, 2)
            return
        raise ShellError(f"{target}: Bad file descriptor", 1)

    def restore(self: Shell, saved: Saved, proc: Process | None = None) -> None:
        """Undo redirections recorded by :meth:`redirect`."""
        fds = (proc or self.proc).fds
        for fd, old in reversed(saved):
            if old is None:
                fds.close(fd)
            else:
                fds.install(old, fd)
        saved.clear()


def _process_substitution(word: object) -> ProcSub | None:
    """The process substitution a redirection target consists of, if it is nothing else."""
    parts = getattr(word, "parts", None)
    if parts is not None and len(parts) == 1 and type(parts[0]) is ProcSub:
        return parts[0]
    return None
