"""Persistence of the moto-served services (EC2, IAM, STS, Cloud Map, EFS): pickled backends.

moto keeps each service's state in per-account, per-region backend objects. With persistence
on, the simulator pickles the instantiated ones to ``DATA_DIR/moto.pickle`` (at most every
``interval`` seconds after a request that may have changed them) and puts them back at start.
The file is tied to the pinned moto version; another version starts empty (and says so).
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
SERVICES = ("ec2", "iam", "sts", "servicediscovery", "efs")


def _backend_dict(service: str) -> Any:
    from moto.backends import get_backend

    return get_backend(service)  # type: ignore[arg-type]


def _version() -> str:
    import moto

    return moto.__version__


class MotoState:
    """Saves and restores moto's backends of :data:`SERVICES`."""

    def __init__(self, path: Path | None, interval: float = 2.0) -> None:
        self.path = path
        self.interval = interval
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def touch(self) -> None:
        """A request that may change moto's state was served."""
        if self.path is not None:
            self._dirty.set()

    def load(self) -> None:
        """Put saved backends back (before the first request)."""
        if self.path is None or not self.path.exists():
            return
        with self.path.open("rb") as f:
            saved = pickle.load(f)
        if saved.get("version") != _version():
            log.warning("ignoring %s: saved by moto %s, this is %s", self.path, saved.get("version"), _version())
            return
        for service, accounts in saved["services"].items():
            backends = _backend_dict(service)
            for account, regions in accounts.items():
                for region, backend in regions.items():
                    backends[account][region] = backend

    def save(self) -> None:
        """Write every instantiated backend now."""
        if self.path is None:
            return
        with self._lock:
            services: dict[str, dict[str, dict[str, Any]]] = {}
            for service in SERVICES:
                backends = _backend_dict(service)
                services[service] = {account: dict(regions.items()) for account, regions in backends.items()}
            tmp = self.path.with_suffix(".tmp")
            with tmp.open("wb") as f:
                pickle.dump({"version": _version(), "services": services}, f)
            os.replace(tmp, self.path)

    def start(self) -> None:
        """Save in the background after changes."""
        if self.path is None:
            return
        self._thread = threading.Thread(target=self._run, name="sim-moto-state", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the saver; a final save if anything changed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self._dirty.is_set():
            self.save()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._dirty.wait(0.5):
                self._dirty.clear()
                try:
                    self.save()
                except Exception:
                    log.exception("could not save moto state to %s", self.path)
                self._stop.wait(self.interval)
