"""Content-addressed blobs on disk: ``<root>/sha256/<hex>``, written atomically.

A blob is written to a temporary file in the same directory while its digest is
computed, then renamed into place, so a crash leaves either the whole blob or a
``.tmp-`` file that :meth:`BlobStore.recover` removes at startup.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


class DigestMismatch(ValueError):
    """Content did not hash to the digest it was announced with."""


class BlobStore:
    """Blobs (layer tars, compressed layers, image configs, manifests) by digest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "sha256").mkdir(parents=True, exist_ok=True)

    def recover(self) -> None:
        """Delete half-written blobs left by a crash."""
        for entry in (self.root / "sha256").iterdir():
            if entry.name.startswith(".tmp-"):
                entry.unlink(missing_ok=True)

    def path(self, digest: str) -> Path:
        """Where blob ``sha256:<hex>`` lives (it may not exist)."""
        algorithm, _, hexdigest = digest.partition(":")
        if algorithm != "sha256" or len(hexdigest) != 64 or not all(c in "0123456789abcdef" for c in hexdigest):
            raise ValueError(f"unsupported digest {digest!r}")
        return self.root / "sha256" / hexdigest

    def exists(self, digest: str) -> bool:
        """True when the blob is stored."""
        return self.path(digest).is_file()

    def size(self, digest: str) -> int:
        """Size in bytes of a stored blob."""
        return self.path(digest).stat().st_size

    def read(self, digest: str) -> bytes:
        """A small blob's whole content (configs, manifests)."""
        return self.path(digest).read_bytes()

    def open(self, digest: str) -> BinaryIO:
        """A stored blob for reading."""
        return open(self.path(digest), "rb")

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; returns its digest."""
        return self.put_chunks([data])[0]

    def put_stream(self, stream: BinaryIO, expected: str | None = None) -> tuple[str, int]:
        """Store what ``stream`` yields until EOF; returns (digest, size)."""
        return self.put_chunks(iter(lambda: stream.read(CHUNK), b""), expected)

    def put_chunks(self, chunks: Iterable[bytes], expected: str | None = None) -> tuple[str, int]:
        """Store the concatenated ``chunks``; returns (digest, size).

        With ``expected``, raises :class:`DigestMismatch` (storing nothing) when the content
        hashes differently.
        """
        directory = self.root / "sha256"
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        hasher = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            digest = "sha256:" + hasher.hexdigest()
            if expected is not None and digest != expected:
                raise DigestMismatch(f"digest mismatch: expected {expected}, got {digest}")
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path(digest))
            return digest, size
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def writer(self) -> BlobWriter:
        """An incremental writer for a blob arriving in pieces (a download)."""
        return BlobWriter(self)

    def delete(self, digest: str) -> None:
        """Remove a blob (no error when absent)."""
        self.path(digest).unlink(missing_ok=True)

    def digests(self) -> list[str]:
        """Every stored blob."""
        return ["sha256:" + p.name for p in (self.root / "sha256").iterdir() if not p.name.startswith(".")]


class BlobWriter:
    """Writes a blob piece by piece; :meth:`commit` verifies and publishes it, :meth:`abort` drops it."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        fd, self.tmp = tempfile.mkstemp(prefix=".tmp-", dir=store.root / "sha256")
        self.file = os.fdopen(fd, "wb")
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        self.hash.update(data)
        self.file.write(data)
        self.size += len(data)

    def commit(self, expected: str) -> str:
        """Publish the blob if it hashes to ``expected``; raises :class:`DigestMismatch` (and drops it) otherwise."""
        self.file.close()
        digest = "sha256:" + self.hash.hexdigest()
        if digest != expected:
            self.abort()
            raise DigestMismatch(f"digest mismatch: expected {expected}, got {digest}")
        os.chmod(self.tmp, 0o644)
        os.replace(self.tmp, self.store.path(digest))
        return digest

    def abort(self) -> None:
        """Drop what was written."""
        self.file.close()
        Path(self.tmp).unlink(missing_ok=True)
