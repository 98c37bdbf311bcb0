"""CloudWatch Logs events as the core's log records: since, until, tail and follow.

CloudWatch keeps one message per event with a millisecond timestamp and no stream of
origin, so every record is reported on stdout.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from sockerless.engine.logs import STDOUT, LogRecord

from .clients import AwsClients, CloudError

StreamNames = Sequence[str] | Callable[[], Sequence[str] | Awaitable[Sequence[str]]]
PAGE_LIMIT = 10_000


async def _names(streams: StreamNames) -> list[str]:
    if callable(streams):
        value = streams()
        if inspect.isawaitable(value):
            value = await value
        return list(value)
    return list(streams)


class _Cursor:
    """Where reading one log stream has got to."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.token: str | None = None

    async def read(self, clients: AwsClients, group: str, start_ms: int | None) -> list[dict[str, Any]]:
        """Every event after the cursor (all pages); the cursor moves past them."""
        events: list[dict[str, Any]] = []
        while True:
            params: dict[str, Any] = {"logGroupName": group, "logStreamName": self.name, "startFromHead": True,
                                      "limit": PAGE_LIMIT}
            if self.token:
                params["nextToken"] = self.token
            elif start_ms is not None:
                params["startTime"] = start_ms
            try:
                page = await clients.call("logs", "get_log_events", **params)
            except CloudError as exc:
                if exc.status == 404:  # the stream (or group) is not there yet
                    return events
                raise
            events.extend(page.get("events", []))
            token = page.get("nextForwardToken")
            if not token or token == self.token:
                return events
            self.token = token
            if not page.get("events"):
                return events


def _record(event: dict[str, Any]) -> LogRecord:
    message = str(event.get("message", ""))
    data = message.encode() if message.endswith("\n") else (message + "\n").encode()
    return LogRecord(time_ns=int(event.get("timestamp", 0)) * 1_000_000, stream=STDOUT, data=data)


async def read_log_events(clients: AwsClients, group: str, streams: StreamNames, *, since_ns: int = 0,
                          until_ns: int = 0, tail: int = -1, follow: bool = False,
                          finished: Callable[[], bool] | None = None, skip: Callable[[str], bool] | None = None,
                          poll: float = 0.5) -> AsyncIterator[LogRecord]:
    """The events of ``streams`` in ``group`` as :class:`LogRecord` (on stdout), oldest first.

    ``since_ns``/``until_ns`` bound the event times (0: unbounded), ``tail`` keeps the last N of
    what exists now (-1: all). With ``follow`` new events are polled for every ``poll`` seconds
    until ``finished()`` is true, after one last read. ``skip(message)`` drops events (a
    platform's own lines). ``streams`` may be a callable, asked again at every poll.
    """
    start_ms = since_ns // 1_000_000 if since_ns else None
    cursors: dict[str, _Cursor] = {}

    def wanted(event: dict[str, Any]) -> bool:
        stamp = int(event.get("timestamp", 0)) * 1_000_000
        if since_ns and stamp < since_ns - since_ns % 1_000_000:
            return False
        if until_ns and stamp > until_ns:
            return False
        return not (skip is not None and skip(str(event.get("message", ""))))

    async def read_all() -> list[dict[str, Any]]:
        for name in await _names(streams):
            cursors.setdefault(name, _Cursor(name))
        batches = await asyncio.gather(*(c.read(clients, group, start_ms) for c in cursors.values()))
        events = [e for batch in batches for e in batch if wanted(e)]
        events.sort(key=lambda e: (int(e.get("timestamp", 0)), int(e.get("ingestionTime", 0))))
        return events

    first = await read_all()
    if tail >= 0:
        first = first[-tail:] if tail else []
    for event in first:
        yield _record(event)
    if not follow:
        return
    while True:
        done = finished() if finished is not None else False
        if not done:
            await asyncio.sleep(poll)
        for event in await read_all():
            if until_ns and int(event.get("timestamp", 0)) * 1_000_000 > until_ns:
                return
            yield _record(event)
        if done:
            return
