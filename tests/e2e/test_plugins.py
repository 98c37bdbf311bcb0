"""The plugin contract, exercised by a third-party backend installed from a fixture folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from daemon import Daemon, sockerless_command

FIXTURE = Path(__file__).parent.parent / "fixtures" / "sockerless-hostproc"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> Path:
    """Install the fixture package into its own directory (a real pip install with metadata).

    The source is copied first: setuptools builds in the source tree, and parallel test
    workers would trip over each other's build directories.
    """
    target = tmp_path_factory.mktemp("plugin-site")
    source = tmp_path_factory.mktemp("plugin-src") / FIXTURE.name
    shutil.copytree(FIXTURE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(source)], check=True, capture_output=True)
    return target


def _env(plugin_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_path), env.get("PYTHONPATH", "")]))
    return env


def test_plugins_command_lists_installed_plugins(plugin_path):
    listed = subprocess.run([*sockerless_command(), "plugins"], capture_output=True, text=True, env=_env(plugin_path))
    assert listed.returncode == 0, listed.stderr
    assert "memory: sockerless_memory.plugin [sockerless-memory" in listed.stdout
    assert "hostproc: sockerless_hostproc [sockerless-hostproc 0.0.1]" in listed.stdout
    assert "backends: hostproc" in listed.stdout
    without = subprocess.run([*sockerless_command(), "plugins"], capture_output=True, text=True)
    assert "hostproc" not in without.stdout


def test_plugins_add_cli_commands(plugin_path):
    result = subprocess.run([*sockerless_command(), "fixture", "hello", "world"], capture_output=True, text=True,
                            env=_env(plugin_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello from the hostproc fixture, world\n"
    helped = subprocess.run([*sockerless_command(), "--help"], capture_output=True, text=True, env=_env(plugin_path))
    assert "fixture" in helped.stdout


def test_container_runs_through_third_party_backend(plugin_path, tmp_path):
    d = Daemon(tmp_path / "hostproc", backend="hostproc", env={"PYTHONPATH": _env(plugin_path)["PYTHONPATH"]})
    d.start()
    try:
        assert "hostproc" in d.docker("info", "--format", "{{.Driver}}").stdout.decode()
        pulled = d.docker("pull", "scratchy")
        assert pulled.returncode == 0, pulled.stderr
        assert b"empty rootfs of the hostproc fixture backend" in pulled.stdout
        result = d.docker("run", "--rm", "-e", "WHO=plugin", "scratchy", "sh", "-c", 'echo "hello $WHO"; echo e >&2; exit 6')
        assert result.returncode == 6
        assert result.stdout == b"hello plugin\n"
        assert result.stderr.endswith(b"e\n")
        d.docker("run", "-d", "--name", "longer", "scratchy", "sleep", "60", check=True)
        refused = d.docker("exec", "longer", "true")
        assert refused.returncode != 0
        assert 'the "hostproc" backend does not support exec' in refused.stderr.decode()
        tty = d.docker("run", "-t", "--rm", "scratchy", "true")
        assert tty.returncode != 0 and "does not support containers with a TTY" in tty.stderr.decode()
        diff = d.docker("diff", "longer")
        assert diff.returncode != 0
        assert 'the "hostproc" backend does not support container filesystem changes' in diff.stderr.decode()
        (tmp_path / "ctx").mkdir()
        (tmp_path / "ctx" / "Dockerfile").write_text("FROM scratchy\nRUN true\n")
        built = d.docker("build", str(tmp_path / "ctx"))
        assert built.returncode != 0
        assert 'the "hostproc" backend does not support RUN steps of docker build' in built.stderr.decode()
        assert d.docker("kill", "longer").returncode == 0
        assert d.docker("wait", "longer").stdout.strip() == b"137"
        assert d.docker("rm", "longer").returncode == 0
    finally:
        d.stop()
