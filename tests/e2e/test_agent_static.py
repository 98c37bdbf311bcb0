"""The self-contained agent build in a busybox image (no Python in it) on the real dockerd, serving exec.

The build (``plugins/sockerless-agent/packaging/build-static.sh``) is made once per source
version and cached under ``$SOCKERLESS_TEST_CACHE`` (default ``~/.cache/sockerless``):
about 2-5 minutes on two busy cores the first time, nothing afterwards.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from agentbuild import BuildFailed
from agentbuild import static_agent as build_static_agent
from sockerless.agent import protocol
from sockerless.agent.bridge import AgentBridge
from sockerless.agent.hub import AgentHub
from sockerless.agent.link import ForwardAddress
from sockerless.engine.stdio import InputStream, OutputStream, ProcessIO
from sockerless.plugins.backend import StartError


@pytest.fixture(scope="session")
def static_agent() -> Path:
    """The built binary (built now unless this source version is cached: ``tests/agentbuild.py``)."""
    try:
        return build_static_agent()
    except BuildFailed as exc:
        pytest.fail(str(exc))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def busybox_agent(services, static_agent):
    """A busybox container on the real dockerd whose command runs under the static agent (host network)."""
    docker = ["docker", "-H", services["docker_host"]]
    name = f"agent-static-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    token = "static-" + uuid.uuid4().hex
    subprocess.run([*docker, "create", "--name", name, "--network", "host", "-e", f"{protocol.TOKEN_ENV}={token}",
                    "-e", "FROM_IMAGE_ENV=present", "-w", "/tmp", "busybox:latest", "/sockerless-agent",
                    "--listen", f"127.0.0.1:{port}", "--", "sleep", "300"], check=True, capture_output=True)
    try:
        subprocess.run([*docker, "cp", str(static_agent), f"{name}:/sockerless-agent"], check=True, capture_output=True)
        subprocess.run([*docker, "start", name], check=True, capture_output=True)
        yield SimpleNamespace(url=f"ws://127.0.0.1:{port}", token=token, name=name, docker=docker)
    finally:
        subprocess.run([*docker, "rm", "-f", name], capture_output=True)


async def _exec(bridge: AgentBridge, argv: list[str], stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    loop = asyncio.get_running_loop()
    out, err = bytearray(), bytearray()
    closed = [asyncio.Event(), asyncio.Event()]
    io = ProcessIO(stdin=InputStream() if stdin is not None else None,
                   stdout=OutputStream(loop, lambda chunks: [out.extend(d) for _, d in chunks], closed[0].set),
                   stderr=OutputStream(loop, lambda chunks: [err.extend(d) for _, d in chunks], closed[1].set))
    process = await bridge.exec_start(SimpleNamespace(id="b" * 64), uuid.uuid4().hex, argv, ["EXTRA=1"], "", "", False, io)
    if stdin is not None:
        io.stdin.feed(stdin)
        io.stdin.feed_eof()
    result = await process.wait()
    await asyncio.gather(*(event.wait() for event in closed))
    return result.code, bytes(out), bytes(err)


@pytest.mark.timeout(900)  # the first run of a source version includes the build
def test_static_agent_serves_exec_in_busybox(busybox_agent):
    async def scenario():
        hub = AgentHub()
        bridge = AgentBridge(hub, lambda c: ForwardAddress(busybox_agent.url, busybox_agent.token), connect_timeout=60)
        try:
            code, out, err = await _exec(bridge, ["sh", "-c", 'cat; echo "$FROM_IMAGE_ENV $EXTRA $(pwd)"; '
                                                              'echo oops >&2; ls /usr/bin/python3 2>&1; exit 3'],
                                         stdin=b"from stdin\n")
            assert code == 3
            assert out.startswith(b"from stdin\npresent 1 /tmp\n")
            assert b"No such file or directory" in out  # really an image without Python
            assert err == b"oops\n"
            assert await _exec(bridge, ["true"]) == (0, b"", b"")
            try:
                await _exec(bridge, ["no-such-program"])
            except StartError as exc:
                assert exc.exit_code == 127 and "executable file not found" in exc.message
            else:
                raise AssertionError("a missing program must not start")
            refused = AgentBridge(hub, lambda c: ForwardAddress(busybox_agent.url, "wrong"), connect_timeout=10)
            try:
                await _exec(refused, ["true"])
            except StartError as exc:
                assert "refused the daemon's token" in exc.message
            else:
                raise AssertionError("a wrong token must be refused")
        finally:
            await hub.close()

    asyncio.run(scenario())
    logs = subprocess.run([*busybox_agent.docker, "ps", "--filter", f"name={busybox_agent.name}", "--format",
                           "{{.Status}}"], capture_output=True, text=True).stdout
    assert logs.startswith("Up")
