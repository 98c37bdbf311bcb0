"""Processes of memory-backend containers through the docker CLI: ps/top/kill inside, signals
from outside (``docker kill -s``, ``docker stop`` with StopSignal and its timeout), keep-alives
and ``timeout``."""

from __future__ import annotations

import time


def out(result) -> str:
    return result.stdout.decode() if isinstance(result.stdout, bytes) else result.stdout


def _wait_for_log(docker, name: str, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    logs = ""
    while time.monotonic() < deadline:
        logs = out(docker("logs", name))
        if text in logs:
            return logs
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared in the logs of {name}: {logs!r}")


def test_ps_and_top_see_only_the_containers_processes(docker, name):
    docker("run", "-d", "--name", name, "alpine", "sh", "-c", "sleep 300 & sleep 301", check=True)
    try:
        lines = out(docker("exec", name, "ps", "-o", "pid,comm,args")).splitlines()
        assert lines[0].split() == ["PID", "COMMAND", "COMMAND"]
        commands = [line.split(None, 2)[2] for line in lines[1:]]
        assert "sleep 300" in commands and "sleep 301" in commands and "ps -o pid,comm,args" in commands
        # sh execs its last command (sleep 301 is pid 1), the other sleep, ps: nothing from the host
        assert len(commands) == 3 and lines[1].split()[:2] == ["1", "sleep"], lines
        top = out(docker("exec", name, "top", "-b", "-n", "1")).splitlines()
        assert top[3].split() == ["PID", "PPID", "USER", "STAT", "VSZ", "%VSZ", "CPU", "%CPU", "COMMAND"]
        assert any(row.endswith(" sleep 300") for row in top[4:]) and len(top) == 4 + 3
    finally:
        docker("rm", "-f", name)


def test_kill_inside_the_container_reaches_its_process(docker, name):
    script = "sleep 300; echo sleep-ended:$?; sleep 300"
    docker("run", "-d", "--name", name, "alpine", "sh", "-c", script, check=True)
    try:
        result = docker("exec", name, "sh", "-c", "kill $(pidof sleep) && echo sent")
        assert out(result) == "sent\n"
        assert "sleep-ended:143" in _wait_for_log(docker, name, "sleep-ended")
        # a signal from inside acts on pid 1 as on any process (as busybox sh scripts expect)
        docker("exec", name, "kill", "-USR1", "1")
        assert out(docker("wait", name)).strip() == str(128 + 10)
    finally:
        docker("rm", "-f", name)


def test_docker_kill_signal_reaches_the_command_with_128_plus_n(docker, name):
    # --init: the signal is forwarded to the command, which dies of it (128+n)
    docker("run", "-d", "--init", "--name", name, "alpine", "sleep", "300", check=True)
    try:
        assert docker("kill", "-s", "HUP", name).returncode == 0
        assert out(docker("wait", name)).strip() == "129"
        docker("start", name, check=True)
        assert docker("kill", "-s", "SIGUSR2", name).returncode == 0
        assert out(docker("wait", name)).strip() == str(128 + 12)
    finally:
        docker("rm", "-f", name)
    # a shell as pid 1 sees the signals it traps
    docker("run", "-d", "--name", name, "alpine", "sh", "-c",
           "trap 'echo got-int; exit 3' INT; echo ready; while :; do sleep 0.1; done", check=True)
    try:
        _wait_for_log(docker, name, "ready")
        assert docker("kill", "-s", "INT", name).returncode == 0
        assert out(docker("wait", name)).strip() == "3"
        assert "got-int" in out(docker("logs", name))
    finally:
        docker("rm", "-f", name)


def test_stop_uses_the_stop_signal_and_the_timeout(docker, name):
    script = "trap 'echo usr1; exit 7' USR1; trap 'echo term; exit 9' TERM; echo ready; while :; do sleep 0.1; done"
    docker("run", "-d", "--stop-signal", "USR1", "--name", name, "alpine", "sh", "-c", script, check=True)
    try:
        _wait_for_log(docker, name, "ready")
        assert out(docker("inspect", "-f", "{{.Config.StopSignal}}", name)).strip() == "USR1"
        assert docker("stop", name).returncode == 0
        assert out(docker("inspect", "-f", "{{.State.ExitCode}}", name)).strip() == "7"
        assert "usr1" in out(docker("logs", name)) and "term" not in out(docker("logs", name))
    finally:
        docker("rm", "-f", name)
    # a signal the command ignores: SIGKILL once the timeout is over, and not before
    docker("run", "-d", "--stop-timeout", "2", "--name", name, "alpine", "sh", "-c",
           "trap '' TERM; echo ready; while :; do sleep 0.1; done", check=True)
    try:
        _wait_for_log(docker, name, "ready")
        started = time.monotonic()
        assert docker("stop", name).returncode == 0
        elapsed = time.monotonic() - started
        assert 1.5 <= elapsed < 15, elapsed
        assert out(docker("inspect", "-f", "{{.State.ExitCode}}", name)).strip() == "137"
    finally:
        docker("rm", "-f", name)


def test_keepalives_run_until_stopped(docker, name):
    for keepalive in (["tail", "-f", "/dev/null"], ["sleep", "infinity"]):
        docker("run", "-d", "--name", name, "alpine", *keepalive, check=True)
        try:
            time.sleep(0.5)
            assert out(docker("inspect", "-f", "{{.State.Running}}", name)).strip() == "true", keepalive
            assert out(docker("exec", name, "echo", "alive")) == "alive\n"
            assert docker("stop", "-t", "1", name).returncode == 0
            # pid 1 without a TERM handler ignores it, as in any container: killed at the timeout
            assert out(docker("inspect", "-f", "{{.State.ExitCode}}", name)).strip() == "137"
        finally:
            docker("rm", "-f", name)


def test_tail_follow_streams_appended_lines(docker, name):
    docker("run", "-d", "--name", name, "alpine", "sh", "-c",
           "touch /tmp/log; tail -f /tmp/log & for i in 1 2 3; do echo line$i >> /tmp/log; sleep 0.2; done; wait", check=True)
    try:
        logs = _wait_for_log(docker, name, "line3")
        assert logs.splitlines()[:3] == ["line1", "line2", "line3"]
    finally:
        docker("rm", "-f", name)


def test_timeout_in_a_container(docker):
    result = docker("run", "--rm", "alpine", "sh", "-c", "timeout 1 sleep 10; echo status:$?")
    assert out(result) == "status:143\n"
    result = docker("run", "--rm", "alpine", "timeout", "-s", "KILL", "1", "sleep", "10")
    assert result.returncode == 137
    result = docker("run", "--rm", "alpine", "timeout", "5", "sh", "-c", "exit 4")
    assert result.returncode == 4
