"""``--tmpfs`` (``HostConfig.Tmpfs``) as task scratch volumes, next to the core's mounts."""

from __future__ import annotations

from sockerless_ecs.mounts import TmpfsMount, tmpfs_mounts
from sockerless_ecs.volumes import task_mounts


def test_tmpfs_entries_become_scratch_volumes_and_ro_is_kept():
    mounts = tmpfs_mounts({"/scratch": "", "/cache": "ro,size=64m", "/taken": "rw"}, taken=["/taken"])
    assert mounts == [TmpfsMount("/cache", RW=False), TmpfsMount("/scratch")]
    task = task_mounts(mounts, {})
    assert [v["name"] for v in task.volumes] == ["tmpfs-_cache", "tmpfs-_scratch"]
    assert task.mount_points == [{"sourceVolume": "tmpfs-_cache", "containerPath": "/cache", "readOnly": True},
                                 {"sourceVolume": "tmpfs-_scratch", "containerPath": "/scratch", "readOnly": False}]
    assert tmpfs_mounts(None) == []
