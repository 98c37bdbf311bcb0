"""Backend hook implementations for any backend whose containers run under the agent.

A backend class inherits :class:`AgentBackendHooks` and sets ``self.agent_bridge``; exec,
exec resize, terminal resize of the main process and health probes then go through the
agent. The backend still implements create/start/kill/remove itself (how a workload is
launched differs per platform) and calls :meth:`AgentBridge.main_process` from its start hook.
"""

from __future__ import annotations

from typing import Any

from ..plugins.hookspecs import hookimpl
from .bridge import AgentBridge, AgentProcess


class AgentBackendHooks:
    """Mix-in: the agent-backed hooks (pluggy finds inherited ``@hookimpl`` methods)."""

    agent_bridge: AgentBridge

    @hookimpl
    async def sockerless_exec_start(self, container: Any, exec_id: str, argv: list[str], env: list[str], workdir: str,
                                    user: str, tty: bool, io: Any) -> AgentProcess:
        return await self.agent_bridge.exec_start(container, exec_id, argv, env, workdir, user, tty, io)

    @hookimpl
    async def sockerless_exec_resize(self, container: Any, exec_id: str, height: int, width: int) -> bool:
        await self.agent_bridge.exec_resize(exec_id, height, width)
        return True

    @hookimpl
    async def sockerless_container_resize(self, container: Any, height: int, width: int) -> bool:
        await self.agent_bridge.resize_main(container, height, width)
        return True

    @hookimpl
    async def sockerless_exec_probe(self, container: Any, argv: list[str], timeout: float) -> tuple[int, str]:
        return await self.agent_bridge.probe(container, argv, timeout)

    @hookimpl
    async def sockerless_archive_stat(self, container: Any, path: str) -> dict[str, Any]:
        return await self.agent_bridge.archive_stat(container, path)

    @hookimpl
    async def sockerless_archive_get(self, container: Any, path: str) -> Any:
        return await self.agent_bridge.archive_get(container, path)

    @hookimpl
    async def sockerless_archive_put(self, container: Any, path: str, tar_stream: Any, no_overwrite_dir_non_dir: bool,
                                     copy_uid_gid: bool) -> bool:
        await self.agent_bridge.archive_put(container, path, tar_stream, no_overwrite_dir_non_dir, copy_uid_gid)
        return True
