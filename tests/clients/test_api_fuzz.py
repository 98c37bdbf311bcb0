"""Schemathesis fuzzes the daemon against the Docker Engine API v1.45 spec (non-swarm, non-streaming).

A dedicated daemon (the run creates, prunes and deletes at random) with a loopback TCP listener;
checks: no server error other than an explicit 501 refusal, and every documented response
conforming to its schema (see ``fuzz_hooks`` for the few fields where dockerd itself sends null).
Set ``SOCKERLESS_FUZZ_EXAMPLES`` (default 5 per operation) and ``SOCKERLESS_FUZZ_PHASES`` (default
``examples,fuzzing``; add ``coverage`` for schemathesis's boundary cases, about two minutes more)
to fuzz harder than the CI budget allows.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from clienttools import client_env, run, tool, venv_bin
from daemon import Daemon

SPEC = Path(__file__).resolve().parents[2] / "tests/fixtures/docker-engine-api-v1.45.yaml"
EXCLUDED_TAGS = ("Swarm", "Node", "Service", "Task", "Secret", "Config", "Plugin", "Session")
# hijacked, endless or registry-bound streams: exercised by the client suites instead
STREAMING = ("ContainerAttach", "ContainerAttachWebsocket", "ExecStart", "SystemEvents", "ContainerLogs",
             "ContainerStats", "ContainerWait", "ContainerExport", "ImageBuild", "ImagePush", "ImageCreate",
             "ImageLoad", "ImageGet", "ImageGetAll", "BuildPrune")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_server_errors_and_schema_conformant_responses(tmp_path):
    st = tool("schemathesis (pip install schemathesis)", venv_bin("st"))
    port = _free_port()
    daemon = Daemon(tmp_path / "fuzzd", extra_args=["-H", f"tcp://127.0.0.1:{port}"]).start()
    try:
        daemon.docker("pull", "alpine", check=True)
        # it ends on SIGTERM: a generated stop or restart with a huge (negative-mode) timeout returns at once
        daemon.docker("run", "-d", "--name", "fuzz-running", "alpine", "sh", "-c",
                      "trap 'exit 0' TERM; sleep 600 & wait", check=True)
        daemon.docker("volume", "create", "fuzz-volume", check=True)
        daemon.docker("network", "create", "fuzz-network", check=True)
        # one worker: schemathesis's threads hit CPython 3.11's thread-unsafe AST constructor now and then
        # ("SystemError: AST constructor recursion depth mismatch"), and one is as fast at this size
        args = [st, "run", str(SPEC), "--url", f"http://127.0.0.1:{port}/v1.45",
                "--checks", "docker_no_server_error,response_schema_conformance",
                "--phases", os.environ.get("SOCKERLESS_FUZZ_PHASES", "examples,fuzzing"),
                "--max-examples", os.environ.get("SOCKERLESS_FUZZ_EXAMPLES", "5"),
                "--workers", "1", "--request-timeout", "20", "--no-color", "--warnings", "off"]
        for tag in EXCLUDED_TAGS:
            args += ["--exclude-tag", tag]
        for operation in STREAMING:
            args += ["--exclude-operation-id", operation]
        env = client_env(daemon, SCHEMATHESIS_HOOKS="fuzz_hooks",
                         PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                                  os.environ.get("PYTHONPATH")])))
        result = run(args, env=env, cwd=tmp_path, timeout=280)
        out = result.stdout + result.stderr
        assert result.returncode == 0, out[-20000:]
        assert "Server error" not in out
        assert daemon.ping(), "the daemon survived the fuzz run"
    finally:
        daemon.stop()
