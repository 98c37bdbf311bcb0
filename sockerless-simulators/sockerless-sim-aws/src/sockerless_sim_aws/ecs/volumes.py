"""Task volumes as host directories the executor mounts.

- A volume with no ``host.sourcePath`` (Fargate's bind mount) is scratch storage of one task,
  shared by its containers: ``DATA_DIR/volumes/tasks/TASK_ID/NAME``, removed when the task stops.
- ``host.sourcePath`` (EC2 launch type only, as on ECS) is that directory of the host.
- ``efsVolumeConfiguration`` is persistent storage of the simulated file system:
  ``DATA_DIR/efs/FS_ID/PATH``, PATH the access point's root directory (else ``rootDirectory``).
  The file system, its mount target in the task's availability zone and the access point are
  checked against moto's EFS state; what is missing fails the task as ECS does.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from ..arns import account_id
from ..execution.base import Mount, StartFailure
from ..protocol.errors import AWSError

EFS_FAILURE = "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: "


def _client_error(message: str) -> AWSError:
    return AWSError("ClientException", message)


def validate(body: dict[str, Any]) -> None:
    """RegisterTaskDefinition's checks of ``volumes`` and every container's ``mountPoints``."""
    fargate = "FARGATE" in (body.get("requiresCompatibilities") or [])
    names: set[str] = set()
    for volume in body.get("volumes") or []:
        name = volume.get("name")
        if not name:
            raise _client_error("Volume name should not be null or empty.")
        if name in names:
            raise _client_error(f"Duplicate volume name '{name}'.")
        names.add(name)
        if fargate and (volume.get("host") or {}).get("sourcePath"):
            raise _client_error("Fargate compatible task definitions do not support sourcePath")
        if fargate and volume.get("dockerVolumeConfiguration"):
            raise _client_error("Fargate compatible task definitions do not support dockerVolumeConfiguration")
        efs = volume.get("efsVolumeConfiguration")
        if efs is not None:
            _validate_efs(name, efs)
    containers = {c.get("name") for c in body.get("containerDefinitions") or []}
    for container in body.get("containerDefinitions") or []:
        for source in container.get("volumesFrom") or []:
            if source.get("sourceContainer") not in containers or source.get("sourceContainer") == container.get("name"):
                raise _client_error(f"Invalid 'volumesFrom' of container '{container.get('name')}': unknown source "
                                    f"container '{source.get('sourceContainer')}'.")
        for point in container.get("mountPoints") or []:
            if point.get("sourceVolume") not in names:
                raise _client_error(f"Unknown volume '{point.get('sourceVolume')}'.")
            path = point.get("containerPath") or ""
            if not path.startswith("/"):
                raise _client_error(f"Invalid 'containerPath' for volume '{point['sourceVolume']}': "
                                    "it must be an absolute path.")


def _validate_efs(name: str, efs: dict[str, Any]) -> None:
    if not efs.get("fileSystemId"):
        raise _client_error(f"fileSystemId should not be null or empty for volume '{name}'.")
    access_point = (efs.get("authorizationConfig") or {}).get("accessPointId")
    if access_point:
        if efs.get("transitEncryption") != "ENABLED":
            raise _client_error("Transit encryption must be enabled when using an EFS access point "
                                f"(volume '{name}').")
        if efs.get("rootDirectory") not in (None, "", "/"):
            raise _client_error("The root directory must be omitted or set to '/' when using an EFS access point "
                                f"(volume '{name}').")
    if (efs.get("authorizationConfig") or {}).get("iam") == "ENABLED" and efs.get("transitEncryption") != "ENABLED":
        raise _client_error(f"Transit encryption must be enabled when IAM authorization is used (volume '{name}').")


class TaskVolumes:
    """The volumes of the tasks run by one simulator, under its data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.tasks_dir = data_dir / "volumes" / "tasks"
        self.efs_dir = data_dir / "efs"

    def prepare(self, task_id: str, region: str, task_def: dict[str, Any],
                subnet_az: str | None) -> dict[str, Path]:
        """Each volume's host directory, created; :class:`StartFailure` when an EFS volume cannot mount."""
        paths: dict[str, Path] = {}
        for volume in task_def.get("volumes") or []:
            efs = volume.get("efsVolumeConfiguration")
            source = (volume.get("host") or {}).get("sourcePath")
            if efs is not None:
                paths[volume["name"]] = self._efs(region, efs, subnet_az)
            elif volume.get("dockerVolumeConfiguration") or volume.get("fsxWindowsFileServerVolumeConfiguration"):
                paths[volume["name"]] = self._refused(volume)
            elif source:
                paths[volume["name"]] = Path(source)
            else:
                path = self.tasks_dir / task_id / volume["name"]
                path.mkdir(parents=True, exist_ok=True)
                paths[volume["name"]] = path
        return paths

    @staticmethod
    def _refused(volume: dict[str, Any]) -> Path:
        kind = "dockerVolumeConfiguration" if volume.get("dockerVolumeConfiguration") else "FSx"
        raise StartFailure(f"CannotStartContainerError: volume {volume['name']}: {kind} volumes are not "
                           "simulated (use a task-scoped bind volume or EFS)")

    def _efs(self, region: str, efs: dict[str, Any], subnet_az: str | None) -> Path:
        from moto.efs import efs_backends

        backend = efs_backends[account_id()][region]
        fs_id = efs["fileSystemId"]
        file_system = backend.file_systems_by_id.get(fs_id)
        if file_system is None:
            raise StartFailure(f'{EFS_FAILURE}Failed to resolve "{fs_id}.efs.{region}.amazonaws.com" - check that '
                               "your file system ID is correct")
        targets = list(file_system.iter_mount_targets())
        if not targets or (subnet_az and all(t.availability_zone_name != subnet_az for t in targets)):
            raise StartFailure(f'{EFS_FAILURE}Failed to resolve "{fs_id}.efs.{region}.amazonaws.com" - there is '
                               f"no mount target for {fs_id} in the task's availability zone {subnet_az or ''}".rstrip())
        access_point_id = (efs.get("authorizationConfig") or {}).get("accessPointId")
        creation: dict[str, Any] | None = None
        if access_point_id:
            access_point = backend.access_points.get(access_point_id)
            if access_point is None or access_point.file_system_id != fs_id:
                raise StartFailure(f"{EFS_FAILURE}access point {access_point_id} of file system {fs_id} does not "
                                   "exist: mount.nfs4: access denied by server")
            root = access_point.root_directory.get("Path") or "/"
            creation = access_point.root_directory.get("CreationInfo")
        else:
            root = efs.get("rootDirectory") or "/"
        relative = PurePosixPath(os.path.normpath("/" + root.lstrip("/"))).relative_to("/")
        path = self.efs_dir / fs_id / relative
        if not path.is_dir():
            if creation is None and str(relative) != ".":
                raise StartFailure(f"{EFS_FAILURE}mount.nfs4: access denied by server while mounting "
                                   f"{fs_id}:{root} (the directory does not exist and the access point has no "
                                   "CreationInfo)")
            path.mkdir(parents=True, exist_ok=True)
            if creation:
                _apply_creation_info(path, creation)
        return path

    def release(self, task_id: str) -> None:
        """Remove the task's scratch volumes (EFS data stays)."""
        shutil.rmtree(self.tasks_dir / task_id, ignore_errors=True)


def _apply_creation_info(path: Path, creation: dict[str, Any]) -> None:
    try:
        path.chmod(int(str(creation.get("Permissions", "755")), 8))
        os.chown(path, int(creation.get("OwnerUid", 0)), int(creation.get("OwnerGid", 0)))
    except (OSError, ValueError):
        pass  # not root: the directory keeps the simulator's owner


def mounts(definition: dict[str, Any], paths: dict[str, Path],
           definitions: dict[str, dict[str, Any]] | None = None) -> list[Mount]:
    """A container definition's ``mountPoints`` as executor mounts, then those it takes with ``volumesFrom``
    (the source container's mount points, read-only when asked)."""
    own = [Mount(volume=p["sourceVolume"], source=paths[p["sourceVolume"]], target=p["containerPath"],
                 read_only=bool(p.get("readOnly", False)))
           for p in definition.get("mountPoints") or []]
    targets = {m.target for m in own}
    for source in definition.get("volumesFrom") or []:
        other = (definitions or {}).get(source["sourceContainer"], {})
        for mount in mounts(other, paths):
            if mount.target not in targets:
                targets.add(mount.target)
                own.append(Mount(mount.volume, mount.source, mount.target,
                                 mount.read_only or bool(source.get("readOnly", False))))
    return own
