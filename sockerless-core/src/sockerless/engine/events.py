"""The event bus: every state change is published here; ``GET /events`` and observer plugins read it."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

HISTORY = 1024


@dataclass(frozen=True)
class Event:
    """One event, as ``GET /events`` reports it."""

    type: str
    """``container``, ``image``, ``network``, ``volume``, ``daemon``."""
    action: str
    actor_id: str
    attributes: dict[str, str] = field(default_factory=dict)
    time_ns: int = field(default_factory=time.time_ns)
    scope: str = "local"

    def to_wire(self) -> dict[str, object]:
        """The JSON object Docker sends, including the legacy ``status``/``id``/``from`` keys."""
        message: dict[str, object] = {}
        if self.type in ("container", "image"):
            message["status"] = self.action
            message["id"] = self.actor_id
            if self.type == "container" and "image" in self.attributes:
                message["from"] = self.attributes["image"]
        message["Type"] = self.type
        message["Action"] = self.action
        message["Actor"] = {"ID": self.actor_id, "Attributes": dict(self.attributes)}
        message["scope"] = self.scope
        message["time"] = self.time_ns // 1_000_000_000
        message["timeNano"] = self.time_ns
        return message


class EventBus:
    """Publishes events to live subscribers and keeps a bounded history for ``since``."""

    def __init__(self, observer: Callable[[Event], None] | None = None) -> None:
        self._history: collections.deque[Event] = collections.deque(maxlen=HISTORY)
        self._subscribers: set[asyncio.Queue[Event]] = set()
        self._observer = observer

    def publish(self, type_: str, action: str, actor_id: str, attributes: dict[str, str] | None = None,
                time_ns: int | None = None) -> Event:
        """Record and fan out an event (call on the event loop); ``time_ns`` when it happened elsewhere."""
        event = Event(type_, action, actor_id, dict(attributes or {}))
        if time_ns is not None:
            event = dataclasses.replace(event, time_ns=time_ns)
        self._history.append(event)
        for queue in list(self._subscribers):
            queue.put_nowait(event)
        if self._observer is not None:
            try:
                self._observer(event)
            except Exception:  # an observer plugin must not break the daemon
                log.exception("event observer failed")
        return event

    def history(self, since_ns: int | None = None, until_ns: int | None = None) -> list[Event]:
        """Past events in the time window."""
        return [
            e for e in self._history
            if (since_ns is None or e.time_ns >= since_ns) and (until_ns is None or e.time_ns <= until_ns)
        ]

    def subscribe(self) -> asyncio.Queue[Event]:
        """A queue receiving every future event; pass it to :meth:`unsubscribe` when done."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        """Stop delivering to ``queue``."""
        self._subscribers.discard(queue)
