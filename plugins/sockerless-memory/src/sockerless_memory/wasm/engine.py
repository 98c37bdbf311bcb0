"""The wasmtime engine shared by every guest: its configuration, epoch ticker and module cache.

One :class:`wasmtime.Engine` serves all containers of the daemon, with epoch
interruption on: a ticker thread advances the epoch every :data:`TICK` seconds while at
least one guest runs, and each guest's store calls back into the sandbox at every tick
(see :mod:`.runner`), which is how a busy loop notices ``docker stop``, ``kill`` and
``pause``.

Compiled modules are cached twice: in memory (by the SHA-256 of the module bytes) and,
once :func:`configure` has named a directory, on disk as wasmtime's serialized
artifacts. The disk key covers the wasmtime version and the engine settings, so a
change of either compiles again instead of loading an incompatible artifact.
"""

from __future__ import annotations

import collections
import hashlib
import os
import tempfile
import threading
import time
import weakref
from pathlib import Path

import wasmtime
from wasmtime import Config, Engine, Linker, Module

from ..sandbox.fs import FileSystem
from . import preview1

TICK = 0.01
"""Seconds between epoch ticks (how soon a busy guest sees a signal or a pause)."""
MEMORY_CACHE_SIZE = 32
ENGINE_SETTINGS = "epoch_interruption=1;opt=speed"
"""Everything about the engine configuration that changes compiled code (part of the cache key)."""


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("wasmtime")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return getattr(wasmtime, "__version__", "unknown")


class WasmRuntime:
    """The engine, its linker, the module caches and the epoch ticker."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        config = Config()
        config.epoch_interruption = True
        config.cranelift_opt_level = "speed"
        self.engine = Engine(config)
        self.linker: Linker = preview1.linker_for(self.engine)
        self.cache_dir = cache_dir
        self.fingerprint = hashlib.sha256(f"wasmtime {_version()}|{ENGINE_SETTINGS}".encode()).hexdigest()[:16]
        self._modules: collections.OrderedDict[str, Module] = collections.OrderedDict()
        # per jail: another container's file that reuses an inode must never pass for this one
        self._by_file: weakref.WeakKeyDictionary[FileSystem, dict[tuple[int, ...], str]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._running = 0
        self._ticking = threading.Condition()
        self._ticker: threading.Thread | None = None

    # -- modules ---------------------------------------------------------------------------
    def module_at(self, fs: FileSystem, path: str, cwd: str = "/") -> Module:
        """The compiled module of a container file, read through the jail only when needed.

        A file of the same container whose identity (device, inode, size, mtime and ctime)
        matches one run before is not read nor hashed again: a 20 MB module starts 0.2 s sooner.
        """
        st = fs.stat(path, cwd)
        identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        with self._lock:
            known = self._by_file.setdefault(fs, {})
            digest = known.get(identity)
            module = self._modules.get(digest) if digest is not None else None
            if module is not None:
                self._modules.move_to_end(digest)
                return module
        wasm = fs.read_bytes(path, cwd)
        digest = hashlib.sha256(wasm).hexdigest()
        module = self._module(digest, wasm)
        with self._lock:
            if len(known) >= MEMORY_CACHE_SIZE:
                known.clear()
            known[identity] = digest
        return module

    def module(self, wasm: bytes) -> Module:
        """The compiled module for these bytes: from memory, from disk, or compiled now.

        Raises ``wasmtime.WasmtimeError`` when the bytes are not a valid module.
        """
        return self._module(hashlib.sha256(wasm).hexdigest(), wasm)

    def _module(self, digest: str, wasm: bytes) -> Module:
        with self._lock:
            module = self._modules.get(digest)
            if module is not None:
                self._modules.move_to_end(digest)
                return module
        module = self._load(digest) or self._compile(digest, wasm)
        with self._lock:
            self._modules[digest] = module
            while len(self._modules) > MEMORY_CACHE_SIZE:
                self._modules.popitem(last=False)
        return module

    def _artifact(self, digest: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{digest}-{self.fingerprint}.cwasm"

    def _load(self, digest: str) -> Module | None:
        path = self._artifact(digest)
        if path is None or not path.is_file():
            return None
        try:
            return Module.deserialize_file(self.engine, str(path))
        except wasmtime.WasmtimeError:
            path.unlink(missing_ok=True)  # stale or damaged: compile again
            return None

    def _compile(self, digest: str, wasm: bytes) -> Module:
        module = Module(self.engine, wasm)
        path = self._artifact(digest)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
                with os.fdopen(fd, "wb") as out:
                    out.write(module.serialize())
                os.replace(tmp, path)
            except OSError:
                pass  # a cache that cannot be written only costs a compile next time
        return module

    def cached_on_disk(self, wasm: bytes) -> bool:
        """True when the compiled artifact of these bytes is in the disk cache."""
        path = self._artifact(hashlib.sha256(wasm).hexdigest())
        return path is not None and path.is_file()

    # -- epochs ----------------------------------------------------------------------------
    def guest_started(self) -> None:
        """A guest began to run: keep the epoch ticking."""
        with self._ticking:
            self._running += 1
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, name="wasm-epoch", daemon=True)
                self._ticker.start()
            self._ticking.notify_all()

    def guest_ended(self) -> None:
        """A guest has ended."""
        with self._ticking:
            self._running -= 1

    def _tick(self) -> None:
        while True:
            with self._ticking:
                self._ticking.wait_for(lambda: self._running > 0)
            self.engine.increment_epoch()
            time.sleep(TICK)


_runtime: WasmRuntime | None = None
_cache_dir: Path | None = None
_runtime_lock = threading.Lock()


def configure(cache_dir: Path | None) -> None:
    """Name the directory of the on-disk module cache (the backend does, under its data root)."""
    global _cache_dir
    with _runtime_lock:
        _cache_dir = cache_dir
        if _runtime is not None:
            _runtime.cache_dir = cache_dir


def runtime() -> WasmRuntime:
    """The daemon's WebAssembly runtime (created on first use)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = WasmRuntime(_cache_dir)
        return _runtime
