"""The unmodified Docker CLI against the memory backend."""

from __future__ import annotations

import io
import json
import tarfile
import time


def out(result) -> str:
    return result.stdout.decode()


def test_run_prints_and_passes_exit_code(docker):
    result = docker("run", "--rm", "alpine", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert result.returncode == 3
    assert out(result) == "out\n"
    assert result.stderr.decode().endswith("err\n")


def test_run_true_and_false(docker):
    assert docker("run", "--rm", "alpine", "true").returncode == 0
    assert docker("run", "--rm", "alpine", "false").returncode == 1


def test_unknown_command_exits_127_and_permission_126(docker):
    result = docker("run", "--rm", "alpine", "no-such-command")
    assert result.returncode == 127
    assert "executable file not found in $PATH" in result.stderr.decode()
    assert docker("run", "--rm", "alpine", "/etc/passwd").returncode == 126


def test_env_workdir_and_name(docker, name):
    result = docker("run", "--name", name, "-e", "GREETING=hi there", "-w", "/tmp/work", "alpine",
                    "sh", "-c", 'echo "$GREETING"; pwd; echo "$HOSTNAME"')
    assert result.returncode == 0, result.stderr
    lines = out(result).splitlines()
    assert lines[0] == "hi there"
    assert lines[1] == "/tmp/work"
    info = json.loads(out(docker("inspect", name)))[0]
    assert info["Name"] == "/" + name
    assert lines[2] == info["Config"]["Hostname"] == info["Id"][:12]
    assert "GREETING=hi there" in info["Config"]["Env"]
    assert info["State"]["Status"] == "exited"
    assert info["State"]["ExitCode"] == 0
    docker("rm", name, check=True)


def test_rm_flag_removes_container(docker, name):
    assert docker("run", "--rm", "--name", name, "alpine", "true").returncode == 0
    assert docker("inspect", name).returncode != 0


def test_detached_logs_and_stderr_kept_apart(docker, name):
    cid = out(docker("run", "-d", "--name", name, "alpine", "sh", "-c",
                     "echo one; echo two >&2; echo three", check=True)).strip()
    assert len(cid) == 64
    assert docker("wait", name).stdout.strip() == b"0"
    logs = docker("logs", name)
    assert out(logs) == "one\nthree\n"
    assert logs.stderr.decode() == "two\n"
    stamped = out(docker("logs", "--timestamps", name)).splitlines()
    assert len(stamped) == 2 and stamped[0].endswith(" one") and stamped[0][4] == "-" and "T" in stamped[0]
    assert out(docker("logs", "--tail", "1", name)) == "three\n"
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    assert out(docker("logs", "--since", future, name)) == ""
    docker("rm", name, check=True)


def test_logs_follow_streams_until_exit(docker, name):
    docker("run", "-d", "--name", name, "alpine", "sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done",
           check=True)
    result = docker("logs", "-f", name, timeout=30)
    assert out(result) == "line1\nline2\nline3\n"
    docker("rm", name, check=True)


def test_piped_stdin_with_i(docker):
    result = docker("run", "--rm", "-i", "alpine", "sh", "-c", "tr a-z A-Z; echo done",
                    input=b"hello\nworld\n")
    assert result.returncode == 0
    assert out(result) == "HELLO\nWORLD\ndone\n"


def test_exec_runs_inside_running_container(docker, name):
    docker("run", "-d", "--name", name, "alpine", "sleep", "300", check=True)
    try:
        assert docker("exec", name, "sh", "-c", "echo x > /tmp/shared").returncode == 0
        assert out(docker("exec", name, "cat", "/tmp/shared")) == "x\n"
        result = docker("exec", "-e", "A=1", "-w", "/tmp", name, "sh", "-c", 'echo "$A $(pwd)"; exit 7')
        assert result.returncode == 7
        assert out(result) == "1 /tmp\n"
        piped = docker("exec", "-i", name, "sh", "-c", "cat | wc -l", input=b"a\nb\nc\n")
        assert out(piped).strip() == "3"
        assert docker("exec", name, "no-such-thing").returncode == 126  # as dockerd: the exec could not start
        top = out(docker("top", name))
        assert "sleep 300" in top
    finally:
        docker("rm", "-f", name)


def test_stop_kill_wait_and_exit_codes(docker, name):
    script = "trap 'exit 42' TERM; trap 'exit 43' USR1; while true; do sleep 0.1; done"
    docker("run", "-d", "--name", name, "alpine", "sh", "-c", script, check=True)
    assert docker("stop", "-t", "5", name).returncode == 0
    assert out(docker("inspect", "-f", "{{.State.ExitCode}}", name)).strip() == "42"
    docker("start", name, check=True)
    assert docker("kill", name).returncode == 0
    assert out(docker("wait", name)).strip() == "137"
    docker("start", name, check=True)
    assert docker("kill", "-s", "USR1", name).returncode == 0
    assert out(docker("wait", name)).strip() == "43"
    docker("rm", name, check=True)


def test_stop_kills_after_timeout_when_signal_ignored(docker, name):
    docker("run", "-d", "--name", name, "alpine", "sleep", "300", check=True)
    started = time.monotonic()
    assert docker("stop", "-t", "1", name).returncode == 0
    assert time.monotonic() - started < 20
    assert out(docker("inspect", "-f", "{{.State.ExitCode}}", name)).strip() == "137"
    docker("rm", name, check=True)


def test_attach_and_start_ai(docker, name):
    docker("create", "-i", "--name", name, "alpine", "sh", "-c", "read x; echo got:$x", check=True)
    result = docker("start", "-ai", name, input=b"value\n")
    assert result.returncode == 0
    assert out(result) == "got:value\n"
    docker("rm", name, check=True)


def test_attach_to_running_container(docker, name):
    docker("run", "-d", "--name", name, "alpine", "sh", "-c", "sleep 1; echo late; exit 5", check=True)
    result = docker("attach", name, timeout=30)
    assert out(result) == "late\n"
    assert result.returncode == 5
    docker("rm", name, check=True)


def test_rename_and_ps_filters(docker, name):
    other = name + "-b"
    docker("run", "-d", "--name", name, "-l", "suite=cli", "-l", "color=red", "alpine", "sleep", "300", check=True)
    docker("create", "--name", other, "-l", "suite=cli", "alpine", "true", check=True)
    try:
        running = out(docker("ps", "--filter", "label=suite=cli", "--format", "{{.Names}}")).split()
        assert running == [name]
        everything = sorted(out(docker("ps", "-a", "--filter", "label=suite=cli", "--format", "{{.Names}}")).split())
        assert everything == sorted([name, other])
        assert out(docker("ps", "-a", "--filter", "label=color=red", "-q")).strip() == \
            out(docker("inspect", "-f", "{{.Id}}", name)).strip()[:12]
        assert out(docker("ps", "-a", "--filter", "status=created", "--filter", "label=suite=cli",
                          "--format", "{{.Names}}")).split() == [other]
        assert docker("rename", other, other + "-x").returncode == 0
        assert out(docker("ps", "-a", "--filter", f"name={other}-x", "--format", "{{.Names}}")).split() == [other + "-x"]
        conflict = docker("rename", other + "-x", name)
        assert conflict.returncode != 0 and "already in use" in conflict.stderr.decode()
    finally:
        docker("rm", "-f", name, other + "-x")


def test_rm_running_needs_force(docker, name):
    docker("run", "-d", "--name", name, "alpine", "sleep", "300", check=True)
    refused = docker("rm", name)
    assert refused.returncode != 0 and "container is running" in refused.stderr.decode()
    assert docker("rm", "-f", name).returncode == 0


def test_restart_policy_on_failure(docker, name):
    docker("run", "-d", "--name", name, "--restart", "on-failure:2", "alpine", "sh", "-c", "exit 3", check=True)
    deadline = time.monotonic() + 20
    info = {}
    while time.monotonic() < deadline:
        info = json.loads(out(docker("inspect", name)))[0]
        if info["RestartCount"] == 2 and not info["State"]["Running"] and not info["State"]["Restarting"]:
            break
        time.sleep(0.2)
    assert info["RestartCount"] == 2
    assert info["State"]["ExitCode"] == 3
    docker("rm", "-f", name)


def test_volumes_and_networks(docker, name):
    vol, net = name + "-vol", name + "-net"
    docker("volume", "create", vol, check=True)
    docker("network", "create", net, check=True)
    try:
        docker("run", "--rm", "-v", f"{vol}:/data", "--network", net, "alpine", "sh", "-c", "echo kept > /data/f",
               check=True)
        assert out(docker("run", "--rm", "-v", f"{vol}:/data:ro", "alpine", "cat", "/data/f")) == "kept\n"
        refused = docker("run", "--rm", "-v", f"{vol}:/data:ro", "alpine", "sh", "-c", "echo x > /data/g")
        assert refused.returncode != 0
        names = out(docker("volume", "ls", "--format", "{{.Name}}")).split()
        assert vol in names
        inspect = json.loads(out(docker("network", "inspect", net)))[0]
        assert inspect["Driver"] == "bridge" and inspect["IPAM"]["Config"][0]["Subnet"]
        assert net in out(docker("network", "ls", "--format", "{{.Name}}")).split()
    finally:
        docker("network", "rm", net)
        docker("volume", "rm", vol)
    assert net not in out(docker("network", "ls", "--format", "{{.Name}}")).split()


def test_pull_without_network_says_builtin_rootfs_is_used(docker):
    result = docker("pull", "busybox:1.36")
    assert result.returncode == 0
    text = out(result)
    assert "using the built-in rootfs of the memory backend" in text
    assert "Status:" in text
    assert "busybox:1.36" in out(docker("images", "--format", "{{.Repository}}:{{.Tag}}"))


def _tick_count(docker, name: str) -> int:
    """Lines of the container's /tmp/ticks, read with ``docker cp`` (works while it is paused)."""
    archive = docker("cp", f"{name}:/tmp/ticks", "-", check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("ticks")
        assert member is not None
        return member.read().count(b"tick\n")


def test_pause_freezes_and_unpause_resumes(docker, name):
    # a busy writer: a pause that returns before the container is frozen lets a tick through
    docker("run", "-d", "--name", name, "alpine", "sh", "-c",
           "while true; do echo tick >> /tmp/ticks; done", check=True)
    try:
        deadline = time.monotonic() + 30
        while docker("cp", f"{name}:/tmp/ticks", "-").returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert docker("pause", name).returncode == 0
        # docker pause is synchronous: from its return on, nothing runs; both counts are taken
        # while paused, so how long the CLI calls take does not matter
        frozen_at = _tick_count(docker, name)
        time.sleep(0.6)
        assert _tick_count(docker, name) == frozen_at
        assert out(docker("inspect", "-f", "{{.State.Status}}", name)).strip() == "paused"
        assert "(Paused)" in out(docker("ps", "--filter", f"name={name}", "--format", "{{.Status}}"))
        refused = docker("exec", name, "true")
        assert refused.returncode != 0 and "paused" in refused.stderr.decode()
        assert _tick_count(docker, name) == frozen_at
        docker("unpause", name, check=True)
        deadline = time.monotonic() + 30
        while _tick_count(docker, name) <= frozen_at and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _tick_count(docker, name) > frozen_at
    finally:
        docker("rm", "-f", name)


def test_events_cli(docker, name):
    since = str(int(time.time()) - 1)
    docker("run", "--rm", "--name", name, "alpine", "true", check=True)
    until = str(int(time.time()) + 1)
    events = out(docker("events", "--since", since, "--until", until, "--filter", f"container={name}",
                        "--format", "{{.Type}} {{.Action}}"))
    actions = [line.split()[1] for line in events.splitlines()]
    assert actions == ["create", "attach", "start", "die", "destroy"]


def test_top_and_exec_user(docker, name):
    docker("run", "-d", "--name", name, "alpine", "sh", "-c", "sleep 300", check=True)
    try:
        assert out(docker("exec", "-u", "nobody", name, "id", "-u")).strip() == "65534"
        assert out(docker("exec", name, "id", "-un")).strip() == "root"
        top = out(docker("top", name)).splitlines()
        assert top[0].split()[:3] == ["UID", "PID", "PPID"]
    finally:
        docker("rm", "-f", name)


def test_init_forwards_signals(docker, name):
    docker("run", "-d", "--init", "--name", name, "alpine", "sleep", "300", check=True)
    top = out(docker("top", name))
    assert "docker-init -- sleep 300" in top and "sleep 300" in top
    started = time.monotonic()
    assert docker("stop", name).returncode == 0
    assert time.monotonic() - started < 8  # forwarded SIGTERM, no 10 s timeout
    assert out(docker("inspect", "-f", "{{.State.ExitCode}}", name)).strip() == "143"
    docker("rm", name, check=True)
    assert docker("run", "--rm", "--init", "alpine", "sh", "-c", "exit 5").returncode == 5


def test_pull_by_digest_is_refused_without_a_registry(docker):
    result = docker("pull", "alpine@sha256:" + "ab" * 32)
    assert result.returncode != 0
    assert "a pull by digest needs the registry" in result.stderr.decode()


def test_update_changes_only_the_limits_given(docker, name):
    # the CLI sends every field of Resources, the ones not given zeroed: those must stay as they are
    assert docker("create", "--name", name, "--cpu-shares", "512", "--memory", "64m", "alpine", "true").returncode == 0
    result = docker("update", "--memory", "128m", "--restart", "on-failure:2", name)
    assert result.returncode == 0, result.stderr
    shown = json.loads(out(docker("inspect", "-f", "{{json .HostConfig}}", name)))
    assert (shown["Memory"], shown["CpuShares"], shown["RestartPolicy"]) == (
        128 * 1024 * 1024, 512, {"Name": "on-failure", "MaximumRetryCount": 2})
    assert docker("update", "--cpu-shares", "256", name).returncode == 0
    shown = json.loads(out(docker("inspect", "-f", "{{json .HostConfig}}", name)))
    assert (shown["Memory"], shown["CpuShares"]) == (128 * 1024 * 1024, 256)
    assert docker("rm", name).returncode == 0
