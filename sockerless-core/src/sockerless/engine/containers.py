"""Container records: lookup, creation (image config merge, mounts, networks), rename, listing."""

from __future__ import annotations

import os
import re

import msgspec

from ..api.errors import Conflict, InvalidParameter, no_such_container
from ..api.filters import Filters
from ..api.models.containers import ContainerConfig, ContainerCreateRequest, HostConfig, LogConfig, RestartPolicy
from ..api.models.images import ImageRecord
from ..plugins.backend import BackendInfo
from . import logconfig, names
from .ids import new_id
from .mounts import parse_mounts
from .networks import NetworkService
from .records import ContainerRecord
from .store import Store
from .timeutil import now_ns, rfc3339_nano

RESTART_POLICIES = {"", "no", "always", "unless-stopped", "on-failure"}
LIST_FILTERS = ("ancestor", "before", "expose", "exited", "health", "id", "isolation", "is-task", "label",
                "name", "network", "publish", "since", "status", "volume")
STATUSES = {"created", "restarting", "running", "removing", "paused", "exited", "dead"}
FIXED_RESOURCE_FIELDS = frozenset({
    "CgroupParent", "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
    "BlkioDeviceWriteIOps", "Devices", "DeviceCgroupRules", "DeviceRequests", "KernelMemory", "KernelMemoryTCP",
    "MemorySwappiness", "OomKillDisable", "Init", "Ulimits"})
"""Fields of the API's ``Resources`` that ``docker update`` cannot change (the CLI sends them zeroed)."""
RESOURCE_FIELDS = ("CpuShares", "Memory", "NanoCpus", "BlkioWeight", "CpuPeriod", "CpuQuota", "CpuRealtimePeriod",
                    "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems", "MemoryReservation", "MemorySwap",
                    "PidsLimit", "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth", "ShmSize")


