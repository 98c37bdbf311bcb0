"""Access to a guest's linear memory during one host call, bounds-checked."""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Iterator

from wasmtime import Caller, Memory

from .abi import EFAULT, IOVEC, WasiError

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class GuestMemory:
    """The exported ``memory`` of the calling instance, as seen right now.

    Built per host call: the memory may grow (and move) between calls, never during one.
    """

    __slots__ = ("base", "size")

    def __init__(self, caller: Caller, memory: Memory) -> None:
        self.base = ctypes.addressof(memory.data_ptr(caller).contents)
        self.size = memory.data_len(caller)

    def _check(self, offset: int, length: int) -> int:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise WasiError(EFAULT)
        return self.base + offset

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset``."""
        return ctypes.string_at(self._check(offset, length), length)

    def write(self, offset: int, data: bytes) -> None:
        """Store ``data`` at ``offset``."""
        ctypes.memmove(self._check(offset, len(data)), data, len(data))

    def view(self, offset: int, length: int) -> memoryview:
        """A writable view of guest memory (valid during this host call only)."""
        address = self._check(offset, length)
        return memoryview((ctypes.c_ubyte * length).from_address(address)).cast("B")

    def u32(self, offset: int) -> int:
        """The little-endian u32 at ``offset``."""
        return _U32.unpack(self.read(offset, 4))[0]

    def set_u32(self, offset: int, value: int) -> None:
        """Store a little-endian u32."""
        self.write(offset, _U32.pack(value & 0xFFFFFFFF))

    def set_u64(self, offset: int, value: int) -> None:
        """Store a little-endian u64."""
        self.write(offset, _U64.pack(value & 0xFFFFFFFFFFFFFFFF))

    def string(self, offset: int, length: int) -> str:
        """A path or name argument (UTF-8, undecodable bytes kept as surrogates)."""
        return self.read(offset, length).decode("utf-8", "surrogateescape")

    def iovecs(self, offset: int, count: int) -> Iterator[tuple[int, int]]:
        """The (buffer, length) pairs of an iovec array."""
        raw = self.read(offset, IOVEC.size * count)
        for index in range(count):
            yield IOVEC.unpack_from(raw, index * IOVEC.size)
