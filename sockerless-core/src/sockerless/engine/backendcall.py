"""Calling the active backend: awaiting coroutine hooks and refusing what it cannot do."""

from __future__ import annotations

import inspect
from typing import Any

import pluggy

from ..api.errors import NotImplementedByBackend
from ..plugins.backend import BackendInfo, Capability


class Backend:
    """The active backend as the engine sees it."""

    def __init__(self, name: str, instance: object, pm: pluggy.PluginManager) -> None:
        self.name = name
        self.instance = instance
        self._pm = pm
        info = pm.hook.sockerless_backend_info()
        if not isinstance(info, BackendInfo):
            raise RuntimeError(f"backend {name!r} does not implement sockerless_backend_info")
        self.info: BackendInfo = info

    def implements(self, hook: str) -> bool:
        """True when the backend has an implementation of ``hook``."""
        return bool(getattr(self._pm.hook, hook).get_hookimpls())

    async def call(self, hook: str, **kwargs: Any) -> Any:
        """Call a backend hook; coroutine results are awaited."""
        result = getattr(self._pm.hook, hook)(**kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def call_required(self, hook: str, operation: str, **kwargs: Any) -> Any:
        """Call a hook the operation cannot do without; 501 when it is missing."""
        if not self.implements(hook):
            raise NotImplementedByBackend(self.name, operation)
        return await self.call(hook, **kwargs)

    def require(self, capability: Capability, operation: str) -> None:
        """Refuse ``operation`` up front unless the backend declared ``capability``."""
        if not self.info.supports(capability):
            raise NotImplementedByBackend(self.name, operation)
