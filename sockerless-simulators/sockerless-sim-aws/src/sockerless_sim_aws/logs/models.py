"""Log groups, streams and events, with the forward/backward token paging of GetLogEvents."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ..arns import arn
from ..protocol.errors import AWSError
from ..state import Changes


def now_ms() -> int:
    """Milliseconds since the epoch, the unit of every Logs timestamp."""
    return int(time.time() * 1000)


@dataclass
class LogEvent:
    """One event: ``timestamp`` is the client's, ``ingestionTime`` ours."""

    timestamp: int
    message: str
    ingestionTime: int


@dataclass
class LogStream:
    """A stream of events kept in timestamp order of arrival."""

    name: str
    creationTime: int
    events: list[LogEvent] = field(default_factory=list)
    uploadSequence: int = 0


@dataclass
class LogGroup:
    """A group of streams, with retention and tags."""

    name: str
    region: str
    creationTime: int
    retentionInDays: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    streams: dict[str, LogStream] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        """The group's ARN as DescribeLogGroups reports it (with ``:*``)."""
        return arn("logs", self.region, f"log-group:{self.name}:*")


def _missing_group(name: str) -> AWSError:
    return AWSError("ResourceNotFoundException", f"The specified log group does not exist: {name}")


def _missing_stream(group: str, name: str) -> AWSError:
    return AWSError("ResourceNotFoundException", f"The specified log stream does not exist: {group}/{name}")


class LogsModel:
    """Every log group of the simulated account, across regions."""

    def __init__(self, changes: Changes) -> None:
        self._lock = threading.RLock()
        self._changed = changes
        self.groups: dict[tuple[str, str], LogGroup] = {}

    # groups and streams ---------------------------------------------------------------

    def create_group(self, region: str, name: str, tags: dict[str, str] | None = None) -> LogGroup:
        """Create a group; AWS refuses an existing name."""
        with self._lock:
            if (region, name) in self.groups:
                raise AWSError("ResourceAlreadyExistsException", "The specified log group already exists")
            group = LogGroup(name, region, now_ms(), tags=dict(tags or {}))
            self.groups[(region, name)] = group
            self._changed.touch()
            return group

    def group(self, region: str, name: str) -> LogGroup:
        """The named group, or ResourceNotFoundException."""
        group = self.groups.get((region, name))
        if group is None:
            raise _missing_group(name)
        return group

    def delete_group(self, region: str, name: str) -> None:
        """Delete a group with its streams."""
        with self._lock:
            self.group(region, name)
            del self.groups[(region, name)]
            self._changed.touch()

    def create_stream(self, region: str, group_name: str, name: str) -> LogStream:
        """Create a stream in an existing group."""
        with self._lock:
            group = self.group(region, group_name)
            if name in group.streams:
                raise AWSError("ResourceAlreadyExistsException", "The specified log stream already exists")
            stream = LogStream(name, now_ms())
            group.streams[name] = stream
            self._changed.touch()
            return stream

    def stream(self, region: str, group_name: str, name: str) -> LogStream:
        """The named stream, or ResourceNotFoundException."""
        stream = self.group(region, group_name).streams.get(name)
        if stream is None:
            raise _missing_stream(group_name, name)
        return stream

    def delete_stream(self, region: str, group_name: str, name: str) -> None:
        """Delete one stream."""
        with self._lock:
            self.stream(region, group_name, name)
            del self.group(region, group_name).streams[name]
            self._changed.touch()

    # events ---------------------------------------------------------------------------

    def put(self, region: str, group_name: str, stream_name: str, events: list[tuple[int, str]]) -> None:
        """Append events (timestamp ms, message) to an existing stream."""
        with self._lock:
            stream = self.stream(region, group_name, stream_name)
            ingested = now_ms()
            stream.events.extend(LogEvent(ts, msg, ingested) for ts, msg in events)
            stream.uploadSequence += 1
            self._changed.touch()

    def append(self, region: str, group_name: str, stream_name: str, message: str) -> None:
        """Append one event now, creating the group and stream if needed (what the awslogs driver does)."""
        with self._lock:
            if (region, group_name) not in self.groups:
                self.create_group(region, group_name)
            group = self.groups[(region, group_name)]
            if stream_name not in group.streams:
                self.create_stream(region, group_name, stream_name)
            self.put(region, group_name, stream_name, [(now_ms(), message)])

    # snapshots ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every group, stream and event."""
        with self._lock:
            return {"groups": [asdict(g) for g in self.groups.values()]}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot."""
        with self._lock:
            self.groups = {}
            for raw in data.get("groups", []):
                streams = {name: LogStream(s["name"], s["creationTime"], [LogEvent(**e) for e in s["events"]],
                                           s.get("uploadSequence", 0))
                           for name, s in raw.pop("streams").items()}
                group = LogGroup(**raw, streams=streams)
                self.groups[(group.region, group.name)] = group
