"""Helpers shared by the real-client suites: locating the clients and running them against the daemon."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def tool(name: str, *candidates: Path) -> str:
    """The path of a client executable, or a test failure naming how to install it."""
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.fail(f"{name} is not installed (looked in {', '.join(map(str, candidates))}); "
                "run .ci/install-deps and install the tox test deps")


def venv_bin(name: str) -> Path:
    """An executable installed by a pip package into the running interpreter's environment."""
    return Path(sys.executable).parent / name


def client_env(daemon, **extra: str) -> dict[str, str]:
    """The environment a client needs to talk to ``daemon`` and nothing else."""
    env = dict(os.environ)
    env.pop("DOCKER_CONTEXT", None)
    env["DOCKER_HOST"] = daemon.host
    env["DOCKER_CONFIG"] = str(daemon.workdir / "docker-config")
    env.update(extra)
    return env


def run(args: list[str], *, env: dict[str, str], cwd: Path | None = None, timeout: float = 120,
        input: str | None = None) -> subprocess.CompletedProcess:
    """Run a client to completion with text output."""
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, input=input)


def ok(result: subprocess.CompletedProcess) -> str:
    """The stdout of a client run that must have succeeded; a failure shows everything it printed."""
    assert result.returncode == 0, (f"{' '.join(result.args)} exited {result.returncode}\n"
                                    f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result.stdout


def git_repo(path: Path, files: dict[str, str]) -> Path:
    """A git work tree at ``path`` holding ``files``, committed (act and gitlab-ci-local need one)."""
    path.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git = shutil.which("git") or pytest.fail("git is not installed (.ci/install-deps)")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run([git, *args], cwd=path, env=env, check=True, capture_output=True)
    return path
