"""Listeners and their security rules: TCP+TLS like dockerd's --tlsverify, loopback-only plain TCP, contexts."""

from __future__ import annotations

import json
import os
import socket
import subprocess

from daemon import Daemon, sockerless_command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_tcp_with_tlsverify(tmp_path, certs):
    port = _free_port()
    d = Daemon(tmp_path / "tls", extra_args=[
        "-H", f"tcp://127.0.0.1:{port}", "--tlsverify", "--tlscacert", str(certs / "ca.pem"),
        "--tlscert", str(certs / "server.pem"), "--tlskey", str(certs / "server-key.pem")])
    d.start()
    try:
        env = dict(os.environ, DOCKER_CONFIG=str(tmp_path / "cfg"))
        tls_args = ["--tlsverify", "--tlscacert", str(certs / "ca.pem"), "--tlscert", str(certs / "client.pem"),
                    "--tlskey", str(certs / "client-key.pem"), "-H", f"tcp://127.0.0.1:{port}"]
        ok = subprocess.run(["docker", *tls_args, "version", "--format", "{{.Server.APIVersion}}"],
                            capture_output=True, env=env, timeout=30)
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.strip() == b"1.45"
        no_cert = subprocess.run(["docker", "--tlsverify", "--tlscacert", str(certs / "ca.pem"), "-H",
                                  f"tcp://127.0.0.1:{port}", "version"], capture_output=True, env=env, timeout=30)
        assert no_cert.returncode != 0
        plain = subprocess.run(["docker", "-H", f"tcp://127.0.0.1:{port}", "version"], capture_output=True, env=env,
                               timeout=30)
        assert plain.returncode != 0
    finally:
        d.stop()


def test_plain_tcp_on_loopback_is_allowed(tmp_path):
    port = _free_port()
    d = Daemon(tmp_path / "tcp", extra_args=["-H", f"tcp://127.0.0.1:{port}"]).start()
    try:
        env = dict(os.environ, DOCKER_HOST=f"tcp://127.0.0.1:{port}", DOCKER_CONFIG=str(tmp_path / "cfg"))
        result = subprocess.run(["docker", "info", "--format", "{{.OSType}}"], capture_output=True, env=env, timeout=30)
        assert result.stdout.strip() == b"linux"
    finally:
        d.stop()


def test_plain_tcp_beyond_loopback_is_refused(tmp_path):
    result = subprocess.run([*sockerless_command(), "serve", "-H", "tcp://0.0.0.0:23750", "--data-root",
                             str(tmp_path / "data")], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "refusing to listen on tcp://0.0.0.0:23750 without TLS" in result.stderr


def test_context_registration(daemon, tmp_path):
    config = tmp_path / "docker-config"
    env = dict(os.environ, DOCKER_CONFIG=str(config))
    env.pop("DOCKER_HOST", None)
    made = subprocess.run([*sockerless_command(), "context", "--name", "sltest", "-H", daemon.host],
                          capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    listed = subprocess.run(["docker", "context", "ls", "--format", "{{json .}}"], capture_output=True, text=True,
                            env=env)
    names = [json.loads(line)["Name"] for line in listed.stdout.splitlines()]
    assert "sltest" in names
    ps = subprocess.run(["docker", "--context", "sltest", "ps", "-a", "--format", "{{.ID}}"], capture_output=True,
                        env=env, timeout=30)
    assert ps.returncode == 0, ps.stderr
    info = subprocess.run(["docker", "--context", "sltest", "info", "--format", "{{.Driver}}"], capture_output=True,
                          text=True, env=env, timeout=30)
    assert info.stdout.strip() == "sockerless-memory"
    removed = subprocess.run([*sockerless_command(), "context", "--name", "sltest", "--remove"], env=env,
                             capture_output=True)
    assert removed.returncode == 0
