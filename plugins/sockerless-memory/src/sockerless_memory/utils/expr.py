"""expr: evaluate an expression given as separate arguments (64-bit integers, strings, BRE ``:`` matching)."""

from __future__ import annotations

import re

from .common import Util, utility
from .regex import RegexError, compile_regex

_INTEGER = re.compile(r"-?\d+")
_I64 = 1 << 63


class ExprError(Exception):
    """Reported as ``expr: MESSAGE`` with status 2."""


def _wrap(value: int) -> int:
    """Two's complement 64-bit arithmetic, as the C implementation has."""
    return (value + _I64) % (1 << 64) - _I64


def _to_int(value: str | int) -> int | None:
    if isinstance(value, int):
        return value
    if _INTEGER.fullmatch(value):
        return max(-_I64, min(_I64 - 1, int(value)))  # strtoll clamps
    return None


def _null(value: str | int) -> bool:
    return value == "" or _to_int(value) == 0


class _Expr:
    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.pos = 0

    def peek(self) -> str | None:
        return self.args[self.pos] if self.pos < len(self.args) else None

    def take(self) -> str:
        if self.pos >= len(self.args):
            raise ExprError("syntax error")
        self.pos += 1
        return self.args[self.pos - 1]

    def parse(self) -> str | int:
        value = self.or_()
        if self.pos != len(self.args):
            raise ExprError("syntax error")
        return value

    def or_(self) -> str | int:
        left = self.and_()
        while self.peek() == "|":
            self.take()
            right = self.and_()
            left = left if not _null(left) else (right if not _null(right) else 0)
        return left

    def and_(self) -> str | int:
        left = self.compare()
        while self.peek() == "&":
            self.take()
            right = self.compare()
            left = left if not (_null(left) or _null(right)) else 0
        return left

    def compare(self) -> str | int:
        left = self.add()
        while self.peek() in ("<", "<=", "=", "==", "!=", ">=", ">"):
            op = self.take()
            right = self.add()
            a, b = _to_int(left), _to_int(right)
            if a is not None and b is not None:
                x, y = a, b
            else:
                x, y = str(left).encode("utf-8", "surrogateescape"), str(right).encode("utf-8", "surrogateescape")
            result = {"<": x < y, "<=": x <= y, "=": x == y, "==": x == y, "!=": x != y, ">=": x >= y, ">": x > y}[op]
            left = int(result)
        return left

    def _numbers(self, left: str | int, right: str | int) -> tuple[int, int]:
        a, b = _to_int(left), _to_int(right)
        if a is None or b is None:
            raise ExprError("non-numeric argument")
        return a, b

    def add(self) -> str | int:
        left = self.mul()
        while self.peek() in ("+", "-"):
            op = self.take()
            a, b = self._numbers(left, self.mul())
            left = _wrap(a + b if op == "+" else a - b)
        return left

    def mul(self) -> str | int:
        left = self.match()
        while self.peek() in ("*", "/", "%"):
            op = self.take()
            a, b = self._numbers(left, self.match())
            if op != "*" and b == 0:
                raise ExprError("division by zero")
            if op == "*":
                left = _wrap(a * b)
            else:
                quotient = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)  # C truncates toward zero
                left = _wrap(quotient) if op == "/" else _wrap(a - b * quotient)
        return left

    def match(self) -> str | int:
        left = self.primary()
        while self.peek() == ":":
            self.take()
            left = _regex_match(str(left), str(self.primary()))
        return left

    def primary(self) -> str | int:
        token = self.take()
        if token == "(":
            value = self.or_()
            if self.take() != ")":
                raise ExprError("syntax error")
            return value
        if token == "match":
            string, pattern = str(self.primary()), str(self.primary())
            return _regex_match(string, pattern)
        if token == "substr":
            string, start, length = str(self.primary()), self.primary(), self.primary()
            pos, count = _to_int(start), _to_int(length)
            if pos is None or count is None:
                raise ExprError("non-numeric argument")
            if pos < 1 or count < 1:
                return ""
            return string[pos - 1:pos - 1 + count]
        if token == "index":
            string, chars = str(self.primary()), str(self.primary())
            positions = [string.find(c) for c in chars if c in string]
            return min(positions) + 1 if positions else 0
        if token == "length":
            return len(str(self.primary()))
        if token == "quote":
            return self.take()
        if token in ("|", "&", "<", "<=", "=", "==", "!=", ">=", ">", "+", "-", "*", "/", "%", ":", ")") and (
            self.pos == len(self.args) or token == ")"
        ):
            raise ExprError("syntax error")
        return token


def _regex_match(string: str, pattern: str) -> str | int:
    try:
        regex = compile_regex(pattern.encode("utf-8", "surrogateescape"))
    except RegexError as exc:
        raise ExprError(f"bad regex '{pattern}': {exc}") from None
    data = string.encode("utf-8", "surrogateescape")
    m = regex.re.match(data)
    if regex.groups:
        if m is None:
            return ""
        if m.group(1) is None:
            return len(m.group(0).decode("utf-8", "surrogateescape"))  # the group took no part: busybox gives the length
        return m.group(1).decode("utf-8", "surrogateescape")
    if m is None:
        return 0
    return len(data[: m.end()].decode("utf-8", "surrogateescape"))


@utility("expr", usage="expr EXPRESSION\n\nPrint the value of EXPRESSION to stdout")
def expr(u: Util, argv: list[str]) -> int:
    """expr EXPRESSION: 0 when the value is neither null nor 0, 1 when it is, 2 on error."""
    args = argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        u.fail("too few arguments", 2)
    try:
        value = _Expr(args).parse()
    except ExprError as exc:
        u.fail(str(exc), 2)
    u.out.write(str(value).encode("utf-8", "surrogateescape") + b"\n")
    return 1 if _null(value) else 0
