"""The persisted state of the daemon: one record type per object kind.

Records are what the store writes through to SQLite; inspect and list answers are
rendered from them per API version. ``backend_state`` belongs to the backend (cloud
resource ids and the like) and is never rendered to clients.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ..api.models.containers import ContainerConfig, ContainerState, HostConfig, MountPoint
from ..api.models.networks import IPAM, EndpointSettings

ZERO_TIME = "0001-01-01T00:00:00Z"


class ContainerRecord(msgspec.Struct, kw_only=True):
    """A container."""

    id: str
    name: str
    """Without the leading slash."""
    created: str
    path: str
    args: list[str]
    config: ContainerConfig
    host_config: HostConfig
    state: ContainerState = msgspec.field(default_factory=ContainerState)
    image_id: str = ""
    image_layers: list[str] = msgspec.field(default_factory=list)
    """The image's layers at create time: they stay on disk while the container exists."""
    platform: str = "linux"
    networks: dict[str, EndpointSettings] = msgspec.field(default_factory=dict)
    """Endpoints by network name."""
    mounts: list[MountPoint] = msgspec.field(default_factory=list)
    restart_count: int = 0
    manually_stopped: bool = False
    has_been_started: bool = False
    backend: str = ""
    backend_state: dict[str, Any] = msgspec.field(default_factory=dict)
    pod: str = ""
    log_path: str = ""
    runtime_env: list[str] = msgspec.field(default_factory=list)
    """``KEY=VALUE`` entries the core adds to the main process's environment for the current run
    (legacy ``--link`` variables); a backend appends them to ``config.Env``. Not shown by inspect."""
    driver: str = ""
    hostname_path: str = ""
    hosts_path: str = ""
    resolv_conf_path: str = ""
    """Host files a backend mounts at /etc/hostname, /etc/hosts, /etc/resolv.conf (when it does)."""

    @property
    def short_id(self) -> str:
        """The 12-character id Docker prints."""
        return self.id[:12]

    @property
    def running(self) -> bool:
        """True while the main process runs (paused included)."""
        return self.state.Running


class NetworkRecord(msgspec.Struct, kw_only=True):
    """A network."""

    id: str
    name: str
    created: str
    driver: str = "bridge"
    scope: str = "local"
    internal: bool = False
    attachable: bool = False
    ingress: bool = False
    enable_ipv6: bool = False
    ipam: IPAM = msgspec.field(default_factory=IPAM)
    options: dict[str, str] = msgspec.field(default_factory=dict)
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    config_only: bool = False
    config_from: str = ""
    builtin: bool = False
    """One of the predefined networks (bridge, host, none) that cannot be removed."""
    backend_state: dict[str, Any] = msgspec.field(default_factory=dict)


class VolumeRecord(msgspec.Struct, kw_only=True):
    """A volume."""

    name: str
    created: str
    driver: str = "local"
    mountpoint: str = ""
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    options: dict[str, str] = msgspec.field(default_factory=dict)
    scope: str = "local"
    anonymous: bool = False
    backend_state: dict[str, Any] = msgspec.field(default_factory=dict)


class PodRecord(msgspec.Struct, kw_only=True):
    """A pod: containers a backend must run as one workload (Podman's ``/libpod/pods``)."""

    id: str
    name: str
    created: str
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    hostname: str = ""
    share: list[str] = msgspec.field(default_factory=lambda: ["ipc", "net", "uts"])
    """Namespaces the members share (recorded; what sharing means is the backend's)."""
    exit_policy: str = "continue"
