"""Evaluation of ``[[ expression ]]``: patterns, regexes, string/number comparisons, file tests."""

from __future__ import annotations

import os
import re
import stat as st
from typing import TYPE_CHECKING

from . import pattern as pat
from .ast import CondBinary, CondExpr, CondLogic, CondUnary, CondWord
from .variables import Array

if TYPE_CHECKING:
    from .shell import Shell


class CondError(Exception):
    """An invalid ``[[ ]]`` operand: the command fails with status 2."""


def evaluate(sh: Shell, expr: CondExpr, trace: bool = False, negated: int = 0) -> bool:
    """Truth value of a ``[[ ]]`` expression; with ``trace`` each test is shown as bash does."""
    t = type(expr)
    if t is CondLogic:
        op = expr.op  # type: ignore[union-attr]
        if op == "!":
            return not evaluate(sh, expr.left, trace, negated + 1)  # type: ignore[union-attr]
        left = evaluate(sh, expr.left, trace, negated)  # type: ignore[union-attr]
        if left == (op == "||"):
            return left
        return evaluate(sh, expr.right, trace, negated)  # type: ignore[union-attr, arg-type]
    if t is CondWord:
        value = sh.expand_str(expr.word)  # type: ignore[union-attr]
        if trace:
            _show(sh, negated, "-n", value)
        return value != ""
    if t is CondUnary:
        value = sh.expand_str(expr.operand.word)  # type: ignore[union-attr]
        if trace:
            _show(sh, negated, expr.op, value)  # type: ignore[union-attr]
        return _unary(sh, expr.op, value)  # type: ignore[union-attr]
    assert isinstance(expr, CondBinary)
    return _binary(sh, expr, trace, negated)


def _show(sh: Shell, negated: int, *words: str) -> None:
    shown = ["!"] * negated + [w if w else "''" for w in words]
    sh.trace(["[[", *shown, "]]"], raw=True)


def _binary(sh: Shell, expr: CondBinary, trace: bool, negated: int) -> bool:
    op = expr.op
    left = sh.expand_str(expr.left.word)
    if op in ("==", "=", "!="):
        pattern = sh.expand_pattern(expr.right.word)
        if trace:
            _show(sh, negated, left, op, pattern)
        result = pat.match(pattern, left)
        return result if op != "!=" else not result
    if op == "=~":
        regex = sh.expand_regex(expr.right.word)
        if trace:
            _show(sh, negated, left, op, regex)
        return _regex(sh, left, regex)
    right = sh.expand_str(expr.right.word)
    if trace:
        _show(sh, negated, left, op, right)
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    if op in ("-nt", "-ot", "-ef"):
        a, b = _stat(sh, left), _stat(sh, right)
        if op == "-ef":
            return a is not None and b is not None and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
        if op == "-nt":
            return a is not None and (b is None or a.st_mtime_ns > b.st_mtime_ns)
        return b is not None and (a is None or a.st_mtime_ns < b.st_mtime_ns)
    x = sh.arith_eval(left) if left.strip() else 0
    y = sh.arith_eval(right) if right.strip() else 0
    return {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y, "-gt": x > y, "-ge": x >= y}[op]


def _regex(sh: Shell, text: str, regex: str) -> bool:
    try:
        rx = re.compile(_posix_classes(regex))
    except re.error as exc:
        raise CondError(f"invalid regular expression: {exc}") from None
    m = rx.search(text)
    if m is None:
        sh.vars.pop("BASH_REMATCH", None)
        return False
    groups = [m.group(0)] + [g if g is not None else "" for g in m.groups()]
    sh.vars["BASH_REMATCH"] = Array(enumerate(groups))
    return True


_POSIX_CLASS = re.compile(r"\[:(alpha|digit|alnum|upper|lower|space|blank|punct|print|graph|cntrl|xdigit):\]")
_CLASS_TEXT = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": r" \t\n\r\f\v", "blank": r" \t", "punct": r"!-/:-@\[-`{-~", "print": " -~", "graph": "!-~",
    "cntrl": r"\x00-\x1f\x7f", "xdigit": "0-9A-Fa-f",
}


def _posix_classes(regex: str) -> str:
    """ERE bracket classes such as ``[[:digit:]]`` in Python's syntax."""
    return _POSIX_CLASS.sub(lambda m: _CLASS_TEXT[m.group(1)], regex)


def _stat(sh: Shell, path: str, follow: bool = True) -> os.stat_result | None:
    if not path:
        return None
    try:
        return sh.fs.stat(path, sh.proc.cwd, follow=follow)
    except OSError:
        return None


def _unary(sh: Shell, op: str, arg: str) -> bool:
    if op == "-n":
        return arg != ""
    if op == "-z":
        return arg == ""
    if op == "-v":
        name, _, sub = arg.partition("[")
        if sub:
            return sh.array_get(name, sh.arith_eval(sub.rstrip("]"))) is not None
        return sh.is_set(arg)
    if op == "-o":
        return bool(getattr(sh.opts, arg, False)) if arg in sh.opts.__slots__ else False
    if op == "-t":
        try:
            file = sh.proc.fds.get(int(arg))
        except ValueError:
            return False
        return file is not None and file.isatty()
    if op in ("-h", "-L"):
        s = _stat(sh, arg, follow=False)
        return s is not None and st.S_ISLNK(s.st_mode)
    s = _stat(sh, arg)
    if s is None:
        return False
    mode = s.st_mode
    if op in ("-e", "-a"):
        return True
    if op == "-f":
        return st.S_ISREG(mode)
    if op == "-d":
        return st.S_ISDIR(mode)
    if op == "-s":
        return s.st_size > 0
    if op == "-b":
        return st.S_ISBLK(mode)
    if op == "-c":
        return st.S_ISCHR(mode)
    if op == "-p":
        return st.S_ISFIFO(mode)
    if op == "-S":
        return st.S_ISSOCK(mode)
    if op == "-g":
        return bool(mode & st.S_ISGID)
    if op == "-u":
        return bool(mode & st.S_ISUID)
    if op == "-k":
        return bool(mode & st.S_ISVTX)
    if op == "-O":
        return s.st_uid == sh.proc.creds.uid
    if op == "-G":
        return s.st_gid == sh.proc.creds.gid
    if op == "-N":
        return s.st_mtime_ns > s.st_atime_ns
    return _access(sh, s, {"-r": 4, "-w": 2, "-x": 1}[op])


def _access(sh: Shell, s: os.stat_result, bit: int) -> bool:
    creds = sh.proc.creds
    mode = s.st_mode
    if creds.uid == 0:
        if bit != 1:
            return True
        return st.S_ISDIR(mode) or bool(mode & 0o111)
    if s.st_uid == creds.uid:
        return bool(mode & (bit << 6))
    if s.st_gid == creds.gid or s.st_gid in creds.groups:
        return bool(mode & (bit << 3))
    return bool(mode & bit)
