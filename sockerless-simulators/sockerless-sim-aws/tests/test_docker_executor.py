"""``--executor docker``: tasks as real containers on a local Docker engine."""

from __future__ import annotations

import subprocess
import uuid


def test_tasks_run_as_real_containers(start_sim, services, tmp_path, wait_for) -> None:
    sim = start_sim(tmp_path, "--executor", "docker", "--docker-host", services["docker_host"],
                    "--docker-network", "none")
    ecs, logs = sim.client("ecs"), sim.client("logs")
    logs.create_log_group(logGroupName="/docker")
    family = f"dk-{uuid.uuid4().hex[:6]}"
    log_config = {"logDriver": "awslogs", "options": {"awslogs-group": "/docker", "awslogs-stream-prefix": "d"}}
    ecs.register_task_definition(family=family, containerDefinitions=[
        {"name": "main", "image": "alpine:latest", "command": ["sh", "-c", "echo in-docker; cat /etc/hostname >/dev/null; exit 2"],
         "logConfiguration": log_config},
        {"name": "side", "image": "alpine:latest", "command": ["sleep", "300"], "essential": False, "stopTimeout": 2}])
    task_arn = ecs.run_task(taskDefinition=family)["tasks"][0]["taskArn"]
    task = wait_for(lambda: (t := ecs.describe_tasks(tasks=[task_arn])["tasks"][0])["lastStatus"] == "STOPPED" and t,
                    timeout=60)
    codes = {c["name"]: c["exitCode"] for c in task["containers"]}
    assert codes == {"main": 2, "side": 137}  # sleep as PID 1 ignores SIGTERM: killed after stopTimeout
    assert task["stopCode"] == "EssentialContainerExited"
    stream = f"d/main/{task_arn.rsplit('/', 1)[1]}"
    assert [e["message"] for e in logs.get_log_events(logGroupName="/docker", logStreamName=stream)["events"]] == [
        "in-docker"]
    leftovers = subprocess.run(["docker", "-H", services["docker_host"], "ps", "-aq", "--filter",
                                "label=sockerless.sim-aws"], capture_output=True, text=True, timeout=60)
    assert leftovers.stdout.strip() == ""
