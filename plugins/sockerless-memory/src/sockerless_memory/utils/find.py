"""find: walk directory trees evaluating an expression of tests and actions."""

from __future__ import annotations

import math
import os
import stat as stat_mod
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..sandbox.exec import ExecError
from .common import Util, group_label, strerror, user_label, utility
from .fileops import ask, join
from .glob import fnmatch
from .modes import mode_string, parse_mode
from .regex import RegexError, compile_regex
from .spawn import exec_reason, run_child
from .testcmd import may_access

_USAGE = """find [-HL] [PATH]... [OPTIONS] [ACTIONS]

Search for files and perform actions on them.
First failed action stops processing of current file.
Defaults: PATH is current directory, action is '-print'

\t-L,-follow\tFollow symlinks
\t-H\t\t...on command line only
\t-xdev\t\tDon't descend directories on other filesystems
\t-maxdepth N\tDescend at most N levels. -maxdepth 0 applies
\t\t\tactions to command line arguments only
\t-mindepth N\tDon't act on first N levels
\t-depth\t\tAct on directory *after* traversing it

Actions:
\t( ACTIONS )\tGroup actions for -o / -a
\t! ACT\t\tInvert ACT's success/failure
\tACT1 [-a] ACT2\tIf ACT1 fails, stop, else do ACT2
\tACT1 -o ACT2\tIf ACT1 succeeds, stop, else do ACT2
\t\t\tNote: -a has higher priority than -o
\t-name PATTERN\tMatch file name (w/o directory name) to PATTERN
\t-iname PATTERN\tCase insensitive -name
\t-path PATTERN\tMatch path to PATTERN
\t-ipath PATTERN\tCase insensitive -path
\t-regex PATTERN\tMatch path to regex PATTERN
\t-type X\t\tFile type is X (one of: f,d,l,b,c,s,p)
\t-executable\tFile is executable
\t-perm MASK\tAt least one mask bit (+MASK), all bits (-MASK),
\t\t\tor exactly MASK bits are set in file's mode
\t-mtime DAYS\tmtime is greater than (+N), less than (-N),
\t\t\tor exactly N days in the past
\t-atime DAYS\tatime +N/-N/N days in the past
\t-ctime DAYS\tctime +N/-N/N days in the past
\t-mmin MINS\tmtime is greater than (+N), less than (-N),
\t\t\tor exactly N minutes in the past
\t-amin MINS\tatime +N/-N/N minutes in the past
\t-cmin MINS\tctime +N/-N/N minutes in the past
\t-newer FILE\tmtime is more recent than FILE's
\t-inum N\t\tFile has inode number N
\t-samefile FILE\tFile is same as FILE
\t-user NAME/ID\tFile is owned by given user
\t-group NAME/ID\tFile is owned by given group
\t-size N[bck]\tFile size is N (c:bytes,k:kbytes,b:512 bytes(def.))
\t\t\t+/-N: file size is bigger/smaller than N
\t-links N\tNumber of links is greater than (+N), less than (-N),
\t\t\tor exactly N
\t-empty\t\tMatch empty file/directory
\t-prune\t\tIf current file is directory, don't descend into it
If none of the following actions is specified, -print is assumed
\t-print\t\tPrint file name
\t-print0\t\tPrint file name, NUL terminated
\t-exec CMD ARG ;\tRun CMD with all instances of {} replaced by
\t\t\tfile name. Fails if CMD exits with nonzero
\t-exec CMD ARG + Run CMD with {} replaced by list of file names
\t-ok CMD ARG ;\tLike -exec, asking first
\t-delete\t\tDelete current file/directory. Turns on -depth option
\t-quit\t\tExit"""


class FindError(Exception):
    """A malformed expression (the message follows ``find: ``)."""


class _Quit(Exception):
    pass


@dataclass
class Visit:
    """The file being evaluated."""

    path: str
    name: str
    st: os.stat_result
    depth: int
    start: str
    pruned: bool = False


Test = Callable[[Visit], bool]


def _number_test(text: str, option: str) -> Callable[[float], bool]:
    """``+N`` (more than), ``-N`` (less than) or ``N`` (exactly)."""
    sign = text[:1] if text[:1] in "+-" else ""
    body = text[len(sign):]
    if not body.isdigit():
        raise FindError(f"invalid argument '{text}' to '{option}'")
    n = int(body)
    if sign == "+":
        return lambda value: value > n
    if sign == "-":
        return lambda value: value < n
    return lambda value: value == n


