"""Daemons on the agentproc fixture backend: every container runs under a real local agent."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from agent_support import FIXTURE, Daemon, free_port, start_agentd


@pytest.fixture(scope="session")
def agentproc_site(tmp_path_factory) -> Path:
    """The fixture backend installed into a directory of its own (from a private copy of its source)."""
    target = tmp_path_factory.mktemp("agentproc-site")
    source = tmp_path_factory.mktemp("agentproc-src") / FIXTURE.name
    shutil.copytree(FIXTURE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)],
                   check=True, capture_output=True)
    return target


@pytest.fixture(scope="module", params=["forward", "reverse"])
def agentd(request, tmp_path_factory, agentproc_site) -> Daemon:
    """One daemon per mode for a test module."""
    mode = request.param
    d = start_agentd(tmp_path_factory.mktemp(f"agentd-{mode}"), mode, agentproc_site,
                     endpoint_port=free_port() if mode == "reverse" else None)
    d.mode = mode
    yield d
    d.remove_all_containers()
    d.stop()
