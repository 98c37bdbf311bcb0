"""Unit tests of arithmetic evaluation and pattern matching."""

from __future__ import annotations

import pytest
from sockerless_memory.shell import arith, pattern
from sockerless_memory.shell.errors import ArithError


class Env:
    """A dictionary of variables standing in for the shell."""

    bash = True

    def __init__(self, **values: str) -> None:
        self.values = dict(values)

    def get_var(self, name: str) -> str | None:
        return self.values.get(name)

    def set_var(self, name: str, value: str) -> None:
        self.values[name] = value

    def arith_var(self, name: str, index: int | None) -> int:
        return arith.value_of(self, self.values.get(name))

    def arith_assign(self, name: str, index: int | None, value: int) -> None:
        self.values[name] = str(value)


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("1+2*3", 7), ("(1+2)*3", 9), ("7/2", 3), ("-7/2", -3), ("-7%3", -1), ("7%-3", 1),
        ("2**10", 1024), ("2**3**2", 512), ("-2**2", 4), ("1<<4", 16), ("-16>>2", -4),
        ("1<2", 1), ("2<=1", 0), ("3==3", 1), ("3!=3", 0), ("5&3", 1), ("5|3", 7), ("5^3", 6),
        ("~5", -6), ("!0", 1), ("!7", 0), ("1&&2", 1), ("0||0", 0), ("1?2:3", 2), ("0?2:3", 3),
        ("1?0?4:5:6", 5), ("1,2,3", 3), ("0x1F", 31), ("010", 8), ("16#ff", 255), ("2#101", 5),
        ("64#_", 63), ("9223372036854775807+1", -9223372036854775808), ("", 0), ("  ", 0),
        ("- - 3", 3), ("+3", 3),
    ],
)
def test_values(expr: str, value: int) -> None:
    assert arith.evaluate(Env(), expr) == value


def test_variables_and_assignment() -> None:
    env = Env(x="5", y="x", z="1+2")
    assert arith.evaluate(env, "x*2") == 10
    assert arith.evaluate(env, "y+1") == 6  # a variable holding a name is evaluated again
    assert arith.evaluate(env, "z*3") == 9  # ... and so is one holding an expression
    assert arith.evaluate(env, "x+=2") == 7 and env.values["x"] == "7"
    assert arith.evaluate(env, "x++") == 7 and env.values["x"] == "8"
    assert arith.evaluate(env, "--x") == 7
    assert arith.evaluate(env, "a=b=3") == 3 and env.values["a"] == env.values["b"] == "3"
    assert arith.evaluate(env, "unset+1") == 1


def test_short_circuit_skips_side_effects() -> None:
    env = Env(x="1")
    arith.evaluate(env, "0 && (x=5)")
    arith.evaluate(env, "1 || (x=6)")
    arith.evaluate(env, "1 ? 2 : (x=7)")
    assert env.values["x"] == "1"


@pytest.mark.parametrize(
    ("expr", "message"),
    [("1/0", "divide by zero"), ("1%0", "divide by zero"), ("1+", "arithmetic syntax error"),
     ("08", "arithmetic syntax error"), ("3a", "arithmetic syntax error"), ("1 = 2", "arithmetic syntax error"),
     ("2**-1", "exponent less than 0"), ("1?2", "malformed ?: operator"), ("(1", "arithmetic syntax error")],
)
def test_errors(expr: str, message: str) -> None:
    with pytest.raises(ArithError) as info:
        arith.evaluate(Env(), expr)
    assert info.value.message == message


def test_compiled_expressions_are_cached() -> None:
    assert arith.compile_expr("i+1") is arith.compile_expr("i+1")


@pytest.mark.parametrize(
    ("pat", "text", "matches"),
    [
        ("*", "", True), ("a*", "abc", True), ("a?c", "abc", True), ("a?c", "ac", False),
        ("[abc]", "b", True), ("[!abc]", "b", False), ("[^a]", "b", True), ("[a-c]x", "bx", True),
        ("[]]", "]", True), ("[!]]", "a", True), ("[[:digit:]]*", "1x", True), ("[[:alpha:]]", "1", False),
        ("\\*", "*", True), ("\\*", "a", False), ("[", "[", True), ("a[", "a[", True), ("*.[ch]", "x.h", True),
        ("a*b*c", "aXXbYYc", True), ("a*b*c", "aXXbYY", False), ("*/*", "a/b", True),
    ],
)
def test_pattern_match(pat: str, text: str, matches: bool) -> None:
    assert pattern.match(pat, text) is matches


def test_pattern_helpers() -> None:
    assert pattern.escape("a*b[c]") == "a\\*b\\[c\\]"
    assert pattern.has_magic("a*") and not pattern.has_magic("a\\*") and not pattern.has_magic("a[")
    assert pattern.unescape("a\\*b") == "a*b"
    assert pattern.remove_prefix("aXbXc", "*X", False) == "bXc"
    assert pattern.remove_prefix("aXbXc", "*X", True) == "c"
    assert pattern.remove_suffix("aXbXc", "X*", False) == "aXb"
    assert pattern.remove_suffix("aXbXc", "X*", True) == "a"
    assert pattern.replace("abcabc", "b", "X", "/") == "aXcabc"
    assert pattern.replace("abcabc", "b", "X", "//") == "aXcaXc"
    assert pattern.replace("abc", "a", "X", "/#") == "Xbc"
    assert pattern.replace("abc", "c", "X", "/%") == "abX"
    assert pattern.replace("abc", "*", "X", "//") == "X"
    assert pattern.replace("aXbXc", "X*", "-", "/") == "a-"
