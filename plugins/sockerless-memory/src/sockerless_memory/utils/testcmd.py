"""test and [: evaluate conditional expressions (also the shell's builtins).

The grammar is the traditional one (``-o`` binds looser than ``-a``, ``!`` and
parentheses), with POSIX's rules for one to four arguments applied first so that
``test ! = x`` and ``[ "$a" = "$b" ]`` mean what POSIX says whatever the operands are.
"""

from __future__ import annotations

import os
import stat as stat_mod
from collections.abc import Callable

from .common import Util, utility

UNARY = set("bcdefghkLnprsStuwxzGO")
BINARY = {"=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef"}
_I64 = 1 << 63


class TestError(Exception):
    """A syntax or number error: status 2 with the message."""


def may_access(u: Util, st: os.stat_result, want: int) -> bool:
    """Permission check of the process's credentials against a stat (``want`` is 4, 2 or 1)."""
    creds = u.proc.creds
    mode = st.st_mode
    if creds.uid == 0:
        if want == 1:
            return stat_mod.S_ISDIR(mode) or bool(mode & 0o111)
        return True
    if st.st_uid == creds.uid:
        bits = (mode >> 6) & 7
    elif st.st_gid == creds.gid or st.st_gid in creds.groups:
        bits = (mode >> 3) & 7
    else:
        bits = mode & 7
    return bool(bits & want)