class ContainerService:
    """The container records of the daemon."""

    def __init__(self, store: Store, networks: NetworkService, backend_info: BackendInfo, data_root: str) -> None:
        self.store = store
        self.networks = networks
        self.backend = backend_info
        self.data_root = data_root

    # -- lookup ----------------------------------------------------------------------------------
    def find(self, ref: str) -> ContainerRecord:
        """Docker's lookup order: full id, exact name, unique id prefix."""
        containers = self.store.containers
        record = containers.get(ref)
        if record is not None:
            return record
        name = ref.removeprefix("/")
        for record in containers:
            if record.name == name:
                return record
        matches = [c for c in containers if c.id.startswith(ref)] if ref else []
        if len(matches) > 1:
            raise InvalidParameter(f"multiple IDs found with provided prefix: {ref}")
        if not matches:
            raise no_such_container(ref)
        return matches[0]

    def name_taken(self, name: str) -> ContainerRecord | None:
        """The container holding ``name``, if any."""
        return next((c for c in self.store.containers if c.name == name), None)

    def all(self) -> list[ContainerRecord]:
        """Every container (a snapshot)."""
        return self.store.containers.values()

    # -- create ----------------------------------------------------------------------------------
    def build(self, request: ContainerCreateRequest, name: str | None, image: ImageRecord) -> tuple[ContainerRecord, list[str]]:
        """Turn a validated create request into a new record; returns (record, warnings)."""
        if name:
            name = names.validate(name)
            holder = self.name_taken(name)
            if holder is not None:
                raise Conflict(
                    f'Conflict. The container name "/{name}" is already in use by container "{holder.id}". '
                    "You have to remove (or rename) that container to be able to reuse that name.")
        else:
            name = names.random_name(lambda n: self.name_taken(n) is not None)
        container_id = new_id()
        config = merge_image_config(_config_of(request), image)
        argv = (config.Entrypoint or []) + (config.Cmd or [])
        if not argv:
            raise InvalidParameter("no command specified")
        if not config.Hostname:
            config.Hostname = container_id[:12]
        host = request.HostConfig
        _check_host_config(host)
        _fill_host_defaults(host)
        mounts = parse_mounts(config, host, lambda ref: self.find(ref).mounts)
        record = ContainerRecord(
            id=container_id,
            name=name,
            created=rfc3339_nano(now_ns()),
            path=argv[0],
            args=argv[1:],
            config=config,
            host_config=host,
            image_id=image.Id,
            image_layers=list(image.Layers),
            mounts=mounts,
            backend=self.backend.name,
            driver=self.backend.driver,
            log_path=os.path.join(self.data_root, "containers", container_id, "container.log"),
        )
        self._attach_networks(record, request)
        return record, self._warnings(host)

    def _attach_networks(self, record: ContainerRecord, request: ContainerCreateRequest) -> None:
        mode = record.host_config.NetworkMode
        requested = {("bridge" if name == "default" else name): settings
                     for name, settings in (request.NetworkingConfig.EndpointsConfig or {}).items()}
        if mode.startswith("container:"):
            target = self.find(mode.split(":", 1)[1])
            record.host_config.NetworkMode = f"container:{target.id}"
            return
        primary = self.networks.find("bridge" if mode in ("default", "") else mode)
        chosen = {primary.id: primary}
        for name in requested:
            network = self.networks.find(name)
            chosen.setdefault(network.id, network)
        if primary.name in ("host", "none") and len(chosen) > 1:
            raise InvalidParameter(f"container cannot be connected to multiple networks with one of the networks in {primary.name} mode")
        for network in chosen.values():
            wanted = requested.get(network.name) or requested.get(network.id)
            if network.builtin and wanted is not None and wanted.Aliases:
                raise InvalidParameter("network-scoped alias is supported only for containers in user defined networks")
            record.networks[network.name] = self.networks.make_endpoint(network, record, wanted)

    def _warnings(self, host: HostConfig) -> list[str]:
        warnings = []
        for field in RESOURCE_FIELDS:
            value = getattr(host, field)
            if field == "ShmSize" and value == DEFAULT_SHM_SIZE:
                continue
            if value not in (0, "", None) and field not in self.backend.honoured_resources:
                warnings.append(f"the {self.backend.name} backend does not enforce {field}; the limit is recorded but has no effect")
        if host.Privileged:
            warnings.append(f"the {self.backend.name} backend has no privileged mode; Privileged has no effect")
        publishes = (any(host.PortBindings.values()) if host.PortBindings else False) or host.PublishAllPorts
        if publishes and "PortBindings" not in self.backend.honoured_resources:
            warnings.append(f"the {self.backend.name} backend does not publish ports; the port bindings are "
                            "recorded but nothing listens on the host")
        return warnings

    def rename(self, record: ContainerRecord, new_name: str) -> str:
        """``docker rename``; returns the old name."""
        if not new_name:
            raise InvalidParameter("Neither old nor new names may be empty")
        new_name = names.validate(new_name)
        if new_name == record.name:
            raise InvalidParameter("Renaming a container with the same name as its current name")
        holder = self.name_taken(new_name)
        if holder is not None:
            raise Conflict(f'Conflict. The container name "/{new_name}" is already in use by container "{holder.id}". '
                           "You have to remove (or rename) that container to be able to reuse that name.")
        old = record.name
        record.name = new_name
        for endpoint in record.networks.values():
            if endpoint.DNSNames:
                endpoint.DNSNames = [new_name if n == old else n for n in endpoint.DNSNames]
        self.store.containers.put(record)
        return old

    # -- listing -----------------------------------------------------------------------------------
    def select(self, filters: Filters, *, include_stopped: bool, limit: int, image_ids: dict[str, list[str]]) -> list[ContainerRecord]:
        """``GET /containers/json`` filtering, newest first."""
        containers = sorted(self.store.containers, key=lambda c: c.created, reverse=True)
        before = self.find(next(iter(filters.get("before")))) if filters.get("before") else None
        since = self.find(next(iter(filters.get("since")))) if filters.get("since") else None
        statuses = filters.get("status")
        bad = statuses - STATUSES
        if bad:
            raise InvalidParameter(f"invalid filter 'status={next(iter(bad))}'")
        if statuses or filters.get("exited") or since or before:
            include_stopped = True
        result = []
        for record in containers:
            if before is not None and record.created >= before.created:
                continue
            if since is not None and record.created <= since.created:
                continue
            if not include_stopped and not record.state.Running:
                continue
            if not self._matches(record, filters, image_ids):
                continue
            result.append(record)
            if 0 < limit <= len(result):
                break
        return result

    def _matches(self, record: ContainerRecord, filters: Filters, image_ids: dict[str, list[str]]) -> bool:
        if filters.get("id") and not any(record.id.startswith(v) for v in filters.get("id")):
            return False
        if filters.get("name") and not any(_name_matches(record.name, v) for v in filters.get("name")):
            return False
        if not filters.match_labels(record.config.Labels):
            return False
        if filters.get("status") and status_word(record) not in filters.get("status"):
            return False
        if filters.get("exited"):
            codes = set()
            for value in filters.get("exited"):
                if not value.lstrip("-").isdigit():
                    raise InvalidParameter(f"invalid filter 'exited={value}'")
                codes.add(int(value))
            if record.state.Running or not record.has_been_started or record.state.ExitCode not in codes:
                return False
        if filters.get("ancestor"):
            refs = {record.config.Image, record.image_id}
            wanted = set()
            for value in filters.get("ancestor"):
                wanted |= set(image_ids.get(value, [value]))
            if not (refs & wanted) and record.image_id not in wanted:
                return False
        if filters.get("network"):
            nets = set(record.networks)
            nets |= {ep.NetworkID for ep in record.networks.values()}
            if not nets & filters.get("network"):
                return False
        if filters.get("volume"):
            mounted = {m.Name for m in record.mounts if isinstance(m.Name, str)} | {m.Destination for m in record.mounts}
            if not mounted & filters.get("volume"):
                return False
        if filters.get("health"):
            health = record.state.Health.Status if isinstance(record.state.Health, msgspec.Struct) else "none"
            if health not in filters.get("health"):
                return False
        return not filters.get("is-task") or "true" not in {v.lower() for v in filters.get("is-task")}


