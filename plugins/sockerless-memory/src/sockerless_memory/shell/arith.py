"""Shell arithmetic: C-like integer expressions on signed 64-bit values.

An expression is parsed once into a tree of closures (cached by its text), so loops
that evaluate ``$((i+1))`` thousands of times only pay for the evaluation. Variables
are read and written through an :class:`ArithEnv` (the shell).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from .errors import ArithError

MASK = (1 << 64) - 1
SIGN = 1 << 63


class ArithEnv(Protocol):
    """What arithmetic needs from the shell."""

    def get_var(self, name: str) -> str | None: ...

    def set_var(self, name: str, value: str) -> None: ...

    def arith_var(self, name: str, index: int | None) -> int: ...

    def arith_assign(self, name: str, index: int | None, value: int) -> None: ...

    bash: bool
    """bash short-circuits ``&&``, ``||`` and ``?:``; busybox's ash evaluates every operand."""


Eval = Callable[[ArithEnv], int]


def wrap(value: int) -> int:
    """Reduce to a signed 64-bit integer, as C arithmetic wraps."""
    value &= MASK
    return value - (1 << 64) if value & SIGN else value


_TOKEN = re.compile(
    r"\s*(?:(?P<num>[0-9][0-9A-Za-z_@#]*)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*=|<<=|>>=|\*\*|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|[-+*/%&|^!~<>=?:,()\[\]]))"
)
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@_"


def parse_number(text: str) -> int:
    """A numeric constant: decimal, ``0x`` hex, ``0`` octal or ``base#digits``."""
    try:
        if "#" in text:
            base_text, _, digits = text.partition("#")
            base = int(base_text)
            if not 2 <= base <= 64 or not digits:
                raise ValueError
            value = 0
            for ch in digits:
                d = _DIGITS.index(ch) if base > 36 else int(ch, 36)
                if d >= base:
                    raise ValueError
                value = value * base + d
            return wrap(value)
        if text[:2] in ("0x", "0X"):
            return wrap(int(text[2:], 16))
        if len(text) > 1 and text[0] == "0":
            return wrap(int(text, 8))
        return wrap(int(text, 10))
    except ValueError:
        raise ArithError("arithmetic syntax error") from None


