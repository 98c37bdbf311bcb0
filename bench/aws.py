"""The AWS backends on the AWS simulator, next to the same Docker CLI calls on a real dockerd.

Usage: python bench/aws.py [--iterations N] [--backends ecs,lambda] [--json FILE]

Starts ``sockerless sim aws`` (tasks and functions as host processes, the agent chrooted into the
image's files) and one ``sockerless serve --backend B --endpoint-url SIM`` per backend, pulling
``alpine`` from the registry of ``.ci/services`` (``SOCKERLESS_TEST_REGISTRY``) through
``--registry-mirror``; the anchor is the real dockerd of ``.ci/services``
(``SOCKERLESS_TEST_DOCKER_HOST``, containers with ``--network none``). Figures, per engine:

* ``run_rm``: ``docker run --rm alpine true`` (create, start, wait for the exit, remove);
* ``exec``: ``docker exec C true`` into a running container.

A measurement tool, not a test: it reports numbers and never judges them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib.stats import summarize

REPO = Path(__file__).resolve().parents[1]
DOCKER = shutil.which("docker") or "/usr/local/bin/docker"


def services() -> dict[str, str]:
    """The real dockerd and registry (started by ``.ci/services`` when the environment lacks them)."""
    host, registry = os.environ.get("SOCKERLESS_TEST_DOCKER_HOST"), os.environ.get("SOCKERLESS_TEST_REGISTRY")
    if not (host and registry):
        out = subprocess.run([str(REPO / ".ci" / "services")], capture_output=True, text=True, check=True)
        values = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines() if "=" in line)
        host, registry = values["SOCKERLESS_TEST_DOCKER_HOST"], values["SOCKERLESS_TEST_REGISTRY"]
    return {"docker_host": host, "registry": registry}


def start_simulator(workdir: Path) -> tuple[subprocess.Popen, str]:
    """``sockerless sim aws --port 0``; its endpoint from the ready line."""
    log = open(workdir / "sim.log", "w")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen([sys.executable, "-m", "sockerless.cli.main", "sim", "aws", "--port", "0",
                             "--data-dir", str(workdir / "sim")], stdout=subprocess.PIPE, stderr=log, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"the simulator did not start: {line!r}")
    return proc, match.group(1)


def start_daemon(workdir: Path, backend: str, endpoint: str, registry: str) -> tuple[subprocess.Popen, str]:
    """``sockerless serve --backend B --endpoint-url SIM`` with ``alpine`` pulled."""
    sock = workdir / f"{backend}.sock"
    log = open(workdir / f"{backend}.log", "w")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen([sys.executable, "-m", "sockerless.cli.main", "serve", "--backend", backend,
                             "--endpoint-url", endpoint, "-H", f"unix://{sock}", "--data-root",
                             str(workdir / f"{backend}-data"), "--config", os.devnull, "--log-level", "warning",
                             "--registry-mirror", f"http://{registry}"], stdout=log, stderr=subprocess.STDOUT)
    host = f"unix://{sock}"
    deadline = time.monotonic() + 60
    while subprocess.run([DOCKER, "-H", host, "version"], capture_output=True).returncode != 0:
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit(f"the {backend} daemon did not start: see {workdir / f'{backend}.log'}")
        time.sleep(0.2)
    docker(host, "pull", "alpine")
    return proc, host


def docker(host: str, *args: str) -> str:
    """Run the Docker CLI; its stdout (a failure stops the benchmark with the CLI's message)."""
    out = subprocess.run([DOCKER, "-H", host, *args], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise SystemExit(f"docker {' '.join(args)} on {host} failed: {out.stderr.strip()}")
    return out.stdout


def timed(action: Callable[[], object], iterations: int, warmup: int = 2) -> dict:
    """Samples of ``action`` after untimed warm-up runs."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(iterations):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return summarize(samples)


def measure(host: str, iterations: int, flags: list[str]) -> dict:
    """``run_rm`` and ``exec`` on one engine."""
    results = {"run_rm": timed(lambda: docker(host, "run", "--rm", *flags, "alpine", "true"), iterations)}
    container = docker(host, "run", "-d", *flags, "alpine", "sleep", "600").strip()
    try:
        results["exec"] = timed(lambda: docker(host, "exec", container, "true"), iterations)
    finally:
        docker(host, "rm", "-f", container)
    return results


def main(argv: list[str] | None = None) -> int:
    """Start everything, measure, print medians and ratios to dockerd."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--backends", default="ecs,lambda")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    real = services()
    workdir = Path(tempfile.mkdtemp(prefix="slbench-aws-"))
    procs: list[subprocess.Popen] = []
    results: dict[str, dict] = {}
    try:
        sim, endpoint = start_simulator(workdir)
        procs.append(sim)
        results["dockerd"] = measure(real["docker_host"], args.iterations, ["--network", "none"])
        for backend in [b for b in args.backends.split(",") if b]:
            proc, host = start_daemon(workdir, backend, endpoint, real["registry"])
            procs.append(proc)
            results[backend] = measure(host, args.iterations, [])
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    anchor = results["dockerd"]
    print(f"{'engine':<10} {'run --rm (median)':>18} {'ratio':>7} {'exec (median)':>14} {'ratio':>7}")
    for name, figures in results.items():
        run_rm, exec_ = figures["run_rm"]["median"], figures["exec"]["median"]
        print(f"{name:<10} {run_rm * 1000:>15.0f} ms {run_rm / anchor['run_rm']['median']:>7.2f} "
              f"{exec_ * 1000:>11.0f} ms {exec_ / anchor['exec']['median']:>7.2f}")
    print(f"\n{args.iterations} timed runs each after 2 warm-up runs; ratio = engine / dockerd (below 1: faster); "
          f"load average at the end {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "loadavg": os.getloadavg()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