DEFAULT_SHM_SIZE = 64 * 1024 * 1024


def _name_matches(name: str, pattern: str) -> bool:
    try:
        return re.search(pattern, "/" + name) is not None
    except re.error:
        return pattern.lstrip("/") in name


def status_word(record: ContainerRecord) -> str:
    """The ``State.Status`` word."""
    return record.state.Status


def _config_of(request: ContainerCreateRequest) -> ContainerConfig:
    fields = {f: getattr(request, f) for f in ContainerConfig.__struct_fields__}
    return ContainerConfig(**fields)


def merge_image_config(config: ContainerConfig, image: ImageRecord) -> ContainerConfig:
    """Fill what the request left empty from the image, as Docker does."""
    img = image.Config
    env = list(img.Env or [])
    keys = {e.split("=", 1)[0]: i for i, e in enumerate(env)}
    for entry in config.Env or []:
        key = entry.split("=", 1)[0]
        if key in keys:
            env[keys[key]] = entry
        else:
            keys[key] = len(env)
            env.append(entry)
    config.Env = env
    if config.Entrypoint is None:
        config.Entrypoint = list(img.Entrypoint) if img.Entrypoint else None
        if config.Cmd is None:
            config.Cmd = list(img.Cmd) if img.Cmd else None
    elif not config.Entrypoint:
        config.Entrypoint = None
        if config.Cmd is None:
            config.Cmd = list(img.Cmd) if img.Cmd else None
    if not config.WorkingDir:
        config.WorkingDir = img.WorkingDir
    if not config.User:
        config.User = img.User
    if isinstance(img.ExposedPorts, dict):
        ports = dict(img.ExposedPorts)
        ports.update(config.ExposedPorts if isinstance(config.ExposedPorts, dict) else {})
        config.ExposedPorts = ports
    if img.Volumes:
        volumes = dict(img.Volumes)
        volumes.update(config.Volumes or {})
        config.Volumes = volumes
    labels = dict(img.Labels or {})
    labels.update(config.Labels or {})
    config.Labels = labels
    if config.StopSignal is msgspec.UNSET and isinstance(img.StopSignal, str):
        config.StopSignal = img.StopSignal
    if config.Healthcheck is msgspec.UNSET and isinstance(img.Healthcheck, msgspec.Struct):
        config.Healthcheck = img.Healthcheck
    if config.Shell is msgspec.UNSET and isinstance(img.Shell, list):
        config.Shell = img.Shell
    if not config.Image:
        config.Image = image.Id
    return config


