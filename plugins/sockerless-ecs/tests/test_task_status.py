"""Exit codes and start failures read from ECS task descriptions (pure functions)."""

from __future__ import annotations

from sockerless_ecs.tasks import failed_start
from sockerless_ecs.watcher import exit_code, stop_reason

STOPPED = {"lastStatus": "STOPPED", "stopCode": "EssentialContainerExited",
           "stoppedReason": "Essential container in task exited",
           "containers": [{"name": "web", "exitCode": 7}, {"name": "side", "reason": "CannotStartContainerError: boom"}]}


def test_exit_code_of_a_container_and_the_unknowns():
    assert exit_code(STOPPED, "web") == 7
    assert exit_code(STOPPED, "side") == 255, "no exit code: it never ran"
    assert exit_code(None, "web") == 255, "the task vanished"


def test_stop_reason_names_the_task_and_container_reasons():
    assert stop_reason(STOPPED) == "Essential container in task exited; CannotStartContainerError: boom"
    assert stop_reason(None) == "the task is gone"


def test_failed_start_prefers_the_agents_last_words():
    task = {"stoppedReason": "Essential container in task exited", "containers": [{"name": "web", "exitCode": 127}]}
    error = failed_start(task, "web", ["noise\n", 'sockerless-agent: exec: "nope": executable file not found in $PATH\n'])
    assert error.exit_code == 127
    assert error.message.startswith('ecs backend: noise exec: "nope": executable file not found')
    assert "(task: Essential container in task exited)" in error.message
    quiet = failed_start({"stoppedReason": "ResourceInitializationError: no log group",
                          "containers": [{"name": "web"}]}, "web", [])
    assert (quiet.exit_code, quiet.message) == (126, "ecs backend: ResourceInitializationError: no log group")
