"""The Docker CLI against ``sockerless serve --backend ecs`` pointed at the AWS simulator."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import time

import pytest
from ecs_support import PULL_SECRET, search_domains


def out(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr.decode()}"
    return result.stdout.decode()


def test_run_rm_keeps_streams_apart_and_exits_with_the_code(ecsd, tmp_path, wait_for, ecs_leftovers):
    cidfile = tmp_path / "cid"
    result = ecsd.docker("run", "--rm", "--cidfile", str(cidfile), "alpine", "sh", "-c", "echo out; echo err >&2; exit 4")
    assert result.returncode == 4, result.stderr.decode()
    assert result.stdout == b"out\n"
    assert result.stderr == b"err\n"
    cid = cidfile.read_text().strip()
    wait_for(lambda: ecsd.docker("inspect", cid).returncode != 0)
    assert wait_for(lambda: ecs_leftovers(cid) == {"task_definitions": [], "running_tasks": []} or None, 10)


def test_exec_runs_in_the_workload_and_files_persist_between_execs(ecsd, name):
    out(ecsd.docker("run", "-d", "--name", name, "alpine", "tail", "-f", "/dev/null"))
    target = f"/tmp/{name}"
    out(ecsd.docker("exec", name, "sh", "-c", f"echo written-by-exec-1 > {target}"))
    assert out(ecsd.docker("exec", name, "cat", target)) == "written-by-exec-1\n"
    archive = ecsd.docker("cp", f"{name}:{target}", "-")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        assert tar.extractfile(name).read() == b"written-by-exec-1\n", "docker cp sees the files execs see"
    assert not os.path.lexists(target), "the container's /tmp is its own, not the host's"
    failed = ecsd.docker("exec", name, "sh", "-c", "exit 3")
    assert failed.returncode == 3
    env = out(ecsd.docker("exec", "-e", "GREETING=hi", name, "sh", "-c", "echo $GREETING $ECS_CONTAINER_NAME"))
    assert env.split() == ["hi", name]
    ecsd.docker("rm", "-f", name, check=True)


def test_logs_follow_streams_until_exit(ecsd, name):
    out(ecsd.docker("run", "-d", "--name", name, "alpine", "sh", "-c",
                    "for i in 1 2 3 4; do echo line$i; sleep 1; done; echo bye >&2"))
    follow = subprocess.Popen(["docker", "-H", ecsd.host, "logs", "-f", name], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    first = follow.stdout.readline()
    assert first == b"line1\n"
    assert ecsd.docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == b"true", \
        "the first line must arrive while the container still runs"
    rest, _ = follow.communicate(timeout=30)
    assert follow.returncode == 0
    assert (first + rest).decode().split() == ["line1", "line2", "line3", "line4", "bye"]
    assert out(ecsd.docker("logs", "--tail", "2", name)).split() == ["line4", "bye"]
    stamped = out(ecsd.docker("logs", "--timestamps", name)).splitlines()
    assert len(stamped) == 5 and all(line.split(" ", 1)[0].endswith("Z") for line in stamped)
    assert out(ecsd.docker("logs", "--since", "2000-01-01T00:00:00Z", "--until", "2000-01-02T00:00:00Z", name)) == ""
    ecsd.docker("rm", name, check=True)


def test_cp_into_and_out_of_a_running_container(ecsd, name, tmp_path):
    out(ecsd.docker("run", "-d", "--name", name, "alpine", "tail", "-f", "/dev/null"))
    inside = "/srv/inside"
    out(ecsd.docker("exec", name, "mkdir", "-p", str(inside)))
    source = tmp_path / "upload.txt"
    source.write_text("copied in\n")
    out(ecsd.docker("cp", str(source), f"{name}:{inside}/"))
    assert out(ecsd.docker("exec", name, "cat", f"{inside}/upload.txt")) == "copied in\n"
    out(ecsd.docker("exec", name, "sh", "-c", f"echo made inside > {inside}/made.txt"))
    archive = ecsd.docker("cp", f"{name}:{inside}/made.txt", "-")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        assert tar.extractfile("made.txt").read() == b"made inside\n"
    missing = ecsd.docker("cp", f"{name}:{inside}/nope", str(tmp_path / "x"))
    assert missing.returncode != 0 and b"Could not find the file" in missing.stderr
    ecsd.docker("rm", "-f", name, check=True)


def test_stop_of_a_container_ignoring_sigterm_kills_it_after_the_timeout(ecsd, name, ecs_leftovers):
    out(ecsd.docker("run", "-d", "--name", name, "alpine", "sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.2; done"))
    cid = out(ecsd.docker("inspect", "-f", "{{.Id}}", name)).strip()
    began = time.monotonic()
    out(ecsd.docker("stop", "-t", "2", name))
    took = time.monotonic() - began
    assert 2 <= took < 8, f"docker stop -t 2 took {took:.1f}s"
    assert out(ecsd.docker("inspect", "-f", "{{.State.ExitCode}}", name)).strip() == "137"
    ecsd.docker("rm", name, check=True)
    assert ecs_leftovers(cid) == {"task_definitions": [], "running_tasks": []}


def test_rm_force_of_a_running_container_leaves_no_task_and_no_task_definition(ecsd, name, ecs_leftovers):
    cid = out(ecsd.docker("run", "-d", "--name", name, "alpine", "tail", "-f", "/dev/null")).strip()
    assert ecs_leftovers(cid)["running_tasks"], "the container runs as a task"
    assert ecs_leftovers(cid)["task_definitions"]
    ecsd.docker("rm", "-f", name, check=True)
    assert ecs_leftovers(cid) == {"task_definitions": [], "running_tasks": []}


def test_kill_with_a_signal_goes_to_the_main_process(ecsd, name, wait_for):
    out(ecsd.docker("run", "-d", "--name", name, "alpine", "sh", "-c",
                    "trap 'echo got-usr1; exit 9' USR1; echo ready; while true; do sleep 0.2; done"))
    wait_for(lambda: b"ready" in ecsd.docker("logs", name).stdout)
    out(ecsd.docker("kill", "-s", "USR1", name))
    assert out(ecsd.docker("wait", name)).strip() == "9"
    assert "got-usr1" in out(ecsd.docker("logs", name))
    ecsd.docker("rm", name, check=True)


def test_stdin_and_tty(ecsd):
    piped = ecsd.docker("run", "--rm", "-i", "alpine", "sh", "-c", "read line; echo got:$line", input=b"hello\n")
    assert piped.returncode == 0, piped.stderr.decode()
    assert piped.stdout == b"got:hello\n"
    tty = ecsd.docker("run", "--rm", "-t", "alpine", "sh", "-c", "test -t 1 && echo on-a-tty")
    assert tty.returncode == 0, tty.stderr.decode()
    assert tty.stdout == b"on-a-tty\r\n"


def test_a_command_that_cannot_start_fails_like_docker(ecsd, ecs_leftovers, tmp_path, wait_for):
    cidfile = tmp_path / "cid"
    result = ecsd.docker("run", "--cidfile", str(cidfile), "alpine", "no-such-command-here")
    assert result.returncode == 127, result.stderr.decode()
    assert b"no-such-command-here" in result.stderr and b"not found" in result.stderr
    cid = cidfile.read_text().strip()
    assert out(ecsd.docker("inspect", "-f", "{{.State.ExitCode}}", cid)).strip() == "127"
    ecsd.docker("rm", cid, check=True)
    assert wait_for(lambda: ecs_leftovers(cid) == {"task_definitions": [], "running_tasks": []} or None, 10)


def test_resources_and_ports_reach_the_task_definition(ecsd, name, sim):
    out(ecsd.docker("create", "--name", name, "--cpus", "0.6", "--memory", "1500m", "-p", "8080:80", "--expose", "53/udp",
                    "--label", "team=blue", "-e", "A=1", "-w", "/tmp", "alpine", "true"))
    cid = out(ecsd.docker("inspect", "-f", "{{.Id}}", name)).strip()
    ecs = sim.client("ecs")
    (arn,) = ecs.list_task_definitions(familyPrefix=f"sockerless-{cid[:12]}")["taskDefinitionArns"]
    described = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
    definition = described["taskDefinition"]
    assert (definition["cpu"], definition["memory"]) == ("1024", "2048")
    assert definition["networkMode"] == "awsvpc" and definition["requiresCompatibilities"] == ["FARGATE"]
    assert definition["runtimePlatform"] == {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
    assert definition["executionRoleArn"].endswith(":role/sockerless-ecs-execution")
    (main,) = definition["containerDefinitions"]
    assert main["image"] == "alpine" and main["command"] == ["true"]
    assert main["entryPoint"][-3:] == ["--workdir", "/tmp", "--"] and "workingDirectory" not in main, \
        "host-root=image: the agent applies the working directory inside the root"
    assert main["entryPoint"][-1] == "--" and "sockerless_agent" in main["entryPoint"]
    assert main["repositoryCredentials"] == {"credentialsParameter": PULL_SECRET}
    assert {"name": "A", "value": "1"} in main["environment"]
    assert not any("TOKEN" in e["name"] for e in main["environment"]), "the agent token never goes into a definition"
    assert sorted((p["containerPort"], p["protocol"]) for p in main["portMappings"]) == [(53, "udp"), (80, "tcp")]
    assert main["logConfiguration"]["options"]["awslogs-group"] == "/sockerless/ecs"
    tags = {t["key"]: t["value"] for t in described["tags"]}
    assert tags["sockerless:container"] == cid and tags["docker-label:team"] == "blue" and tags["sockerless:managed"] == "1"
    inspect = ecsd.docker("inspect", name).stdout
    assert b"SOCKERLESS_AGENT_TOKEN" not in inspect
    ecsd.docker("rm", name, check=True)


@pytest.mark.parametrize("command", [["pause"], ["diff"]])
def test_what_fargate_cannot_do_is_refused(ecsd, name, command):
    out(ecsd.docker("run", "-d", "--name", name, "alpine", "tail", "-f", "/dev/null"))
    refused = ecsd.docker(*command, name)
    assert refused.returncode != 0 and b'"ecs" backend does not support' in refused.stderr, refused.stderr
    ecsd.docker("rm", "-f", name, check=True)


def test_health_check_runs_through_the_agent(ecsd, name, wait_for):
    out(ecsd.docker("run", "-d", "--name", name, "--health-cmd", "test -x /bin/sh", "--health-interval", "1s",
                    "alpine", "tail", "-f", "/dev/null"))
    assert wait_for(lambda: ecsd.docker("inspect", "-f", "{{.State.Health.Status}}", name).stdout == b"healthy\n", 30)
    ecsd.docker("rm", "-f", name, check=True)


def test_restart_policy_runs_a_new_task_per_start(ecsd, name, sim, wait_for):
    out(ecsd.docker("run", "-d", "--name", name, "--restart", "on-failure:2", "alpine", "sh", "-c",
                    "echo run >> /root/runs; echo runs=$(grep -c run /root/runs); exit 1"))
    assert wait_for(lambda: ecsd.docker("inspect", "-f", "{{.RestartCount}} {{.State.Status}}", name).stdout
                    == b"2 exited\n", 60)
    assert out(ecsd.docker("logs", name)).split() == ["runs=1", "runs=2", "runs=3"], \
        "every run's output, and the container's files kept from one run to the next"
    cid = out(ecsd.docker("inspect", "-f", "{{.Id}}", name)).strip()
    ecs = sim.client("ecs")

    def stopped_tasks() -> int:
        arns = ecs.list_tasks(cluster="sockerless", desiredStatus="STOPPED")["taskArns"]
        described = ecs.describe_tasks(cluster="sockerless", tasks=arns, include=["TAGS"])["tasks"] if arns else []
        return len([t for t in described if {"key": "sockerless:container", "value": cid} in t["tags"]])

    assert wait_for(lambda: stopped_tasks() == 3, 20), "one task per run"
    ecsd.docker("rm", name, check=True)


def test_user_network_is_a_security_group_and_names_are_in_cloud_map(ecsd, name, sim):
    network = f"net-{name}"
    network_id = out(ecsd.docker("network", "create", network)).strip()
    out(ecsd.docker("run", "-d", "--name", name, "--network", network, "--network-alias", "web", "alpine",
                    "tail", "-f", "/dev/null"))
    from botocore.config import Config

    ec2, ecs = sim.client("ec2"), sim.client("ecs")
    cloudmap = sim.client("servicediscovery", config=Config(inject_host_prefix=False))
    (group,) = ec2.describe_security_groups(Filters=[{"Name": "tag:sockerless:network", "Values": [network_id]}])[
        "SecurityGroups"]
    cid = out(ecsd.docker("inspect", "-f", "{{.Id}}", name)).strip()
    tasks = ecs.describe_tasks(cluster="sockerless", tasks=ecs.list_tasks(cluster="sockerless")["taskArns"],
                               include=["TAGS"])["tasks"]
    (task,) = [t for t in tasks if {"key": "sockerless:container", "value": cid} in t["tags"]]
    eni = next(d["value"] for d in task["attachments"][0]["details"] if d["name"] == "networkInterfaceId")
    interface = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert group["GroupId"] in [g["GroupId"] for g in interface["Groups"]]
    ip = next(d["value"] for d in task["attachments"][0]["details"] if d["name"] == "privateIPv4Address")
    (namespace,) = [n for n in cloudmap.list_namespaces()["Namespaces"] if n["Name"].endswith(f"-{network_id[:8]}.sockerless")]
    for alias in ("web", name):
        found = cloudmap.discover_instances(NamespaceName=namespace["Name"], ServiceName=alias)["Instances"]
        assert [i["Attributes"]["AWS_INSTANCE_IPV4"] for i in found] == [ip]
    search = search_domains(out(ecsd.docker("exec", name, "cat", "/etc/resolv.conf")))
    assert search[:1] == [namespace["Name"]], "a peer's bare name resolves under the network's domain"
    ecsd.docker("rm", "-f", name, check=True)
    assert cloudmap.discover_instances(NamespaceName=namespace["Name"], ServiceName="web")["Instances"] == []
    out(ecsd.docker("network", "rm", network))
    assert ec2.describe_security_groups(Filters=[{"Name": "tag:sockerless:network", "Values": [network_id]}])[
        "SecurityGroups"] == []


def test_containers_sharing_a_network_namespace_run_as_one_task(ecsd, name, sim, wait_for, ecs_leftovers):
    root, member = f"{name}-a", f"{name}-b"
    root_id = out(ecsd.docker("create", "--name", root, "alpine", "sh", "-c", "echo root-here; exec tail -f /dev/null")).strip()
    member_id = out(ecsd.docker("create", "--name", member, "--network", f"container:{root}", "alpine", "sh", "-c",
                                "echo member-here; exec tail -f /dev/null")).strip()
    quick = f"{name}-c"
    quick_id = out(ecsd.docker("create", "--name", quick, "--network", f"container:{root}", "alpine", "sh", "-c",
                               "exit 5")).strip()
    out(ecsd.docker("start", root))
    out(ecsd.docker("start", member))
    ecs = sim.client("ecs")
    tasks = ecs.describe_tasks(cluster="sockerless", tasks=ecs.list_tasks(cluster="sockerless")["taskArns"],
                               include=["TAGS"])["tasks"]
    (task,) = [t for t in tasks if {"key": "sockerless:container", "value": root_id} in t["tags"]]
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
    assert [(c["name"], c["essential"]) for c in definition["containerDefinitions"]] == [
        (root, True), (member, False), (quick, False)]

    def quick_ended() -> bool:
        (now,) = ecs.describe_tasks(cluster="sockerless", tasks=[task["taskArn"]])["tasks"]
        return any(c["name"] == quick and c["lastStatus"] == "STOPPED" for c in now["containers"])

    wait_for(quick_ended, 30)
    started = ecsd.docker("start", "-a", quick)
    assert started.returncode == 5, started.stderr
    assert out(ecsd.docker("inspect", "-f", "{{.State.Running}}", root)) == "true\n", "a member's end leaves the task"
    assert out(ecsd.docker("exec", member, "echo", "exec-in-member")) == "exec-in-member\n"
    wait_for(lambda: "member-here" in ecsd.docker("logs", member).stdout.decode())
    assert "root-here" in out(ecsd.docker("logs", root)) and "member-here" not in out(ecsd.docker("logs", root))
    out(ecsd.docker("stop", root))
    assert wait_for(lambda: ecsd.docker("inspect", "-f", "{{.State.Running}}", member).stdout == b"false\n", 40), \
        "the member ends with the task"
    out(ecsd.docker("rm", member, root, quick))
    for cid in (root_id, member_id, quick_id):
        assert ecs_leftovers(cid) == {"task_definitions": [], "running_tasks": []}


def test_cp_into_a_container_that_does_not_run_is_refused_at_once(ecsd, name, tmp_path):
    out(ecsd.docker("create", "--name", name, "alpine", "true"))
    source = tmp_path / "f"
    source.write_text("x")
    began = time.monotonic()
    refused = ecsd.docker("cp", str(source), f"{name}:/tmp/")
    assert refused.returncode != 0
    assert time.monotonic() - began < 5, "no wait for an agent that cannot come"
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w") as tar:
        tar.addfile(tarfile.TarInfo("empty"), io.BytesIO(b""))
    status, _, body = ecsd.request("PUT", f"/containers/{name}/archive?path=/tmp", body=payload.getvalue(),
                                   headers={"Content-Type": "application/x-tar"})
    assert status == 409 and b"to be running" in body, body
    ecsd.docker("rm", name, check=True)


def test_build_without_run_steps_and_run_the_image(ecsd, name, tmp_path):
    (tmp_path / "greeting.txt").write_text("copied in\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine\nCOPY greeting.txt /srv/\nENV WHO=ecs\nWORKDIR /srv\n"
                                         "CMD cat greeting.txt; echo \"$WHO\"; pwd\n")
    built = ecsd.docker("build", "-t", f"{name}-img", str(tmp_path))
    assert built.returncode == 0, built.stderr
    assert b"Running in" not in built.stdout, "no task definition per metadata step"
    run = ecsd.docker("run", "--rm", "--name", name, f"{name}-img")
    assert (run.returncode, run.stdout) == (0, b"copied in\necs\n/srv\n"), run.stderr
    (tmp_path / "Dockerfile").write_text("FROM alpine\nRUN echo no\n")
    refused = ecsd.docker("build", str(tmp_path))
    assert refused.returncode != 0
    assert b'the "ecs" backend does not support RUN steps' in refused.stdout + refused.stderr
    assert ecsd.docker("rmi", f"{name}-img").returncode == 0
