"""``--persist``: state survives a restart, even after SIGKILL; tasks that were running are recorded as lost."""

from __future__ import annotations

import os
import signal
import time
import uuid


def test_state_survives_sigkill_and_lost_tasks_are_stopped(start_sim, tmp_path, wait_for) -> None:
    first = start_sim(tmp_path, "--persist")
    ecs, logs, ecr = first.client("ecs"), first.client("logs"), first.client("ecr")
    ecs.create_cluster(clusterName="keep", tags=[{"key": "k", "value": "v"}])
    family = f"keep-{uuid.uuid4().hex[:6]}"
    ecs.register_task_definition(family=family, containerDefinitions=[
        {"name": "s", "image": "alpine", "command": ["sleep", "300"]}])
    task_arn = ecs.run_task(cluster="keep", taskDefinition=family)["tasks"][0]["taskArn"]
    task = wait_for(lambda: (t := ecs.describe_tasks(cluster="keep", tasks=[task_arn])["tasks"][0])
                    ["lastStatus"] == "RUNNING" and t)
    pid = int(task["containers"][0]["runtimeId"])
    logs.create_log_group(logGroupName="/keep")
    logs.create_log_stream(logGroupName="/keep", logStreamName="s")
    logs.put_log_events(logGroupName="/keep", logStreamName="s", logEvents=[{"timestamp": 1, "message": "kept"}])
    ecr.create_repository(repositoryName="keep/repo")
    ours_changed = time.time()
    ec2 = first.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="kept", Description="d", VpcId=vpc)["GroupId"]
    first.client("iam").create_role(RoleName="kept-role", AssumeRolePolicyDocument="{}")

    def saved() -> bool:  # snapshots follow changes within 0.5 s (ours) and a few seconds (moto's)
        state, moto = tmp_path / "state.json", tmp_path / "moto.pickle"
        return (state.exists() and state.stat().st_mtime > ours_changed
                and moto.exists() and b"kept-role" in moto.read_bytes())

    wait_for(saved, timeout=120, interval=0.5)
    first.stop(signal.SIGKILL)

    second = start_sim(tmp_path, "--persist")
    ecs = second.client("ecs")
    assert ecs.describe_clusters(clusters=["keep"], include=["TAGS"])["clusters"][0]["tags"] == [
        {"key": "k", "value": "v"}]
    assert ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["revision"] == 1
    lost = ecs.describe_tasks(cluster="keep", tasks=[task_arn])["tasks"][0]
    assert lost["lastStatus"] == "STOPPED" and "restarted" in lost["stoppedReason"]
    wait_for(lambda: not _alive(pid), timeout=10)
    events = second.client("logs").get_log_events(logGroupName="/keep", logStreamName="s")["events"]
    assert [e["message"] for e in events] == ["kept"]
    ec2 = second.client("ec2")
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["VpcId"] == vpc
    assert second.client("iam").get_role(RoleName="kept-role")["Role"]["RoleName"] == "kept-role"
    assert second.client("ecr").describe_repositories()["repositories"][0]["repositoryName"] == "keep/repo"


def test_without_persist_a_restart_starts_empty(start_sim, tmp_path) -> None:
    first = start_sim(tmp_path)
    first.client("ecs").create_cluster(clusterName="gone")
    first.stop()
    second = start_sim(tmp_path)
    assert second.client("ecs").list_clusters()["clusterArns"] == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
