"""Producing tar and gzip streams as chunks, for blobs written incrementally."""

from __future__ import annotations

import gzip
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


def gzip_chunks(source: BinaryIO) -> Iterator[bytes]:
    """``source`` gzip-compressed (level 6, no timestamp, so the same input gives the same blob), as chunks."""
    buffer = _Collector()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=6) as out:  # type: ignore[arg-type]
        while data := source.read(CHUNK):
            out.write(data)
            yield buffer.take()
    yield buffer.take()


class _Collector:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def tar_directory(root: Path, *, zero_times: bool = False) -> Iterator[bytes]:
    """A deterministic tar (PAX, sorted entries, numeric owners) of ``root``, as chunks."""
    buffer = _Collector()
    with tarfile.open(fileobj=buffer, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                full = os.path.join(dirpath, name)
                info = tar.gettarinfo(full, arcname=os.path.relpath(full, root))
                info.uname = info.gname = ""
                if zero_times:
                    info.mtime = 0
                    info.uid = info.gid = 0
                if info.isreg():
                    with open(full, "rb") as handle:
                        tar.addfile(info, handle)
                else:
                    tar.addfile(info)
                yield buffer.take()
    yield buffer.take()
