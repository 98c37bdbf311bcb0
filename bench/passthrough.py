"""Overhead of Sockerless's ``docker`` backend versus talking to the same dockerd directly.

Usage: python bench/passthrough.py [--iterations N] [--json out.json]

Starts a private dockerd and ``sockerless serve --backend docker`` in front of it, then times the
same Docker CLI commands both ways. Samples are interleaved (direct, through, through, direct,
...) so that load on a shared machine hits both sides alike; the figure is the ratio of medians
(through Sockerless / direct: 1.0 means no overhead). A measurement tool: it judges nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import report
from benchlib.engines import Engine, start_dockerd, start_sockerless
from benchlib.proc import log, run
from benchlib.stats import summarize

TARGETS = {"docker run --rm": 1.15, "docker ps -a": 1.3}


def timed_cli(engine: Engine, args: list[str]) -> float:
    start = time.perf_counter()
    run(engine.cli(*args), timeout=120, env=engine.env())
    return time.perf_counter() - start


def interleaved(pair: tuple[Engine, Engine], sample, iterations: int, warmup: int) -> dict[str, Any]:
    """``sample(engine)`` alternately on both engines; summaries and the ratio of medians."""
    direct, through = pair
    for _ in range(warmup):
        sample(direct)
        sample(through)
    times: dict[str, list[float]] = {"direct": [], "sockerless": []}
    for i in range(iterations):
        order = ((direct, "direct"), (through, "sockerless"))
        for engine, key in order if i % 2 == 0 else reversed(order):
            times[key].append(sample(engine))
    d, s = summarize(times["direct"]), summarize(times["sockerless"])
    return {"direct": d, "sockerless": s, "ratio": s["median"] / d["median"]}


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=30)
        self._path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self._path)
        self.sock = sock


def api_latency(pair: tuple[Engine, Engine], path: str, iterations: int) -> dict[str, Any]:
    """One kept-alive connection per engine; each sample is the median of 20 requests."""
    connections = {id(engine): UnixConnection(engine.socket_path) for engine in pair}

    def sample(engine: Engine) -> float:
        conn = connections[id(engine)]
        rounds = []
        for _ in range(20):
            start = time.perf_counter()
            conn.request("GET", path)
            conn.getresponse().read()
            rounds.append(time.perf_counter() - start)
        return statistics.median(rounds)

    try:
        return interleaved(pair, sample, iterations, 2)
    finally:
        for conn in connections.values():
            conn.close()


def with_exited_containers(direct: Engine, count: int) -> list[str]:
    api = direct.api_client()
    ids = []
    try:
        for _ in range(count):
            cid = api.create_container("alpine", ["true"], labels={"sockerless.bench": "1"},
                                       host_config=api.create_host_config(network_mode="none"))["Id"]
            api.start(cid)
            api.wait(cid, timeout=120)
            ids.append(cid)
    finally:
        api.close()
    return ids


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--iterations", type=int, default=30, help="samples per engine and benchmark (default 30)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--ps-count", type=int, default=100, help="exited containers present for `docker ps -a`")
    p.add_argument("--json", type=Path)
    p.add_argument("--docker-cli", default="docker")
    args = p.parse_args()
    machine = report.machine_facts(args.docker_cli)
    log("starting a private dockerd and sockerless (docker backend) in front of it")
    dockerd = start_dockerd(args.docker_cli)
    results: dict[str, Any] = {}
    try:
        sockerless = start_sockerless(args.docker_cli, engine=dockerd)
        pair = (dockerd, sockerless)
        none = ["--network", "none"]
        try:
            log("docker run --rm")
            results["docker run --rm"] = interleaved(
                pair, lambda e: timed_cli(e, ["run", "--rm", *none, "alpine", "true"]), args.iterations, args.warmup)
            cid = dockerd.docker("run", "-d", *none, "alpine", "sleep", "86400").stdout.decode().strip()
            log("docker exec")
            results["docker exec"] = interleaved(
                pair, lambda e: timed_cli(e, ["exec", cid, "true"]), args.iterations, args.warmup)
            dockerd.docker("rm", "-f", cid)
            log(f"docker ps -a with {args.ps_count} containers")
            ids = with_exited_containers(dockerd, args.ps_count)
            results["docker ps -a"] = interleaved(
                pair, lambda e: timed_cli(e, ["ps", "-a"]), args.iterations, args.warmup)
            log("GET /containers/json?all=1 (one request, kept-alive connection)")
            results["GET /containers/json?all=1"] = api_latency(pair, "/v1.41/containers/json?all=1", args.iterations)
            results["GET /_ping"] = api_latency(pair, "/_ping", args.iterations)
            dockerd.docker("rm", "-f", *ids)
        finally:
            sockerless.close()
    finally:
        dockerd.close()
    print("| benchmark | dockerd directly (median, p90) | through Sockerless (median, p90) | ratio | target |")
    print("|---|---|---|---|---|")
    for name, row in results.items():
        d, s = row["direct"], row["sockerless"]
        target = f"< {TARGETS[name]}" if name in TARGETS else ""
        print(f"| {name} | {d['median'] * 1000:.2f} ms ({d['p90'] * 1000:.2f}) | "
              f"{s['median'] * 1000:.2f} ms ({s['p90'] * 1000:.2f}) | {row['ratio']:.3f} | {target} |")
    if args.json:
        machine["loadavg_at_end"] = list(os.getloadavg())
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
