"""The benchmarks. Each takes an engine and the settings and returns raw numbers; none judges them."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from .engines import Engine
from .proc import BenchError, run
from .pull import case_pull
from .stats import summarize
from .wasm import case_wasm_exec, case_wasm_run

T = TypeVar("T")
LOOP_SCRIPT = "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"
PIPELINE_SCRIPT = "seq 1 100000 | sed s/0/x/g | grep -v 5 | sort | uniq -c | wc -l"
LABEL = {"sockerless.bench": "1"}


@dataclass
class Settings:
    """Knobs of one bench run."""

    iterations: int = 20
    warmup: int = 3
    containers: int = 50
    threads: int = 8
    rounds: int = 3
    ps_count: int = 100
    cli_timeout: float = 120.0
    sandbox_timeout: float = 300.0


@dataclass(frozen=True)
class Case:
    """One benchmark: ``kind`` is ``time`` (seconds, lower is better) or ``throughput`` (higher is better)."""

    key: str
    title: str  # may use {threads} / {ps_count} from the settings
    kind: str
    func: Callable[[Engine, Settings], dict[str, Any]]


def _timed_cli(engine: Engine, args: list[str], timeout: float) -> tuple[float, str]:
    cmd, env = engine.cli(*args), engine.env()
    start = time.perf_counter()
    result = run(cmd, timeout=timeout, env=env)
    return time.perf_counter() - start, result.stdout.decode(errors="replace").strip()


def sample_cli(engine: Engine, args: list[str], settings: Settings, timeout: float | None = None,
               keep_output: bool = False) -> dict[str, Any]:
    """Wall time of a whole Docker CLI command: warm-ups, then ``iterations`` samples."""
    limit = timeout or settings.cli_timeout
    output = ""
    for _ in range(settings.warmup):
        _, output = _timed_cli(engine, args, limit)
    samples = []
    for _ in range(settings.iterations):
        seconds, output = _timed_cli(engine, args, limit)
        samples.append(seconds)
    result = summarize(samples)
    result["command"] = "docker " + " ".join(args)
    result["output_lines"] = len(output.splitlines())
    if keep_output:
        result["last_output"] = output[-200:]
    return result


class ClientPool:
    """One docker-py ``APIClient`` per thread (their HTTP sessions are not shared across threads)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._clients: list[Any] = []
        self._lock = threading.Lock()

    def get(self) -> Any:
        """This thread's client."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._engine.api_client()
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        """Close every client."""
        for client in self._clients:
            client.close()


def _parallel(threads: int, func: Callable[[T], Any], items: Iterable[T]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(func, items))


def _create(api: Any, engine: Engine, command: list[str]) -> str:
    host_config = api.create_host_config(network_mode=engine.network_mode) if engine.network_mode else None
    return api.create_container("alpine", command, host_config=host_config, labels=LABEL)["Id"]


def _start_and_wait(api: Any, cid: str) -> None:
    api.start(cid)
    status = api.wait(cid, timeout=120).get("StatusCode")
    if status != 0:
        raise BenchError(f"container exited with status {status}")


def lifecycle(api: Any, engine: Engine) -> float:
    """Seconds for create + start + wait + remove of one ``alpine true`` container."""
    start = time.perf_counter()
    cid = _create(api, engine, ["true"])
    try:
        _start_and_wait(api, cid)
    except BaseException:
        api.remove_container(cid, force=True)
        raise
    api.remove_container(cid)
    return time.perf_counter() - start


def case_run_rm(engine: Engine, settings: Settings) -> dict[str, Any]:
    """``docker run --rm alpine true``."""
    return sample_cli(engine, ["run", "--rm", *engine.container_flags, "alpine", "true"], settings)


def case_exec(engine: Engine, settings: Settings) -> dict[str, Any]:
    """``docker exec <running container> true``."""
    started = engine.docker("run", "-d", *engine.container_flags, "alpine", "sleep", "86400")
    cid = started.stdout.decode().strip()
    try:
        return sample_cli(engine, ["exec", cid, "true"], settings)
    finally:
        engine.docker("rm", "-f", cid, check=False)


def _stopped_container(pool: ClientPool, engine: Engine) -> str:
    api = pool.get()
    cid = _create(api, engine, ["true"])
    _start_and_wait(api, cid)
    return cid


def _remove_all(pool: ClientPool, settings: Settings, ids: list[str]) -> None:
    _parallel(settings.threads, lambda cid: pool.get().remove_container(cid, force=True), ids)


def case_ps(engine: Engine, settings: Settings) -> dict[str, Any]:
    """``docker ps -a`` with ``ps_count`` exited containers present (created with docker-py)."""
    pool = ClientPool(engine)
    ids: list[str] = []
    try:
        def make(_: int) -> None:
            ids.append(_stopped_container(pool, engine))

        _parallel(settings.threads, make, range(settings.ps_count))
        present = len(engine.docker("ps", "-a", "-q").stdout.split())
        if present < settings.ps_count:
            raise BenchError(f"only {present} containers listed after creating {settings.ps_count}")
        result = sample_cli(engine, ["ps", "-a"], settings)
        result["containers_present"] = present
        return result
    finally:
        try:
            _remove_all(pool, settings, ids)
        finally:
            pool.close()


def _throughput(rounds: list[tuple[float, list[float]]], count: int, threads: int) -> dict[str, Any]:
    rates = [count / elapsed for elapsed, _ in rounds]
    latencies = [x for _, lat in rounds for x in lat]
    return {
        "unit": "containers/s",
        "containers_per_round": count,
        "threads": threads,
        "rounds": len(rounds),
        "median": statistics.median(rates),
        "rates": [round(r, 3) for r in rates],
        "round_seconds": [round(e, 4) for e, _ in rounds],
        "latency": summarize(latencies),
    }


def _rounds(settings: Settings, one_round: Callable[[], list[float]]) -> list[tuple[float, list[float]]]:
    out = []
    for _ in range(settings.rounds):
        start = time.perf_counter()
        latencies = one_round()
        out.append((time.perf_counter() - start, latencies))
    return out


def case_lifecycle_sequential(engine: Engine, settings: Settings) -> dict[str, Any]:
    """Sequential create+start+wait+remove throughput with docker-py."""
    pool = ClientPool(engine)
    try:
        api = pool.get()
        for _ in range(settings.warmup):
            lifecycle(api, engine)
        rounds = _rounds(settings, lambda: [lifecycle(api, engine) for _ in range(settings.containers)])
        return _throughput(rounds, settings.containers, 1)
    finally:
        pool.close()


def case_lifecycle_threads(engine: Engine, settings: Settings) -> dict[str, Any]:
    """create+start+wait+remove throughput with ``threads`` docker-py threads."""
    pool = ClientPool(engine)
    try:
        def one(_: int) -> float:
            return lifecycle(pool.get(), engine)

        _parallel(settings.threads, one, range(max(settings.warmup, settings.threads)))
        rounds = _rounds(settings, lambda: _parallel(settings.threads, one, range(settings.containers)))
        return _throughput(rounds, settings.containers, settings.threads)
    finally:
        pool.close()


def case_shell_loop(engine: Engine, settings: Settings) -> dict[str, Any]:
    """A 20 000-iteration ``sh`` arithmetic loop."""
    return sample_cli(engine, ["run", "--rm", *engine.container_flags, "alpine", "sh", "-c", LOOP_SCRIPT],
                      settings, settings.sandbox_timeout, keep_output=True)


def case_pipeline(engine: Engine, settings: Settings) -> dict[str, Any]:
    """A 100 000-line ``seq | sed | grep | sort | uniq | wc`` pipeline."""
    return sample_cli(engine, ["run", "--rm", *engine.container_flags, "alpine", "sh", "-c", PIPELINE_SCRIPT],
                      settings, settings.sandbox_timeout, keep_output=True)


BUILD_DOCKERFILE = """FROM alpine
ARG GREETING=hello
ENV APP=/app
WORKDIR /app
COPY data.txt ./
RUN echo "$GREETING" > greeting && cat data.txt >> greeting
RUN wc -l greeting
LABEL bench=1
CMD ["cat", "/app/greeting"]
"""


def _build_context(engine: Engine) -> str:
    directory = engine.workdir / "build-context"
    directory.mkdir(exist_ok=True)
    (directory / "Dockerfile").write_text(BUILD_DOCKERFILE)
    (directory / "data.txt").write_text("".join(f"line {i}\n" for i in range(1000)))
    return str(directory)


def _build(engine: Engine, settings: Settings, *extra: str) -> dict[str, Any]:
    context = _build_context(engine)
    network = ["--network", engine.network_mode] if engine.network_mode else []
    try:
        return sample_cli(engine, ["build", "-q", *network, *extra, "-t", "slbench-build:latest", context], settings)
    finally:
        engine.docker("rmi", "slbench-build:latest", check=False)


def case_build_nocache(engine: Engine, settings: Settings) -> dict[str, Any]:
    """``docker build --no-cache`` of a 9-step Dockerfile with two RUN steps and a COPY."""
    return _build(engine, settings, "--no-cache")


def case_build_cached(engine: Engine, settings: Settings) -> dict[str, Any]:
    """The same build again, every step from the cache."""
    return _build(engine, settings)


CASES: list[Case] = [
    Case("run_rm", "docker run --rm alpine true (CLI)", "time", case_run_rm),
    Case("exec", "docker exec <running> true (CLI)", "time", case_exec),
    Case("ps_all", "docker ps -a, {ps_count} containers (CLI)", "time", case_ps),
    Case("lifecycle_seq", "create+start+wait+rm, sequential (docker-py)", "throughput", case_lifecycle_sequential),
    Case("lifecycle_threads", "create+start+wait+rm, {threads} threads (docker-py)", "throughput", case_lifecycle_threads),
    Case("shell_loop", "sh while-loop, 20k iterations (CLI)", "time", case_shell_loop),
    Case("pipeline_100k", "seq|sed|grep|sort|uniq|wc, 100k lines (CLI)", "time", case_pipeline),
    Case("build_nocache", "docker build --no-cache, 9 steps incl. 2 RUN (CLI)", "time", case_build_nocache),
    Case("build_cached", "docker build, 9 steps all cached (CLI)", "time", case_build_cached),
    Case("pull", "docker pull, 3 x 8 MiB layers from a local registry (CLI)", "time", case_pull),
    Case("wasm_run", "docker run --rm alpine <wasm hello> (CLI, Sockerless only)", "time", case_wasm_run),
    Case("wasm_exec", "docker exec <running> <wasm hello> (CLI, Sockerless only)", "time", case_wasm_exec),
]
