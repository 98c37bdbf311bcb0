"""Background jobs of a shell: ``$!``, ``wait`` and ``jobs``."""

from __future__ import annotations

from dataclasses import dataclass

from ..sandbox.process import ExitStatus, Process


@dataclass
class Job:
    """One background job (a single process: the child shell running the command)."""

    number: int
    proc: Process
    command: str
    status: ExitStatus | None = None
    reported: bool = False

    @property
    def pid(self) -> int:
        """The job's process id."""
        return self.proc.pid

    def done(self) -> bool:
        """True once the job's process has ended."""
        return self.proc.exited()


class JobTable:
    """The jobs a shell started with ``&``."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self._next = 1

    def add(self, proc: Process, command: str) -> Job:
        """Record a new background job."""
        if not self.jobs:
            self._next = 1
        job = Job(self._next, proc, command)
        self._next += 1
        self.jobs.append(job)
        return job

    def by_pid(self, pid: int) -> Job | None:
        """The job whose process is ``pid``."""
        return next((j for j in self.jobs if j.pid == pid), None)

    def by_spec(self, spec: str) -> Job | None:
        """``%n``, ``%%``/``%+`` (current), ``%-`` (previous), ``%string`` (command prefix)."""
        if not self.jobs:
            return None
        body = spec[1:]
        if body in ("", "%", "+"):
            return self.jobs[-1]
        if body == "-":
            return self.jobs[-2] if len(self.jobs) > 1 else self.jobs[-1]
        if body.isdigit():
            return next((j for j in self.jobs if j.number == int(body)), None)
        if body.startswith("?"):
            return next((j for j in reversed(self.jobs) if body[1:] in j.command), None)
        return next((j for j in reversed(self.jobs) if j.command.startswith(body)), None)

    def remove(self, job: Job) -> None:
        """Forget a job whose status was collected."""
        if job in self.jobs:
            self.jobs.remove(job)
