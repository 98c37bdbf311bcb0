"""Health checks, run by the core through the backend's exec, with Docker's timing rules."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import msgspec

from ..api.models.containers import Health, HealthcheckResult, HealthConfig
from ..plugins.backend import Capability
from .containers import labels_of
from .records import ContainerRecord
from .timeutil import now_ns, rfc3339_nano

if TYPE_CHECKING:
    from .daemon import Engine

log = logging.getLogger(__name__)

SECOND = 1_000_000_000
DEFAULT_INTERVAL = 30 * SECOND
DEFAULT_TIMEOUT = 30 * SECOND
DEFAULT_START_INTERVAL = 5 * SECOND
DEFAULT_RETRIES = 3
MAX_LOG = 5
MAX_OUTPUT = 4096


def _duration(value: object, default: int) -> int:
    return value if isinstance(value, int) and value > 0 else default


def probe_argv(config: HealthConfig, shell: list[str] | None) -> list[str] | None:
    """The command a probe runs, or ``None`` when health checks are off."""
    test = config.Test or []
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        return test[1:] or None
    if test[0] == "CMD-SHELL":
        return [*(shell or ["/bin/sh", "-c"]), " ".join(test[1:])]
    return list(test)


class HealthChecker:
    """One probe loop per running container with a health check."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._tasks: dict[str, asyncio.Task] = {}

    @staticmethod
    def config_of(record: ContainerRecord) -> HealthConfig | None:
        """The effective health check configuration, if any."""
        config = record.config.Healthcheck
        if not isinstance(config, HealthConfig):
            return None
        shell = record.config.Shell if isinstance(record.config.Shell, list) else None
        return config if probe_argv(config, shell) else None

    def reset(self, record: ContainerRecord) -> None:
        """A fresh run starts in ``starting``."""
        record.state.Health = Health(Status="starting") if self.config_of(record) else msgspec.UNSET

    def start(self, record: ContainerRecord) -> None:
        """Begin probing a container that just started."""
        if self.config_of(record) is None:
            return
        self.stop(record)
        self._tasks[record.id] = asyncio.get_running_loop().create_task(self._loop(record.id))

    def stop(self, record: ContainerRecord) -> None:
        """Stop probing (the container stopped)."""
        task = self._tasks.pop(record.id, None)
        if task is not None:
            task.cancel()

    async def _loop(self, container_id: str) -> None:
        started = asyncio.get_running_loop().time()
        try:
            while True:
                record = self.engine.store.containers.get(container_id)
                config = self.config_of(record) if record else None
                if record is None or config is None or not record.state.Running:
                    return
                start_period = _duration(config.StartPeriod, 0) / SECOND
                in_start = asyncio.get_running_loop().time() - started < start_period
                health = record.state.Health
                if in_start and isinstance(health, Health) and health.Status == "starting":
                    interval = _duration(config.StartInterval, DEFAULT_START_INTERVAL)
                else:
                    interval = _duration(config.Interval, DEFAULT_INTERVAL)
                await asyncio.sleep(interval / SECOND)
                record = self.engine.store.containers.get(container_id)
                if record is None or not record.state.Running:
                    return
                if record.state.Paused:
                    continue
                await self._probe(record, config, in_start)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("health check loop of %s failed", container_id[:12])

    async def _probe(self, record: ContainerRecord, config: HealthConfig, in_start_period: bool) -> None:
        shell = record.config.Shell if isinstance(record.config.Shell, list) else None
        argv = probe_argv(config, shell)
        assert argv is not None
        timeout = _duration(config.Timeout, DEFAULT_TIMEOUT) / SECOND
        begin = rfc3339_nano(now_ns())
        if not self.engine.backend.info.supports(Capability.EXEC):
            code, output = 1, f"the {self.engine.backend.name} backend cannot run health check commands (no exec)"
        else:
            code, output = await self.engine.execs.run_internal(record, argv, timeout)
        result = HealthcheckResult(Start=begin, End=rfc3339_nano(now_ns()), ExitCode=code, Output=output[:MAX_OUTPUT])
        health = record.state.Health if isinstance(record.state.Health, Health) else Health()
        previous = health.Status
        health.Log = [*health.Log, result][-MAX_LOG:]
        retries = config.Retries if isinstance(config.Retries, int) and config.Retries > 0 else DEFAULT_RETRIES
        if code == 0:
            health.Status = "healthy"
            health.FailingStreak = 0
        elif not (in_start_period and previous == "starting"):
            health.FailingStreak += 1
            if health.FailingStreak >= retries:
                health.Status = "unhealthy"
        record.state.Health = health
        if self.engine.store.containers.get(record.id) is record:
            self.engine.store.containers.put(record)
        if health.Status != previous:
            attrs = labels_of(record)
            self.engine.events.publish("container", f"health_status: {health.Status}", record.id, attrs)
