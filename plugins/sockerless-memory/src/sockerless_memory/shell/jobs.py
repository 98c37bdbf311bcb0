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


class JobSpecError(LookupError):
    """A job specification (``%1``) that names no job; the message is the shell's."""


class JobTable:
    """The jobs a shell started with ``&``."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self._next = 1

    def copy(self) -> JobTable:
        """The same jobs in a table of their own (what a forked ``jobs`` lists)."""
        table = JobTable()
        table.jobs = list(self.jobs)
        table._next = self._next
        return table

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

    def find(self, spec: str, *, bash: bool = False, commands: bool = True) -> Job:
        """The job ``spec`` names: ``%N``, ``%%``/``%+``/``%`` (the current job), ``%-`` (the
        previous one), ``%string`` (whose command starts with ``string``), ``%?string``
        (whose command contains it); as ash's ``getjob`` (bash's rules when ``bash``).

        ``commands`` False: the commands are not known (ash records them only under job
        control), so only ``%?`` can match by name. Raises :class:`JobSpecError`.
        """
        jobs = self.jobs
        body = spec[1:]
        if body in ("", "%", "+"):
            if jobs:
                return jobs[-1]
            raise JobSpecError(f"{spec}: no such job" if bash else "No current job")
        if body == "-":
            if len(jobs) > 1 or (bash and jobs):
                return jobs[-2] if len(jobs) > 1 else jobs[-1]
            raise JobSpecError(f"{spec}: no such job" if bash else "No previous job")
        if body.isdigit() and body.isascii():
            job = next((j for j in jobs if j.number == int(body)), None)
            if job is None:
                raise JobSpecError(f"{spec}: no such job")
            return job
        if body.startswith("?"):
            found = [j for j in reversed(jobs) if body[1:] in (j.command if commands else "")]
        else:
            found = [j for j in reversed(jobs) if (j.command if commands else "").startswith(body)]
        if len(found) > 1:
            raise JobSpecError(f"{body}: ambiguous job spec" if bash else f"{spec}: ambiguous")
        if not found:
            raise JobSpecError(f"{spec}: no such job")
        return found[0]

    def remove(self, job: Job) -> None:
        """Forget a job whose status was collected."""
        if job in self.jobs:
            self.jobs.remove(job)
