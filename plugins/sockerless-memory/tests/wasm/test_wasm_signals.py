"""Stopping WASI programs: busy loops, sleeps and blocked reads end on signals; pause freezes them;
the container's memory limit bounds their linear memory."""

from __future__ import annotations

import time

import pytest
from sockerless_memory.sandbox.files import make_pipe
from sockerless_memory.sandbox.harness import Sandbox
from wasm_support import Started, install

SIGTERM, SIGKILL = 15, 9


@pytest.fixture
def box(wtool: bytes):
    with Sandbox() as sandbox:
        install(sandbox, wtool)
        yield sandbox


def test_kill_ends_a_busy_loop(box: Sandbox) -> None:
    started = Started(box, ["wtool", "spin"])
    started.wait_output(b"spinning\n")
    started.kernel.signal_all(SIGKILL)
    assert started.result(timeout=10).status == 137


def test_kill_ends_a_sleep(box: Sandbox) -> None:
    started = Started(box, ["wtool", "sleep", "1000"])
    started.wait_output(b"sleeping\n")
    started.kernel.signal_all(SIGKILL)
    result = started.result(timeout=10)
    assert result.status == 137 and b"woke up" not in result.stdout


def test_kill_ends_a_blocked_read(box: Sandbox) -> None:
    reader, writer = make_pipe()  # the writer stays open: the read blocks
    try:
        started = Started(box, ["wtool", "cat"], stdin=reader)
        time.sleep(0.2)
        assert not started.proc.exited()
        started.kernel.signal_all(SIGKILL)
        assert started.result(timeout=10).status == 137
    finally:
        writer.release()


def test_sleep_finishes_on_its_own(box: Sandbox) -> None:
    result = box.run(["wtool", "sleep", "1"])
    assert (result.out, result.status) == ("sleeping\nwoke up\n", 0)


@pytest.mark.parametrize("mode", ["spin", "sleep 1000"])
def test_sigterm_from_the_shell_ends_a_child_guest(box: Sandbox, mode: str) -> None:
    script = f"wtool {mode} >/dev/null & pid=$!; sleep 0.3; kill $pid; wait $pid; echo status=$?"
    assert box.sh(script, timeout=30).out == "status=143\n"


def test_pause_freezes_a_busy_loop(box: Sandbox) -> None:
    started = Started(box, ["wtool", "spin"])
    started.wait_output(b"spinning\n")
    try:
        started.kernel.freeze()
        time.sleep(0.2)
        frozen_at = started.proc.cpu_seconds()
        time.sleep(0.5)
        assert started.proc.cpu_seconds() - frozen_at < 0.1  # not running while paused
        started.kernel.thaw()
        deadline = time.monotonic() + 20
        while started.proc.cpu_seconds() - frozen_at < 0.1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.proc.cpu_seconds() - frozen_at >= 0.1  # running again
    finally:
        started.kernel.thaw()
        started.kernel.signal_all(SIGKILL)
    assert started.result(timeout=10).status == 137


def test_memory_limit_bounds_the_guest(box: Sandbox) -> None:
    limited = Started(box, ["wtool", "alloc", "64"], memory_limit=32 << 20).result()
    assert limited.status == 12
    assert "out of memory after" in limited.err
    assert int(limited.err.split("after ")[1].split()[0]) < 32
    assert Started(box, ["wtool", "alloc", "64"]).result().out == "allocated 64 MiB (1)\n"


def test_a_limit_below_the_module_minimum_fails_at_start(box: Sandbox) -> None:
    result = Started(box, ["wtool"], memory_limit=64 << 10).result()
    assert result.status == 137
    assert "more memory than the container's limit" in result.err