class _Parser:
    def __init__(self, finder: Finder, tokens: list[str]) -> None:
        self.f = finder
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        if self.pos >= len(self.tokens):
            raise FindError("invalid expression")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def argument(self, option: str) -> str:
        if self.pos >= len(self.tokens):
            raise FindError(f"{option} requires an argument")
        return self.take()

    def parse(self) -> Test:
        if self.peek() is None:
            return lambda v: True
        node = self.or_expr()
        if self.peek() is not None:
            raise FindError(f"unrecognized: {self.peek()}")
        return node

    def or_expr(self) -> Test:
        left = self.and_expr()
        while self.peek() in ("-o", "-or"):
            self.take()
            right = self.and_expr()
            left = (lambda a, b: lambda v: a(v) or b(v))(left, right)
        return left

    def and_expr(self) -> Test:
        left = self.not_expr()
        while True:
            token = self.peek()
            if token in ("-a", "-and"):
                self.take()
            elif token is None or token in ("-o", "-or", ")"):
                return left
            right = self.not_expr()
            left = (lambda a, b: lambda v: a(v) and b(v))(left, right)

    def not_expr(self) -> Test:
        if self.peek() in ("!", "-not"):
            self.take()
            inner = self.not_expr()
            return lambda v: not inner(v)
        return self.primary()

    def primary(self) -> Test:
        token = self.take()
        if token == "(":
            node = self.or_expr()
            if self.peek() != ")":
                raise FindError("unmatched (")
            self.take()
            return node
        method = getattr(self, "p_" + token.lstrip("-").replace("-", "_"), None) if token.startswith("-") else None
        if method is None:
            raise FindError(f"unrecognized: {token}")
        return method(token)

    # -- options (always true) ---------------------------------------------------------
    def _depth_argument(self, opt: str) -> int:
        value = self.argument(opt)
        if not value.isdigit():
            raise FindError(f"invalid argument '{value}' to '{opt}'")
        return int(value)

    def p_maxdepth(self, opt: str) -> Test:
        self.f.maxdepth = self._depth_argument(opt)
        return lambda v: True

    def p_mindepth(self, opt: str) -> Test:
        self.f.mindepth = self._depth_argument(opt)
        return lambda v: True

    def p_depth(self, opt: str) -> Test:
        self.f.depth_first = True
        return lambda v: True

    p_d = p_depth

    def p_xdev(self, opt: str) -> Test:
        self.f.xdev = True
        return lambda v: True

    p_mount = p_xdev

    def p_follow(self, opt: str) -> Test:
        self.f.follow = "L"
        return lambda v: True

    def p_true(self, opt: str) -> Test:
        return lambda v: True

    def p_false(self, opt: str) -> Test:
        return lambda v: False

    # -- tests -------------------------------------------------------------------------
    def _name(self, opt: str, icase: bool) -> Test:
        pattern = self.argument(opt)
        return lambda v: fnmatch(pattern, v.name, icase=icase)

    def p_name(self, opt: str) -> Test:
        return self._name(opt, False)

    def p_iname(self, opt: str) -> Test:
        return self._name(opt, True)

    def _path(self, opt: str, icase: bool) -> Test:
        pattern = self.argument(opt)
        return lambda v: fnmatch(pattern, v.path, icase=icase)

    def p_path(self, opt: str) -> Test:
        return self._path(opt, False)

    p_wholename = p_path

    def p_ipath(self, opt: str) -> Test:
        return self._path(opt, True)

    def _regex(self, opt: str, icase: bool) -> Test:
        pattern = self.argument(opt)
        try:
            regex = compile_regex(pattern.encode("utf-8", "surrogateescape"), icase=icase)
        except RegexError as exc:
            raise FindError(f"bad regex '{pattern}': {exc}") from None
        whole = regex.re

        def test(v: Visit) -> bool:
            data = v.path.encode("utf-8", "surrogateescape")
            return whole.fullmatch(data) is not None  # the regex must match the whole path

        return test

    def p_regex(self, opt: str) -> Test:
        return self._regex(opt, False)

    def p_iregex(self, opt: str) -> Test:
        return self._regex(opt, True)

    def p_type(self, opt: str) -> Test:
        kinds = self.argument(opt)
        checks = {"f": stat_mod.S_ISREG, "d": stat_mod.S_ISDIR, "l": stat_mod.S_ISLNK, "b": stat_mod.S_ISBLK,
                  "c": stat_mod.S_ISCHR, "s": stat_mod.S_ISSOCK, "p": stat_mod.S_ISFIFO}
        wanted = kinds.split(",")
        if not wanted or any(k not in checks for k in wanted):
            raise FindError(f"invalid argument '{kinds}' to '-type'")
        return lambda v: any(checks[k](v.st.st_mode) for k in wanted)

    def p_xtype(self, opt: str) -> Test:
        inner = self.p_type(opt)
        u = self.f.u

        def test(v: Visit) -> bool:
            try:
                st = u.stat(v.path, follow=self.f.follow != "L")
            except OSError:
                st = v.st
            return inner(Visit(v.path, v.name, st, v.depth, v.start))

        return test

    def p_executable(self, opt: str) -> Test:
        return lambda v: may_access(self.f.u, v.st, 1)

    def p_readable(self, opt: str) -> Test:
        return lambda v: may_access(self.f.u, v.st, 4)

    def p_writable(self, opt: str) -> Test:
        return lambda v: may_access(self.f.u, v.st, 2)

    def p_perm(self, opt: str) -> Test:
        text = self.argument(opt)
        kind = text[:1] if text[:1] in "-/+" else ""
        try:
            mode = parse_mode(text[len(kind):] or "0", 0)
        except ValueError:
            raise FindError(f"invalid mode '{text}'") from None
        if kind == "-":
            return lambda v: v.st.st_mode & mode == mode
        if kind in ("/", "+"):
            return lambda v: bool(v.st.st_mode & mode) or mode == 0
        return lambda v: v.st.st_mode & 0o7777 == mode

    def _time(self, opt: str, field: str, unit: float) -> Test:
        compare = _number_test(self.argument(opt), opt)
        now = self.f.now
        return lambda v: compare(math.floor((now - getattr(v.st, field)) / unit))

    def p_mtime(self, opt: str) -> Test:
        return self._time(opt, "st_mtime", 86400)

    def p_atime(self, opt: str) -> Test:
        return self._time(opt, "st_atime", 86400)

    def p_ctime(self, opt: str) -> Test:
        return self._time(opt, "st_ctime", 86400)

    def p_mmin(self, opt: str) -> Test:
        return self._time(opt, "st_mtime", 60)

    def p_amin(self, opt: str) -> Test:
        return self._time(opt, "st_atime", 60)

    def p_cmin(self, opt: str) -> Test:
        return self._time(opt, "st_ctime", 60)

    def _reference(self, opt: str) -> os.stat_result:
        path = self.argument(opt)
        try:
            return self.f.u.stat(path)
        except OSError as exc:
            raise FindError(f"{path}: {strerror(exc)}") from None

    def p_newer(self, opt: str) -> Test:
        ref = self._reference(opt)
        return lambda v: int(v.st.st_mtime) > int(ref.st_mtime)  # whole seconds, as busybox compares

    def p_samefile(self, opt: str) -> Test:
        ref = self._reference(opt)
        return lambda v: (v.st.st_dev, v.st.st_ino) == (ref.st_dev, ref.st_ino)

    def p_inum(self, opt: str) -> Test:
        compare = _number_test(self.argument(opt), opt)
        return lambda v: compare(v.st.st_ino)

    def p_links(self, opt: str) -> Test:
        compare = _number_test(self.argument(opt), opt)
        return lambda v: compare(v.st.st_nlink)

    def _owner(self, opt: str, group: bool) -> Test:
        name = self.argument(opt)
        kernel = self.f.u.proc.kernel
        if name.isdigit():
            wanted = int(name)
        elif group:
            found = next((gid for gid, (n, _) in kernel.groups().items() if n == name), None)
            if found is None:
                raise FindError(f"unknown group '{name}'")
            wanted = found
        else:
            entry = next((e for e in kernel.passwd() if e.name == name), None)
            if entry is None:
                raise FindError(f"unknown user '{name}'")
            wanted = entry.uid
        field = "st_gid" if group else "st_uid"
        return lambda v: getattr(v.st, field) == wanted

    def p_user(self, opt: str) -> Test:
        return self._owner(opt, False)

    def p_group(self, opt: str) -> Test:
        return self._owner(opt, True)

    def p_nouser(self, opt: str) -> Test:
        kernel = self.f.u.proc.kernel
        return lambda v: kernel.user_name(v.st.st_uid) is None

    def p_nogroup(self, opt: str) -> Test:
        kernel = self.f.u.proc.kernel
        return lambda v: kernel.group_name(v.st.st_gid) is None

    def p_size(self, opt: str) -> Test:
        text = self.argument(opt)
        units = {"c": 1, "w": 2, "b": 512, "k": 1024, "M": 1024**2, "G": 1024**3}
        unit = 512
        if text and text[-1] in units:
            unit = units[text[-1]]
            text = text[:-1]
        _number_test(text, opt)  # validates
        n = int(text.lstrip("+-"))
        if text.startswith("+"):
            return lambda v: v.st.st_size > n * unit
        if text.startswith("-"):
            return lambda v: v.st.st_size < n * unit
        return lambda v: v.st.st_size == n * unit  # busybox compares bytes, not rounded blocks

    def p_empty(self, opt: str) -> Test:
        u = self.f.u

        def test(v: Visit) -> bool:
            if stat_mod.S_ISREG(v.st.st_mode):
                return v.st.st_size == 0
            if stat_mod.S_ISDIR(v.st.st_mode):
                try:
                    return not u.fs.listdir(v.path, u.cwd)
                except OSError:
                    return False
            return False

        return test

    # -- actions -----------------------------------------------------------------------
    def p_prune(self, opt: str) -> Test:
        def prune(v: Visit) -> bool:
            v.pruned = True
            return True

        return prune

    def p_quit(self, opt: str) -> Test:
        def stop(v: Visit) -> bool:
            raise _Quit

        return stop

    def p_print(self, opt: str) -> Test:
        self.f.has_action = True
        return lambda v: self.f.emit(v.path.encode("utf-8", "surrogateescape") + b"\n")

    def p_print0(self, opt: str) -> Test:
        self.f.has_action = True
        return lambda v: self.f.emit(v.path.encode("utf-8", "surrogateescape") + b"\0")

    def p_ls(self, opt: str) -> Test:
        self.f.has_action = True
        return lambda v: self.f.emit(self.f.ls_line(v))

    def p_delete(self, opt: str) -> Test:
        self.f.has_action = True
        self.f.depth_first = True
        return self.f.delete

    def _command(self, opt: str) -> tuple[list[str], bool]:
        args: list[str] = []
        while True:
            if self.pos >= len(self.tokens):
                raise FindError(f"{opt} requires an argument")
            token = self.take()
            if token == ";":
                if not args:
                    raise FindError(f"{opt} requires an argument")
                return args, False
            if token == "+" and args and args[-1] == "{}":
                return args[:-1], True
            args.append(token)

    def p_exec(self, opt: str) -> Test:
        self.f.has_action = True
        command, batch = self._command(opt)
        if batch:
            group = self.f.new_batch(command)
            return lambda v: group.add(v.path)
        return lambda v: self.f.run([a.replace("{}", v.path) for a in command]) == 0

    def p_ok(self, opt: str) -> Test:
        self.f.has_action = True
        command, _ = self._command(opt)

        def ok(v: Visit) -> bool:
            argv = [a.replace("{}", v.path) for a in command]
            if not ask(self.f.u, "< " + " ".join(argv) + " >"):
                return False
            return self.f.run(argv) == 0

        return ok


