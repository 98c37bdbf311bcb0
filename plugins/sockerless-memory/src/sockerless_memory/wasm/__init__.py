"""WebAssembly programs in the memory sandbox: WASI preview1 on wasmtime, over the sandbox.

Any executable file of a container that starts with the WebAssembly magic runs here
(see ``README.md`` in this directory for the design). The package imports wasmtime only
when a module actually runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..sandbox.process import Process

MAGIC = b"\0asm"
"""The first four bytes of every WebAssembly binary module."""


def is_module(head: bytes) -> bool:
    """True when a file's first bytes are those of a WebAssembly module."""
    return head.startswith(MAGIC)


def run(proc: Process, path: str, argv: list[str]) -> int:
    """Run the module at container path ``path`` as ``proc``'s program (exit status).

    Raises :class:`~.runner.ModuleError` when it cannot start.
    """
    from .runner import run_module

    return run_module(proc, path, argv)


def configure(cache_dir) -> None:
    """Keep compiled modules under ``cache_dir`` (a directory of the daemon's data root)."""
    from .engine import configure as _configure

    _configure(cache_dir)
