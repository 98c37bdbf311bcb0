"""The Docker CLI against ``sockerless serve --backend lambda`` pointed at the AWS simulator."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import tarfile
import time
import uuid
from pathlib import Path

import pytest
from lambda_support import container_id, function_names, function_of, wait_for


@pytest.fixture
def name() -> str:
    return f"lam-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def running(lambdad, name):
    """A detached container whose main process runs for a minute."""
    lambdad.docker("run", "-d", "--name", name, "-e", "FROM_CONTAINER=yes", "alpine", "sleep", "60", check=True)
    yield name
    lambdad.docker("rm", "-f", name)


def test_run_gives_output_and_exit_code(lambdad, aws_sim, name):
    result = lambdad.docker("run", "--name", name, "alpine", "sh", "-c", "echo out; echo err >&2; exit 4")
    assert result.returncode == 4, result.stderr
    assert result.stdout == b"out\n"
    assert result.stderr == b"err\n"
    assert lambdad.docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == b"4"
    function = function_of(lambdad, name)
    assert function in function_names(aws_sim)
    root = lambdad.data_root / "backends" / "lambda" / "roots" / container_id(lambdad, name)
    assert (root / "bin").is_dir()  # the container root, made from the image's layers
    # docker logs reads CloudWatch: no stdout/stderr split there, and Lambda's own lines are left out
    logs = wait_for(lambda: (out := lambdad.docker("logs", name).stdout) and b"err" in out and out)
    assert sorted(logs.splitlines()) == [b"err", b"out"]
    lambdad.docker("rm", name, check=True)
    assert function not in function_names(aws_sim)
    assert not root.exists()
    groups = aws_sim.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{function}")["logGroups"]
    assert groups == []


def test_run_rm_leaves_no_function(lambdad, aws_sim, name):
    before = set(function_names(aws_sim))
    result = lambdad.docker("run", "--rm", "--name", name, "alpine", "sh", "-c", "echo out; echo err >&2; exit 4")
    assert (result.returncode, result.stdout, result.stderr) == (4, b"out\n", b"err\n")
    assert wait_for(lambda: lambdad.docker("ps", "-aq", "--filter", f"name={name}").stdout.strip() == b"")
    assert set(function_names(aws_sim)) <= before


def test_execs_run_inside_the_running_function(lambdad, running):
    assert lambdad.docker("exec", running, "sh", "-c", "echo written-by-exec > shared.txt").returncode == 0
    read = lambdad.docker("exec", running, "cat", "shared.txt")
    assert (read.returncode, read.stdout) == (0, b"written-by-exec\n")
    env = lambdad.docker("exec", "-e", "EXTRA=1", running, "sh", "-c", 'echo "$FROM_CONTAINER $EXTRA"; exit 3')
    assert (env.returncode, env.stdout) == (3, b"yes 1\n")
    piped = lambdad.docker("exec", "-i", running, "sh", "-c", "tr a-z A-Z", input=b"through stdin\n")
    assert piped.stdout == b"THROUGH STDIN\n"
    missing = lambdad.docker("exec", running, "no-such-program")
    assert missing.returncode == 126 and b"executable file not found" in missing.stderr


def test_cp_both_ways_while_alive(lambdad, running, tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes(b"copied in\n")
    assert lambdad.docker("cp", str(source), f"{running}:/in.txt").returncode == 0
    assert lambdad.docker("exec", running, "cat", "in.txt").stdout == b"copied in\n"
    lambdad.docker("exec", running, "sh", "-c", "mkdir -p out && echo made-inside > out/made.txt", check=True)
    assert lambdad.docker("cp", f"{running}:/out", str(tmp_path / "back")).returncode == 0
    assert (tmp_path / "back" / "made.txt").read_bytes() == b"made-inside\n"
    missing = lambdad.docker("cp", f"{running}:/no/such/file", str(tmp_path / "x"))
    assert missing.returncode != 0 and b"Could not find the file /no/such/file" in missing.stderr


def test_logs_follow_until_the_function_ends(lambdad, name):
    lambdad.docker("run", "-d", "--name", name, "alpine", "sh", "-c",
                   "for i in 1 2 3 4; do echo line-$i; sleep 0.5; done", check=True)
    followed = lambdad.docker("logs", "-f", name, timeout=60)
    assert followed.returncode == 0
    assert followed.stdout == b"line-1\nline-2\nline-3\nline-4\n"
    tail = lambdad.docker("logs", "--tail", "2", "-t", name).stdout.splitlines()
    assert [line.split(b" ", 1)[1] for line in tail] == [b"line-3", b"line-4"]
    third = tail[0].split(b" ", 1)[0].decode()  # line-3's timestamp: --since includes it, --until ends there
    assert lambdad.docker("logs", "--since", third, name).stdout == b"line-3\nline-4\n"
    assert lambdad.docker("logs", "--until", third, name).stdout == b"line-1\nline-2\nline-3\n"
    lambdad.docker("rm", name, check=True)


def test_stop_within_its_timeout(lambdad, name):
    lambdad.docker("run", "-d", "--name", name, "alpine", "sh", "-c", "trap '' TERM; sleep 60", check=True)
    began = time.monotonic()
    assert lambdad.docker("stop", "-t", "2", name).returncode == 0
    elapsed = time.monotonic() - began
    assert 2 <= elapsed < 15, elapsed  # TERM is ignored, so the KILL after 2 s ended it
    assert lambdad.docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == b"137"
    lambdad.docker("rm", name, check=True)


def test_kill_and_start_again(lambdad, name):
    lambdad.docker("run", "-d", "--name", name, "alpine", "sh", "-c", "echo run; sleep 60", check=True)
    assert lambdad.docker("kill", "-s", "USR1", name).returncode == 0
    assert lambdad.docker("wait", name).stdout.strip() == b"138"
    assert lambdad.docker("start", name).returncode == 0  # a second run: a fresh sandbox of the same function
    assert lambdad.docker("exec", name, "echo", "second run").stdout == b"second run\n"
    lambdad.docker("kill", name, check=True)
    assert lambdad.docker("wait", name).stdout.strip() == b"137"
    assert wait_for(lambda: lambdad.docker("logs", name).stdout == b"run\nrun\n")
    lambdad.docker("rm", name, check=True)


def test_a_command_that_cannot_start(lambdad, name):
    result = lambdad.docker("run", "--name", name, "alpine", "no-such-command-here")
    assert result.returncode == 127, result.stderr
    assert b'exec: "no-such-command-here": executable file not found in $PATH' in result.stderr
    lambdad.docker("rm", "-f", name)


@pytest.mark.parametrize(("args", "expected"), [
    (["-t"], b"containers with a TTY"),
    (["-i"], b"containers with an open stdin"),
    (["-p", "8080:80"], b"published ports"),
    (["-v", "/tmp:/data"], b"bind mounts"),
    (["-v", "lambda-test-volume:/data"], b"volumes"),
    (["--restart", "always"], b"restart policies"),
    (["-m", "64m"], b"128 MiB to 10240 MiB"),
    (["--tmpfs", "/run"], b"tmpfs mounts"),
])
def test_what_a_function_cannot_do_is_refused_at_create(lambdad, args, expected):
    result = lambdad.docker("create", *args, "alpine", "true")
    assert result.returncode != 0
    assert expected in result.stderr, result.stderr
    assert b"lambda" in result.stderr


def test_pause_and_commit_are_refused(lambdad, running):
    paused = lambdad.docker("pause", running)
    assert paused.returncode != 0 and b'the "lambda" backend does not support pause' in paused.stderr
    committed = lambdad.docker("commit", running, "lambda-commit-test")
    assert committed.returncode != 0 and b'"lambda" backend does not support' in committed.stderr
    tty_exec = lambdad.docker("exec", "-t", running, "true")
    assert tty_exec.returncode != 0 and b"lambda" in tty_exec.stderr


def test_memory_becomes_the_function_memory_size(lambdad, aws_sim, name):
    lambdad.docker("create", "--name", name, "-m", "1g", "-e", "A=1", "-w", "/work", "alpine", "true", check=True)
    config = aws_sim.client("lambda").get_function_configuration(FunctionName=function_of(lambdad, name))
    assert config["MemorySize"] == 1024 and config["Timeout"] == 900 and config["PackageType"] == "Image"
    assert config["Environment"]["Variables"]["A"] == "1"
    assert not any("token" in key.lower() for key in config["Environment"]["Variables"])
    image_config = config["ImageConfigResponse"]["ImageConfig"]
    entry = image_config["EntryPoint"]
    assert image_config["Command"] == ["true"] and "--lambda" in entry
    # host-root=image: the agent enters the container root and its working directory there
    assert entry[entry.index("--workdir") + 1] == "/work" and "WorkingDirectory" not in image_config
    assert entry[entry.index("--root") + 1] == str(lambdad.data_root / "backends" / "lambda" / "roots" /
                                                   lambdad.docker("inspect", "-f", "{{.Id}}", name).stdout.decode().strip())
    tags = aws_sim.client("lambda").list_tags(Resource=config["FunctionArn"])["Tags"]
    assert tags["sockerless:managed"] == "1" and tags["sockerless:container"] == \
        lambdad.docker("inspect", "-f", "{{.Id}}", name).stdout.decode().strip()
    lambdad.docker("rm", name, check=True)


def test_the_agent_token_is_in_no_inspect_and_no_function_configuration(lambdad, aws_sim, running):
    cid = lambdad.docker("inspect", "-f", "{{.Id}}", running).stdout.decode().strip()
    with sqlite3.connect(lambdad.data_root / "state.db") as db:
        stored = [data for (data,) in db.execute("select data from objects where key = ?", (cid,))]
    token = json.loads(stored[0])["backend_state"]["token"]
    assert len(token) >= 40
    inspected = subprocess.run(["docker", "-H", lambdad.host, "inspect", running], capture_output=True).stdout
    assert token.encode() not in inspected
    config = aws_sim.client("lambda").get_function(FunctionName=function_of(lambdad, running))
    assert token not in json.dumps(config, default=str)


def test_attach_to_a_running_function_is_refused_but_run_and_start_a_attach(lambdad, name):
    """An invocation's output is attached to from its start only: docker attach later is a clear 501."""
    lambdad.docker("run", "-d", "--name", name, "alpine", "sh", "-c", "echo first; sleep 30", check=True)
    attached = lambdad.docker("attach", "--no-stdin", name, timeout=60)
    assert attached.returncode != 0 and b"501" in attached.stderr  # the CLI shows the status only
    status, _, body = lambdad.request("POST", f"/containers/{name}/attach?stream=1&stdout=1")
    assert status == 501
    assert json.loads(body)["message"] == 'the "lambda" backend does not support attaching to a running container'
    lambdad.docker("rm", "-f", name, check=True)
    lambdad.docker("create", "--name", name, "alpine", "sh", "-c", "echo again; exit 6", check=True)
    started = lambdad.docker("start", "-a", name, timeout=60)
    assert started.returncode == 6 and started.stdout == b"again\n"
    lambdad.docker("rm", name, check=True)


