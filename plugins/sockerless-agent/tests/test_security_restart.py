"""Tokens, TLS on the agent endpoint, and a daemon crash the agents survive."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from agent_support import agent_pid, free_port, start_agentd, wait_for
from sockerless.agent import protocol
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidMessage, InvalidStatus


async def _handshake(url: str, headers: dict[str, str]) -> str:
    """``"hello"`` when the agent greeted, else the HTTP status of the refusal."""
    try:
        async with connect(url, additional_headers=headers, subprotocols=[protocol.SUBPROTOCOL], open_timeout=10) as ws:
            return protocol.parse_control(await ws.recv())["type"]
    except InvalidStatus as exc:
        return str(exc.response.status_code)
    except (OSError, InvalidMessage) as exc:
        return f"failed: {exc}"


@pytest.fixture
def lone_agent(tmp_path):
    """An agent process in forward mode, started by hand with a known token."""
    port = free_port()
    env = dict(os.environ, SOCKERLESS_AGENT_TOKEN="the-right-token")
    proc = subprocess.Popen([sys.executable, "-m", "sockerless_agent", "--listen", f"127.0.0.1:{port}",
                             "--log-file", str(tmp_path / "agent.log"), "--", "sleep", "60"], env=env)
    url = f"ws://127.0.0.1:{port}"
    wait_for(lambda: asyncio.run(_handshake(url, {})) == "401", timeout=20, interval=0.1)
    yield url, proc, tmp_path / "agent.log"
    proc.kill()
    proc.wait()


def test_forward_agent_refuses_missing_and_wrong_tokens(lone_agent):
    url, proc, log = lone_agent
    assert asyncio.run(_handshake(url, {})) == "401"
    assert asyncio.run(_handshake(url, {protocol.TOKEN_HEADER: "Bearer the-wrong-token"})) == "401"
    assert asyncio.run(_handshake(url, {protocol.TOKEN_HEADER: "the-right-token"})) == "401"  # not a bearer header
    assert asyncio.run(_handshake(url + "/?token=the-right-token", {})) == "401"  # never from the URL
    assert asyncio.run(_handshake(url, {protocol.TOKEN_HEADER: "Bearer the-right-token"})) == "hello"
    assert b"the-right-token" not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    assert "the-right-token" not in log.read_text()


def test_tokens_stay_out_of_inspect_exec_env_and_logs(agentd):
    name = f"secret-{agentd.mode}"
    agentd.docker("run", "-d", "--name", name, "scratchy", "sleep", "3600", check=True)
    try:
        cid = agentd.docker("inspect", "--format", "{{.Id}}", name).stdout.decode().strip()
        environ = Path(f"/proc/{agent_pid(cid)}/environ").read_bytes().split(b"\0")
        token = next(e.split(b"=", 1)[1] for e in environ if e.startswith(protocol.TOKEN_ENV.encode() + b"="))
        assert len(token) > 20
        assert token not in agentd.docker("inspect", name).stdout
        assert token not in agentd.docker("exec", name, "env").stdout
        assert protocol.TOKEN_ENV.encode() not in agentd.docker("exec", name, "env").stdout
        assert token not in agentd.log_path.read_bytes()
        agent_logs = (agentd.data_root / "backends" / "agentproc").glob("*.agent.log")
        assert all(token not in path.read_bytes() for path in agent_logs)
    finally:
        agentd.docker("rm", "-f", name)


def test_reverse_endpoint_refuses_wrong_tokens_and_paths(tmp_path, agentproc_site):
    port = free_port()
    d = start_agentd(tmp_path / "d", "reverse", agentproc_site, endpoint_port=port)
    try:
        d.docker("run", "-d", "--name", "target", "scratchy", "sleep", "3600", check=True)
        cid = d.docker("inspect", "--format", "{{.Id}}", "target").stdout.decode().strip()
        url = f"ws://127.0.0.1:{port}{protocol.REVERSE_PATH}"
        assert asyncio.run(_handshake(url, {protocol.CONTAINER_HEADER: cid})) == "401"
        assert asyncio.run(_handshake(url, {protocol.CONTAINER_HEADER: cid,
                                            protocol.TOKEN_HEADER: "Bearer forged"})) == "401"
        assert asyncio.run(_handshake(url, {protocol.CONTAINER_HEADER: "f" * 64,
                                            protocol.TOKEN_HEADER: "Bearer forged"})) == "401"
        assert asyncio.run(_handshake(f"ws://127.0.0.1:{port}/elsewhere", {})) == "404"
        assert b"refused an agent connection" in d.log_path.read_bytes()
        assert d.docker("exec", "target", "echo", "still-fine").stdout == b"still-fine\n"
    finally:
        d.docker("rm", "-f", "target")
        d.stop()


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_agents_survive_a_daemon_crash(tmp_path, agentproc_site, mode):
    # reverse: no fixed endpoint port; the daemon keeps the port it chose in its data root
    d = start_agentd(tmp_path / "d", mode, agentproc_site, endpoint_port=free_port() if mode == "forward" else None)
    try:
        d.docker("run", "-d", "--name", "survivor", "scratchy", "sh", "-c", "echo before; exec sleep 3600", check=True)
        cid = d.docker("inspect", "--format", "{{.Id}}", "survivor").stdout.decode().strip()
        pid = agent_pid(cid)
        assert d.docker("exec", "survivor", "echo", "one").stdout == b"one\n"
        remembered = (d.data_root / "agent-endpoint-port").read_text() if mode == "reverse" else ""
        d.kill()
        time.sleep(0.5)  # the agent notices and starts redialling (reverse) or waits (forward)
        d.start()
        if mode == "reverse":
            assert (d.data_root / "agent-endpoint-port").read_text() == remembered
        assert d.docker("inspect", "--format", "{{.State.Status}}", "survivor").stdout.strip() == b"running"
        result = d.docker("exec", "survivor", "sh", "-c", "echo two; exit 3")
        assert result.returncode == 3 and result.stdout == b"two\n", result.stderr
        assert agent_pid(cid) == pid  # the same agent, reconnected
        assert d.docker("stop", "survivor").returncode == 0  # and its end is noticed
        assert d.docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "survivor").stdout.strip() \
            == b"exited 143"
    finally:
        d.docker("rm", "-f", "survivor")
        d.stop()


def _self_signed(tmp_path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def test_reverse_mode_over_tls(tmp_path, agentproc_site):
    cert, key = _self_signed(tmp_path)
    port = free_port()
    d = start_agentd(tmp_path / "d", "reverse", agentproc_site, endpoint_port=port,
                     extra=["--agent-tlscert", str(cert), "--agent-tlskey", str(key),
                            "--backend-opt", f"agent-ca-file={cert}"])
    try:
        result = d.docker("run", "--rm", "scratchy", "sh", "-c", "echo over-tls; exit 2")
        assert result.returncode == 2 and result.stdout == b"over-tls\n", result.stderr
        plain = asyncio.run(_handshake(f"ws://127.0.0.1:{port}{protocol.REVERSE_PATH}", {}))
        assert plain not in ("hello", "401")  # no plain-text WebSocket on a TLS endpoint
    finally:
        d.stop()


def test_forward_mode_over_tls(tmp_path, agentproc_site):
    cert, key = _self_signed(tmp_path)
    d = start_agentd(tmp_path / "d", "forward", agentproc_site,
                     extra=["--backend-opt", f"agent-tls-cert={cert}", "--backend-opt", f"agent-tls-key={key}",
                            "--backend-opt", f"agent-ca-file={cert}"])
    try:
        d.docker("run", "-d", "--name", "tls", "scratchy", "sleep", "3600", check=True)
        result = d.docker("exec", "-i", "tls", "sh", "-c", "cat; exit 4", input=b"encrypted\n")
        assert result.returncode == 4 and result.stdout == b"encrypted\n", result.stderr
    finally:
        d.docker("rm", "-f", "tls")
        d.stop()