class _Parser:
    """Precedence climbing over the token list; produces closures."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos, n = 0, len(text)
        while pos < n:
            m = _TOKEN.match(text, pos)
            if m is None:
                if text[pos:].strip() == "":
                    break
                raise ArithError("arithmetic syntax error")
            pos = m.end()
            kind = m.lastgroup
            assert kind is not None
            self.tokens.append((kind, m.group(kind)))
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        """The next token."""
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take_op(self, *ops: str) -> str | None:
        """Consume one of ``ops`` if it is next."""
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in ops:
            self.i += 1
            return tok[1]
        return None

    def parse(self) -> Eval:
        """The whole expression."""
        if not self.tokens:
            return _zero
        node = self.comma()
        if self.i != len(self.tokens):
            raise ArithError("arithmetic syntax error")
        return node

    def comma(self) -> Eval:
        """``a, b``."""
        node = self.assign()
        while self.take_op(","):
            left, right = node, self.assign()
            node = _seq(left, right)
        return node

    def assign(self) -> Eval:
        """``x = e``, ``x op= e``."""
        start = self.i
        tok = self.peek()
        if tok is not None and tok[0] == "name":
            target = self.lvalue()
            op = self.take_op("=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|=", "**=")
            if op is not None:
                value = self.assign()
                return _assignment(target, op, value)
            self.i = start
        return self.ternary()

    def ternary(self) -> Eval:
        """``c ? a : b``."""
        cond = self.binary(0)
        if self.take_op("?"):
            yes = self.comma()
            if not self.take_op(":"):
                raise ArithError("malformed ?: operator")
            no = self.ternary()
            return _choice(cond, yes, no)
        return cond

    def binary(self, level: int) -> Eval:
        """Binary operators of precedence ``level`` and above."""
        if level == len(_LEVELS):
            return self.power()
        ops = _LEVELS[level]
        node = self.binary(level + 1)
        while True:
            op = self.take_op(*ops)
            if op is None:
                return node
            right = self.binary(level + 1)
            node = _binary(op, node, right)

    def unary(self) -> Eval:
        """Prefix operators."""
        op = self.take_op("-", "+", "!", "~", "++", "--")
        if op is None:
            return self.postfix()
        if op in ("++", "--"):
            target = self.lvalue()
            delta = 1 if op == "++" else -1
            return _pre_incdec(target, delta)
        operand = self.unary()
        if op == "-":
            return lambda env: wrap(-operand(env))
        if op == "+":
            return operand
        if op == "!":
            return lambda env: 0 if operand(env) else 1
        return lambda env: ~operand(env)

    def power(self) -> Eval:
        """``a ** b``."""
        # unary operators bind tighter than **, which is right associative (as in bash and busybox)
        base = self.unary()
        if self.take_op("**"):
            return _power(base, self.power())
        return base

    def postfix(self) -> Eval:
        """Numbers, variables (with ``++``/``--``) and parentheses."""
        tok = self.peek()
        if tok is None:
            raise ArithError("arithmetic syntax error")
        kind, text = tok
        if kind == "num":
            self.i += 1
            value = parse_number(text)
            return lambda env: value
        if kind == "name":
            target = self.lvalue()
            op = self.take_op("++", "--")
            if op is not None:
                return _post_incdec(target, 1 if op == "++" else -1)
            return _reader(target)
        if self.take_op("("):
            node = self.comma()
            if not self.take_op(")"):
                raise ArithError("arithmetic syntax error")
            return node
        raise ArithError("arithmetic syntax error")

    def lvalue(self) -> tuple[str, Eval | None]:
        """A variable (or array element) reference."""
        kind, text = self.tokens[self.i]
        if kind != "name":
            raise ArithError("arithmetic syntax error")
        self.i += 1
        index = None
        if self.take_op("["):
            index = self.comma()
            if not self.take_op("]"):
                raise ArithError("arithmetic syntax error")
        return text, index


_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", "<=", ">", ">="), ("<<", ">>"),
    ("+", "-"), ("*", "/", "%"),
)


def _zero(env: ArithEnv) -> int:
    return 0


def _seq(left: Eval, right: Eval) -> Eval:
    def run(env: ArithEnv) -> int:
        left(env)
        return right(env)

    return run


def _reader(target: tuple[str, Eval | None]) -> Eval:
    name, index = target
    if index is None:
        return lambda env: env.arith_var(name, None)
    return lambda env: env.arith_var(name, index(env))


def _div(a: int, b: int) -> int:
    if b == 0:
        raise ArithError("divide by zero")
    q = abs(a) // abs(b)
    return wrap(q if (a >= 0) == (b >= 0) else -q)


def _mod(a: int, b: int) -> int:
    if b == 0:
        raise ArithError("divide by zero")
    r = abs(a) % abs(b)
    return r if a >= 0 else -r


def _pow(a: int, b: int) -> int:
    if b < 0:
        raise ArithError("exponent less than 0")
    return wrap(pow(a, b, 1 << 64))


def _shl(a: int, b: int) -> int:
    return wrap(a << (b & 63))


def _shr(a: int, b: int) -> int:
    return a >> (b & 63)


_OPS: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: wrap(a + b),
    "-": lambda a, b: wrap(a - b),
    "*": lambda a, b: wrap(a * b),
    "/": _div,
    "%": _mod,
    "**": _pow,
    "<<": _shl,
    ">>": _shr,
    "&": lambda a, b: a & b,
    "|": lambda a, b: a | b,
    "^": lambda a, b: a ^ b,
    "<": lambda a, b: int(a < b),
    "<=": lambda a, b: int(a <= b),
    ">": lambda a, b: int(a > b),
    ">=": lambda a, b: int(a >= b),
    "==": lambda a, b: int(a == b),
    "!=": lambda a, b: int(a != b),
}


def _choice(cond: Eval, yes: Eval, no: Eval) -> Eval:
    def run(env: ArithEnv) -> int:
        if env.bash:
            return yes(env) if cond(env) else no(env)
        taken = cond(env)
        a, b = yes(env), no(env)  # ash evaluates both branches (side effects and errors too)
        return a if taken else b

    return run


def _logical(op: str, left: Eval, right: Eval) -> Eval:
    both = op == "&&"

    def run(env: ArithEnv) -> int:
        a = left(env)
        if env.bash and bool(a) != both:
            return int(not both)
        b = right(env)  # ash evaluates the right operand even when the left decides
        return int(bool(a and b)) if both else int(bool(a or b))

    return run


def _binary(op: str, left: Eval, right: Eval) -> Eval:
    if op == "&&" or op == "||":
        return _logical(op, left, right)
    func = _OPS[op]
    if op == "+":
        return lambda env: wrap(left(env) + right(env))
    if op == "-":
        return lambda env: wrap(left(env) - right(env))
    if op == "<":
        return lambda env: 1 if left(env) < right(env) else 0
    return lambda env: func(left(env), right(env))


def _power(base: Eval, exponent: Eval) -> Eval:
    return lambda env: _pow(base(env), exponent(env))


def _assignment(target: tuple[str, Eval | None], op: str, value: Eval) -> Eval:
    name, index = target
    func = _OPS.get(op[:-1]) if op != "=" else None

    def run(env: ArithEnv) -> int:
        idx = index(env) if index is not None else None
        if func is None:
            result = value(env)
        else:
            result = func(env.arith_var(name, idx), value(env))
        env.arith_assign(name, idx, result)
        return result

    return run


def _pre_incdec(target: tuple[str, Eval | None], delta: int) -> Eval:
    name, index = target

    def run(env: ArithEnv) -> int:
        idx = index(env) if index is not None else None
        result = wrap(env.arith_var(name, idx) + delta)
        env.arith_assign(name, idx, result)
        return result

    return run


def _post_incdec(target: tuple[str, Eval | None], delta: int) -> Eval:
    name, index = target

    def run(env: ArithEnv) -> int:
        idx = index(env) if index is not None else None
        old = env.arith_var(name, idx)
        env.arith_assign(name, idx, wrap(old + delta))
        return old

    return run


_compiled: dict[str, Eval] = {}


def compile_expr(text: str) -> Eval:
    """The evaluator of an expression (cached by text)."""
    func = _compiled.get(text)
    if func is None:
        func = _Parser(text).parse()
        if len(_compiled) > 4096:
            _compiled.clear()
        _compiled[text] = func
    return func


def evaluate(env: ArithEnv, text: str) -> int:
    """Evaluate ``text`` in ``env``."""
    return compile_expr(text)(env)


def value_of(env: ArithEnv, text: str | None, depth: int = 0) -> int:
    """The numeric value of a variable's text (itself an expression when not a plain number)."""
    if not text:
        return 0
    if text.isdigit() and (text[0] != "0" or len(text) == 1) and text.isascii():
        return wrap(int(text))
    stripped = text.strip()
    if not stripped:
        return 0
    if depth > 32:
        raise ArithError("expression recursion level exceeded")
    return compile_expr(stripped)(env)