class _Evaluator:
    def __init__(self, u: Util, args: list[str]) -> None:
        self.u = u
        self.args = args
        self.pos = 0

    # -- primitives ------------------------------------------------------------------
    def integer(self, text: str) -> int:
        body = text.strip(" \t\n")
        digits = body[1:] if body[:1] in "+-" else body
        if not digits.isdigit() or not digits.isascii():
            raise TestError(f"{text}: bad number")
        value = int(body)
        if not -_I64 <= value < _I64:
            raise TestError(f"{text}: out of range")
        return value

    def _stat(self, path: str, follow: bool = True) -> os.stat_result | None:
        try:
            return self.u.stat(path, follow=follow)
        except (OSError, ValueError):
            return None

    def unary(self, op: str, arg: str) -> bool:
        if op == "n":
            return arg != ""
        if op == "z":
            return arg == ""
        if op == "t":
            fd = self.integer(arg)
            file = self.u.proc.fds.get(fd)
            return file is not None and file.isatty()
        if op in "hL":
            st = self._stat(arg, follow=False)
            return st is not None and stat_mod.S_ISLNK(st.st_mode)
        st = self._stat(arg)
        if st is None:
            return False
        checks: dict[str, Callable[[os.stat_result], bool]] = {
            "e": lambda s: True,
            "f": lambda s: stat_mod.S_ISREG(s.st_mode),
            "d": lambda s: stat_mod.S_ISDIR(s.st_mode),
            "b": lambda s: stat_mod.S_ISBLK(s.st_mode),
            "c": lambda s: stat_mod.S_ISCHR(s.st_mode),
            "p": lambda s: stat_mod.S_ISFIFO(s.st_mode),
            "S": lambda s: stat_mod.S_ISSOCK(s.st_mode),
            "s": lambda s: s.st_size > 0,
            "g": lambda s: bool(s.st_mode & stat_mod.S_ISGID),
            "u": lambda s: bool(s.st_mode & stat_mod.S_ISUID),
            "k": lambda s: bool(s.st_mode & stat_mod.S_ISVTX),
            "r": lambda s: may_access(self.u, s, 4),
            "w": lambda s: may_access(self.u, s, 2),
            "x": lambda s: may_access(self.u, s, 1),
            "O": lambda s: s.st_uid == self.u.proc.creds.uid,
            "G": lambda s: s.st_gid == self.u.proc.creds.gid,
        }
        return checks[op](st)

    def binary(self, left: str, op: str, right: str) -> bool:
        if op in ("=", "=="):
            return left == right
        if op == "!=":
            return left != right
        if op == "<":
            return left.encode("utf-8", "surrogateescape") < right.encode("utf-8", "surrogateescape")
        if op == ">":
            return left.encode("utf-8", "surrogateescape") > right.encode("utf-8", "surrogateescape")
        if op in ("-nt", "-ot", "-ef"):
            a, b = self._stat(left), self._stat(right)
            if op == "-ef":
                return a is not None and b is not None and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
            if op == "-nt":
                return a is not None and (b is None or a.st_mtime_ns > b.st_mtime_ns)
            return b is not None and (a is None or a.st_mtime_ns < b.st_mtime_ns)
        x, y = self.integer(left), self.integer(right)
        return {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y, "-gt": x > y, "-ge": x >= y}[op]

    # -- POSIX fixed-count rules -----------------------------------------------------
    def evaluate(self) -> bool:
        args = self.args
        n = len(args)
        if n == 0:
            return False
        if n == 1:
            return args[0] != ""
        if n == 2:
            if args[0] == "!":
                return args[1] == ""
            if args[0].startswith("-") and args[0][1:] in UNARY and len(args[0]) == 2:
                return self.unary(args[0][1], args[1])
        if n == 3:
            if args[1] in BINARY:
                return self.binary(args[0], args[1], args[2])
            if args[1] in ("-a", "-o"):
                left, right = args[0] != "", args[2] != ""
                return (left and right) if args[1] == "-a" else (left or right)
            if args[0] == "!":
                return not _Evaluator(self.u, args[1:]).evaluate()
            if args[0] == "(" and args[2] == ")":
                return args[1] != ""
        if n == 4 and args[0] == "!":
            return not _Evaluator(self.u, args[1:]).evaluate()
        if n == 4 and args[0] == "(" and args[3] == ")":
            return _Evaluator(self.u, args[1:3]).evaluate()
        result = self.oexpr()
        if self.pos < n:
            raise TestError(f"{args[self.pos]}: unknown operand")
        return result

    # -- general grammar -------------------------------------------------------------
    def peek(self) -> str | None:
        return self.args[self.pos] if self.pos < len(self.args) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise TestError("argument expected")
        self.pos += 1
        return token

    def oexpr(self) -> bool:
        result = self.aexpr()
        while self.peek() == "-o":
            self.pos += 1
            right = self.aexpr()
            result = result or right
        return result

    def aexpr(self) -> bool:
        result = self.nexpr()
        while self.peek() == "-a":
            self.pos += 1
            right = self.nexpr()
            result = result and right
        return result

    def nexpr(self) -> bool:
        if self.peek() == "!":
            self.pos += 1
            return not self.nexpr()
        return self.primary()

    def primary(self) -> bool:
        token = self.take()
        if token == "(" and self.pos < len(self.args):
            result = self.oexpr()
            if self.peek() != ")":
                raise TestError("closing paren expected")
            self.pos += 1
            return result
        if len(token) == 2 and token[0] == "-" and token[1] in UNARY and self.pos < len(self.args):
            return self.unary(token[1], self.take())
        nxt = self.peek()
        if nxt in BINARY:
            self.pos += 1
            if self.pos >= len(self.args):
                raise TestError(f"{nxt}: argument expected")
            return self.binary(token, nxt, self.take())
        return token != ""


def run_test(u: Util, args: list[str]) -> int:
    """Exit status of ``test ARGS``: 0 true, 1 false, 2 error."""
    try:
        return 0 if _Evaluator(u, args).evaluate() else 1
    except TestError as exc:
        u.error(str(exc))
        return 2


@utility("test", "[", usage="test EXPRESSION ]\n\nCheck file types, compare values etc. Return a 0/1 exit code\ndepending on logical value of EXPRESSION")
def test(u: Util, argv: list[str]) -> int:
    """test EXPRESSION / [ EXPRESSION ]."""
    args = argv[1:]
    if u.name == "[":
        if not args or args[-1] != "]":
            u.error("missing ]")
            return 2
        args = args[:-1]
    return run_test(u, args)
