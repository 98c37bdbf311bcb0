"""The agent driven through the core's bridge by real clients, in forward and reverse mode.

Every container of the agentproc fixture backend is a local ``sockerless-agent`` process
wrapping the container's command; the Docker CLI and docker-py talk to the daemon, the
daemon talks to the agent over WebSocket.
"""

from __future__ import annotations

import base64
import concurrent.futures
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time

import docker as docker_py
import pytest
from agent_support import agent_pid, wait_for


def _id(d, name: str) -> str:
    return d.docker("inspect", "--format", "{{.Id}}", name, check=True).stdout.decode().strip()


@pytest.fixture
def client(agentd):
    c = docker_py.DockerClient(base_url=agentd.host, timeout=60)
    yield c
    c.close()


@pytest.fixture
def long_running(agentd, request):
    """A running container whose main process sleeps (name unique per test)."""
    name = f"long-{request.node.name.split('[')[0][-20:]}-{agentd.mode}"
    agentd.docker("run", "-d", "--name", name, "-e", "FROM_CONTAINER=yes", "scratchy", "sleep", "3600", check=True)
    yield name
    agentd.docker("rm", "-f", name)


def test_run_gives_output_exit_code_and_passes_output_through(agentd):
    result = agentd.docker("run", "--name", f"run-{agentd.mode}", "scratchy", "sh", "-c",
                           'echo "out $0"; echo err >&2; exit 7')
    assert result.returncode == 7, result.stderr
    assert result.stdout == b"out sh\n"
    assert result.stderr.endswith(b"err\n")
    cid = _id(agentd, f"run-{agentd.mode}")
    logs = agentd.docker("logs", cid)
    assert logs.stdout == b"out sh\n" and logs.stderr == b"err\n"
    # the agent's own stdout/stderr (what a cloud log service captures) carry the same output
    passthrough = (agentd.data_root / "backends" / "agentproc" / f"{cid}.output").read_bytes()
    assert b"out sh\n" in passthrough and b"err\n" in passthrough
    assert agentd.docker("inspect", "--format", "{{.State.ExitCode}}", cid).stdout.strip() == b"7"
    agentd.docker("rm", cid, check=True)


def test_exec_streams_stdin_and_exit_codes(agentd, long_running):
    result = agentd.docker("exec", "-i", "-e", "EXTRA=1", long_running, "sh", "-c",
                           'cat; echo "env $FROM_CONTAINER $EXTRA"; echo to-err >&2; exit 3',
                           input=b"line one\nline two\n")
    assert result.returncode == 3
    assert result.stdout == b"line one\nline two\nenv yes 1\n"
    assert result.stderr == b"to-err\n"
    big = base64.b64encode(os.urandom(3 << 20))  # no ctrl-p ctrl-q in it: that is the detach sequence
    copied = agentd.docker("exec", "-i", long_running, "sh", "-c", "cat; exit 0", input=big)
    assert copied.returncode == 0 and copied.stdout == big
    assert agentd.docker("exec", "-w", "/tmp", "-u", "nobody", long_running, "sh", "-c", "pwd; id -un").stdout == b"/tmp\nnobody\n"


def test_exec_inspect_reports_the_exit_code(agentd, long_running, client):
    container = client.containers.get(long_running)
    exec_id = client.api.exec_create(container.id, ["sh", "-c", "echo hi; exit 42"])["Id"]
    output = client.api.exec_start(exec_id)
    assert output == b"hi\n"
    info = client.api.exec_inspect(exec_id)
    assert info["ExitCode"] == 42 and info["Running"] is False


def test_exec_start_failures_are_errors(agentd, long_running):
    missing = agentd.docker("exec", long_running, "no-such-program")
    assert missing.returncode == 126  # dockerd records 126 for every exec that cannot start
    assert b'exec: "no-such-program": executable file not found in $PATH' in missing.stderr
    user = agentd.docker("exec", "-u", "no-such-user", long_running, "true")
    assert user.returncode != 0 and b"unable to find user no-such-user" in user.stderr
    cwd = agentd.docker("exec", "-w", "/no/such/dir", long_running, "true")
    assert cwd.returncode != 0 and b"no such file or directory" in cwd.stderr


