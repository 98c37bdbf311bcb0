"""Benchmark Sockerless (memory backend) against a real dockerd on this machine.

Usage: python bench/run.py [--iterations N] [--json out.json] [--skip-docker]

A measurement tool, not a test: it reports numbers and never judges them.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import report
from benchlib.cases import CASES, Case, Settings
from benchlib.engines import Engine, EngineUnavailable, start_dockerd, start_sockerless
from benchlib.proc import BenchError, log


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command line of the harness."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--iterations", type=int, default=20, help="timed runs per CLI benchmark (default 20)")
    p.add_argument("--warmup", type=int, default=3, help="untimed warm-up runs first (default 3)")
    p.add_argument("--containers", type=int, default=50, help="containers per throughput round (default 50)")
    p.add_argument("--threads", type=int, default=8, help="threads of the concurrent throughput case (default 8)")
    p.add_argument("--rounds", type=int, default=3, help="throughput rounds (default 3)")
    p.add_argument("--ps-count", type=int, default=100, help="containers present for `docker ps -a` (default 100)")
    p.add_argument("--only", default="", help="comma-separated benchmark keys: " + ",".join(c.key for c in CASES))
    p.add_argument("--json", type=Path, help="write raw numbers and machine facts to this file")
    p.add_argument("--skip-docker", action="store_true", help="measure Sockerless only, no dockerd")
    p.add_argument("--backend", choices=("memory", "docker"), default="memory",
                   help="Sockerless backend: memory (default) or docker (passthrough to the private dockerd, "
                   "measuring the passthrough's overhead)")
    p.add_argument("--docker-cli", default=shutil.which("docker") or "/usr/local/bin/docker",
                   help="Docker CLI binary (default: docker on PATH)")
    p.add_argument("--sockerless", default="", help="command that runs the sockerless CLI (default: the "
                   "`sockerless` script next to this interpreter, else `python -m sockerless.cli.main`)")
    args = p.parse_args(argv)
    if args.iterations < 1 or args.containers < 1 or args.threads < 1 or args.rounds < 1 or args.warmup < 0:
        p.error("counts must be positive (warm-up may be 0)")
    return args


def select_cases(only: str) -> list[Case]:
    """The benchmarks to run, in table order."""
    if not only:
        return list(CASES)
    keys = {k.strip() for k in only.split(",") if k.strip()}
    unknown = keys - {c.key for c in CASES}
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    return [c for c in CASES if c.key in keys]


def run_case(case: Case, engine: Engine, settings: Settings) -> dict[str, Any]:
    """One benchmark on one engine; a failure becomes ``{"error": reason}``."""
    log(f"{engine.name}: {case.key} ...")
    try:
        result = case.func(engine, settings)
    except BenchError as exc:
        result = {"error": str(exc)}
    except Exception as exc:
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        result = {"error": detail}
    log(f"{engine.name}: {case.key}: {report.cell(result)}")
    return result


def start_engines(args: argparse.Namespace, engines: dict[str, Engine]) -> str | None:
    """Start Sockerless (required) and dockerd (optional); return why the comparison is missing, if it is."""
    command = args.sockerless.split() if args.sockerless else None
    if args.backend == "docker":
        return _start_passthrough(args, engines, command)
    log("starting sockerless serve (memory backend)")
    engines["sockerless"] = start_sockerless(args.docker_cli, command)
    if args.skip_docker:
        return "--skip-docker was given"
    log("starting a private dockerd")
    try:
        engines["dockerd"] = start_dockerd(args.docker_cli)
    except (EngineUnavailable, BenchError) as exc:
        return str(exc)
    return None


def _start_passthrough(args: argparse.Namespace, engines: dict[str, Engine], command: list[str] | None) -> None:
    """dockerd (required here), then Sockerless's docker backend in front of it."""
    if args.skip_docker:
        raise EngineUnavailable("--backend docker needs dockerd: do not combine it with --skip-docker")
    log("starting a private dockerd")
    dockerd = start_dockerd(args.docker_cli)
    log("starting sockerless serve (docker backend, forwarding to that dockerd)")
    try:
        engines["sockerless"] = start_sockerless(args.docker_cli, command, engine=dockerd)
    except BaseException:
        dockerd.close()
        raise
    engines["dockerd"] = dockerd
    return None


def measure(cases: list[Case], engines: dict[str, Engine], settings: Settings) -> dict[str, dict[str, Any]]:
    """Every case on every engine, interleaved per case so drift affects both alike."""
    results: dict[str, dict[str, Any]] = {}
    for case in cases:
        results[case.key] = {name: run_case(case, engine, settings) for name, engine in engines.items()}
    return results


def _on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the engines, measure, tear everything down, print the table."""
    args = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    cases = select_cases(args.only)
    settings = Settings(iterations=args.iterations, warmup=args.warmup, containers=args.containers,
                        threads=args.threads, rounds=args.rounds, ps_count=args.ps_count)
    machine = report.machine_facts(args.docker_cli)
    engines: dict[str, Engine] = {}
    try:
        try:
            missing = start_engines(args, engines)
        except (BenchError, EngineUnavailable) as exc:
            log(f"could not start sockerless: {exc}")
            return 1
        if missing:
            log(f"no dockerd comparison: {missing}")
        details = {name: engine.details for name, engine in engines.items()}
        results = measure(cases, engines, settings)
    finally:
        for engine in reversed(list(engines.values())):
            log(f"stopping {engine.name}")
            engine.close()
    print(report.table(cases, results, settings))
    print()
    print(report.legend(settings, missing))
    if args.json:
        machine["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        document = {"machine": machine, "settings": dataclasses.asdict(settings), "engines": details,
                    "comparison_missing": missing, "results": results}
        report.write_json(args.json, document)
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
