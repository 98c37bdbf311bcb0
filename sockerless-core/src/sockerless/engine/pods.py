"""Pods: containers grouped explicitly (Podman's ``/libpod/pods`` subset) so that a backend
runs them as one workload, and the grouping rule every backend can rely on.

The rule (also in the core README): a container belongs to the pod it was created in
(``POST /containers/create?pod=NAME``); a container created with
``NetworkMode=container:<id>`` shares the workload of ``<id>`` (and joins its pod, if it
has one); nothing else groups containers: sharing a user network never does.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from ..api.errors import Conflict, InvalidParameter, NotFound, NotModified
from . import names
from .ids import new_id
from .records import ContainerRecord, PodRecord
from .timeutil import now_ns, rfc3339_nano

if TYPE_CHECKING:
    from .daemon import Engine

log = logging.getLogger(__name__)
NAMESPACES = ("cgroup", "ipc", "net", "pid", "uts", "none")


def no_such_pod(ref: str) -> NotFound:
    """Podman's wording for an unknown pod."""
    return NotFound(f"no pod with name or ID {ref} found: no such pod")


def _container_target(record: ContainerRecord) -> str:
    mode = record.host_config.NetworkMode or ""
    return mode.removeprefix("container:") if mode.startswith("container:") else ""


class PodService:
    """The pods of one daemon and their members."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store

    # -- lookup ----------------------------------------------------------------------------
    def lookup(self, ref: str) -> PodRecord | None:
        """A pod by id, name or unique id prefix."""
        pods = self.store.pods
        if ref in pods:
            return pods.get(ref)
        for pod in pods:
            if pod.name == ref:
                return pod
        matches = [p for p in pods if ref and p.id.startswith(ref)]
        return matches[0] if len(matches) == 1 else None

    def find(self, ref: str) -> PodRecord:
        """Like :meth:`lookup`, 404 when unknown."""
        pod = self.lookup(ref)
        if pod is None:
            raise no_such_pod(ref)
        return pod

    def _container(self, ref: str) -> ContainerRecord | None:
        try:
            return self.engine.containers.find(ref)
        except (NotFound, InvalidParameter):
            return None

    def members(self, pod: PodRecord) -> list[ContainerRecord]:
        """The pod's containers, in creation order."""
        found = [c for c in self.store.containers if c.pod == pod.id]
        return sorted(found, key=lambda c: c.created)

    def workload_group(self, record: ContainerRecord) -> list[ContainerRecord]:
        """Every container that must share ``record``'s workload (itself included), in creation order."""
        if record.pod and self.store.pods.get(record.pod) is not None:
            return self.members(self.store.pods.get(record.pod))  # type: ignore[arg-type]
        root = record
        seen = {record.id}
        while (target := _container_target(root)) and (parent := self._container(target)) is not None:
            if parent.id in seen:
                break
            seen.add(parent.id)
            root = parent
        group = {root.id: root}
        changed = True
        while changed:
            changed = False
            for other in self.store.containers:
                target = _container_target(other)
                if other.id in group or not target:
                    continue
                parent = self._container(target)
                if parent is not None and parent.id in group:
                    group[other.id] = other
                    changed = True
        return sorted(group.values(), key=lambda c: c.created)

    def status(self, pod: PodRecord) -> str:
        """Podman's pod status from the members' states."""
        members = self.members(pod)
        if not members:
            return "Created"
        running = [c for c in members if c.state.Running]
        if running and len(running) == len(members):
            return "Paused" if all(c.state.Paused for c in members) else "Running"
        if running:
            return "Degraded"
        if not any(c.has_been_started for c in members):
            return "Created"
        return "Exited"

    # -- create and membership -------------------------------------------------------------
    def create(self, spec: dict[str, Any]) -> PodRecord:
        """``POST /libpod/pods/create``."""
        name = spec.get("name") or ""
        if not isinstance(name, str):
            raise InvalidParameter("pod name must be a string")
        if name:
            if name.startswith("/") or not names.VALID_NAME.fullmatch(name):
                raise InvalidParameter(f"invalid pod name {name!r}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
            if any(p.name == name for p in self.store.pods):
                raise Conflict(f'adding pod to state: name "{name}" is in use: pod already exists')
        labels = spec.get("labels") or {}
        share = spec.get("share") or ["ipc", "net", "uts"]
        if isinstance(share, str):
            share = [s for s in share.split(",") if s]
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise InvalidParameter("pod labels must be an object of strings")
        if not isinstance(share, list) or any(s not in NAMESPACES for s in share):
            raise InvalidParameter(f"invalid pod share list {share!r}: use {', '.join(NAMESPACES[:-1])} or none")
        pod_id = new_id()
        pod = PodRecord(id=pod_id, name=name or names.random_name(lambda n: any(p.name == n for p in self.store.pods)), created=rfc3339_nano(now_ns()),
                        labels=dict(labels), hostname=str(spec.get("hostname") or ""),
                        share=[s for s in share if s != "none"])
        self.store.pods.put(pod)
        self._event(pod, "create")
        return pod

    def join(self, record: ContainerRecord, pod_ref: str) -> None:
        """Put a container being created into a pod (``?pod=``), or into its ``container:`` target's pod."""
        if not pod_ref:
            target = self._container(_container_target(record)) if _container_target(record) else None
            if target is not None and target.pod:
                record.pod = target.pod
            return
        record.pod = self.find(pod_ref).id

    @staticmethod
    def prepare(request: Any, pod: PodRecord) -> None:
        """Before a member is built: with a shared UTS namespace it gets the pod's hostname."""
        if pod.hostname and not request.Hostname and "uts" in pod.share:
            request.Hostname = pod.hostname

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, pod: PodRecord) -> list[str]:
        """Start every member that is not running, in creation order; the errors met."""
        members = self.members(pod)
        pending = [c for c in members if not c.state.Running]
        if members and not pending:
            raise NotModified("pod already running")
        errors = []
        for record in pending:
            try:
                await self.engine.lifecycle.start(record)
            except NotModified:
                continue
            except Exception as exc:
                errors.append(f"starting container {record.id}: {getattr(exc, 'message', exc)}")
        self._event(pod, "start")
        return errors

    async def stop(self, pod: PodRecord, timeout: int | None) -> list[str]:
        """Stop every running member (in reverse creation order, all at once)."""
        running = [c for c in self.members(pod) if c.state.Running or c.state.Restarting]
        if not running:
            raise NotModified("pod already stopped")
        results = await asyncio.gather(*(self.engine.lifecycle.stop(c, timeout) for c in list(reversed(running))),
                                       return_exceptions=True)
        self._event(pod, "stop")
        order = list(reversed(running))
        return [f"stopping container {c.id}: {getattr(r, 'message', r)}" for c, r in zip(order, results, strict=True)
                if isinstance(r, BaseException) and not isinstance(r, NotModified)]

    async def kill(self, pod: PodRecord, signal: str | None) -> list[str]:
        """Send a signal to every running member."""
        running = [c for c in self.members(pod) if c.state.Running]
        if not running:
            raise Conflict(f"pod {pod.id} is not running: no running containers to kill")
        errors = []
        for record in running:
            try:
                await self.engine.lifecycle.kill(record, signal, record.id)
            except Exception as exc:
                errors.append(f"killing container {record.id}: {getattr(exc, 'message', exc)}")
        self._event(pod, "kill")
        return errors

    async def remove(self, pod: PodRecord, *, force: bool) -> dict[str, str | None]:
        """``DELETE /libpod/pods/{name}``: with ``force`` its containers go too."""
        members = self.members(pod)
        if members and not force:
            raise Conflict(f"pod {pod.id} has {len(members)} containers: remove them first or use force")
        removed: dict[str, str | None] = {}
        for record in members:
            try:
                await self.engine.lifecycle.remove(record, force=True, remove_volumes=False)
                removed[record.id] = None
            except Exception as exc:
                removed[record.id] = str(getattr(exc, "message", exc))
        if any(error is not None for error in removed.values()):
            raise Conflict(f"pod {pod.id} could not be removed: a container could not be removed")
        self.store.pods.delete(pod.id)
        self._event(pod, "remove")
        return removed

    def _event(self, pod: PodRecord, action: str) -> None:
        self.engine.events.publish("pod", action, pod.id, {"name": pod.name})