def test_exec_tty_with_resize(agentd, long_running, client):
    container = client.containers.get(long_running)
    exec_id = client.api.exec_create(container.id, ["sh", "-c", "stty size; read x; stty size; echo bye"],
                                     tty=True, stdin=True)["Id"]
    sock = client.api.exec_start(exec_id, tty=True, socket=True)._sock
    client.api.exec_resize(exec_id, height=33, width=77)
    time.sleep(0.2)
    client.api.exec_resize(exec_id, height=40, width=100)
    time.sleep(0.2)
    sock.sendall(b"\n")
    data = b""
    deadline = time.monotonic() + 20
    while b"bye" not in data and time.monotonic() < deadline:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    sock.close()
    assert b"40 100" in data, data
    assert b"\r\n" in data  # a terminal: raw bytes, no multiplexing headers
    assert wait_for(lambda: not client.api.exec_inspect(exec_id)["Running"])
    assert client.api.exec_inspect(exec_id)["ExitCode"] == 0


def test_docker_exec_it_from_a_terminal(agentd, long_running):
    """``docker exec -it`` under a real pseudo-terminal: the CLI sends its size, keys reach the shell."""
    env = dict(os.environ, DOCKER_HOST=agentd.host, DOCKER_CONFIG=str(agentd.workdir / "docker-config"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 27, 91, 0, 0))
    proc = subprocess.Popen(["docker", "exec", "-it", long_running, "sh"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True)
    os.close(slave)
    try:
        os.write(master, b"stty size; tty; exit 5\n")
        data = b""
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    data += os.read(master, 4096)
                except OSError:
                    break
        assert proc.wait(10) == 5
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert b"27 91" in data, data
    assert b"/dev/pts/" in data


def test_signals_reach_the_main_process(agentd):
    name = f"trap-{agentd.mode}"
    agentd.docker("run", "-d", "--name", name, "scratchy", "sh", "-c",
                  'trap "echo got-usr1" USR1; trap "echo got-term; exit 9" TERM; echo ready; '
                  'while true; do sleep 0.1; done', check=True)
    try:
        wait_for(lambda: b"ready" in agentd.docker("logs", name).stdout)
        assert agentd.docker("kill", "-s", "USR1", name).returncode == 0
        wait_for(lambda: b"got-usr1" in agentd.docker("logs", name).stdout)
        assert agentd.docker("stop", "-t", "10", name).returncode == 0
        assert agentd.docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == b"9"
        assert b"got-term" in agentd.docker("logs", name).stdout
    finally:
        agentd.docker("rm", "-f", name)


def test_concurrent_execs_share_one_connection(agentd, long_running):
    def run(i: int):
        return agentd.docker("exec", long_running, "sh", "-c", f"sleep 0.3; echo exec-{i}; echo e{i} >&2; exit {i}")

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, range(8)))
    for i, result in enumerate(results):
        assert result.returncode == i
        assert result.stdout == f"exec-{i}\n".encode() and result.stderr == f"e{i}\n".encode()


def test_attach_to_the_main_process(agentd):
    piped = agentd.docker("run", "--rm", "-i", "scratchy", "sh", "-c", 'read x; echo "got $x"; exit 4',
                          input=b"hello\n")
    assert piped.returncode == 4 and piped.stdout == b"got hello\n"
    name = f"late-{agentd.mode}"
    agentd.docker("run", "-d", "--name", name, "scratchy", "sh", "-c", "sleep 1.5; echo late; exit 6", check=True)
    try:
        attached = agentd.docker("attach", name)
        assert attached.returncode == 6
        assert attached.stdout == b"late\n"
    finally:
        agentd.docker("rm", "-f", name)


def test_health_checks_run_through_the_agent(agentd):
    name = f"health-{agentd.mode}"
    agentd.docker("run", "-d", "--name", name, "--health-cmd", "test -e ready-file", "--health-interval", "1s",
                  "--health-retries", "1", "scratchy", "sh", "-c", "sleep 2.5; touch ready-file; sleep 3600", check=True)
    try:
        def status():
            return agentd.docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip().decode()

        assert wait_for(lambda: status() == "unhealthy")
        assert wait_for(lambda: status() == "healthy")
    finally:
        agentd.docker("rm", "-f", name)


