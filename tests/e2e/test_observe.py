"""Logs options, stats, top and events as the docker CLI and docker-py see them."""

from __future__ import annotations

import json
import time
import uuid

import docker as docker_py
import pytest


def test_log_driver_none_refuses_logs(docker, name):
    assert docker("run", "--name", name, "--log-driver", "none", "alpine", "echo", "hi", check=True).stdout == b"hi\n"
    try:
        refused = docker("logs", name)
        assert refused.returncode != 0 and b"configured logging driver does not support reading" in refused.stderr
    finally:
        docker("rm", name)


def test_log_opts_are_validated(docker):
    bad = docker("run", "--rm", "--log-opt", "foo=3", "alpine", "true")
    assert bad.returncode != 0 and b"unknown log opt 'foo' for json-file log driver" in bad.stderr
    bad = docker("run", "--rm", "--log-driver", "local", "--log-opt", "max-size=1x", "alpine", "true")
    assert bad.returncode != 0 and b"invalid value for max-size" in bad.stderr
    bad = docker("run", "--rm", "--log-driver", "syslog", "alpine", "true")
    assert bad.returncode != 0 and b"syslog" in bad.stderr


def test_max_size_and_max_file_rotate_the_log(docker, name):
    script = "i=0; while [ $i -lt 400 ]; do echo line $i; i=$((i+1)); done"
    docker("run", "--name", name, "--log-opt", "max-size=2k", "--log-opt", "max-file=2", "alpine", "sh", "-c", script,
           check=True)
    try:
        lines = docker("logs", name, check=True).stdout.decode().splitlines()
        assert 50 < len(lines) < 400 and lines[-1] == "line 399"  # only the two newest files remain
        numbers = [int(line.split()[1]) for line in lines]
        assert numbers == list(range(numbers[0], 400))
    finally:
        docker("rm", name)


def test_logs_details_since_until_tail_and_streams(client, name):
    container = client.containers.run("alpine", ["sh", "-c", "echo one; echo err >&2; sleep 1.2; echo two"],
                                      name=name, detach=True, labels={"team": "api"}, environment={"STAGE": "ci"},
                                      log_config=docker_py.types.LogConfig(type="json-file",
                                                                           config={"labels": "team", "env": "STAGE"}))
    try:
        assert container.wait(timeout=30)["StatusCode"] == 0
        raw = client.api.logs(container.id, stdout=True, stderr=False, timestamps=True)
        stamps = [line.split(b" ", 1)[0].decode() for line in raw.splitlines()]
        assert [line.split(b" ", 1)[1] for line in raw.splitlines()] == [b"one", b"two"]
        assert container.logs(stdout=False, stderr=True) == b"err\n"
        assert container.logs(tail=1) == b"two\n"
        details = client.api._get(client.api._url("/containers/{0}/logs", container.id),
                                  params={"stdout": 1, "details": 1})
        assert details.content[8:].startswith(b"STAGE=ci,team=api one")
        cut = stamps[1]
        after = client.api._get(client.api._url("/containers/{0}/logs", container.id),
                                params={"stdout": 1, "since": f"{_unix(cut) - 0.001:.6f}"}).content
        assert after.endswith(b"two\n") and b"one" not in after
        before = client.api._get(client.api._url("/containers/{0}/logs", container.id),
                                 params={"stdout": 1, "until": f"{_unix(cut) - 0.5:.6f}"}).content
        assert before.endswith(b"one\n") and b"two" not in before
    finally:
        container.remove(force=True)


def _unix(stamp: str) -> float:
    from datetime import datetime

    whole, _, frac = stamp.rstrip("Z").partition(".")
    base = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").timestamp() - time.timezone
    return base + float("0." + (frac or "0"))