def test_cp_needs_the_function_running(lambdad, name, tmp_path):
    lambdad.docker("create", "--name", name, "alpine", "true", check=True)
    source = tmp_path / "f.txt"
    source.write_text("x")
    copied = lambdad.docker("cp", str(source), f"{name}:/f.txt")
    assert copied.returncode != 0
    assert b"lambda backend" in copied.stderr and b"is not running" in copied.stderr
    lambdad.docker("rm", name, check=True)


def test_restart_runs_the_command_again(lambdad, name):
    lambdad.docker("run", "-d", "--name", name, "alpine", "sh", "-c", "echo started; sleep 60", check=True)
    began = time.monotonic()
    assert lambdad.docker("restart", "-t", "1", name).returncode == 0
    assert time.monotonic() - began < 20
    assert lambdad.docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == b"true"
    assert lambdad.docker("exec", name, "echo", "alive").stdout == b"alive\n"
    assert wait_for(lambda: lambdad.docker("logs", name).stdout == b"started\nstarted\n")
    lambdad.docker("rm", "-f", name, check=True)


def test_health_checks_run_through_the_agent(lambdad, name):
    lambdad.docker("run", "-d", "--name", name, "--health-cmd", "test -f ready", "--health-interval", "1s",
                   "--health-retries", "1", "alpine", "sleep", "60", check=True)

    def health():
        return lambdad.docker("inspect", "-f", "{{.State.Health.Status}}", name).stdout.strip()

    assert wait_for(lambda: health() == b"unhealthy")
    lambdad.docker("exec", name, "touch", "ready", check=True)
    assert wait_for(lambda: health() == b"healthy")
    lambdad.docker("rm", "-f", name, check=True)


