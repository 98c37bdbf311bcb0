"""The content-addressed image store shared by every backend.

Layout under ``<data-root>/image/``:

* ``blobs/sha256/<hex>``: layer blobs as received (plain or gzip tars) and image configs,
  written atomically (see :mod:`.blobs`); a blob that no layer record or image refers to is
  removed at startup, so keep nothing else there;
* ``layers/<diff-id hex>/``: each layer unpacked once, OCI whiteouts kept as files;
* the ``image`` and ``layer`` tables of the daemon's SQLite store: image records (``Id`` is
  the digest of the image's config blob) and layer records (diff id, unpacked size, blobs).

This is the API other parts of the daemon (pull, load, import, build, commit) and backends
use. Methods are synchronous and safe to call from worker threads (``asyncio.to_thread``);
writes are serialised by one lock. A crash leaves at worst temporary files and unreferenced
blobs or layer directories, which :meth:`ImageStore.recover` removes at startup.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from ...api import wire
from ...api.errors import InvalidParameter, NotFound, no_such_image
from ...api.models.images import ImageConfig, ImageRecord, LayerBlob, LayerRecord
from .. import reference as refs
from ..layers import LayerStore
from ..store import Store
from ..timeutil import now_ns, rfc3339_nano
from .blobs import BlobStore
from .tarstream import gzip_chunks, tar_directory
from .unpack import GZIP_MAGIC, open_uncompressed, unpack

MEDIA_TAR = "application/vnd.oci.image.layer.v1.tar"
MEDIA_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


@dataclass(frozen=True)
class LayerInfo:
    """What adding a layer gives back."""

    diff_id: str
    """sha256 of the uncompressed tar (the id in the image config's ``rootfs.diff_ids``)."""
    digest: str
    """Digest of the blob as stored (the compressed digest for a gzip blob, else the diff id)."""
    blob_size: int
    """Size in bytes of that blob."""
    size: int
    """Bytes of file content once unpacked."""


class ImageStore:
    """Layers, configs and image records, content-addressed."""

    def __init__(self, store: Store, root: Path) -> None:
        self.store = store
        self.root = root
        self.blobs = BlobStore(root / "blobs")
        self.layer_dirs = LayerStore(root / "layers")
        self._lock = threading.RLock()

    # -- recovery --------------------------------------------------------------------------------
    def recover(self) -> None:
        """Startup: drop half-written blobs, spooled uploads, and blobs and layer directories no record knows about.

        (A download that finished just before a crash, but whose layer was never recorded, is
        fetched again by the next pull.)
        """
        self.blobs.recover()
        shutil.rmtree(self.root / "tmp", ignore_errors=True)
        wanted = {blob.Digest for record in self.store.layers for blob in record.Blobs}
        wanted |= {image.Id for image in self.store.images}
        for digest in self.blobs.digests():
            if digest not in wanted:
                self.blobs.delete(digest)
        known = {record.DiffID.removeprefix("sha256:") for record in self.store.layers}
        known |= {layer.removeprefix("sha256:") for image in self.store.images for layer in image.Layers}
        known |= {layer.removeprefix("sha256:") for c in self.store.containers for layer in c.image_layers}
        for entry in self.layer_dirs.root.iterdir():
            if entry.name.startswith(".") or entry.name not in known:
                shutil.rmtree(entry, ignore_errors=True)

    # -- layers ----------------------------------------------------------------------------------
    def add_layer(self, stream: BinaryIO, media_type: str = "") -> LayerInfo:
        """Add a layer from a tar stream (plain or gzip-compressed, told apart by content).

        The stream is stored as a blob, then unpacked (whiteouts kept) unless a layer with
        the same diff id already exists. Returns the diff id, the stored blob's digest and
        size, and the unpacked content size. Raises ``LayerFormatError`` for a bad tar.
        """
        digest, _ = self.blobs.put_stream(stream)
        return self.add_layer_blob(digest, media_type)

    def add_layer_blob(self, digest: str, media_type: str = "", expected_diff_id: str | None = None,
                       progress: Callable[[int], None] | None = None) -> LayerInfo:
        """Make a layer of an already stored blob (e.g. one just downloaded and verified).

        With ``expected_diff_id`` (from an image config), a mismatch is an error and nothing is kept.
        ``progress(n)`` is told now and then how many blob bytes were unpacked.
        """
        with self.blobs.open(digest) as handle:
            compressed = handle.read(2) == GZIP_MAGIC
        media_type = media_type or (MEDIA_TAR_GZIP if compressed else MEDIA_TAR)
        blob = LayerBlob(Digest=digest, MediaType=media_type, Size=self.blobs.size(digest))
        if not compressed:
            existing = self.store.layers.get(digest)
            if existing is not None and self.layer_dirs.exists(digest):
                return self._remember_blob(existing, blob)
        tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=self.layer_dirs.root))
        try:
            with self.blobs.open(digest) as handle:
                diff_id, size = unpack(handle, tmp, progress)
            if expected_diff_id is not None and diff_id != expected_diff_id:
                raise InvalidParameter(f"layer {digest} unpacks to {diff_id}, but the image config says {expected_diff_id}")
            with self._lock:
                final = self.layer_dirs.path(diff_id)
                if final.exists():
                    shutil.rmtree(tmp)
                else:
                    os.rename(tmp, final)
                record = self.store.layers.get(diff_id) or LayerRecord(DiffID=diff_id, Size=size)
                return self._remember_blob(record, blob)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def _remember_blob(self, record: LayerRecord, blob: LayerBlob) -> LayerInfo:
        with self._lock:
            if all(b.Digest != blob.Digest for b in record.Blobs):
                record.Blobs = [*record.Blobs, blob]
            self.store.layers.put(record)
        return LayerInfo(record.DiffID, blob.Digest, blob.Size, record.Size)

    def add_layer_from_directory(self, directory: Path, *, zero_times: bool = False) -> LayerInfo:
        """Add a layer made of a directory tree (e.g. a container's changes, whiteouts included).

        The tar is deterministic: entries sorted, owners numeric; with ``zero_times`` every
        timestamp is 0, so the same content always gives the same diff id.
        """
        digest, _ = self.blobs.put_chunks(tar_directory(directory, zero_times=zero_times))
        return self.add_layer_blob(digest, MEDIA_TAR)

    def add_layer_from_builder(self, build: Callable[[str], None]) -> LayerInfo:
        """Add a layer that ``build(path)`` writes into an empty directory (timestamps zeroed)."""
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=self.layer_dirs.root))
        try:
            build(str(tmp))
            return self.add_layer_from_directory(tmp, zero_times=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def has_layer(self, diff_id: str) -> bool:
        """True when the layer is recorded and unpacked."""
        return diff_id in self.store.layers and self.layer_dirs.exists(diff_id)

    def layer(self, diff_id: str) -> LayerRecord:
        """The record of a layer; 404 when the store has no data for it."""
        record = self.store.layers.get(diff_id)
        if record is None:
            raise NotFound(f"layer {diff_id} has no stored data (pull, load or build the image again)")
        return record

    def layer_path(self, diff_id: str) -> Path:
        """The directory holding layer ``diff_id`` unpacked."""
        return self.layer_dirs.path(diff_id)

    def layer_paths(self, image: ImageRecord) -> list[Path]:
        """The unpacked layer directories a backend builds ``image``'s rootfs from, lowest first."""
        return [self.layer_dirs.path(layer) for layer in image.Layers]

    def open_layer_tar(self, diff_id: str) -> BinaryIO:
        """The layer's uncompressed tar, byte for byte as it was added (its sha256 is the diff id)."""
        record = self.layer(diff_id)
        for blob in record.Blobs:
            if blob.Digest == diff_id and self.blobs.exists(blob.Digest):
                return self.blobs.open(blob.Digest)
        for blob in record.Blobs:
            if self.blobs.exists(blob.Digest):
                return open_uncompressed(self.blobs.open(blob.Digest))
        raise FileNotFoundError(f"no stored data for layer {diff_id}")

    def compressed_blob(self, diff_id: str) -> LayerBlob:
        """A gzip blob of the layer (for a push), made and remembered when there is none yet."""
        record = self.layer(diff_id)
        for blob in record.Blobs:
            if blob.Digest != diff_id and self.blobs.exists(blob.Digest):
                return blob
        with self.open_layer_tar(diff_id) as source:
            digest, size = self.blobs.put_chunks(gzip_chunks(source))
        blob = LayerBlob(Digest=digest, MediaType=MEDIA_TAR_GZIP, Size=size)
        self._remember_blob(record, blob)
        return blob

    def delete_layer(self, diff_id: str) -> None:
        """Forget a layer with its directory and blobs (callers check nothing uses it)."""
        with self._lock:
            record = self.store.layers.get(diff_id)
            self.store.layers.delete(diff_id)
            self.layer_dirs.remove(diff_id)
            for blob in record.Blobs if record else []:
                self.blobs.delete(blob.Digest)

    # -- images ----------------------------------------------------------------------------------
    def create_image(self, config: ImageConfig, layers: list[str], history: list[dict[str, Any]], tags: list[str] = (),
                     *, created: str | None = None, author: str = "", comment: str = "", architecture: str = "",
                     os_name: str = "linux", variant: str = "", parent: str = "", source: str = "") -> ImageRecord:
        """Create (or find) the image made of ``config``, the ordered diff ids ``layers`` and ``history``.

        Writes the OCI image config blob; the image ``Id`` is its digest. ``history`` entries
        are OCI history objects (``created``, ``created_by``, ``comment``, ``empty_layer``).
        ``tags`` (familiar ``name:tag``) are moved to this image from any other.
        """
        for layer in layers:
            if not self.has_layer(layer):
                raise InvalidParameter(f"layer {layer} is not in the image store")
        document: dict[str, Any] = {"architecture": architecture or docker_arch()}
        if author:
            document["author"] = author
        if comment:
            document["comment"] = comment
        document["config"] = msgspec.to_builtins(config)
        document["created"] = created or rfc3339_nano(now_ns())
        document["history"] = history
        document["os"] = os_name
        document["rootfs"] = {"type": "layers", "diff_ids": list(layers)}
        if variant:
            document["variant"] = variant
        return self.add_image_config(wire.encode(document), tags=tags, parent=parent, source=source)

    def add_image_config(self, raw: bytes, *, tags: list[str] = (), repo_digests: list[str] = (), parent: str = "",
                         source: str = "") -> ImageRecord:
        """Record the image whose config blob is ``raw`` (kept byte for byte: ``Id`` = its digest).

        Every layer of its ``rootfs.diff_ids`` must already be in the store.
        """
        document = parse_config(raw)
        layers = list(document.get("rootfs", {}).get("diff_ids") or [])
        missing = [layer for layer in layers if not self.has_layer(layer)]
        if missing:
            raise InvalidParameter(f"layer {missing[0]} of the image is not in the image store")
        with self._lock:
            image_id = self.blobs.put_bytes(raw)
            image = self.store.images.get(image_id)
            if image is None:
                image = image_record(image_id, document, sum(self.layer(layer).Size for layer in layers))
                image.Parent = parent
                image.Source = source
            for digest in repo_digests:
                if digest not in image.RepoDigests:
                    image.RepoDigests = [*image.RepoDigests, digest]
            self.store.images.put(image)
            for tag in tags:
                self.tag(image, tag)
            return self.store.images.get(image_id) or image

    def config_bytes(self, image: ImageRecord) -> bytes:
        """The image's config blob."""
        return self.blobs.read(image.Id)

    def config_document(self, image: ImageRecord) -> dict[str, Any]:
        """The image's config blob, parsed."""
        return parse_config(self.config_bytes(image)) if self.blobs.exists(image.Id) else {}

    def tag(self, image: ImageRecord, tag: str) -> bool:
        """Point the familiar ``tag`` at ``image`` (moving it from another image); False when it already was."""
        with self._lock:
            image = self.store.images.get(image.Id) or image
            if tag in image.RepoTags:
                return False
            for other in self.store.images:
                if other.Id != image.Id and tag in other.RepoTags:
                    other.RepoTags = [t for t in other.RepoTags if t != tag]
                    self.store.images.put(other)
            image.RepoTags = [*image.RepoTags, tag]
            image.LastTagTime = rfc3339_nano(now_ns())
            self.store.images.put(image)
            return True

    def images(self) -> Iterator[ImageRecord]:
        """Every image record."""
        return iter(self.store.images)

    # -- lookup ----------------------------------------------------------------------------------
    def get(self, ref: str) -> ImageRecord:
        """Resolve a reference (see :meth:`resolve`); ``404 No such image`` otherwise."""
        image = self.resolve(ref)
        if image is None:
            raise no_such_image(display_reference(ref))
        return image

    def resolve(self, ref: str) -> ImageRecord | None:
        """Resolve a name, ``name:tag``, ``name@digest``, full id or unique id prefix; ``None`` when unknown."""
        images = self.store.images
        if ref.startswith("sha256:") and images.get(ref) is not None:
            return images.get(ref)
        try:
            parsed = refs.parse(ref)
        except InvalidParameter:
            parsed = None
        if parsed is not None:
            wanted = parsed.familiar
            for image in images:
                if wanted in image.RepoTags or wanted in image.RepoDigests:
                    return image
        if refs.looks_like_id(ref):
            prefix = "sha256:" + ref.removeprefix("sha256:")
            matches = [img for img in images if img.Id.startswith(prefix)]
            if len(matches) == 1:
                return matches[0]
        return None


def display_reference(ref: str) -> str:
    """``ref`` as Docker shows it in errors (familiar form when it parses)."""
    try:
        return refs.parse(ref).familiar
    except InvalidParameter:
        return ref


def parse_config(raw: bytes) -> dict[str, Any]:
    """An image config blob as a dict; 400 when it is not a JSON object."""
    try:
        document = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidParameter(f"invalid image config: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidParameter("invalid image config: not a JSON object")
    return document


def image_record(image_id: str, document: dict[str, Any], size: int) -> ImageRecord:
    """The store record of the image with config ``document``."""
    try:
        config = msgspec.convert(wire.strip_nulls(document.get("config") or {}), ImageConfig, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidParameter(f"invalid image config: {exc}") from None
    return ImageRecord(
        Id=image_id,
        Created=str(document.get("created") or "0001-01-01T00:00:00Z"),
        Author=str(document.get("author") or ""),
        Comment=str(document.get("comment") or ""),
        Config=config,
        Architecture=str(document.get("architecture") or ""),
        Variant=str(document.get("variant") or ""),
        Os=str(document.get("os") or ""),
        Size=size,
        Layers=list(document.get("rootfs", {}).get("diff_ids") or []),
    )


def docker_arch(machine: str | None = None) -> str:
    """The GOARCH name of this machine (``amd64``, ``arm64``...)."""
    machine = machine or os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(machine, machine)


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()
