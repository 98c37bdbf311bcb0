"""Dates for date, touch, ls, stat and find: the container's time zone, busybox's TIME formats, strftime."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping

UTC = dt.UTC


def zone(env: Mapping[str, str], utc: bool = False) -> dt.tzinfo:
    """The time zone of ``TZ`` (a zone name such as ``Europe/Paris``, or ``UTC``); UTC otherwise."""
    name = env.get("TZ", "")
    if utc or not name:
        return UTC
    name = name.lstrip(":")
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # unknown names behave as UTC, as the C library does
        m = re.fullmatch(r"([A-Za-z]{3,})([+-]?\d{1,2})(?::(\d\d))?", name)
        if m:  # POSIX "EST5": hours *west* of Greenwich
            hours = -int(m.group(2))
            minutes = int(m.group(3) or 0) * (1 if hours >= 0 else -1)
            return dt.timezone(dt.timedelta(hours=hours, minutes=minutes), m.group(1))
        return UTC


def strftime(ts: float, fmt: str, tz: dt.tzinfo) -> str:
    """C ``strftime`` of a timestamp in ``tz`` (``%N`` gives nanoseconds); ``ValueError`` out of range."""
    try:
        moment = dt.datetime.fromtimestamp(ts, tz)
    except (OverflowError, OSError) as exc:
        raise ValueError(str(exc)) from None
    if "%N" in fmt:
        nanos = f"{round((ts % 1) * 1e9) % 1_000_000_000:09d}"
        fmt = re.sub(r"%(%)|%N", lambda m: "%%" if m.group(1) else nanos, fmt)
    if tz is UTC:
        fmt = re.sub(r"%(%)|%Z", lambda m: "%%" if m.group(1) else "UTC", fmt)
    return moment.strftime(fmt)


_FORMATS = [
    # (regex, fields) in the order busybox tries them
    (re.compile(r"(\d{4})-(\d\d)-(\d\d)[ T](\d\d?):(\d\d)(?::(\d\d)(?:\.\d+)?)?(Z)?"), "YmdHMS"),
    (re.compile(r"(\d{4})-(\d\d)-(\d\d)"), "Ymd"),
    (re.compile(r"(?:(\d{4})\.)?(\d\d)\.(\d\d)-(\d\d?):(\d\d)(?::(\d\d))?"), "YmdHMS"),
    (re.compile(r"(\d\d?):(\d\d)(?::(\d\d))?"), "HMS"),
]


def parse_time(text: str, tz: dt.tzinfo, now: float | None = None) -> float:
    """A timestamp from busybox's TIME formats (``ValueError`` when none matches).

    ``@SECONDS``, ``YYYY-MM-DD [hh:mm[:ss]]``, ``[YYYY.]MM.DD-hh:mm[:ss]``, ``hh:mm[:ss]`` and
    the digit string ``[[[[[YY]YY]MM]DD]hh]mm[.ss]`` (also ``touch -t``'s format).
    """
    text = text.strip()
    base = dt.datetime.fromtimestamp(time.time() if now is None else now, tz)
    if text.startswith("@"):
        try:
            return float(text[1:])
        except ValueError:
            raise ValueError(text) from None
    for regex, fields in _FORMATS:
        m = regex.fullmatch(text)
        if m is None:
            continue
        values = dict(zip(fields, m.groups()[: len(fields)], strict=True))
        zulu = len(m.groups()) > len(fields) and m.group(len(fields) + 1)
        parts = {
            "year": int(values.get("Y") or base.year),
            "month": int(values.get("m") or base.month),
            "day": int(values.get("d") or base.day),
            "hour": int(values.get("H") or 0),
            "minute": int(values.get("M") or 0),
            "second": int(values.get("S") or 0),
        }
        return _make(parts, UTC if zulu else tz)
    m = re.fullmatch(r"(\d+)(?:\.(\d\d))?", text)
    if m is not None:
        digits, seconds = m.group(1), int(m.group(2) or 0)
        return _digits_touch(digits, seconds, base, tz)
    raise ValueError(text)


def _make(parts: dict[str, int], tz: dt.tzinfo) -> float:
    try:
        return dt.datetime(tzinfo=tz, **parts).timestamp()
    except (ValueError, OverflowError):
        raise ValueError(str(parts)) from None


def _year(text: str, base: dt.datetime) -> int:
    if len(text) == 2:
        value = int(text)
        return 1900 + value if value >= 69 else 2000 + value
    return int(text)


def _digits_touch(digits: str, seconds: int, base: dt.datetime, tz: dt.tzinfo) -> float:
    """``[[CC]YY]MMDDhhmm`` and its shorter right-aligned forms."""
    n = len(digits)
    if n not in (2, 4, 6, 8, 10, 12):
        raise ValueError(digits)
    parts = {"year": base.year, "month": base.month, "day": base.day, "hour": base.hour}
    tail = digits
    minute = int(tail[-2:])
    tail = tail[:-2]
    for key in ("hour", "day", "month"):
        if tail:
            parts[key] = int(tail[-2:])
            tail = tail[:-2]
    if tail:
        parts["year"] = _year(tail, base)
    return _make({**parts, "minute": minute, "second": seconds}, tz)