# -- host-root=image: the container's command sees its image's files, not the host's -----------------------------
def test_exec_and_cp_share_the_container_root_not_the_hosts(lambdad, running, tmp_path):
    marker = f"/tmp/{running}-exec-file"
    lambdad.docker("exec", running, "sh", "-c", f"echo from-exec > {marker}", check=True)
    assert lambdad.docker("cp", f"{running}:{marker}", str(tmp_path / "back")).returncode == 0
    assert (tmp_path / "back").read_bytes() == b"from-exec\n"
    assert not Path(marker).exists()  # written in the container's /tmp, not the host's
    (tmp_path / "in.txt").write_bytes(b"copied in\n")
    lambdad.docker("cp", str(tmp_path / "in.txt"), f"{running}:/tmp/in.txt", check=True)
    assert lambdad.docker("exec", running, "cat", "/tmp/in.txt").stdout == b"copied in\n"
    assert lambdad.docker("exec", running, "cat", "/etc/hostname").stdout.strip() == \
        lambdad.docker("inspect", "-f", "{{.Config.Hostname}}", running).stdout.strip()
    # a link to / made inside leads to the container's /, never the host's
    lambdad.docker("exec", running, "ln", "-s", "/", "/tmp/top", check=True)
    assert lambdad.docker("cp", f"{running}:/tmp/top/etc/hostname", str(tmp_path / "hostname")).returncode == 0
    assert (tmp_path / "hostname").read_bytes() != Path("/etc/hostname").read_bytes()
    lambdad.docker("cp", str(tmp_path / "in.txt"), f"{running}:/tmp/top/{running}-in.txt", check=True)
    assert not Path(f"/{running}-in.txt").exists()
    assert lambdad.docker("exec", running, "cat", f"/{running}-in.txt").stdout == b"copied in\n"


