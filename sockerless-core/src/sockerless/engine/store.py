"""The state store: an in-memory index with write-through persistence to SQLite (WAL).

Every mutation is committed before the API call that caused it returns, so a SIGKILL at
any moment loses nothing that a client was told about. Startup simply loads the tables
back (crash-only: there is no separate shutdown path to get right).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

import msgspec

from ..api.models.images import ImageRecord, LayerRecord
from .records import ContainerRecord, NetworkRecord, PodRecord, VolumeRecord

T = TypeVar("T")

SCHEMA_VERSION = 1


class Table(Generic[T]):
    """One kind of record, keyed by a string."""

    def __init__(self, db: sqlite3.Connection, kind: str, model: type[T], key: Callable[[T], str]) -> None:
        self._db = db
        self._kind = kind
        self._key = key
        self._encoder = msgspec.json.Encoder()
        decoder = msgspec.json.Decoder(model)
        self._rows: dict[str, T] = {}
        for row_key, data in db.execute("SELECT key, data FROM objects WHERE kind = ?", (kind,)):
            self._rows[row_key] = decoder.decode(data)

    def get(self, key: str) -> T | None:
        """The record stored under ``key``."""
        return self._rows.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._rows.values()))

    def values(self) -> list[T]:
        """All records (a snapshot)."""
        return list(self._rows.values())

    def keys(self) -> list[str]:
        """All keys (a snapshot)."""
        return list(self._rows)

    def put(self, record: T) -> None:
        """Insert or replace, and persist now."""
        key = self._key(record)
        self._db.execute(
            "INSERT INTO objects(kind, key, data) VALUES (?, ?, ?) "
            "ON CONFLICT(kind, key) DO UPDATE SET data = excluded.data",
            (self._kind, key, self._encoder.encode(record)),
        )
        self._rows[key] = record

    def delete(self, key: str) -> None:
        """Remove a record (no error when absent)."""
        self._db.execute("DELETE FROM objects WHERE kind = ? AND key = ?", (self._kind, key))
        self._rows.pop(key, None)


class DataRootLocked(RuntimeError):
    """Another daemon already uses this data root."""


class Store:
    """All persisted state of one daemon, under its data root."""

    def __init__(self, data_root: Path) -> None:
        self.data_root = data_root
        data_root.mkdir(parents=True, exist_ok=True)
        os.chmod(data_root, 0o700)
        self._lock_fd = os.open(data_root / "sockerless.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise DataRootLocked(f"data root {data_root} is in use by another sockerless daemon") from None
        self.db = sqlite3.connect(data_root / "state.db", isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS objects (kind TEXT, key TEXT, data BLOB, PRIMARY KEY (kind, key))")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) > SCHEMA_VERSION:
            raise RuntimeError(f"data root {data_root} was written by a newer sockerless (schema {row[0]})")
        self.containers: Table[ContainerRecord] = Table(self.db, "container", ContainerRecord, lambda r: r.id)
        self.networks: Table[NetworkRecord] = Table(self.db, "network", NetworkRecord, lambda r: r.id)
        self.volumes: Table[VolumeRecord] = Table(self.db, "volume", VolumeRecord, lambda r: r.name)
        self.images: Table[ImageRecord] = Table(self.db, "image", ImageRecord, lambda r: r.Id)
        self.pods: Table[PodRecord] = Table(self.db, "pod", PodRecord, lambda r: r.id)
        self.layers: Table[LayerRecord] = Table(self.db, "layer", LayerRecord, lambda r: r.DiffID)

    def get_meta(self, key: str) -> str | None:
        """A daemon-wide setting persisted in the store."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Persist a daemon-wide setting."""
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        """Close the database and release the data root."""
        self.db.close()
        os.close(self._lock_fd)
