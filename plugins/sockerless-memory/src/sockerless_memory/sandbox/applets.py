"""The registry of applets: the programs of the sandbox's multi-call binary.

In a busybox-based image ``/bin/ls`` is a link to ``/bin/busybox``, which runs the applet
named by ``argv[0]``. The memory sandbox implements those applets in Python; each is a
function ``(process, argv) -> exit status`` registered here with :func:`applet`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .process import Process

Applet = Callable[["Process", list[str]], int]

APPLETS: dict[str, Applet] = {}

_PROVIDERS = ("sockerless_memory.shell", "sockerless_memory.utils")
_loaded = False


def applet(*names: str) -> Callable[[Applet], Applet]:
    """Register the decorated function under each of ``names``."""

    def register(func: Applet) -> Applet:
        for name in names:
            APPLETS[name] = func
        return func

    return register


def load() -> dict[str, Applet]:
    """Import the packages that register applets (once) and return the registry."""
    global _loaded
    if not _loaded:
        for module in _PROVIDERS:
            importlib.import_module(module)
        _loaded = True
    return APPLETS


def get(name: str) -> Applet | None:
    """The applet called ``name``, if the sandbox has it."""
    return load().get(name)
