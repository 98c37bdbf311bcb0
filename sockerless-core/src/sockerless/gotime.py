"""Times as Go's ``time.Time`` marshals them, which is how Docker writes every timestamp.

Dependency-free, so both the daemon and the agent (inside workloads) use this one definition.
"""

from __future__ import annotations

import time


def rfc3339_nano(ns: int) -> str:
    """``2026-12-03T09:58:22.634831452Z``: UTC, nanoseconds with trailing zeros trimmed (Go's RFC3339Nano)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if frac:
        stamp += "." + f"{frac:09d}".rstrip("0")
    return stamp + "Z"
