"""Fixtures for every test directory of the repository: the real reference services."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    """The real dockerd and registry (``.ci/services``), started on first use if the environment lacks them.

    Keys: ``docker_host`` (``unix://`` address of a real dockerd) and ``registry`` (``127.0.0.1:PORT``
    of a real registry holding ``library/alpine`` and ``library/busybox``).
    """
    import os
    import subprocess

    host, registry = os.environ.get("SOCKERLESS_TEST_DOCKER_HOST"), os.environ.get("SOCKERLESS_TEST_REGISTRY")
    if not (host and registry):
        script = Path(__file__).resolve().parent / ".ci" / "services"
        out = subprocess.run([str(script)], capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            pytest.fail(f".ci/services failed: {out.stderr.strip()[-500:]}")
        values = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines() if "=" in line)
        host, registry = values["SOCKERLESS_TEST_DOCKER_HOST"], values["SOCKERLESS_TEST_REGISTRY"]
    return {"docker_host": host, "registry": registry}
