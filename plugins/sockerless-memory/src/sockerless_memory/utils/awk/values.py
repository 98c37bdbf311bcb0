"""AWK values: numbers, strings and "strnums" (input that looks numeric), and their conversions.

Numbers are Python floats, strings are ``str`` holding one character per byte (latin-1),
and :class:`StrNum` marks strings that came from input (fields, ``getline``, ``split``,
``ARGV``, ``ENVIRON``, ``-v``): they compare as numbers when they look like numbers.
"""

from __future__ import annotations

import functools
import math
import re

from ..regex import Regex, RegexError, translate

_LEADING_NUMBER = re.compile(r"[ \t\n\r\f\v]*([+-]?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_WHOLE_NUMBER = re.compile(r"[ \t\n\r\f\v]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[ \t\n\r\f\v]*\Z")
_INF_NAN = re.compile(r"[ \t\n\r\f\v]*([+-])(inf|nan)", re.I)


class StrNum(str):
    """A string from input; ``num`` is its numeric value when the whole string looks numeric."""

    __slots__ = ("num",)

    def __new__(cls, text: str) -> StrNum:
        obj = super().__new__(cls, text)
        obj.num = float(text) if _WHOLE_NUMBER.match(text) else None
        return obj


UNINIT = StrNum("")
UNINIT.num = 0.0  # an unset variable is both "" and 0


def to_num(value) -> float:
    """The numeric value (``strtod`` of the leading part of a string)."""
    if isinstance(value, float):
        return value
    if isinstance(value, StrNum) and value.num is not None:
        return value.num
    m = _LEADING_NUMBER.match(value)
    if m:
        number = m.group(1)
        if "x" in number or "X" in number:  # strtod reads hexadecimal too
            return float(int(number.replace("x", "X").split("X")[1], 16)) * (-1 if number.startswith("-") else 1)
        return float(number)
    m = _INF_NAN.match(value)
    if m:
        return float(m.group(1) + m.group(2))
    return 0.0


def number_to_str(value: float, fmt: str) -> str:
    """A number as AWK prints it: integral values as integers, others with ``fmt`` (CONVFMT/OFMT)."""
    if math.isnan(value):
        return "-nan" if math.copysign(1, value) < 0 else "nan"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    if value == int(value) and -(2 ** 63) <= value < 2 ** 63:  # what fits a C long long prints as one
        return str(int(value))
    return format_number(fmt, value)


def format_number(fmt: str, value: float) -> str:
    """``sprintf(fmt, value)`` for a CONVFMT/OFMT-style format."""
    try:
        return fmt % value
    except (TypeError, ValueError):
        return f"{value:.6g}"


def to_str(value, convfmt: str = "%.6g") -> str:
    """The string value."""
    if isinstance(value, float):
        return number_to_str(value, convfmt)
    return value


def is_numeric(value) -> bool:
    """True for numbers and for strnums that look numeric (they compare numerically)."""
    if isinstance(value, float):
        return True
    return isinstance(value, StrNum) and value.num is not None


def truth(value) -> bool:
    """AWK's truth: non-zero numbers, non-empty strings; a numeric-looking strnum by its value."""
    if isinstance(value, float):
        return value != 0.0
    if isinstance(value, StrNum) and value.num is not None:
        return value.num != 0.0
    return value != ""


def compare(a, b) -> int:
    """-1, 0 or 1: numerically when both sides are numeric, else as strings (bytes)."""
    if is_numeric(a) and is_numeric(b):
        x, y = to_num(a), to_num(b)
    else:
        x, y = to_str(a), to_str(b)
    return -1 if x < y else 1 if x > y else 0


@functools.lru_cache(maxsize=512)
def awk_regex(source: str) -> Regex:
    """An ERE (dynamic or literal) compiled over latin-1 text; raises :class:`RegexError`."""
    python, alternation = translate(source, extended=True)
    try:
        compiled = re.compile(python, re.DOTALL)
    except re.error as exc:
        raise RegexError(str(exc)) from None
    return Regex(source.encode("latin-1", "replace"), compiled, alternation)
