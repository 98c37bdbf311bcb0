"""``docker logs`` of a function: its CloudWatch group, Lambda's and the agent's own lines left out.

A following reader stops once the container has exited and Lambda's REPORT line of its last run
has been read (Lambda writes it after the run's output), or ``LOG_GRACE`` seconds after the exit
was seen (ingestion can lag). ``docker rm`` lets following readers finish before it deletes the
log group: docker-py's ``run()`` reads ``logs -f`` of an auto-removed container after removing it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from sockerless.engine.logs import LogRecord
from sockerless_aws import AwsClients, CloudError, read_log_events

from .functions import is_platform_line

LOG_GRACE = 10.0
READERS_WAIT = 5.0
REPORT = "REPORT RequestId:"


class RunEnd:
    """Decides when following a function's log may stop."""

    def __init__(self, container: Any, expected: int) -> None:
        self.container = container
        self.expected = expected
        """REPORT lines that must have been read (one per run the read covers)."""
        self.reports = 0
        self.done = asyncio.Event()
        self._exited_at: float | None = None

    def skip(self, message: str) -> bool:
        """Drop Lambda's and the agent's own lines, counting the REPORT ones."""
        if message.startswith(REPORT):
            self.reports += 1
        return is_platform_line(message)

    def finished(self) -> bool:
        """True once nothing more will come."""
        if self.container.state.Running:
            self._exited_at = None
            return False
        if self._exited_at is None:
            self._exited_at = time.monotonic()
        return self.reports >= self.expected or time.monotonic() - self._exited_at > LOG_GRACE


class FunctionLogs:
    """The log reads of one backend, and the following readers per container."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients
        self._followers: dict[str, set[RunEnd]] = {}

    def read(self, container: Any, group: str, options: dict[str, Any]) -> AsyncIterator[LogRecord]:
        """The records ``options`` (the core's since_ns, until_ns, tail, follow) ask for."""
        since_ns = options.get("since_ns", 0)
        end = RunEnd(container, expected=1 if since_ns else container.backend_state.get("runs", 0))
        records = read_log_events(self.clients, group, lambda: self._streams(group), since_ns=since_ns,
                                  until_ns=options.get("until_ns", 0), tail=options.get("tail", -1),
                                  follow=options.get("follow", False), finished=end.finished, skip=end.skip)
        if not options.get("follow"):
            return records
        return self._followed(container.id, end, records)

    async def _streams(self, group: str) -> list[str]:
        try:
            found = await self.clients.paginate("logs", "describe_log_streams", "logStreams", logGroupName=group)
        except CloudError as exc:
            if exc.status == 404:
                return []
            raise
        return [s["logStreamName"] for s in found]

    async def _followed(self, container_id: str, end: RunEnd, records: AsyncIterator[LogRecord]
                        ) -> AsyncIterator[LogRecord]:
        readers = self._followers.setdefault(container_id, set())
        readers.add(end)
        try:
            async for record in records:
                yield record
        finally:
            end.done.set()
            readers.discard(end)

    async def let_followers_finish(self, container_id: str) -> None:
        """Before the log group goes: give following readers up to ``READERS_WAIT`` seconds to read the end."""
        waits = [asyncio.ensure_future(r.done.wait()) for r in self._followers.pop(container_id, set())]
        if waits:
            await asyncio.wait(waits, timeout=READERS_WAIT)
            for wait in waits:
                wait.cancel()