def test_the_user_is_switched_inside_the_root(lambdad, name):
    ran = lambdad.docker("run", "--rm", "-u", "65534", "alpine", "id", "-u")
    assert (ran.returncode, ran.stdout) == (0, b"65534\n"), ran.stderr
    named = lambdad.docker("run", "--rm", "-u", "nobody", "alpine", "sh", "-c", "id -u; id -g; echo $HOME")
    assert (named.returncode, named.stdout) == (0, b"65534\n65534\n/nonexistent\n"), named.stderr
    lambdad.docker("run", "-d", "--name", name, "-u", "65534", "alpine", "sleep", "60", check=True)
    assert lambdad.docker("exec", name, "id", "-u").stdout == b"65534\n"  # as Docker: the container's user
    assert lambdad.docker("exec", "-u", "0", name, "id", "-u").stdout == b"0\n"
    lambdad.docker("rm", "-f", name, check=True)
    unknown = lambdad.docker("run", "--rm", "-u", "no-such-user", "alpine", "true")
    assert unknown.returncode == 125, unknown.stderr  # as Docker: the container could not start
    assert b"unable to find user no-such-user: no matching entries in passwd file" in unknown.stderr, unknown.stderr
    assert unknown.stderr.count(b"unable to find user") == 1, unknown.stderr


def test_the_images_own_etc_passwd_is_seen(lambdad):
    expected = image_file(lambdad, "alpine", "etc/passwd")
    assert expected != Path("/etc/passwd").read_bytes()  # else the test could not tell the two apart
    shown = lambdad.docker("run", "--rm", "alpine", "cat", "/etc/passwd")
    assert (shown.returncode, shown.stdout) == (0, expected), shown.stderr


def image_file(d, image: str, member: str) -> bytes:
    """A file of ``image`` as its layers (``docker save``) hold it, the topmost layer's copy."""
    saved = d.docker("save", image, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(saved)) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        found = None
        for layer in manifest[0]["Layers"]:
            with tarfile.open(fileobj=outer.extractfile(layer)) as tar:
                names = {m.name.removeprefix("./"): m for m in tar.getmembers()}
                if member in names:
                    found = tar.extractfile(names[member]).read()
    assert found is not None, f"{image} has no {member}"
    return found