def test_keep_alive_containers_serve_exec(agentd):
    name = f"keep-{agentd.mode}"
    agentd.docker("run", "-d", "--name", name, "scratchy", "tail", "-f", "/dev/null", check=True)
    try:
        cid = _id(agentd, name)
        pid = agent_pid(cid)
        children = subprocess.run(["ps", "-o", "args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
        assert "tail" not in children  # the idiom is not run: the agent itself stays up
        assert agentd.docker("exec", name, "echo", "served").stdout == b"served\n"
        began = time.monotonic()
        assert agentd.docker("stop", name).returncode == 0
        assert time.monotonic() - began < 8
        assert agentd.docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == b"143"
    finally:
        agentd.docker("rm", "-f", name)


def test_agent_killed_mid_exec_is_a_clear_error(agentd):
    name = f"victim-{agentd.mode}"
    agentd.docker("run", "-d", "--name", name, "scratchy", "sleep", "3600", check=True)
    cid = _id(agentd, name)
    env = dict(os.environ, DOCKER_HOST=agentd.host, DOCKER_CONFIG=str(agentd.workdir / "docker-config"))
    proc = subprocess.Popen(["docker", "exec", name, "sh", "-c", "echo started; sleep 60"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline() == b"started\n"
        os.kill(agent_pid(cid), signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode not in (0, None)
        assert proc.returncode == 255
        assert b"lost the connection to the agent" in err
        state = wait_for(lambda: agentd.docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}",
                                               name).stdout.strip() != b"running 0" and
                         agentd.docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name).stdout.strip(),
                         timeout=40)
        assert state == b"exited 137"
    finally:
        if proc.poll() is None:
            proc.kill()
        agentd.docker("rm", "-f", name)


def test_docker_cp_round_trip_keeps_modes_and_symlinks(agentd, long_running, tmp_path):
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "data.bin").write_bytes(os.urandom(700_000))
    (src / "script.sh").write_text("#!/bin/sh\necho hi\n")
    (src / "script.sh").chmod(0o751)
    (src / "sub" / "secret").write_text("s")
    (src / "sub" / "secret").chmod(0o600)
    (src / "sub").chmod(0o710)
    (src / "link").symlink_to("script.sh")
    (src / "dangling").symlink_to("/nowhere/at/all")
    inside = f"/tmp/agentcp-{agentd.mode}-{os.getpid()}"
    assert agentd.docker("exec", long_running, "mkdir", "-p", inside).returncode == 0
    try:
        put = agentd.docker("cp", str(src), f"{long_running}:{inside}/")
        assert put.returncode == 0, put.stderr
        listing = agentd.docker("exec", long_running, "sh", "-c",
                                f"cd {inside}/tree && stat -c '%n %a %F' script.sh sub sub/secret && readlink link dangling")
        assert listing.stdout.decode().split("\n")[:5] == [
            "script.sh 751 regular file", "sub 710 directory", "sub/secret 600 regular file", "script.sh", "/nowhere/at/all"]
        back = tmp_path / "back"
        back.mkdir()
        got = agentd.docker("cp", f"{long_running}:{inside}/tree", str(back))
        assert got.returncode == 0, got.stderr
        copy = back / "tree"
        assert (copy / "data.bin").read_bytes() == (src / "data.bin").read_bytes()
        assert oct((copy / "script.sh").stat().st_mode & 0o7777) == "0o751"
        assert oct((copy / "sub").stat().st_mode & 0o7777) == "0o710"
        assert os.readlink(copy / "link") == "script.sh"
        assert os.readlink(copy / "dangling") == "/nowhere/at/all"
        single = agentd.docker("cp", f"{long_running}:{inside}/tree/link", str(back / "followed"))
        assert single.returncode == 0 and os.readlink(back / "followed") == "script.sh"
        missing = agentd.docker("cp", f"{long_running}:{inside}/absent", str(back))
        assert missing.returncode != 0
        assert f"Could not find the file {inside}/absent in container {long_running}".encode() in missing.stderr
        not_dir = agentd.docker("cp", str(src / "script.sh"), f"{long_running}:{inside}/tree/script.sh/x")
        assert not_dir.returncode != 0
    finally:
        agentd.docker("exec", long_running, "rm", "-rf", inside)


def test_main_process_terminal_resize(agentd, client):
    name = f"ttymain-{agentd.mode}"
    agentd.docker("run", "-d", "-t", "--name", name, "scratchy", "sh", "-c",
                  "echo ready; while true; do stty size; sleep 0.3; done", check=True)
    try:
        wait_for(lambda: b"ready" in agentd.docker("logs", name).stdout)
        client.api.resize(name, height=21, width=61)
        wait_for(lambda: b"21 61" in agentd.docker("logs", name).stdout)
        client.api.resize(name, height=22, width=62)
        wait_for(lambda: b"22 62" in agentd.docker("logs", name).stdout)
        assert b"21 61\r\n" in agentd.docker("logs", name).stdout  # written through a terminal
    finally:
        agentd.docker("rm", "-f", name)