def _check_host_config(host: HostConfig) -> None:
    logconfig.validate(host.LogConfig.Type or "json-file", dict(host.LogConfig.Config or {}))
    check_restart_policy(host.RestartPolicy)
    check_resources(host.BlkioWeight, host.MemorySwappiness)
    if host.AutoRemove and host.RestartPolicy.Name not in ("", "no"):
        raise InvalidParameter("can't create 'AutoRemove' container with restart policy")
    if len(host.ConsoleSize) != 2 or any(v < 0 for v in host.ConsoleSize):
        raise InvalidParameter("invalid ConsoleSize: expected [height, width]")


def check_resources(blkio_weight: int, memory_swappiness: int | None) -> None:
    """dockerd's range checks of the resource fields that have one (create and update)."""
    if blkio_weight and not 10 <= blkio_weight <= 1000:
        raise InvalidParameter("Range of blkio weight is from 10 to 1000")
    if memory_swappiness is not None and memory_swappiness != -1 and not 0 <= memory_swappiness <= 100:
        raise InvalidParameter(f"Invalid value: {memory_swappiness}, valid memory swappiness range is 0-100")


def check_restart_policy(policy: RestartPolicy) -> None:
    """Docker's validation of a restart policy (create and update)."""
    if policy.Name not in RESTART_POLICIES:
        raise InvalidParameter(f"invalid restart policy: unknown policy '{policy.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'")
    if policy.MaximumRetryCount < 0:
        raise InvalidParameter("invalid restart policy: maximum retry count can't be negative")
    if policy.MaximumRetryCount and policy.Name != "on-failure":
        raise InvalidParameter("invalid restart policy: maximum retry count can only be used with 'on-failure'")


def _fill_host_defaults(host: HostConfig) -> None:
    if not host.NetworkMode:
        host.NetworkMode = "bridge"
    if not host.LogConfig.Type:
        host.LogConfig = LogConfig(Type="json-file", Config=dict(host.LogConfig.Config or {}))
    elif host.LogConfig.Config is None:
        host.LogConfig.Config = {}
    if not host.RestartPolicy.Name:
        host.RestartPolicy = RestartPolicy(Name="no", MaximumRetryCount=0)
    if not host.ShmSize:
        host.ShmSize = DEFAULT_SHM_SIZE
    if not host.CgroupnsMode:
        host.CgroupnsMode = "private"
    if not host.IpcMode:
        host.IpcMode = "private"
    if host.MemorySwappiness == -1:
        host.MemorySwappiness = None  # the CLI's "inherit": dockerd reports it unset
    if host.MaskedPaths is None:
        host.MaskedPaths = []  # nothing of the backend's /proc is masked beyond what it never shows
    if host.ReadonlyPaths is None:
        host.ReadonlyPaths = []


def labels_of(record: ContainerRecord) -> dict[str, str]:
    """Attributes for container events: the labels plus image and name."""
    attrs: dict[str, str] = dict(record.config.Labels or {})
    attrs["image"] = record.config.Image
    attrs["name"] = record.name
    return attrs
