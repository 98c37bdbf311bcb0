"""Optional persistence: services snapshot their state to files, restored at start.

Each of our service models implements :class:`Persistent`; :class:`StateStore` writes them to
one JSON file. moto's services are saved by :mod:`.moto_state`. Both save in the background
through a :class:`Saver`: shortly after a change (then at most every ``interval`` seconds) and
at shutdown, atomically (temporary file, then rename), so a crash loses at most that interval.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Persistent(Protocol):
    """What a service model offers to the state store."""

    def snapshot(self) -> dict[str, Any]:
        """The model's state as JSON-compatible data."""

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the model's state with a snapshot."""


class Changes:
    """A change flag that models set; a :class:`Saver` watches it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def touch(self) -> None:
        """Record that some state changed."""
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Wait for a change; True (and reset) if one happened."""
        changed = self._event.wait(timeout)
        if changed:
            self._event.clear()
        return changed

    @property
    def pending(self) -> bool:
        """A change not saved yet."""
        return self._event.is_set()


class Saver:
    """Calls ``save`` in a background thread after changes, at most every ``interval`` seconds."""

    def __init__(self, name: str, save: Callable[[], None], changes: Changes, interval: float) -> None:
        self.name = name
        self._save = save
        self.changes = changes
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin watching for changes."""
        self._thread = threading.Thread(target=self._run, name=f"sim-save-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; save once more if a change is pending."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self.changes.pending:
            self._save()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.changes.wait(0.5):
                try:
                    self._save()
                except Exception:
                    log.exception("could not save the %s state", self.name)
                self._stop.wait(self.interval)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never half of one."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class StateStore:
    """Saves and restores our service models to ``path`` (None: persistence off)."""

    def __init__(self, path: Path | None, models: dict[str, Persistent], changes: Changes,
                 interval: float = 0.5) -> None:
        self.path = path
        self.models = models
        self._saver = Saver("services", self.save, changes, interval)

    def load(self) -> None:
        """Restore every model from the file, if persistence is on and the file exists."""
        if self.path is None or not self.path.exists():
            return
        data = json.loads(self.path.read_text())
        for name, model in self.models.items():
            if name in data:
                model.restore(data[name])
        log.info("restored simulator state from %s", self.path)

    def save(self) -> None:
        """Write one snapshot of every model now."""
        if self.path is not None:
            data = {name: model.snapshot() for name, model in self.models.items()}
            write_atomically(self.path, json.dumps(data).encode())

    def start(self) -> None:
        """Begin saving in the background after changes."""
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._saver.start()

    def stop(self) -> None:
        """Stop the background saver and write a final snapshot."""
        if self.path is not None:
            self._saver.stop()
            self.save()
