"""A workload group (a pod's members, or containers joined with ``NetworkMode=container:``) as one task.

Containers of one ECS task share the task's network namespace (``awsvpc``: one ENI, one
localhost), so a group becomes one task definition with one container definition per member:
names from the Docker names (made unique and valid for ECS), the first member (the group's
root: the pod's first container, or the container the others join) essential, the others
``essential: false`` so that one member ending does not stop the rest (Podman's default pod
exit policy). The task's volumes are the union of the members' (one entry per name), and
helper containers several members ask for (the agent sidecar) appear once. The task's size
is the sum of the members' requests.

Pure functions on container definitions as the backend builds them for a single container;
no AWS calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LIST_FIELDS = ("mountPoints", "dependsOn", "volumesFrom", "portMappings", "environment")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class Member:
    """One container of the group, as the backend would define it alone."""

    container_id: str
    definition: dict[str, Any]
    """Its container definition (name replaced by :func:`pod_task`)."""
    volumes: list[dict[str, Any]] = field(default_factory=list)
    """Task-definition volumes it needs (named volumes, tmpfs, the agent volume)."""
    helpers: list[dict[str, Any]] = field(default_factory=list)
    """Further container definitions it needs (the agent sidecar's init container)."""
    cpu_units: int = 0
    memory_bytes: int = 0
    docker_name: str = ""


@dataclass
class PodTask:
    """The parts of the group's task definition."""

    container_definitions: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    names: dict[str, str]
    """ECS container name per Docker container id."""
    cpu_units: int
    memory_bytes: int

    @property
    def root(self) -> str:
        """The essential container's ECS name."""
        return self.container_definitions[0]["name"]


def member_names(docker_names: Iterable[str], reserved: Iterable[str] = ()) -> list[str]:
    """Valid, unique ECS container names for Docker names (``/web.1`` -> ``web_1``, clashes get ``-2``...)."""
    taken = set(reserved)
    names = []
    for docker_name in docker_names:
        base = _NAME_CHARS.sub("_", docker_name.lstrip("/"))[:250] or "member"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        names.append(name)
    return names


def merge_fields(definition: Mapping[str, Any], *parts: Mapping[str, Any]) -> dict[str, Any]:
    """A container definition with further fields: list fields (``mountPoints``, ``dependsOn``...) are
    concatenated, others replaced (so a sidecar's mount point and the named volumes' both stay)."""
    merged = dict(definition)
    for part in parts:
        for key, value in part.items():
            if key in LIST_FIELDS and isinstance(value, list):
                merged[key] = [*(merged.get(key) or []), *value]
            else:
                merged[key] = value
    return merged


def pod_task(members: list[Member]) -> PodTask:
    """The group's containers, volumes and size (``members`` in creation order, the root first)."""
    if not members:
        raise ValueError("ecs backend: a workload group needs at least one container")
    helper_names = {h["name"] for m in members for h in m.helpers}
    names = member_names([m.docker_name or m.definition.get("name", "") for m in members], helper_names)
    definitions: list[dict[str, Any]] = []
    for index, (member, name) in enumerate(zip(members, names, strict=True)):
        definition = dict(member.definition)
        definition["name"] = name
        definition["essential"] = index == 0
        definitions.append(definition)
    helpers = _union((h for m in members for h in m.helpers), "container definition")
    volumes = _union((v for m in members for v in m.volumes), "volume")
    return PodTask(container_definitions=[*definitions, *helpers], volumes=volumes,
                   names={m.container_id: n for m, n in zip(members, names, strict=True)},
                   cpu_units=sum(m.cpu_units for m in members), memory_bytes=sum(m.memory_bytes for m in members))


def _union(items: Iterable[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    """One entry per name; the same name with a different definition is an error."""
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        known = found.setdefault(item["name"], item)
        if known != item:
            raise ValueError(f"ecs backend: two members of the group define {what} {item['name']} differently")
    return list(found.values())


def member_overrides(environments: Mapping[str, list[dict[str, str]]]) -> dict[str, Any]:
    """RunTask ``overrides`` giving each member (by ECS name) its own environment (agent URL and token)."""
    return {"containerOverrides": [{"name": name, "environment": env} for name, env in environments.items()]}
