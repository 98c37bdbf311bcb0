"""``GET /containers/{id}/stats``: samples from the backend in Docker's wire shape.

The core keeps the previous sample for ``precpu_stats`` and adds the host's figures the
docker CLI needs for its percentages (``system_cpu_usage``, ``online_cpus``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..plugins.backend import ContainerStats
from .records import ContainerRecord
from .timeutil import ZERO_TIME, now_ns, rfc3339_nano

BLKIO_KEYS = ("io_service_bytes_recursive", "io_serviced_recursive", "io_queue_recursive",
              "io_service_time_recursive", "io_wait_time_recursive", "io_merged_recursive",
              "io_time_recursive", "sectors_recursive")
INTERVAL = 1.0  # seconds between samples, as Docker's collector
NO_THROTTLING = {"periods": 0, "throttled_periods": 0, "throttled_time": 0}


def system_cpu_ns() -> int:
    """The host's total CPU time (all CPUs, all states) in nanoseconds, from ``/proc/stat``."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()[1:9]
    except OSError:
        return 0
    ticks = sum(int(f) for f in fields)
    return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Sample:
    """A backend sample with the host figures taken at the same moment."""

    stats: ContainerStats
    time_ns: int
    system_ns: int


def take(stats: ContainerStats) -> Sample:
    """Stamp a backend sample."""
    return Sample(stats, now_ns(), system_cpu_ns())


def _cpu(sample: Sample | None) -> dict[str, Any]:
    if sample is None:
        return {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
                "throttling_data": dict(NO_THROTTLING)}
    stats = sample.stats
    return {"cpu_usage": {"total_usage": stats.cpu_total_ns, "usage_in_kernelmode": stats.cpu_system_ns or 0,
                          "usage_in_usermode": stats.cpu_user_ns if stats.cpu_user_ns is not None else stats.cpu_total_ns},
            "system_cpu_usage": sample.system_ns, "online_cpus": os.cpu_count() or 1,
            "throttling_data": dict(NO_THROTTLING)}


def render(record: ContainerRecord, current: Sample | None, previous: Sample | None, mem_total: int) -> dict[str, Any]:
    """The stats object Docker sends (zeroed for a container that is not running)."""
    body: dict[str, Any] = {
        "read": rfc3339_nano(current.time_ns) if current else ZERO_TIME,
        "preread": rfc3339_nano(previous.time_ns) if previous else ZERO_TIME,
        "pids_stats": {},
        "blkio_stats": dict.fromkeys(BLKIO_KEYS),
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": _cpu(current),
        "precpu_stats": _cpu(previous),
        "memory_stats": {},
        "name": "/" + record.name,
        "id": record.id,
    }
    if current is None:
        return body
    stats = current.stats
    if stats.pids is not None:
        body["pids_stats"] = {"current": stats.pids}
        if record.host_config.PidsLimit:
            body["pids_stats"]["limit"] = record.host_config.PidsLimit
    memory: dict[str, Any] = {"stats": dict(stats.memory_stats),
                              "limit": stats.memory_limit or record.host_config.Memory or mem_total}
    if stats.memory_usage is not None:
        memory["usage"] = stats.memory_usage
    body["memory_stats"] = memory
    if stats.blkio_read is not None or stats.blkio_write is not None:
        body["blkio_stats"]["io_service_bytes_recursive"] = [
            {"major": 0, "minor": 0, "op": "read", "value": stats.blkio_read or 0},
            {"major": 0, "minor": 0, "op": "write", "value": stats.blkio_write or 0},
        ]
    if stats.networks:
        body["networks"] = {name: dict(values) for name, values in stats.networks.items()}
    return body
