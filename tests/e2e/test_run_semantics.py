"""Health checks, restart policies, --init, stop signal and timeout, --rm, exit codes and wait conditions:
the same script against a real dockerd and against Sockerless gives the same answers."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import pytest

SCENARIOS = {
    "health": (["run", "-d", "--network", "none", "--health-cmd", "exit 0", "--health-interval", "200ms",
                "alpine", "sleep", "30"], "{{.State.Health.Status}} {{.State.Health.FailingStreak}}", 2.0),
    "unhealthy": (["run", "-d", "--network", "none", "--health-cmd", "exit 1", "--health-interval", "100ms",
                   "--health-retries", "2", "alpine", "sleep", "30"], "{{.State.Health.Status}}", 2.0),
    "restart": (["run", "-d", "--network", "none", "--restart", "on-failure:2", "alpine", "sh", "-c", "exit 3"],
                "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}", 3.5),
}


def cli(host: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, DOCKER_HOST=host)
    env.pop("DOCKER_CONTEXT", None)
    return subprocess.run(["docker", *args], capture_output=True, timeout=timeout, env=env)


def outcomes(host: str, prefix: str) -> dict[str, object]:
    found: dict[str, object] = {}
    for key, (args, fmt, settle) in SCENARIOS.items():
        name = f"{prefix}-{key}"
        cli(host, "rm", "-f", name)
        created = cli(host, args[0], "--name", name, *args[1:])
        assert created.returncode == 0, created.stderr
        time.sleep(settle)
        found[key] = cli(host, "inspect", "-f", fmt, name).stdout.decode().strip()
        cli(host, "rm", "-f", name)
    none = ("--network", "none")
    found["init"] = cli(host, "run", "--rm", *none, "--init", "alpine", "ps", "-o", "pid,args").stdout.split(b"\n")[1].split()
    name = f"{prefix}-stopsig"
    cli(host, "run", "-d", "--name", name, *none, "--stop-signal", "SIGUSR1", "alpine", "sh", "-c",
        'trap "echo got usr1; exit 7" USR1; while true; do sleep 0.1; done')
    time.sleep(0.5)
    cli(host, "stop", name)
    found["stop-signal"] = (cli(host, "inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip(),
                            cli(host, "logs", name).stdout)
    cli(host, "rm", "-f", name)
    name = f"{prefix}-stoptimeout"
    cli(host, "run", "-d", "--name", name, *none, "--stop-timeout", "1", "alpine", "sh", "-c",
        'trap "" TERM; while true; do sleep 0.1; done')
    time.sleep(0.5)
    cli(host, "stop", name)
    found["stop-timeout"] = cli(host, "inspect", "-f", "{{.State.ExitCode}} {{.Config.StopTimeout}} {{.State.OOMKilled}}",
                                name).stdout.strip()
    cli(host, "rm", "-f", name)
    name = f"{prefix}-rm"
    cli(host, "run", "--name", name, "--rm", *none, "alpine", "true")
    found["auto-remove"] = cli(host, "inspect", name).returncode
    for key, command in (("not-found", ["nosuchcmd"]), ("not-executable", ["/etc/passwd"]),
                         ("exit", ["sh", "-c", "exit 42"]),
                         ("signal", ["sh", "-c", "sleep 30 & kill -TERM $!; wait $!"])):
        result = cli(host, "run", "--rm", *none, "alpine", *command)
        found[key] = (result.returncode, result.stdout)
    return found


def test_run_semantics_match_a_real_dockerd(daemon, services):
    prefix = f"sockerless-api-{uuid.uuid4().hex[:6]}"
    expected = outcomes(services["docker_host"], prefix)
    actual = outcomes(daemon.host, prefix)
    for key, value in expected.items():
        assert actual[key] == value, key


@pytest.mark.parametrize("condition, expected", [("next-exit", 0), ("removed", 0), ("bogus", 0)])
def test_wait_conditions(client, name, condition, expected):
    container = client.containers.create("alpine", ["sh", "-c", "sleep 0.3"], name=name)
    try:
        if condition == "removed":
            container.start()
            container.wait(timeout=30)
        waiter = client.api._post(client.api._url("/containers/{0}/wait", container.id),
                                  params={"condition": condition}, stream=True, timeout=30)
        if condition == "removed":
            time.sleep(0.2)
            container.remove()
        elif condition == "next-exit":
            container.start()
        assert waiter.json()["StatusCode"] == expected
    finally:
        if condition != "removed":
            container.remove(force=True)
