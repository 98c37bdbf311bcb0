"""Discovery and management of plugins through the ``sockerless.plugins`` entry points."""

from __future__ import annotations

import importlib.metadata
import logging
from dataclasses import dataclass, field
from typing import Any

import pluggy

from .backend import BackendSpec
from .hookspecs import PROJECT, BackendHooks, PluginHooks

ENTRY_POINT_GROUP = "sockerless.plugins"

log = logging.getLogger(__name__)


@dataclass
class PluginRecord:
    """One discovered plugin: where it came from and whether it loaded."""

    name: str
    value: str
    distribution: str = ""
    version: str = ""
    error: str = ""
    hooks: list[str] = field(default_factory=list)
    backends: list[str] = field(default_factory=list)


class PluginManager:
    """Loads plugins and answers the plugin hooks."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(PluginHooks)
        self.records: list[PluginRecord] = []
        self._backends: dict[str, BackendSpec] | None = None

    @property
    def hook(self) -> Any:
        """The plugin hooks (``manager.hook.sockerless_event(event=...)``)."""
        return self.pm.hook

    def register(self, plugin: object, name: str, *, distribution: str = "", version: str = "") -> None:
        """Register a plugin object or module directly (built-ins and tests)."""
        self.pm.register(plugin, name=name)
        record = PluginRecord(name=name, value=getattr(plugin, "__name__", type(plugin).__name__),
                              distribution=distribution, version=version)
        record.hooks = sorted(impl.name for impl in self.pm.get_hookcallers(plugin) or [])
        self.records.append(record)
        self._backends = None

    def load_entry_points(self) -> None:
        """Import and register every installed plugin; a broken one is recorded, not fatal."""
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else ""
            dist_version = dist.version if dist is not None else ""
            if self.pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken third-party plugin must not stop the daemon
                log.warning("plugin %s (%s) failed to load: %s", ep.name, ep.value, exc)
                self.records.append(PluginRecord(ep.name, ep.value, dist_name, dist_version, error=str(exc)))
                continue
            self.register(plugin, ep.name, distribution=dist_name, version=dist_version)
            self.records[-1].value = ep.value

    def backends(self) -> dict[str, BackendSpec]:
        """Every backend offered by a registered plugin, by name."""
        if self._backends is None:
            found: dict[str, BackendSpec] = {}
            for plugin_name, specs in self._backends_by_plugin():
                for spec in specs:
                    if spec.name in found:
                        raise RuntimeError(f"backend {spec.name!r} is provided by more than one plugin")
                    found[spec.name] = spec
                    for record in self.records:
                        if record.name == plugin_name:
                            record.backends.append(spec.name)
            self._backends = found
        return self._backends

    def _backends_by_plugin(self) -> list[tuple[str, list[BackendSpec]]]:
        result = []
        for impl in self.pm.hook.sockerless_register_backends.get_hookimpls():
            specs = impl.function() or []
            result.append((impl.plugin_name, list(specs)))
        return result


def backend_manager(backend: object, name: str) -> pluggy.PluginManager:
    """A plugin manager holding only the active backend, for the backend hooks."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(BackendHooks)
    pm.register(backend, name=name)
    return pm
