"""Timestamps as Docker writes and reads them."""

from __future__ import annotations

import datetime as dt
import re
import time

from ..api.errors import InvalidParameter
from ..gotime import rfc3339_nano as rfc3339_nano  # re-exported for the engine's users

ZERO_TIME = "0001-01-01T00:00:00Z"


def now_ns() -> int:
    """Wall-clock time in nanoseconds."""
    return time.time_ns()



def rfc3339_fixed(ns: int) -> str:
    """Always nine fractional digits (the ``docker logs --timestamps`` form)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{frac:09d}Z"


_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
                "h": 3_600_000_000_000}


def parse_rfc3339(text: str) -> int:
    """RFC 3339 (with or without fraction and zone; no zone means UTC) -> ns."""
    match = _RFC3339.match(text.strip())
    if match is None:
        raise ValueError(text)
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    frac = match.group(7) or ""
    zone = match.group(8) or "Z"
    tz = dt.UTC
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    moment = dt.datetime(year, month, day, hour, minute, second, tzinfo=tz)
    nanos = int((frac[1:] + "000000000")[:9]) if frac else 0
    return int(moment.timestamp()) * 1_000_000_000 + nanos


def parse_duration(text: str) -> int:
    """Go duration (``1h30m``, ``10s``, ``1.5h``) -> ns."""
    pos = 0
    total = 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            raise ValueError(text)
        total += float(match.group(1)) * _DURATION_NS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(text)
    return int(total)


def parse_timestamp(value: str, *, now: int | None = None, name: str = "since") -> int:
    """Docker's ``since``/``until`` forms -> ns since the epoch.

    Accepts Unix seconds with an optional fraction (``1700000000.123``), RFC 3339 dates,
    and Go durations meaning "that long ago" (``10m``).
    """
    text = value.strip()
    if not text:
        raise InvalidParameter(f"invalid value for {name}: empty")
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        whole, _, frac = text.partition(".")
        return int(whole) * 1_000_000_000 + (int((frac + "000000000")[:9]) if frac else 0)
    try:
        return parse_rfc3339(text)
    except ValueError:
        pass
    try:
        return (now if now is not None else now_ns()) - parse_duration(text)
    except ValueError:
        raise InvalidParameter(f"invalid value for {name}: {value!r} is not a timestamp or duration") from None


def human_duration(seconds: float) -> str:
    """Docker's ``units.HumanDuration`` (``Up 5 minutes``, ``Exited (0) 2 hours ago``)."""
    if seconds < 1:
        return "Less than a second"
    if seconds < 2:
        return "1 second"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"
