"""Machine facts, the results table and the JSON document."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .cases import Case, Settings
from .engines import base_env, dockerd_binary
from .proc import BenchError, run

ENGINES = ("sockerless", "dockerd")


def _first_line(cmd: list[str]) -> str:
    try:
        out = run(cmd, timeout=20, env=base_env())
    except BenchError as exc:
        return f"unknown ({exc})"
    return (out.stdout or out.stderr).decode(errors="replace").strip().splitlines()[0]


def _proc_field(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        pass
    return "unknown"


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def machine_facts(docker_cli: str) -> dict[str, Any]:
    """CPU, memory, kernel, OS, Python and Docker tool versions of this machine."""
    dockerd = dockerd_binary()
    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpu_model": _proc_field("/proc/cpuinfo", "model name"),
        "memory": _proc_field("/proc/meminfo", "MemTotal"),
        "kernel": platform.release(),
        "os": _os_name(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "docker_cli": _first_line([docker_cli, "--version"]),
        "dockerd": _first_line([dockerd, "--version"]) if dockerd else "not installed",
    }


def _duration(seconds: float) -> str:
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    ms = seconds * 1000
    return f"{ms:.1f} ms" if ms >= 10 else f"{ms:.2f} ms"


def cell(result: dict[str, Any] | None) -> str:
    """One engine's figure: median (p90) for times, median rate (p90 latency) for throughput."""
    if result is None:
        return "n/a"
    if "error" in result:
        return f"failed: {result['error'][:120]}"
    if result["unit"] == "containers/s":
        return f"{result['median']:.1f} /s (p90 lat {_duration(result['latency']['p90'])})"
    return f"{_duration(result['median'])} (p90 {_duration(result['p90'])})"


def ratio(case: Case, row: dict[str, Any]) -> tuple[float | None, str]:
    """sockerless/dockerd of the medians, and a plain-words reading of it."""
    a, b = row.get("sockerless"), row.get("dockerd")
    if not a or not b or "error" in a or "error" in b or not b["median"] or not a["median"]:
        return None, ""
    value = a["median"] / b["median"]
    sockerless_faster = value > 1 if case.kind == "throughput" else value < 1
    factor = value if value >= 1 else 1 / value
    if factor < 1.05:
        return value, "about the same (within 5%)"
    reading = f"{'Sockerless' if sockerless_faster else 'dockerd'} {factor:.1f}x faster"
    return value, reading


def _ratio_cell(case: Case, value: float | None) -> str:
    if value is None:
        return "n/a"
    note = " (throughput: >1 = Sockerless faster)" if case.kind == "throughput" else ""
    return f"{value:.3f}{note}"


def table(cases: list[Case], results: dict[str, dict[str, Any]], settings: Settings) -> str:
    """Markdown table: benchmark, both medians, ratio sockerless/dockerd, reading."""
    lines = ["| benchmark | sockerless median | dockerd median | ratio S/D | reading |",
             "|---|---|---|---|---|"]
    for case in cases:
        row = results.get(case.key, {})
        value, reading = ratio(case, row)
        title = case.title.format(threads=settings.threads, ps_count=settings.ps_count)
        cells = [title, cell(row.get("sockerless")), cell(row.get("dockerd")), _ratio_cell(case, value), reading]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def legend(settings: Settings, missing: str | None) -> str:
    """What the figures mean, printed under the table."""
    text = [
        f"Times: median (p90) of {settings.iterations} runs after {settings.warmup} untimed warm-up run(s), wall time of the whole "
        "command. Ratio S/D = sockerless median / dockerd median; for times below 1.0 means Sockerless is faster.",
        f"Throughput: containers/s, median of {settings.rounds} round(s) of {settings.containers} containers; "
        "ratio > 1.0 means Sockerless is faster there; 'p90 lat' is the p90 of one create+start+wait+rm.",
    ]
    if missing:
        text.append(f"Comparison with dockerd missing: {missing}")
    return "\n".join(text)


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Raw numbers, settings and machine facts as JSON."""
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
