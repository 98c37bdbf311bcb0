"""cal: a month or a year of the calendar (Julian before September 1752), laid out as busybox does."""

from __future__ import annotations

import calendar
import time

from .common import Util, utility

_USAGE = """cal [-jy] [[MONTH] YEAR]

Display a calendar

\t-j\tUse julian dates
\t-y\tDisplay the entire year"""

_DAYS = "Su Mo Tu We Th Fr Sa"
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]


def _number(u: Util, text: str, high: int) -> int:
    if not text.isdigit():
        u.fail(f"invalid number '{text}'")
    if not 1 <= int(text) <= high:
        u.fail(f"number {text} is not in 1..{high} range")
    return int(text)


def _julian_calendar(year: int, month: int) -> bool:
    """Before September 1752 (Great Britain's reform, as cal has it) the Julian calendar applies."""
    return (year, month) < (1752, 9)


def _day_number(year: int, month: int, day: int) -> int:
    """The Julian day number of a date (Julian or Gregorian calendar as :func:`_julian_calendar` says)."""
    a = (14 - month) // 12
    y, m = year + 4800 - a, month + 12 * a - 3
    base = day + (153 * m + 2) // 5 + 365 * y + y // 4
    if _julian_calendar(year, month) or (year, month, day) < (1752, 9, 14):
        return base - 32083
    return base - y // 100 + y // 400 - 32045


def _days(year: int, month: int) -> list[int]:
    if (year, month) == (1752, 9):
        return [1, 2, *range(14, 31)]  # the eleven days dropped by the reform
    if month == 2:
        leap = year % 4 == 0 if _julian_calendar(year, month) else calendar.isleap(year)
        return list(range(1, 30 if leap else 29))
    return list(range(1, calendar.monthrange(2001, month)[1] + 1))


def _weeks(year: int, month: int) -> list[str]:
    """Six week rows of 20 characters (blank cells for days of other months)."""
    cells = ["  "] * ((_day_number(year, month, 1) + 1) % 7) + [f"{d:2d}" for d in _days(year, month)]
    cells += ["  "] * (42 - len(cells))
    return [" ".join(cells[i:i + 7]) for i in range(0, 42, 7)]


def _month(year: int, month: int) -> list[str]:
    title = f"{_MONTHS[month - 1]} {year}"
    lines = [" " * ((20 - len(title)) // 2) + title, _DAYS]
    for row in _weeks(year, month):
        lines.append(row.rstrip() if row.strip() else row + " ")  # busybox keeps blank rows whole
    return lines


def _year(year: int) -> list[str]:
    lines = [f"{year}".center(64), ""]
    for first in range(1, 13, 3):
        months = range(first, first + 3)
        names = []
        for m in months:
            name = _MONTHS[m - 1]
            left = (20 - len(name)) // 2
            names.append(" " * left + name + " " * (20 - left - len(name)))
        lines.append("  ".join(names))
        lines.append("  ".join([_DAYS] * 3))
        grids = [_weeks(year, m) for m in months]
        for i in range(6):
            row = "  ".join(grid[i] for grid in grids)
            lines.append(row.rstrip() if row.strip() else " " * 79)
    return lines


@utility("cal", usage=_USAGE)
def cal(u: Util, argv: list[str]) -> int:
    """cal [-y] [[MONTH] YEAR] (``-j`` is refused: Julian day numbers are not implemented)."""
    opts, args = u.getopt(argv[1:], "jy")
    if "j" in opts:
        u.fail("-j (julian dates) is not supported in the memory sandbox")
    if len(args) > 2:
        u.usage_error()
    now = time.localtime()
    if len(args) == 2:
        month, year = _number(u, args[0], 12), _number(u, args[1], 9999)
        lines = _month(year, month)
    elif len(args) == 1:
        lines = _year(_number(u, args[0], 9999))
    elif "y" in opts:
        lines = _year(now.tm_year)
    else:
        lines = _month(now.tm_year, now.tm_mon)
    u.out.write(("\n".join(lines) + "\n").encode())
    return 0
