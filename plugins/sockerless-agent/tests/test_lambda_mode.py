"""The agent as a Lambda runtime client: one invocation from a Runtime API, the exit code as its response.

A local Runtime API (the three routes the agent uses) stands in for Lambda's; the daemon side
is the core's hub and bridge in reverse mode, as a backend uses them.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from sockerless.agent.bridge import AgentBridge
from sockerless.agent.hub import AgentHub
from sockerless.agent.link import ReverseAddress
from sockerless.agent.tokens import new_token
from sockerless.engine.stdio import OutputStream, ProcessIO
from sockerless_agent.lambda_runtime import Invocation, RuntimeAPIError, RuntimeClient

CONTAINER = "a" * 64
REQUEST_ID = "8f2d6a1e-0000-4000-8000-1234567890ab"


class FakeRuntimeAPI:
    """Serves one invocation with ``payload`` and records what the runtime posts."""

    def __init__(self, payload: dict) -> None:
        self.payload = payload
        self.posts: list[tuple[str, dict]] = []
        self.nexts = 0
        self.posted = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                assert self.path == "/2018-06-01/runtime/invocation/next"
                api.nexts += 1
                if api.nexts > 1:  # a runtime that asks twice would block forever on Lambda
                    self.send_response(500)
                    self.end_headers()
                    return
                body = json.dumps(api.payload).encode()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", REQUEST_ID)
                self.send_header("Lambda-Runtime-Deadline-Ms", "4102444800000")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                api.posts.append((self.path, json.loads(data or b"{}")))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                api.posted.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def runtime_api():
    api = FakeRuntimeAPI({})
    yield api
    api.close()


def _agent(runtime_api: FakeRuntimeAPI, url: str, command: list[str], tmp_path, token_env: str | None = None,
           extra: list[str] | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKERLESS_AGENT_")}
    env["AWS_LAMBDA_RUNTIME_API"] = runtime_api.address
    if token_env is not None:
        env["SOCKERLESS_AGENT_TOKEN"] = token_env
    return subprocess.Popen([sys.executable, "-m", "sockerless_agent", "--lambda", "--connect", url,
                             "--container", CONTAINER, "--log-file", str(tmp_path / "agent.log"), "--log-level", "info",
                             *(extra or []), "--", *command],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _drive(runtime_api, tmp_path, command, *, payload_token=True, token_env=None, then=None):
    """Run an agent for one invocation under a reverse-mode bridge; (exit result, out, err, agent)."""
    token = new_token()

    async def scenario():
        hub = AgentHub()
        hub.expect(CONTAINER, token)
        url = await hub.reverse_url()
        if payload_token:
            runtime_api.payload["agentToken"] = token
        agent = _agent(runtime_api, url, command, tmp_path, token if token_env else None)
        bridge = AgentBridge(hub, lambda c: ReverseAddress(CONTAINER, token), backend="lambda", connect_timeout=20)
        loop = asyncio.get_running_loop()
        out, err = bytearray(), bytearray()
        io = ProcessIO(stdin=None,
                       stdout=OutputStream(loop, lambda chunks: [out.extend(d) for _, d in chunks]),
                       stderr=OutputStream(loop, lambda chunks: [err.extend(d) for _, d in chunks]))
        try:
            process = await bridge.main_process(SimpleNamespace(id=CONTAINER), io, asyncio.to_thread(agent.wait))
            if then is not None:
                await then(bridge, process)
            result = await asyncio.wait_for(process.wait(), 30)
            await asyncio.wait_for(asyncio.to_thread(agent.wait), 15)
        finally:
            if agent.poll() is None:
                agent.kill()
            await hub.close()
        return result, bytes(out), bytes(err), agent

    return token, asyncio.run(scenario())


def test_one_invocation_runs_the_command_and_answers_with_its_exit_code(runtime_api, tmp_path):
    script = 'echo "out ${AWS_LAMBDA_RUNTIME_API:-hidden}"; echo err >&2; exit 4'
    _, (result, out, err, agent) = _drive(runtime_api, tmp_path, ["sh", "-c", script])
    assert result.code == 4
    assert out == b"out hidden\n"  # the Runtime API is the agent's, not the workload's
    assert err == b"err\n"
    assert runtime_api.posts == [(f"/2018-06-01/runtime/invocation/{REQUEST_ID}/response", {"exitCode": 4})]
    assert runtime_api.nexts == 1
    assert agent.returncode == 4
    passed = agent.stdout.read()
    assert passed == b"out hidden\n"  # the function's log gets the output too


def test_a_signal_from_the_daemon_ends_the_invocation_with_128_plus_it(runtime_api, tmp_path):
    async def stop(bridge, process):
        await bridge.signal_main(SimpleNamespace(id=CONTAINER), 15)

    _, (result, _, _, _) = _drive(runtime_api, tmp_path, ["sleep", "30"], then=stop)
    assert result.code == 143
    assert runtime_api.posts[-1][1] == {"exitCode": 143}


def test_the_token_may_come_from_the_environment(runtime_api, tmp_path):
    _, (result, out, _, _) = _drive(runtime_api, tmp_path, ["sh", "-c", "echo ok"], payload_token=False,
                                    token_env=True)
    assert result.code == 0 and out == b"ok\n"
    assert runtime_api.posts[-1][1] == {"exitCode": 0}


def test_a_command_that_cannot_start_is_an_invocation_error(runtime_api, tmp_path):
    agent = _agent(runtime_api, "ws://127.0.0.1:9/v1/agent/connect", ["no-such-program-xyz"], tmp_path,
                   token_env="some-token")
    assert agent.wait(30) == 127
    assert b'exec: "no-such-program-xyz": executable file not found in $PATH' in agent.stderr.read()
    path, body = runtime_api.posts[0]
    assert path == f"/2018-06-01/runtime/invocation/{REQUEST_ID}/error"
    assert body["exitCode"] == 127 and body["errorType"] == "Sockerless.StartError"
    assert "executable file not found" in body["errorMessage"]


def test_without_any_token_the_invocation_fails_clearly(runtime_api, tmp_path):
    agent = _agent(runtime_api, "ws://127.0.0.1:9/v1/agent/connect", ["true"], tmp_path)
    assert agent.wait(30) == 2
    assert b"no agent token" in agent.stderr.read()
    assert runtime_api.posts[0][1]["exitCode"] == 2


def test_lambda_mode_needs_the_runtime_api_and_reverse_mode(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOCKERLESS_AGENT_", "AWS_LAMBDA_"))}
    missing = subprocess.run([sys.executable, "-m", "sockerless_agent", "--lambda", "--connect", "ws://127.0.0.1:9/x",
                              "--container", CONTAINER, "--", "true"], env=env, capture_output=True, text=True)
    assert missing.returncode == 2 and "AWS_LAMBDA_RUNTIME_API" in missing.stderr
    forward = subprocess.run([sys.executable, "-m", "sockerless_agent", "--lambda", "--listen", "127.0.0.1:0", "--",
                              "true"], env=dict(env, SOCKERLESS_AGENT_TOKEN="t"), capture_output=True, text=True)
    assert forward.returncode == 2 and "reverse mode only" in forward.stderr


def test_runtime_client_parses_addresses_and_payloads():
    with pytest.raises(RuntimeAPIError, match="HOST:PORT"):
        RuntimeClient("localhost")
    assert RuntimeClient("[::1]:9001").host == "::1"
    assert Invocation("id", {"agentToken": "t"}).token == "t"
    assert Invocation("id", {"agentToken": 5}).token == ""
    assert "secret-value" not in repr(Invocation("id", {"agentToken": "secret-value"}))


def test_a_workload_no_daemon_reaches_is_ended_after_the_connect_timeout(runtime_api, tmp_path):
    agent = _agent(runtime_api, "ws://127.0.0.1:9/v1/agent/connect", ["sleep", "60"], tmp_path, token_env="t",
                   extra=["--connect-timeout", "1", "--linger", "0.5"])
    assert agent.wait(30) == 137
    assert b"no connection to the daemon at ws://127.0.0.1:9/v1/agent/connect within 1 s" in agent.stderr.read()
    assert runtime_api.posts == [(f"/2018-06-01/runtime/invocation/{REQUEST_ID}/response", {"exitCode": 137})]
