"""Volumes: named and anonymous, with data kept under the data root by default."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..api.errors import Conflict, InvalidParameter, NotFound, no_such_volume
from ..api.filters import Filters
from ..api.models.volumes import VolumeCreateRequest
from .events import EventBus
from .ids import new_id
from .records import ContainerRecord, VolumeRecord
from .store import Store
from .timeutil import now_ns, rfc3339_nano

VALID_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
LIST_FILTERS = ("dangling", "driver", "label", "name")
PRUNE_FILTERS = ("all", "label", "label!")
ANONYMOUS_LABEL = "com.docker.volume.anonymous"


class VolumeService:
    """Volumes known to the daemon."""

    def __init__(self, store: Store, events: EventBus, root: Path,
                 containers: Callable[[], list[ContainerRecord]]) -> None:
        self.store = store
        self.events = events
        self.root = root
        self._containers = containers
        root.mkdir(parents=True, exist_ok=True)

    def find(self, name: str) -> VolumeRecord:
        """A volume by name; 404 otherwise."""
        volume = self.store.volumes.get(name)
        if volume is None:
            raise no_such_volume(name)
        return volume

    def users(self, name: str) -> list[ContainerRecord]:
        """Containers that mount the volume."""
        return [c for c in self._containers() if any(m.Type == "volume" and m.Name == name for m in c.mounts)]

    def prepare(self, request: VolumeCreateRequest, *, anonymous: bool = False) -> tuple[VolumeRecord, bool]:
        """Validate a create request; returns (record, True) or (existing, False)."""
        name = request.Name or new_id()
        anonymous = anonymous or not request.Name  # a volume created without a name is anonymous (Docker 23+)
        if not VALID_NAME.match(name):
            if len(name) < 2:
                raise InvalidParameter(f"create {name}: volume name is too short, names should be at least two alphanumeric characters")
            raise InvalidParameter(
                f'create {name}: "{name}" includes invalid characters for a local volume name, only '
                '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path')
        driver = request.Driver or "local"
        existing = self.store.volumes.get(name)
        if existing is not None:
            if driver != existing.driver:
                raise Conflict(f"create {name}: a volume with the name {name} already exists with driver {existing.driver!r}")
            return existing, False
        if driver != "local":
            raise NotFound(f'create {name}: plugin "{driver}" not found')
        options = dict(request.DriverOpts or {})
        if options:
            raise InvalidParameter(f"create {name}: driver options {sorted(options)} of the local driver are not supported by sockerless yet")
        mountpoint = self.root / name / "_data"
        labels = dict(request.Labels or {})
        if anonymous:
            labels.setdefault(ANONYMOUS_LABEL, "")
        record = VolumeRecord(name=name, created=rfc3339_nano(now_ns()), driver=driver,
                              mountpoint=str(mountpoint), labels=labels,
                              options=options, anonymous=anonymous)
        return record, True

    def commit(self, record: VolumeRecord) -> VolumeRecord:
        """Create the data directory, persist and announce a new volume."""
        if record.mountpoint.startswith(str(self.root)):
            Path(record.mountpoint).mkdir(parents=True, exist_ok=True, mode=0o755)
        self.store.volumes.put(record)
        self.events.publish("volume", "create", record.name, {"driver": record.driver})
        return record

    def check_removable(self, volume: VolumeRecord) -> None:
        """A volume in use cannot be removed (even with force, as in Docker)."""
        users = self.users(volume.name)
        if users:
            raise Conflict(f"remove {volume.name}: volume is in use - [{', '.join(c.id for c in users)}]")

    def delete(self, volume: VolumeRecord) -> None:
        """Forget a volume and its data (after the backend released it)."""
        self.store.volumes.delete(volume.name)
        path = self.root / volume.name
        if path.is_dir() and str(path).startswith(str(self.root)):
            shutil.rmtree(path, ignore_errors=True)
        self.events.publish("volume", "destroy", volume.name, {"driver": volume.driver})

    def prunable(self, filters: Filters, *, all_by_default: bool = False) -> list[VolumeRecord]:
        """Unused volumes matching the prune filters (anonymous only unless ``all=true`` or ``all_by_default``)."""
        everything = all_by_default or filters.bool_value("all") is True
        result = []
        for volume in self.store.volumes:
            if not everything and not volume.anonymous:
                continue
            if self.users(volume.name) or not filters.match_labels(volume.labels):
                continue
            result.append(volume)
        return result

    def matches(self, volume: VolumeRecord, filters: Filters) -> bool:
        """``GET /volumes`` filters."""
        if filters.get("name") and not any(v in volume.name for v in filters.get("name")):
            return False
        if not filters.match_any("driver", [volume.driver]) or not filters.match_labels(volume.labels):
            return False
        dangling = filters.bool_value("dangling")
        return dangling is None or (not self.users(volume.name)) == dangling

    @staticmethod
    def size(volume: VolumeRecord) -> int:
        """Bytes used by the volume's files (for ``system df``)."""
        total = 0
        for dirpath, _, files in os.walk(volume.mountpoint):
            for name in files:
                try:
                    total += os.lstat(os.path.join(dirpath, name)).st_size
                except OSError:
                    pass
        return total

    def render(self, volume: VolumeRecord) -> dict[str, Any]:
        """The JSON Docker returns for a volume."""
        return {
            "CreatedAt": volume.created,
            "Driver": volume.driver,
            "Labels": volume.labels or None,
            "Mountpoint": volume.mountpoint,
            "Name": volume.name,
            "Options": volume.options or None,
            "Scope": volume.scope,
        }
