"""``poll_oneoff``: clocks and stream readiness, waited for through the sandbox process."""

from __future__ import annotations

import time

from wasmtime import Caller

from ..sandbox import process as _process
from . import abi
from .calls_process import now_ns
from .handles import FileHandle
from .preview1 import WasiGuest, wasi_import

POLL_SLICE = 0.05
"""Longest single wait on a stream before the other subscriptions are looked at again."""

# waiting
@wasi_import("iiii")
def poll_oneoff(guest: WasiGuest, caller: Caller, subs: int, events: int, count: int, out: int) -> int:
    if count == 0:
        return abi.EINVAL
    mem = guest.mem(caller)
    raw = mem.read(subs, abi.SUBSCRIPTION.size * count)
    clocks: list[tuple[int, float]] = []  # (userdata, monotonic deadline)
    streams: list[tuple[int, int, FileHandle | None, int]] = []  # (userdata, type, handle, errno)
    for index in range(count):
        userdata, tag, ident, timeout, _precision, flags = abi.SUBSCRIPTION.unpack_from(raw, index * abi.SUBSCRIPTION.size)
        if tag == abi.EVENT_CLOCK:
            clocks.append((userdata, _deadline(guest, ident, timeout, flags)))
        elif tag in (abi.EVENT_FD_READ, abi.EVENT_FD_WRITE):
            handle = guest.handles.get(ident)
            if isinstance(handle, FileHandle):
                streams.append((userdata, tag, handle, abi.SUCCESS))
            else:
                streams.append((userdata, tag, None, abi.EBADF))
        else:
            return abi.EINVAL
    ready = _wait(guest, clocks, streams)
    mem = guest.mem(caller)  # the same memory: nothing ran in the guest meanwhile
    for index, record in enumerate(ready):
        mem.write(events + index * abi.EVENT.size, record)
    mem.set_u32(out, len(ready))
    return abi.SUCCESS


def _deadline(guest: WasiGuest, clock: int, timeout: int, flags: int) -> float:
    if flags & abi.SUBCLOCK_ABSTIME:
        timeout = max(0, timeout - now_ns(guest, clock))
    return time.monotonic() + timeout / 1e9


def _wait(guest: WasiGuest, clocks: list[tuple[int, float]],
          streams: list[tuple[int, int, FileHandle | None, int]]) -> list[bytes]:
    """Block (interruptibly) until a stream is ready or the first clock expires: the events."""
    proc = guest.proc
    first = min((deadline for _, deadline in clocks), default=None)
    while True:
        ready = [abi.EVENT.pack(userdata, error, kind, 0, 0) for userdata, kind, handle, error in streams
                 if handle is None or kind == abi.EVENT_FD_WRITE or handle.regular
                 or handle.file.wait_readable(0)]
        if ready:
            return ready
        now = time.monotonic()
        if first is not None and now >= first:
            return [abi.EVENT.pack(userdata, 0, abi.EVENT_CLOCK, 0, 0) for userdata, deadline in clocks
                    if deadline <= now]
        remaining = None if first is None else first - now
        if not streams:
            proc.sleep(remaining if remaining is not None else POLL_SLICE)
            continue
        pause = POLL_SLICE if remaining is None else min(POLL_SLICE, remaining)
        readers = [handle for _, kind, handle, _ in streams if handle is not None and kind == abi.EVENT_FD_READ]
        readers[0].file.wait_readable(pause)
        _process.check()

