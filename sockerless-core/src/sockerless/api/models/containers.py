"""Container wire models, with Docker's exact field names and zero values.

Fields that Docker marks ``omitempty`` are typed ``X | UnsetType`` with ``UNSET`` as the
default, so they disappear from the JSON when not set, as they do from Docker's.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from .networks import EndpointSettings


class HealthConfig(msgspec.Struct, kw_only=True):
    """``Config.Healthcheck``; durations in nanoseconds."""

    Test: list[str] | None = None
    Interval: int | UnsetType = UNSET
    Timeout: int | UnsetType = UNSET
    Retries: int | UnsetType = UNSET
    StartPeriod: int | UnsetType = UNSET
    StartInterval: int | UnsetType = UNSET


class BaseConfig(msgspec.Struct, kw_only=True):
    """The fields an image config and a container config share (Docker's ``container.Config``)."""

    Hostname: str = ""
    Domainname: str = ""
    User: str = ""
    AttachStdin: bool = False
    AttachStdout: bool = False
    AttachStderr: bool = False
    ExposedPorts: dict[str, dict[str, Any]] | UnsetType = UNSET
    Tty: bool = False
    OpenStdin: bool = False
    StdinOnce: bool = False
    Env: list[str] | None = None
    Cmd: list[str] | None = None
    Healthcheck: HealthConfig | UnsetType = UNSET
    ArgsEscaped: bool | UnsetType = UNSET
    Image: str = ""
    Volumes: dict[str, dict[str, Any]] | None = None
    WorkingDir: str = ""
    Entrypoint: list[str] | None = None
    OnBuild: list[str] | None = None
    Labels: dict[str, str] | None = None
    StopSignal: str | UnsetType = UNSET
    Shell: list[str] | UnsetType = UNSET


class ContainerConfig(BaseConfig, kw_only=True):
    """``Config`` of a container (also the body of ``POST /containers/create``)."""

    NetworkDisabled: bool | UnsetType = UNSET
    MacAddress: str | UnsetType = UNSET
    StopTimeout: int | UnsetType = UNSET


class LogConfig(msgspec.Struct, kw_only=True):
    """``HostConfig.LogConfig``."""

    Type: str = ""
    Config: dict[str, str] | None = None


class RestartPolicy(msgspec.Struct, kw_only=True):
    """``HostConfig.RestartPolicy``."""

    Name: str = ""
    MaximumRetryCount: int = 0


class PortBinding(msgspec.Struct, kw_only=True):
    """One host binding of a container port."""

    HostIp: str = ""
    HostPort: str = ""


class BindOptions(msgspec.Struct, kw_only=True):
    """``Mount.BindOptions``."""

    Propagation: str | UnsetType = UNSET
    NonRecursive: bool | UnsetType = UNSET
    CreateMountpoint: bool | UnsetType = UNSET
    ReadOnlyNonRecursive: bool | UnsetType = UNSET
    ReadOnlyForceRecursive: bool | UnsetType = UNSET


class VolumeDriverConfig(msgspec.Struct, kw_only=True):
    """``Mount.VolumeOptions.DriverConfig``."""

    Name: str | UnsetType = UNSET
    Options: dict[str, str] | UnsetType = UNSET


class VolumeOptions(msgspec.Struct, kw_only=True):
    """``Mount.VolumeOptions``."""

    NoCopy: bool | UnsetType = UNSET
    Labels: dict[str, str] | UnsetType = UNSET
    DriverConfig: VolumeDriverConfig | UnsetType = UNSET
    Subpath: str | UnsetType = UNSET


class TmpfsOptions(msgspec.Struct, kw_only=True):
    """``Mount.TmpfsOptions``."""

    SizeBytes: int | UnsetType = UNSET
    Mode: int | UnsetType = UNSET
    Options: list[list[str]] | UnsetType = UNSET


class Mount(msgspec.Struct, kw_only=True):
    """An entry of ``HostConfig.Mounts`` (``--mount``)."""

    Target: str = ""
    Source: str = ""
    Type: str = ""
    ReadOnly: bool | UnsetType = UNSET
    Consistency: str | UnsetType = UNSET
    BindOptions: BindOptions | UnsetType = UNSET
    VolumeOptions: VolumeOptions | UnsetType = UNSET
    TmpfsOptions: TmpfsOptions | UnsetType = UNSET


class Ulimit(msgspec.Struct, kw_only=True):
    """``HostConfig.Ulimits`` entry."""

    Name: str = ""
    Soft: int = 0
    Hard: int = 0


class DeviceMapping(msgspec.Struct, kw_only=True):
    """``HostConfig.Devices`` entry."""

    PathOnHost: str = ""
    PathInContainer: str = ""
    CgroupPermissions: str = ""


class HostConfig(msgspec.Struct, kw_only=True):
    """``HostConfig`` of a container."""

    Binds: list[str] | None = None
    ContainerIDFile: str = ""
    LogConfig: LogConfig = msgspec.field(default_factory=LogConfig)
    NetworkMode: str = ""
    PortBindings: dict[str, list[PortBinding] | None] | None = None
    RestartPolicy: RestartPolicy = msgspec.field(default_factory=RestartPolicy)
    AutoRemove: bool = False
    VolumeDriver: str = ""
    VolumesFrom: list[str] | None = None
    ConsoleSize: list[int] = msgspec.field(default_factory=lambda: [0, 0])
    Annotations: dict[str, str] | UnsetType = UNSET
    CapAdd: list[str] | None = None
    CapDrop: list[str] | None = None
    CgroupnsMode: str = ""
    Dns: list[str] | None = None
    DnsOptions: list[str] | None = None
    DnsSearch: list[str] | None = None
    ExtraHosts: list[str] | None = None
    GroupAdd: list[str] | None = None
    IpcMode: str = ""
    Cgroup: str = ""
    Links: list[str] | None = None
    OomScoreAdj: int = 0
    PidMode: str = ""
    Privileged: bool = False
    PublishAllPorts: bool = False
    ReadonlyRootfs: bool = False
    SecurityOpt: list[str] | None = None
    StorageOpt: dict[str, str] | UnsetType = UNSET
    Tmpfs: dict[str, str] | UnsetType = UNSET
    UTSMode: str = ""
    UsernsMode: str = ""
    ShmSize: int = 0
    Sysctls: dict[str, str] | UnsetType = UNSET
    Runtime: str = ""
    Isolation: str = ""
    CpuShares: int = 0
    Memory: int = 0
    NanoCpus: int = 0
    CgroupParent: str = ""
    BlkioWeight: int = 0
    BlkioWeightDevice: list[dict[str, Any]] | None = None
    BlkioDeviceReadBps: list[dict[str, Any]] | None = None
    BlkioDeviceWriteBps: list[dict[str, Any]] | None = None
    BlkioDeviceReadIOps: list[dict[str, Any]] | None = None
    BlkioDeviceWriteIOps: list[dict[str, Any]] | None = None
    CpuPeriod: int = 0
    CpuQuota: int = 0
    CpuRealtimePeriod: int = 0
    CpuRealtimeRuntime: int = 0
    CpusetCpus: str = ""
    CpusetMems: str = ""
    Devices: list[DeviceMapping] | None = None
    DeviceCgroupRules: list[str] | None = None
    DeviceRequests: list[dict[str, Any]] | None = None
    KernelMemoryTCP: int | UnsetType = UNSET
    MemoryReservation: int = 0
    MemorySwap: int = 0
    MemorySwappiness: int | None = None
    OomKillDisable: bool | None = None
    PidsLimit: int | None = None
    Ulimits: list[Ulimit] | None = None
    CpuCount: int = 0
    CpuPercent: int = 0
    IOMaximumIOps: int = 0
    IOMaximumBandwidth: int = 0
    Mounts: list[Mount] | UnsetType = UNSET
    MaskedPaths: list[str] | None = None
    ReadonlyPaths: list[str] | None = None
    Init: bool | UnsetType = UNSET


class NetworkingConfig(msgspec.Struct, kw_only=True):
    """``NetworkingConfig`` of a create request."""

    EndpointsConfig: dict[str, EndpointSettings] | None = None


class ContainerCreateRequest(ContainerConfig, kw_only=True):
    """Body of ``POST /containers/create``: a Config plus host and network settings."""

    HostConfig: HostConfig = msgspec.field(default_factory=HostConfig)
    NetworkingConfig: NetworkingConfig = msgspec.field(default_factory=NetworkingConfig)
    Platform: str | UnsetType = UNSET


STRSLICE_FIELDS = ("Cmd", "Entrypoint", "Shell")


def normalize_create(raw: Any) -> Any:
    """Accept a plain string where Docker's ``strslice`` fields take one."""
    if isinstance(raw, dict):
        for key in STRSLICE_FIELDS:
            if isinstance(raw.get(key), str):
                raw[key] = [raw[key]]
        health = raw.get("Healthcheck")
        if isinstance(health, dict) and isinstance(health.get("Test"), str):
            health["Test"] = [health["Test"]]
    return raw


class HealthcheckResult(msgspec.Struct, kw_only=True):
    """One probe in ``State.Health.Log``."""

    Start: str = ""
    End: str = ""
    ExitCode: int = 0
    Output: str = ""


class Health(msgspec.Struct, kw_only=True):
    """``State.Health``."""

    Status: str = "starting"
    FailingStreak: int = 0
    Log: list[HealthcheckResult] = msgspec.field(default_factory=list)


class ContainerState(msgspec.Struct, kw_only=True):
    """``State`` of a container."""

    Status: str = "created"
    Running: bool = False
    Paused: bool = False
    Restarting: bool = False
    OOMKilled: bool = False
    Dead: bool = False
    Pid: int = 0
    ExitCode: int = 0
    Error: str = ""
    StartedAt: str = "0001-01-01T00:00:00Z"
    FinishedAt: str = "0001-01-01T00:00:00Z"
    Health: Health | UnsetType = UNSET


class MountPoint(msgspec.Struct, kw_only=True):
    """An entry of ``Mounts`` in container inspect."""

    Type: str = ""
    Name: str | UnsetType = UNSET
    Source: str = ""
    Destination: str = ""
    Driver: str | UnsetType = UNSET
    Mode: str = ""
    RW: bool = True
    Propagation: str = ""