class _Batch:
    """``-exec CMD {} +``: paths collected and run in groups."""

    LIMIT = 2000

    def __init__(self, finder: Finder, command: list[str]) -> None:
        self.finder = finder
        self.command = command
        self.paths: list[str] = []

    def add(self, path: str) -> bool:
        self.paths.append(path)
        if len(self.paths) >= self.LIMIT:
            self.flush()
        return True

    def flush(self) -> None:
        if self.paths:
            if self.finder.run([*self.command, *self.paths]) != 0:
                self.finder.u.status = 1
            self.paths = []


class Finder:
    """One run of find."""

    def __init__(self, u: Util, follow: str) -> None:
        self.u = u
        self.follow = follow  # "", "H" or "L"
        self.maxdepth: int | None = None
        self.mindepth = 0
        self.depth_first = False
        self.xdev = False
        self.has_action = False
        self.now = time.time()
        self.batches: list[_Batch] = []
        self.expr: Test = lambda v: True

    def emit(self, data: bytes) -> bool:
        self.u.out.write(data)
        return True

    def new_batch(self, command: list[str]) -> _Batch:
        batch = _Batch(self, command)
        self.batches.append(batch)
        return batch

    def run(self, argv: list[str]) -> int:
        u = self.u

        def report(exc: ExecError) -> None:
            u.error(f"{argv[0]}: {exec_reason(exc)}")

        return run_child(u, argv, report).shell_status

    def delete(self, v: Visit) -> bool:
        u = self.u
        if v.path in (".", ".."):
            return True
        try:
            if stat_mod.S_ISDIR(v.st.st_mode) and not stat_mod.S_ISLNK(v.st.st_mode):
                u.fs.rmdir(v.path, u.cwd)
            else:
                u.fs.unlink(v.path, u.cwd)
        except OSError as exc:
            u.warn(f"cannot delete '{v.path}': {strerror(exc)}")
            return False
        return True

    def _link(self, v: Visit) -> str:
        try:
            return self.u.fs.readlink(v.path, self.u.cwd)
        except OSError:
            return ""

    def ls_line(self, v: Visit) -> bytes:
        st = v.st
        text = (
            f"{st.st_ino:9d} {(st.st_blocks + 1) // 2:6d} {mode_string(st.st_mode)} {st.st_nlink:3d} "
            f"{user_label(self.u.proc, st.st_uid):<8} {group_label(self.u.proc, st.st_gid):<8} {st.st_size:8d} "
            f"{time.strftime('%b %e %H:%M', time.gmtime(st.st_mtime))} {v.path}"
        )
        if stat_mod.S_ISLNK(st.st_mode):
            text += f" -> {self._link(v)}"
        return text.encode("utf-8", "surrogateescape") + b"\n"

    def _stat(self, path: str, top: bool) -> os.stat_result:
        u = self.u
        if self.follow == "L" or (self.follow == "H" and top):
            try:
                return u.stat(path)
            except OSError:
                return u.lstat(path)  # a dangling link is still listed
        return u.lstat(path)

    def walk(self, path: str, depth: int, start: str, ancestors: tuple[tuple[int, int], ...], root_dev: int | None) -> None:
        u = self.u
        u.check()
        try:
            st = self._stat(path, depth == 0)
        except OSError as exc:
            u.warn(f"{path}: {strerror(exc)}")
            return
        name = path.rstrip("/").rsplit("/", 1)[-1] or "/"
        visit = Visit(path, name, st, depth, start)
        if not self.depth_first and depth >= self.mindepth:
            self.expr(visit)
        is_dir = stat_mod.S_ISDIR(st.st_mode)
        if is_dir and not visit.pruned and (self.maxdepth is None or depth < self.maxdepth):
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                u.warn(f"File system loop detected; '{path}' is part of the same file system loop as '{start}'.")
            elif not (self.xdev and root_dev is not None and st.st_dev != root_dev):
                for child in u.dir_names(path):
                    self.walk(join(path, child) if path != "/" else "/" + child, depth + 1, start, (*ancestors, key), root_dev)
        if self.depth_first and depth >= self.mindepth:
            self.expr(visit)


@utility("find", usage=_USAGE)
def find(u: Util, argv: list[str]) -> int:
    """find [-HL] [PATH]... [EXPRESSION]."""
    args = argv[1:]
    follow = ""
    while args and args[0] in ("-H", "-L", "-P"):
        follow = args.pop(0)[1] if args[0] != "-P" else ""
    paths: list[str] = []
    while args and not (args[0].startswith("-") and len(args[0]) > 1) and args[0] not in ("(", "!", ")"):
        paths.append(args.pop(0))
    finder = Finder(u, follow)
    parser = _Parser(finder, args)
    try:
        expr = parser.parse()
    except FindError as exc:
        message = str(exc)
        if message.startswith("unrecognized:"):
            u.usage_error(message)
        u.fail(message)
    if not finder.has_action:
        finder.expr = lambda v: (expr(v) and finder.emit(v.path.encode("utf-8", "surrogateescape") + b"\n"))
    else:
        finder.expr = expr
    try:
        for path in paths or ["."]:
            try:
                root_dev = u.stat(path).st_dev if finder.xdev else None
            except OSError:
                root_dev = None
            finder.walk(path, 0, path, (), root_dev)
    except _Quit:
        pass
    for batch in finder.batches:
        batch.flush()
    return u.status
