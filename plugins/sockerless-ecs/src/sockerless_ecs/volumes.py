"""Named Docker volumes on AWS: one EFS access point per volume, on one EFS file system.

The file system comes from option ``efs-file-system`` (it must have mount targets in the
backend's subnets, reachable on NFS from the tasks' security groups). In simulator mode it is
found by its tags or created, with a mount target in every subnet of the backend. Each volume
gets an access point whose root directory is ``/sockerless/<volume name>-<8 hex>`` (created
owned by root, mode 0755; the POSIX user is root, as a container's default user) and tags
``sockerless:managed``, ``sockerless:daemon``, ``sockerless:volume`` and its labels; the
suffix keeps a re-created volume of the same name empty, as Docker's is. Removing the volume
deletes its access point; the files stay on the file system (EFS cannot delete them without
mounting it): document a lifecycle policy or clean ``/sockerless`` when that matters.

A container's mounts become task-definition ``volumes`` and ``mountPoints``: named volumes
through their access points (transit encryption on, as ECS requires with access points),
``tmpfs`` mounts as task-scoped scratch volumes (empty at start, gone with the task); bind
mounts are refused (a Fargate task cannot see the daemon's files).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sockerless.api.errors import InvalidParameter
from sockerless_aws import AwsClients, CloudError, tags

VOLUME_TAG = "sockerless:volume"
ROOT = "/sockerless"
SIM_FILE_SYSTEM = "sockerless-ecs-volumes"
POSIX_ROOT = {"Uid": 0, "Gid": 0}
CREATION = {"OwnerUid": 0, "OwnerGid": 0, "Permissions": "755"}
_TASK_VOLUME_CHARS = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class VolumeState:
    """What a volume is on AWS (kept in the volume record's ``backend_state``)."""

    file_system: str
    access_point: str
    root: str

    def to_dict(self) -> dict[str, str]:
        """For ``backend_state``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VolumeState:
        """From ``backend_state``."""
        return cls(file_system=data["file_system"], access_point=data["access_point"], root=data["root"])


async def file_system(clients: AwsClients, configured: str, *, simulator: bool, subnets: Iterable[str],
                      security_groups: Iterable[str] = ()) -> str:
    """The file system holding the volumes: option ``efs-file-system``, or in simulator mode one found by
    its tags or created (with a mount target in each of ``subnets``)."""
    if configured:
        try:
            await clients.call("efs", "describe_file_systems", FileSystemId=configured)
        except CloudError as exc:
            if exc.status == 404:
                raise InvalidParameter(f"ecs backend: efs-file-system {configured} does not exist") from None
            raise
        return configured
    if not simulator:
        raise InvalidParameter("ecs backend: named volumes are EFS access points and need option efs-file-system "
                               "(an EFS file system with mount targets in the task subnets)")
    systems = await clients.paginate("efs", "describe_file_systems", "FileSystems")
    found = next((s["FileSystemId"] for s in systems
                  if tags.from_key_value(s.get("Tags"), "Key", "Value").get("Name") == SIM_FILE_SYSTEM
                  and tags.from_key_value(s.get("Tags"), "Key", "Value").get(tags.MANAGED) == "1"), None)
    if found is None:
        made = await clients.call("efs", "create_file_system", CreationToken=SIM_FILE_SYSTEM, Encrypted=True,
                                  Tags=tags.to_key_value({tags.MANAGED: "1", "Name": SIM_FILE_SYSTEM}, "Key", "Value"))
        found = made["FileSystemId"]
    await _mount_targets(clients, found, list(subnets), list(security_groups))
    return found


async def _mount_targets(clients: AwsClients, fs_id: str, subnets: list[str], security_groups: list[str]) -> None:
    """One mount target per availability zone of ``subnets`` (EFS allows one per zone)."""
    if not subnets:
        return
    targets = await clients.paginate("efs", "describe_mount_targets", "MountTargets", FileSystemId=fs_id)
    zones = {t.get("AvailabilityZoneName") for t in targets}
    described = (await clients.call("ec2", "describe_subnets", SubnetIds=subnets))["Subnets"]
    groups = {"SecurityGroups": security_groups} if security_groups else {}
    for subnet in described:
        if subnet["AvailabilityZone"] not in zones:
            await clients.call("efs", "create_mount_target", FileSystemId=fs_id, SubnetId=subnet["SubnetId"], **groups)
            zones.add(subnet["AvailabilityZone"])


async def create_volume(clients: AwsClients, fs_id: str, *, name: str, instance: str,
                        labels: Mapping[str, str] | None = None) -> VolumeState:
    """A new access point for volume ``name``."""
    root = f"{ROOT}/{name}-{secrets.token_hex(4)}"
    labelled = tags.owned(instance) | {VOLUME_TAG: tags.sanitize(name, tags.MAX_VALUE),
                                       "Name": tags.sanitize(f"sockerless-{name}", tags.MAX_VALUE)}
    labelled |= tags.from_labels(labels, room=tags.MAX_TAGS - len(labelled))
    made = await clients.call("efs", "create_access_point", FileSystemId=fs_id, PosixUser=POSIX_ROOT,
                              RootDirectory={"Path": root, "CreationInfo": CREATION},
                              Tags=tags.to_key_value(labelled, "Key", "Value"))
    return VolumeState(file_system=fs_id, access_point=made["AccessPointId"], root=root)


async def remove_volume(clients: AwsClients, state: VolumeState) -> None:
    """Delete the volume's access point (already gone is fine)."""
    try:
        await clients.call("efs", "delete_access_point", AccessPointId=state.access_point)
    except CloudError as exc:
        if exc.status != 404:
            raise


async def _owned_points(clients: AwsClients, fs_id: str, instance: str) -> list[tuple[str, VolumeState]]:
    """``(volume name, state)`` of every access point tagged for this daemon instance, on ``fs_id`` or
    (``""``) on every file system."""
    where = {"FileSystemId": fs_id} if fs_id else {}
    points = await clients.paginate("efs", "describe_access_points", "AccessPoints", **where)
    found = []
    for point in points:
        labels = tags.from_key_value(point.get("Tags"), "Key", "Value")
        if labels.get(tags.DAEMON) == instance and labels.get(VOLUME_TAG):
            found.append((labels[VOLUME_TAG], VolumeState(file_system=point["FileSystemId"],
                                                          access_point=point["AccessPointId"],
                                                          root=(point.get("RootDirectory") or {}).get("Path", ""))))
    return found


async def owned_volumes(clients: AwsClients, fs_id: str, instance: str) -> dict[str, VolumeState]:
    """This daemon's access points on the file system, by volume name (for recovery)."""
    return dict(await _owned_points(clients, fs_id, instance))


async def remove_orphans(clients: AwsClients, instance: str, records: Iterable[Any]) -> list[str]:
    """Delete the access points tagged for this daemon instance, on any file system, that no volume record
    holds (a record without an access point keeps those carrying its name); the access points deleted.
    Their files stay, as with ``docker volume rm``."""
    held = {r.backend_state.get("access_point") for r in records}
    named = {tags.sanitize(r.name, tags.MAX_VALUE) for r in records if not r.backend_state.get("access_point")}
    removed = []
    for name, state in await _owned_points(clients, "", instance):
        if state.access_point not in held and name not in named:
            await remove_volume(clients, state)
            removed.append(state.access_point)
    return removed


def task_volume_name(kind: str, name: str) -> str:
    """A task-definition volume name (letters, digits, ``-``, ``_``) for a Docker volume or tmpfs target."""
    return f"{kind}-{_TASK_VOLUME_CHARS.sub('_', name)}"[:255]


def efs_volume(task_name: str, state: VolumeState) -> dict[str, Any]:
    """The task-definition ``volumes`` entry of an access point."""
    return {"name": task_name, "efsVolumeConfiguration": {
        "fileSystemId": state.file_system, "transitEncryption": "ENABLED",
        "authorizationConfig": {"accessPointId": state.access_point, "iam": "DISABLED"}}}


@dataclass
class TaskMounts:
    """What a container's mounts add to the task definition."""

    volumes: list[dict[str, Any]]
    mount_points: list[dict[str, Any]]


def task_mounts(mounts: Iterable[Any], states: Mapping[str, VolumeState]) -> TaskMounts:
    """``volumes`` + ``mountPoints`` for a container's mounts (``MountPoint``-like: Type, Name, Source,
    Destination, RW); ``states`` maps volume names to their access points. Bind mounts are refused."""
    volumes: dict[str, dict[str, Any]] = {}
    points: list[dict[str, Any]] = []
    for mount in mounts:
        kind = getattr(mount, "Type", "")
        target = getattr(mount, "Destination", "")
        read_only = not getattr(mount, "RW", True)
        if kind == "volume":
            name = getattr(mount, "Name", "") or ""
            state = states.get(name)
            if state is None:
                raise InvalidParameter(f"ecs backend: volume {name} has no EFS access point (it was not created by "
                                       "this backend)")
            task_name = task_volume_name("v", name)
            volumes[task_name] = efs_volume(task_name, state)
        elif kind == "tmpfs":
            task_name = task_volume_name("tmpfs", target)
            volumes[task_name] = {"name": task_name, "host": {}}
        elif kind == "bind":
            raise InvalidParameter(f"ecs backend: bind mounts are not supported ({getattr(mount, 'Source', '')}:"
                                   f"{target}): a Fargate task cannot see the daemon's files; use a named volume")
        else:
            raise InvalidParameter(f"ecs backend: {kind or 'unknown'} mounts are not supported (at {target})")
        points.append({"sourceVolume": task_name, "containerPath": target, "readOnly": read_only})
    return TaskMounts(volumes=list(volumes.values()), mount_points=points)
