"""A run that ended while the daemon was down, its agent gone too: the exit is reported as lost (255), not made up."""

from __future__ import annotations

import os
import signal

import pytest
from lambda_support import container_id, module_daemon
from polling import agent_pid


@pytest.fixture(scope="module")
def lambdad(tmp_path_factory, aws_sim, services):
    """A daemon whose agents linger only 2 s (so the lost case is decided quickly)."""
    yield from module_daemon(tmp_path_factory, aws_sim, services["registry"], "lambdad-lost",
                             ["--backend-opt", "agent-linger=2"])


def test_an_exit_lost_while_the_daemon_was_down_is_255_with_the_reason(lambdad):
    d = lambdad
    d.docker("run", "-d", "--name", "lost", "alpine", "sleep", "60", check=True)
    cid = container_id(d, "lost")
    pid = agent_pid(cid)
    d.kill()
    os.killpg(os.getpgid(pid), signal.SIGKILL)  # the sandbox dies with the daemon down
    d.start()
    assert d.docker("wait", "lost", timeout=60).stdout.strip() == b"255"
    error = d.docker("inspect", "-f", "{{.State.Error}}", "lost").stdout
    assert b"ended while the daemon was down; its exit status is unknown" in error
    d.docker("rm", "lost", check=True)
