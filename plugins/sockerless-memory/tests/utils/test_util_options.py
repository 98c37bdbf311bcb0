"""The busybox/getopt-style option parser."""

from __future__ import annotations

import pytest
from sockerless_memory.utils.options import OptionError, getopt


def test_clustered_flags_and_attached_argument() -> None:
    opts, operands = getopt(["-abn5", "file"], "abn:")
    assert "a" in opts and "b" in opts
    assert opts.get("n") == "5"
    assert operands == ["file"]


def test_separate_argument_and_repeats() -> None:
    opts, operands = getopt(["-e", "x", "-e", "y", "-vv", "f"], "e:v")
    assert opts.all("e") == ["x", "y"]
    assert opts.count("v") == 2
    assert operands == ["f"]


def test_permutation_and_double_dash() -> None:
    opts, operands = getopt(["f1", "-l", "f2", "--", "-x"], "l")
    assert "l" in opts
    assert operands == ["f1", "f2", "-x"]


def test_plus_stops_at_first_operand() -> None:
    opts, operands = getopt(["-i", "cmd", "-l"], "+il")
    assert "i" in opts and "l" not in opts
    assert operands == ["cmd", "-l"]


def test_lone_dash_is_an_operand() -> None:
    _, operands = getopt(["-", "-n", "3"], "n:")
    assert operands == ["-"]


def test_optional_argument_only_attached() -> None:
    opts, operands = getopt(["-i.bak", "-i", "x"], "i::")
    assert opts.all("i") == [".bak"]
    assert opts.count("i") == 2
    assert operands == ["x"]


def test_long_options_with_values_and_prefixes() -> None:
    longs = {"lines=": "n", "quiet": "q", "color=?": "color"}
    opts, _ = getopt(["--lines=4", "--qui", "--color"], "n:q", longs)
    assert opts.get("n") == "4" and "q" in opts and "color" in opts
    opts, _ = getopt(["--lines", "7"], "n:", longs)
    assert opts.get("n") == "7"


def test_order_of_options_is_kept() -> None:
    opts, _ = getopt(["-1", "-l", "-C"], "1lC")
    assert opts.last_of("1lC") == "C"
    assert [k for k, _ in opts.seen] == ["1", "l", "C"]


@pytest.mark.parametrize(
    ("args", "spec", "longs", "message"),
    [
        (["-z"], "ab", None, "unrecognized option: z"),
        (["-n"], "n:", None, "option requires an argument: n"),
        (["--zz"], "a", None, "unrecognized option: zz"),
        (["--bogus"], "a", {"all": "a"}, "unrecognized option: bogus"),
        (["--lines"], "n:", {"lines=": "n"}, "option requires an argument: lines"),
        (["--all=3"], "a", {"all": "a"}, "option does not take an argument: all"),
        (["--co"], "", {"color": "c", "count": "n"}, "option is ambiguous: co"),
    ],
)
def test_errors_use_musl_wording(args, spec, longs, message) -> None:
    with pytest.raises(OptionError) as info:
        getopt(args, spec, longs)
    assert str(info.value) == message
