"""gitlab-ci-local 4.73 (npm, installed by .ci/install-deps into .ci/tools) running pipelines on the memory backend.

It drives the Docker CLI: ``docker create``, ``docker cp`` of the work tree before start,
``docker start --attach -i`` feeding the job script on stdin, and a helper container
(``GCL_HELPER_IMAGE``, pointed at ``alpine``) that runs ``bash -c`` with ``rsync``/``chown``/``chmod``.
"""

from __future__ import annotations

import pytest
from clienttools import REPO, client_env, git_repo, run, tool

PIPELINE = """\
stages: [build, test, deploy]
variables:
  GREETING: hello
build:
  stage: build
  image: alpine
  variables:
    JOB_VAR: from-job
  before_script:
    - echo "before $GREETING"
  script:
    - mkdir -p dist
    - echo "artifact $JOB_VAR" > dist/a.txt
    - cat marker.txt
  after_script:
    - echo after-build-ran
  artifacts:
    paths: [dist/]
test:
  stage: test
  image: busybox
  needs: [build]
  script:
    - test "$(cat dist/a.txt)" = "artifact from-job"
    - echo "test sees $(cat dist/a.txt) with $GREETING"
deploy:
  stage: deploy
  image: alpine
  script:
    - ls dist
    - echo deployed
"""

FAILING = """\
stages: [build, test]
tolerated:
  stage: build
  image: alpine
  allow_failure: true
  script: [echo tolerated-failure, exit 1]
broken:
  stage: build
  image: busybox
  script:
    - echo about-to-fail
    - exit 2
    - echo never-printed
after:
  stage: test
  image: alpine
  script: [echo must-not-run]
"""


@pytest.fixture
def gitlab_ci_local(daemon, tmp_path):
    exe = tool("gitlab-ci-local 4.73.0 (.ci/install-deps)", REPO / ".ci/tools/node_modules/.bin/gitlab-ci-local")
    repo = git_repo(tmp_path / "repo", {".gitlab-ci.yml": PIPELINE, "failing.yml": FAILING,
                                        "marker.txt": "marker-from-the-repo\n"})
    env = client_env(daemon, GCL_HELPER_IMAGE="alpine")

    def invoke(*args: str):
        return run([exe, "--no-color", *args], env=env, cwd=repo, timeout=240)

    return invoke


def test_stages_artifacts_variables_and_needs(gitlab_ci_local):
    result = gitlab_ci_local()
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "before hello" in out
    assert "marker-from-the-repo" in out
    assert "after-build-ran" in out
    assert "test sees artifact from-job with hello" in out
    assert "deployed" in out
    assert "a.txt" in out


def test_failing_job_fails_the_pipeline(gitlab_ci_local):
    result = gitlab_ci_local("--file", "failing.yml")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "about-to-fail" in out and "never-printed" not in out.replace("echo never-printed", "")
    assert "tolerated-failure" in out
    assert "must-not-run" not in out.replace("echo must-not-run", "")
