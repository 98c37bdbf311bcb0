"""Waiting for conditions and finding agent processes: helpers of every suite that drives agents."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy; returns its value (an AssertionError after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def agent_pid(container_id: str) -> int:
    """The pid of the agent process serving a container (its command line names the container's id)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"sockerless_agent" in b" ".join(cmdline) and any(container_id.encode() in part for part in cmdline):
            return int(entry)
    raise AssertionError(f"no agent process found for container {container_id[:12]}")
