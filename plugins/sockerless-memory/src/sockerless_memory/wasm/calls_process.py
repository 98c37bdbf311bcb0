"""WASI imports of the process: arguments, environment, clocks, randomness, exit, and the
socket calls that the sandbox refuses (it has no network stack; no descriptor is a socket)."""

from __future__ import annotations

import os
import time

from wasmtime import Caller

from ..sandbox.signals import ProcessExit
from . import abi
from .abi import WasiError
from .preview1 import WasiGuest, wasi_import


# arguments and environment
def _sizes(guest: WasiGuest, caller: Caller, items: list[bytes], count_ptr: int, size_ptr: int) -> int:
    mem = guest.mem(caller)
    mem.set_u32(count_ptr, len(items))
    mem.set_u32(size_ptr, sum(len(i) for i in items))
    return abi.SUCCESS


def _strings(guest: WasiGuest, caller: Caller, items: list[bytes], ptrs: int, buf: int) -> int:
    mem = guest.mem(caller)
    for index, item in enumerate(items):
        mem.set_u32(ptrs + 4 * index, buf)
        mem.write(buf, item)
        buf += len(item)
    return abi.SUCCESS


@wasi_import("ii")
def args_sizes_get(guest: WasiGuest, caller: Caller, argc: int, size: int) -> int:
    return _sizes(guest, caller, guest.args, argc, size)


@wasi_import("ii")
def args_get(guest: WasiGuest, caller: Caller, argv: int, buf: int) -> int:
    return _strings(guest, caller, guest.args, argv, buf)


@wasi_import("ii")
def environ_sizes_get(guest: WasiGuest, caller: Caller, count: int, size: int) -> int:
    return _sizes(guest, caller, guest.environ, count, size)


@wasi_import("ii")
def environ_get(guest: WasiGuest, caller: Caller, environ: int, buf: int) -> int:
    return _strings(guest, caller, guest.environ, environ, buf)


# clocks, randomness, scheduling, process
def now_ns(guest: WasiGuest, clock: int) -> int:
    if clock == abi.CLOCK_REALTIME:
        return time.time_ns()
    if clock == abi.CLOCK_MONOTONIC:
        return time.monotonic_ns()
    if clock in (abi.CLOCK_PROCESS_CPUTIME, abi.CLOCK_THREAD_CPUTIME):
        return time.thread_time_ns()  # a sandbox process is one thread
    raise WasiError(abi.EINVAL)


@wasi_import("ii")
def clock_res_get(guest: WasiGuest, caller: Caller, clock: int, out: int) -> int:
    now_ns(guest, clock)
    guest.mem(caller).set_u64(out, 1)
    return abi.SUCCESS


@wasi_import("iIi")
def clock_time_get(guest: WasiGuest, caller: Caller, clock: int, precision: int, out: int) -> int:
    guest.mem(caller).set_u64(out, now_ns(guest, clock))
    return abi.SUCCESS


@wasi_import("ii")
def random_get(guest: WasiGuest, caller: Caller, buf: int, length: int) -> int:
    guest.mem(caller).write(buf, os.urandom(length))
    return abi.SUCCESS


@wasi_import("")
def sched_yield(guest: WasiGuest, caller: Caller) -> int:
    time.sleep(0)
    guest.proc.check()
    return abi.SUCCESS


@wasi_import("i", "")
def proc_exit(guest: WasiGuest, caller: Caller, code: int) -> None:
    raise ProcessExit(code & 0xFF)


@wasi_import("i")
def proc_raise(guest: WasiGuest, caller: Caller, signum: int) -> int:
    return abi.ENOSYS  # WASI has no signal handlers to run; the sandbox does not pretend


# sockets: the sandbox has no network stack, and no descriptor is ever a socket
@wasi_import("iii")
def sock_accept(guest: WasiGuest, caller: Caller, fd: int, flags: int, out: int) -> int:
    guest.handle(fd)
    return abi.ENOTSOCK


@wasi_import("iiiiii")
def sock_recv(guest: WasiGuest, caller: Caller, fd: int, iovs: int, count: int, flags: int, out: int,
              out_flags: int) -> int:
    guest.handle(fd)
    return abi.ENOTSOCK


@wasi_import("iiiii")
def sock_send(guest: WasiGuest, caller: Caller, fd: int, iovs: int, count: int, flags: int, out: int) -> int:
    guest.handle(fd)
    return abi.ENOTSOCK


@wasi_import("ii")
def sock_shutdown(guest: WasiGuest, caller: Caller, fd: int, how: int) -> int:
    guest.handle(fd)
    return abi.ENOTSOCK


