"""Optional persistence: services snapshot their state to one JSON file, restored at start.

Each service model implements :class:`Persistent`. When persistence is on, the store writes
a snapshot shortly after any change (at most every ``interval`` seconds) and at shutdown,
atomically (write to a temporary file, then rename), so a crash loses at most that interval.
"""

from __future__ import annotations

import json
import logging
import os
import threading
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
    """A change counter that models bump; the store watches it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def touch(self) -> None:
        """Record that some state changed."""
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Wait for a change; True (and reset) if one happened."""
        changed = self._event.wait(timeout)
        self._event.clear()
        return changed


class StateStore:
    """Saves and restores the named models to ``path``."""

    def __init__(self, path: Path | None, models: dict[str, Persistent], changes: Changes,
                 interval: float = 0.5) -> None:
        self.path = path
        self.models = models
        self.changes = changes
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
        if self.path is None:
            return
        data = {name: model.snapshot() for name, model in self.models.items()}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)

    def start(self) -> None:
        """Begin saving in the background after changes."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="sim-state", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background saver and write a final snapshot."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.save()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.changes.wait(self.interval):
                try:
                    self.save()
                except Exception:
                    log.exception("could not save simulator state to %s", self.path)
                self._stop.wait(self.interval)
