"""Exec round-trip latency through the agent on loopback, next to the same exec on a real dockerd.

Usage: python bench/agent_exec.py [--iterations N] [--agent CMD] [--docker-host unix://...] [--json FILE]

Three figures, each the time from "run ``true``" to "its exit status is known":

* ``bridge``: the core's agent bridge driving a local agent directly (forward and reverse
  mode) — the cost the agent adds to every exec of a cloud backend;
* ``api``: ``exec_create`` + ``exec_start`` + ``exec_inspect`` through docker-py against a
  Sockerless daemon whose backend (the agentproc test fixture) runs containers under the agent;
* ``dockerd``: the same docker-py calls against a real dockerd (``--docker-host``), the anchor
  for the ratio.

A measurement tool, not a test: it reports numbers and never judges them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib.stats import summarize

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def bench_bridge(mode: str, agent: list[str], iterations: int) -> dict:
    """Round trips of ``true`` through the bridge to a local agent in ``mode``."""
    from sockerless.agent.bridge import AgentBridge
    from sockerless.agent.hub import AgentHub
    from sockerless.agent.link import ForwardAddress, ReverseAddress
    from sockerless.agent.tokens import new_token
    from sockerless.engine.stdio import OutputStream, ProcessIO

    token, container = new_token(), SimpleNamespace(id=uuid.uuid4().hex * 2)
    hub = AgentHub()
    env = dict(os.environ, SOCKERLESS_AGENT_TOKEN=token)
    if mode == "forward":
        port = _free_port()
        argv = [*agent, "--listen", f"127.0.0.1:{port}"]
        address = ForwardAddress(f"ws://127.0.0.1:{port}", token)
    else:
        hub.expect(container.id, token)
        argv = [*agent, "--connect", await hub.reverse_url(), "--container", container.id]
        address = ReverseAddress(container.id, token)
    proc = subprocess.Popen([*argv, "--", "sleep", "3600"], env=env)
    bridge = AgentBridge(hub, lambda c: address)
    loop = asyncio.get_running_loop()

    async def once() -> float:
        closed = asyncio.Event()
        out = OutputStream(loop, lambda chunks: None, closed.set)
        began = time.perf_counter()
        process = await bridge.exec_start(container, uuid.uuid4().hex, ["true"], [], "", "", False,
                                          ProcessIO(stdin=None, stdout=out, stderr=out))
        await process.wait()
        elapsed = time.perf_counter() - began
        await closed.wait()
        return elapsed

    try:
        for _ in range(5):
            await once()
        samples = [await once() for _ in range(iterations)]
        ping = [await bridge.ping(container) for _ in range(iterations)]
    finally:
        await hub.close()
        proc.kill()
        proc.wait()
    return {"exec": summarize(samples), "ping": summarize(ping)}


def bench_api(client, container_id: str, iterations: int) -> dict:
    """docker-py exec round trips: create, start (attached), inspect."""
    def once() -> float:
        began = time.perf_counter()
        exec_id = client.api.exec_create(container_id, ["true"])["Id"]
        client.api.exec_start(exec_id)
        code = client.api.exec_inspect(exec_id)["ExitCode"]
        elapsed = time.perf_counter() - began
        if code != 0:
            raise RuntimeError(f"exec exited {code}")
        return elapsed

    for _ in range(5):
        once()
    return {"exec": summarize([once() for _ in range(iterations)])}


def bench_sockerless_api(iterations: int) -> dict:
    """The agentproc fixture backend behind a real ``sockerless serve``."""
    import docker

    work = Path(tempfile.mkdtemp(prefix="slbench-agent-"))
    site = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                    str(REPO / "tests" / "fixtures" / "sockerless-agentproc")], check=True, capture_output=True)
    sock = work / "s.sock"
    env = dict(os.environ, PYTHONPATH=str(site))
    daemon = subprocess.Popen([sys.executable, "-m", "sockerless.cli.main", "serve", "--backend", "agentproc",
                               "-H", f"unix://{sock}", "--data-root", str(work / "data"), "--config", os.devnull],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        client = docker.DockerClient(base_url=f"unix://{sock}", timeout=60)
        client.api.pull("scratchy")
        container = client.containers.run("scratchy", ["sleep", "3600"], detach=True)
        try:
            return bench_api(client, container.id, iterations)
        finally:
            container.remove(force=True)
            client.close()
    finally:
        daemon.terminate()
        daemon.wait(20)


def bench_dockerd(host: str, iterations: int) -> dict:
    """The same exec round trips on a real dockerd (its busybox image, no network)."""
    import docker

    client = docker.DockerClient(base_url=host, timeout=60)
    container = client.containers.run("busybox:latest", ["sleep", "3600"], detach=True, network_mode="none",
                                      name=f"agent-bench-{uuid.uuid4().hex[:8]}")
    try:
        return bench_api(client, container.id, iterations)
    finally:
        container.remove(force=True)
        client.close()


def _ms(summary: dict) -> str:
    return f"median {summary['median'] * 1000:7.2f} ms   p90 {summary['p90'] * 1000:7.2f} ms   (n={summary['n']})"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--iterations", type=int, default=200)
    p.add_argument("--agent", default=f"{shlex.quote(sys.executable)} -m sockerless_agent",
                   help="the agent command (e.g. the self-contained build)")
    p.add_argument("--docker-host", default=os.environ.get("SOCKERLESS_TEST_DOCKER_HOST", ""),
                   help="a real dockerd for the anchor figure (default $SOCKERLESS_TEST_DOCKER_HOST)")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    agent = shlex.split(args.agent)
    results: dict = {"agent": args.agent, "iterations": args.iterations}
    for mode in ("forward", "reverse"):
        results[f"bridge_{mode}"] = asyncio.run(bench_bridge(mode, agent, args.iterations))
        print(f"bridge exec ({mode:7}): {_ms(results[f'bridge_{mode}']['exec'])}")
        print(f"bridge ping ({mode:7}): {_ms(results[f'bridge_{mode}']['ping'])}")
    api_iterations = max(10, args.iterations // 4)
    results["api_sockerless_agent"] = bench_sockerless_api(api_iterations)
    print(f"docker-py exec, sockerless + agent: {_ms(results['api_sockerless_agent']['exec'])}")
    if args.docker_host:
        results["api_dockerd"] = bench_dockerd(args.docker_host, api_iterations)
        print(f"docker-py exec, real dockerd:       {_ms(results['api_dockerd']['exec'])}")
        ratio = results["api_sockerless_agent"]["exec"]["median"] / results["api_dockerd"]["exec"]["median"]
        results["ratio_sockerless_over_dockerd"] = ratio
        print(f"ratio (sockerless + agent / dockerd, median): {ratio:.2f}")
    else:
        print("no --docker-host: the real-engine anchor was not measured")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
