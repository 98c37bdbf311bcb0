"""``docker pause`` on the sandbox kernel: the freeze is synchronous, as with the freezer cgroup."""

from __future__ import annotations

import threading

import pytest
from sockerless_memory.sandbox.files import BytesInput, CaptureOutput
from sockerless_memory.sandbox.harness import Sandbox
from sockerless_memory.sandbox.kernel import FreezeTimeout, Kernel
from sockerless_memory.sandbox.process import ProcessSpec
from sockerless_memory.sandbox.signals import SIGKILL


class Stepper:
    """A process that does one step at a time between check points, each step released by the test."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.mid_step = threading.Event()
        self.release = threading.Event()
        self.steps = 0
        out = CaptureOutput()
        self.proc = kernel.spawn(ProcessSpec(["stepper"], {}), (BytesInput(b""), out.acquire(), out.acquire()),
                                 self._run)

    def _run(self, proc) -> int:
        while True:
            proc.check()
            self.mid_step.set()
            self.release.wait()  # not a check point: the step is under way
            self.release.clear()
            self.steps += 1

    def stop(self) -> None:
        self.kernel.signal_all(SIGKILL)
        self.release.set()
        assert self.proc._done.wait(10)


@pytest.fixture
def kernel():
    with Sandbox() as box:
        yield Kernel(box.fs)


def test_freeze_returns_only_once_the_running_step_is_over(kernel):
    stepper = Stepper(kernel)
    try:
        assert stepper.mid_step.wait(10)
        returned = threading.Event()
        freezer = threading.Thread(target=lambda: (kernel.freeze(), returned.set()))
        freezer.start()
        assert not returned.wait(0.3), "pause returned while a process was still running"
        stepper.release.set()
        freezer.join(10)
        assert returned.is_set()
        assert stepper.steps == 1
        stepper.mid_step.clear()
        assert not stepper.mid_step.wait(0.3), "a frozen process ran on"
        assert stepper.steps == 1
        kernel.thaw()
        assert stepper.mid_step.wait(10)
    finally:
        stepper.stop()


def test_freeze_that_cannot_settle_fails_and_thaws(kernel):
    stepper = Stepper(kernel)
    try:
        assert stepper.mid_step.wait(10)
        with pytest.raises(FreezeTimeout, match="stepper"):
            kernel.freeze(timeout=0.5)
        assert not kernel.frozen
    finally:
        stepper.stop()


def test_sigcont_while_frozen_does_not_resume(kernel):
    stepper = Stepper(kernel)
    try:
        assert stepper.mid_step.wait(10)
        kernel.kill(stepper.proc.pid, 19)  # SIGSTOP: takes effect at the next check point
        stepper.mid_step.clear()
        stepper.release.set()
        kernel.freeze()
        kernel.kill(stepper.proc.pid, 18)  # SIGCONT
        assert not stepper.mid_step.wait(0.3), "SIGCONT resumed a frozen process"
        kernel.thaw()
        assert stepper.mid_step.wait(10)
    finally:
        stepper.stop()
