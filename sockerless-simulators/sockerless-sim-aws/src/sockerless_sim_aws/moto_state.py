"""Persistence of the moto-served services (EC2, IAM, STS, Cloud Map, EFS): pickled backends.

moto keeps each service's state in per-account, per-region backend objects. With persistence
on, the simulator pickles the instantiated ones to ``DATA_DIR/moto.pickle`` (a few seconds at
most after a request that may have changed them) and puts them back at start. The file is
tied to the pinned moto version; another version starts empty (and says so in the log).
"""

from __future__ import annotations

import logging
import pickle
import threading
from pathlib import Path
from typing import Any

from .state import Changes, Saver, write_atomically

log = logging.getLogger(__name__)
SERVICES = ("ec2", "iam", "sts", "servicediscovery", "efs")


def _backend_dict(service: str) -> Any:
    from moto.backends import get_backend

    return get_backend(service)  # type: ignore[arg-type]


def _version() -> str:
    import moto

    return moto.__version__


class MotoState:
    """Saves and restores moto's backends of :data:`SERVICES` (``path`` None: persistence off)."""

    def __init__(self, path: Path | None, interval: float = 2.0) -> None:
        self.path = path
        self.changes = Changes()
        self._saver = Saver("moto", self.save, self.changes, interval)
        self._lock = threading.Lock()

    def touch(self) -> None:
        """A request that may have changed moto's state was served."""
        if self.path is not None:
            self.changes.touch()

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
            services = {service: {account: dict(regions.items()) for account, regions in _backend_dict(service).items()}
                        for service in SERVICES}
            write_atomically(self.path, pickle.dumps({"version": _version(), "services": services}))

    def start(self) -> None:
        """Save in the background after changes."""
        if self.path is not None:
            self._saver.start()

    def stop(self) -> None:
        """Stop the saver, saving once more if anything changed."""
        if self.path is not None:
            self._saver.stop()
