"""The bridge follows a main process across a lost connection without losing or repeating output."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from types import SimpleNamespace

from agent_support import free_port
from sockerless.agent.bridge import AgentBridge
from sockerless.agent.hub import AgentHub
from sockerless.agent.link import ForwardAddress
from sockerless.engine.stdio import OutputStream, ProcessIO


def test_main_process_output_survives_a_dropped_connection(tmp_path):
    port = free_port()
    env = dict(os.environ, SOCKERLESS_AGENT_TOKEN="reattach-token")
    script = "for i in $(seq 1 40); do echo line-$i; echo err-$i >&2; sleep 0.05; done; exit 7"
    agent = subprocess.Popen([sys.executable, "-m", "sockerless_agent", "--listen", f"127.0.0.1:{port}",
                              "--log-file", str(tmp_path / "agent.log"), "--log-level", "info", "--", "sh", "-c", script],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def scenario():
        hub = AgentHub()
        address = ForwardAddress(f"ws://127.0.0.1:{port}", "reattach-token")
        bridge = AgentBridge(hub, lambda c: address, connect_timeout=30)
        container = SimpleNamespace(id="d" * 64)
        loop = asyncio.get_running_loop()
        out, err = bytearray(), bytearray()
        io = ProcessIO(stdin=None,
                       stdout=OutputStream(loop, lambda chunks: [out.extend(d) for _, d in chunks]),
                       stderr=OutputStream(loop, lambda chunks: [err.extend(d) for _, d in chunks]))
        process = await bridge.main_process(container, io, asyncio.to_thread(agent.wait))
        for _ in range(2):  # drop the connection twice while output flows
            while out.count(b"\n") < 10 * (_ + 1):
                await asyncio.sleep(0.02)
            link = await hub.link(container.id, address, 5)
            await link.close("dropped by the test")
        result = await asyncio.wait_for(process.wait(), 60)
        await hub.close()
        return result, bytes(out), bytes(err)

    try:
        result, out, err = asyncio.run(scenario())
    finally:
        agent.kill()
        agent.wait()
    assert (tmp_path / "agent.log").read_text().count("daemon connected from") == 3  # really reconnected twice
    assert result.code == 7
    assert out == b"".join(f"line-{i}\n".encode() for i in range(1, 41))
    assert err == b"".join(f"err-{i}\n".encode() for i in range(1, 41))
