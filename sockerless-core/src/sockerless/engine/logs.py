"""Container log storage for backends that have no log service of their own.

Output is split into lines as it arrives; each line is stored with the time it was
written and the stream it came from (stdout and stderr stay apart). The file format is a
sequence of binary records so that any byte sequence survives unchanged::

    <time_ns: u64 BE> <stream: u8> <length: u32 BE> <bytes>

A line longer than ``MAX_LINE`` is stored in parts, and output that ends without a
newline is stored when its stream closes, as Docker's log copier does.
"""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

from .stdio import Chunk

STDOUT, STDERR = 1, 2
MAX_LINE = 16 * 1024
_HEADER = struct.Struct(">QBI")


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One stored line (its trailing newline included when it had one)."""

    time_ns: int
    stream: int
    data: bytes


class ContainerLog:
    """The log of one container: an append-only file plus live followers."""

    def __init__(self, path: Path, *, stored: bool = True, max_size: int = -1, max_files: int = 1) -> None:
        self.path = path
        self.stored = stored
        self.max_size = max_size
        self.max_files = max(1, max_files)
        self._file = None
        self._size = 0
        self._partial: dict[int, tuple[int, bytes]] = {}
        self._followers: set[asyncio.Queue[LogRecord | None]] = set()

    def _handle(self):
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "ab")  # noqa: SIM115 - kept open while the container runs
            self._size = self._file.tell()
        return self._file

    def _rotated(self, index: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{index}")

    def _files(self) -> list[Path]:
        """The log files, oldest first."""
        return [self._rotated(i) for i in range(self.max_files - 1, 0, -1)] + [self.path]

    def _rotate(self) -> None:
        """``max-size`` reached: the current file becomes ``.1`` (older ones shift, the oldest goes)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.max_files == 1:
            self.path.unlink(missing_ok=True)
        else:
            for index in range(self.max_files - 1, 1, -1):
                if self._rotated(index - 1).exists():
                    os.replace(self._rotated(index - 1), self._rotated(index))
            os.replace(self.path, self._rotated(1))
        self._size = 0

    # -- writing (event loop) --------------------------------------------------------------
    def feed(self, stream: int, chunks: Iterable[Chunk]) -> None:
        """Store output chunks of ``stream``, line by line."""
        records = []
        start_ns, pending = self._partial.pop(stream, (0, b""))
        for time_ns, data in chunks:
            if not pending:
                start_ns = time_ns
            pending += data
            while True:
                idx = pending.find(b"\n")
                if idx < 0:
                    break
                records.append(LogRecord(time_ns, stream, pending[: idx + 1]))
                pending = pending[idx + 1:]
                start_ns = time_ns
            while len(pending) >= MAX_LINE:
                records.append(LogRecord(time_ns, stream, pending[:MAX_LINE]))
                pending = pending[MAX_LINE:]
        if pending:
            self._partial[stream] = (start_ns, pending)
        self._write(records)

    def close_stream(self, stream: int) -> None:
        """The stream ended: store what is left of its last line."""
        start_ns, pending = self._partial.pop(stream, (0, b""))
        if pending:
            self._write([LogRecord(start_ns, stream, pending)])

    def _write(self, records: list[LogRecord]) -> None:
        if not records:
            return
        if self.stored:
            self._store(records)
        for queue in list(self._followers):
            for record in records:
                queue.put_nowait(record)

    def _store(self, records: list[LogRecord]) -> None:
        if self.max_size <= 0:
            handle = self._handle()
            handle.write(b"".join(_HEADER.pack(r.time_ns, r.stream, len(r.data)) + r.data for r in records))
            handle.flush()
            return
        for record in records:  # rotation is decided per line, as json-file does
            data = _HEADER.pack(record.time_ns, record.stream, len(record.data)) + record.data
            handle = self._handle()
            if self._size and self._size + len(data) > self.max_size:
                self._rotate()
                handle = self._handle()
            handle.write(data)
            self._size += len(data)
        if self._file is not None:
            self._file.flush()

    def end_follow(self) -> None:
        """The container stopped: followers get the end marker."""
        for stream in list(self._partial):
            self.close_stream(stream)
        for queue in list(self._followers):
            queue.put_nowait(None)
        if self._file is not None:
            self._file.close()
            self._file = None

    # -- reading ---------------------------------------------------------------------------
    def records(self) -> list[LogRecord]:
        """Every stored record, oldest first.

        stdout and stderr reach the store in separate batches, so the file order can
        interleave them late; the write times put them back in the order they happened.
        """
        if self._file is not None:
            self._file.flush()
        found: list[LogRecord] = []
        for path in self._files():
            try:
                found.extend(_parse(path.read_bytes()))
            except FileNotFoundError:
                continue
        return sorted(found, key=lambda r: r.time_ns)

    def select(
        self, *, streams: set[int], since_ns: int = 0, until_ns: int = 0, tail: int = -1
    ) -> list[LogRecord]:
        """Records of ``streams`` in the time window, limited to the last ``tail`` (-1: all)."""
        chosen = [
            r for r in self.records()
            if r.stream in streams and r.time_ns >= since_ns and (not until_ns or r.time_ns <= until_ns)
        ]
        if tail >= 0:
            chosen = chosen[len(chosen) - tail:] if tail else []
        return chosen

    async def follow(self, queue: asyncio.Queue[LogRecord | None]) -> AsyncIterator[LogRecord]:
        """Yield records arriving on ``queue`` (from :meth:`subscribe`) until the end marker."""
        while True:
            record = await queue.get()
            if record is None:
                return
            yield record

    def subscribe(self) -> asyncio.Queue[LogRecord | None]:
        """A queue that receives every future record, then ``None`` when the container stops."""
        queue: asyncio.Queue[LogRecord | None] = asyncio.Queue()
        self._followers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[LogRecord | None]) -> None:
        """Stop following."""
        self._followers.discard(queue)

    def remove(self) -> None:
        """Delete the log (the container is being removed)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        for path in self._files():
            path.unlink(missing_ok=True)


def _parse(data: bytes) -> Iterable[LogRecord]:
    pos = 0
    size = len(data)
    while pos + _HEADER.size <= size:
        time_ns, stream, length = _HEADER.unpack_from(data, pos)
        pos += _HEADER.size
        if pos + length > size:  # a record cut short by a crash: ignore its tail
            return
        yield LogRecord(time_ns, stream, data[pos: pos + length])
        pos += length
