"""Run a WebAssembly module as the program of a sandbox process.

The module's bytes are read through the container's jail (unless the same file was
compiled recently), compiled (or taken from the cache), instantiated in a store of its own with the container's memory limit, and its
``_start`` runs on the process's thread. How it ends becomes the process's status:

* ``_start`` returns: 0; ``proc_exit(n)``: n;
* a signal (``docker stop``, ``kill``, SIGPIPE on a closed pipe...) while the guest runs
  or waits: the process ends by that signal, as a native program would;
* a trap (``unreachable``, out-of-bounds access, stack exhaustion): a message on stderr
  and status 134, like a native program that aborts.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING

import wasmtime
from wasmtime import _ffi as ffi

from ..sandbox.signals import SignalTermination
from .engine import runtime
from .preview1 import WasiGuest, running

if TYPE_CHECKING:
    from ..sandbox.process import Process

SIGABRT = 6
TRAP_STATUS_SIGNAL = SIGABRT

_EpochCallback = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.POINTER(ffi.wasmtime_context_t), ctypes.c_void_p,
                                  ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ffi.wasmtime_update_deadline_kind_t))
_Finalizer = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_NO_FINALIZER = _Finalizer(0)
_CONTINUE = 0  # WASMTIME_UPDATE_DEADLINE_CONTINUE


class ModuleError(Exception):
    """The module cannot start (``status`` as a shell reports it)."""

    def __init__(self, message: str, status: int = 126) -> None:
        super().__init__(message)
        self.status = status


def _watch(store: wasmtime.Store, guest: WasiGuest) -> _EpochCallback:
    """Make ``store`` call into the sandbox at every epoch tick: signals and pauses act on busy guests."""
    proc = guest.proc

    def on_tick(_context, _data, delta, kind) -> int:
        try:
            proc.check()  # blocks while paused or stopped; raises when the process is killed
        except BaseException as exc:
            guest.abort = exc
            return ctypes.cast(ffi.wasmtime_error_new(b"interrupted by a signal"), ctypes.c_void_p).value or 0
        delta[0] = 1
        kind[0] = _CONTINUE
        return 0

    callback = _EpochCallback(on_tick)
    ffi.wasmtime_store_epoch_deadline_callback(store.ptr(), callback, None, _NO_FINALIZER)
    store.set_epoch_deadline(1)
    return callback


def run_module(proc: Process, path: str, argv: list[str]) -> int:
    """Run the module at container path ``path`` as ``proc``'s program; its exit status."""
    rt = runtime()
    try:
        module = rt.module_at(proc.kernel.fs, path, proc.cwd)
    except OSError as exc:
        raise ModuleError(f"cannot read the module: {exc.strerror}") from None
    except wasmtime.WasmtimeError as exc:
        raise ModuleError(f"invalid WebAssembly module: {_first_line(exc)}") from None
    store = wasmtime.Store(rt.engine)
    limit = proc.kernel.memory_limit
    if limit:
        store.set_limits(memory_size=limit)
    guest = WasiGuest(proc, argv, proc.env)
    callback = _watch(store, guest)
    rt.guest_started()
    try:
        return _start(rt, store, module, guest, limit)
    finally:
        rt.guest_ended()
        guest.close()
        del callback


def _start(rt, store: wasmtime.Store, module: wasmtime.Module, guest: WasiGuest, limit: int | None) -> int:
    try:
        with running(guest):  # a start section may already call imports
            instance = rt.linker.instantiate(store, module)
    except BaseException as exc:
        _reraise_own(guest, exc)
        text = _first_line(exc)
        if limit and "memory" in text and ("limit" in text or "exceeds" in text):
            raise ModuleError(f"the module needs more memory than the container's limit of {limit} bytes: {text}",
                              137) from None
        raise ModuleError(f"cannot instantiate the module: {text}") from None
    start = instance.exports(store).get("_start")
    if not isinstance(start, wasmtime.Func):
        raise ModuleError("the module has no _start function (it is not a WASI command)")
    try:
        with running(guest):
            start(store)
    except BaseException as exc:
        _reraise_own(guest, exc)
        guest.proc.error(f"wasm trap: {_first_line(exc)}")
        raise SignalTermination(TRAP_STATUS_SIGNAL) from None
    if guest.abort is not None:  # an exception the guest's code could not have seen
        raise guest.abort
    return 0


def _reraise_own(guest: WasiGuest, exc: BaseException) -> None:
    """Decide what ended a call into the guest, from this guest's own record.

    wasmtime-py keeps the exception of a failed host function in one process-wide slot and
    raises it from whichever call traps next, possibly on another guest's thread. So what the
    call raised is only trusted when it is a wasmtime error; the guest's exit, signal or host
    bug is the one its host functions recorded in ``guest.abort``.
    """
    if guest.abort is not None:
        raise guest.abort from None
    # otherwise a wasmtime error, or another guest's exception raised here in place of this trap


def _first_line(exc: BaseException) -> str:
    if not isinstance(exc, (wasmtime.WasmtimeError, wasmtime.Trap)):
        return "the trap's details went to another guest's thread"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
