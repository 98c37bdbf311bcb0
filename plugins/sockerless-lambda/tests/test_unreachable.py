"""An agent endpoint the function cannot reach: docker run fails clearly and leaves no run behind."""

from __future__ import annotations

import pytest
from lambda_support import module_daemon, wait_for


@pytest.fixture(scope="module")
def lambdad(tmp_path_factory, aws_sim, services):
    """Agents are told to dial a port nothing listens on; docker start waits 2 s for them."""
    yield from module_daemon(tmp_path_factory, aws_sim, services["registry"], "lambdad-unreachable",
                             ["--agent-endpoint-url", "ws://127.0.0.1:9/v1/agent/connect",
                              "--backend-opt", "agent-connect-timeout=2", "--backend-opt", "agent-linger=1"])


def test_run_fails_with_the_reason_and_the_workload_is_ended(lambdad, aws_sim):
    result = lambdad.docker("run", "--name", "unreachable", "alpine", "sh", "-c", "echo started-anyway; sleep 60")
    assert result.returncode != 0
    assert b"is the daemon's agent endpoint reachable from the function?" in result.stderr, result.stderr
    assert lambdad.docker("inspect", "-f", "{{.State.Running}}", "unreachable").stdout.strip() == b"false"
    function = "sockerless-" + lambdad.docker("inspect", "-f", "{{.Id}}", "unreachable").stdout.decode()[:32]
    logs = aws_sim.client("logs")

    def reported() -> bool:  # the agent gave up on the daemon and ended the command: the invocation is over
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}", filterPattern="REPORT")["events"]
        return any(e["message"].startswith("REPORT RequestId:") for e in events)

    assert wait_for(reported, timeout=40)
    lambdad.docker("rm", "unreachable", check=True)