def test_stats_stream_and_one_shot(client, docker, name):
    container = client.containers.run("alpine", ["sh", "-c", "while true; do :; done"], name=name, detach=True)
    try:
        one = container.stats(stream=False, one_shot=True)
        assert one["id"] == container.id and one["name"] == "/" + name and one["pids_stats"]["current"] >= 1
        assert one["precpu_stats"]["cpu_usage"]["total_usage"] == 0
        two = container.stats(stream=False)
        assert two["cpu_stats"]["cpu_usage"]["total_usage"] > two["precpu_stats"]["cpu_usage"]["total_usage"] > 0
        assert two["cpu_stats"]["system_cpu_usage"] > two["precpu_stats"]["system_cpu_usage"]
        stream = container.stats(stream=True, decode=True)
        first, second = next(stream), next(stream)
        assert second["precpu_stats"]["cpu_usage"]["total_usage"] == first["cpu_stats"]["cpu_usage"]["total_usage"]
        table = docker("stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.PIDs}}", name, check=True)
        shown, cpu, pids = table.stdout.decode().split()
        assert shown == name and float(cpu.rstrip("%")) > 0 and int(pids) >= 1
        with pytest.raises(docker_py.errors.APIError):
            client.api._result(client.api._get(client.api._url("/containers/{0}/stats", container.id),
                                               params={"stream": 1, "one-shot": 1}))
    finally:
        container.remove(force=True)


def test_events_of_a_container_life(client, docker, name):
    volume = f"v-{uuid.uuid4().hex[:8]}"
    since = time.time()
    docker("run", "-d", "--name", name, "-v", f"{volume}:/data", "alpine", "sleep", "30", check=True)
    container = client.containers.get(name)
    docker("top", name, check=True)
    container.kill()
    container.wait(timeout=30)
    container.start()
    container.kill()
    container.wait(timeout=30)
    docker("cp", f"{name}:/etc/hostname", "-", check=True)
    docker("rename", name, name + "-2", check=True)
    docker("rm", name + "-2", check=True)
    docker("volume", "rm", volume, check=True)
    until = time.time() + 0.5
    events = list(client.events(since=since, until=until, decode=True, filters={"container": container.id}))
    actions = [e["Action"] for e in events]
    kill = next(e for e in events if e["Action"] == "kill")
    assert kill["Actor"]["Attributes"]["signal"] == "9"
    for expected in ("create", "start", "die", "top", "archive-path", "rename", "destroy"):
        assert expected in actions, (expected, actions)
    die = next(e for e in events if e["Action"] == "die")
    assert die["Actor"]["Attributes"]["exitCode"] == "137" and die["status"] == "die" and die["from"] == "alpine"
    others = list(client.events(since=since, until=until, decode=True, filters={"volume": volume}))
    assert [e["Action"] for e in others] == ["create", "mount", "unmount", "mount", "unmount", "destroy"]
    mount = others[1]["Actor"]["Attributes"]
    assert mount["container"] == container.id and mount["destination"] == "/data" and mount["read/write"] == "true"
    network = list(client.events(since=since, until=until, decode=True,
                                 filters={"type": "network", "event": ["connect", "disconnect"]}))
    mine = [e["Action"] for e in network if e["Actor"]["Attributes"].get("container") == container.id]
    assert mine == ["connect", "disconnect", "connect", "disconnect"]
    json.dumps(events)


def test_top_listings(client, name):
    container = client.containers.run("alpine", ["sleep", "60"], name=name, detach=True)
    try:
        default = container.top()
        assert default["Titles"] == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
        assert default["Processes"][0][1] == "1" and default["Processes"][0][-1] == "sleep 60"
        custom = container.top(ps_args="-eopid,user")
        assert custom == {"Titles": ["PID", "USER"], "Processes": [["1", "root"]]}
        assert container.top(ps_args="aux")["Titles"][:3] == ["USER", "PID", "%CPU"]
        with pytest.raises(docker_py.errors.APIError, match="PID field"):
            container.top(ps_args="-o user")
    finally:
        container.remove(force=True)
