"""``docker save`` and ``docker load``: image archives.

Saved archives have the layout dockerd 25+ writes, which is at once an OCI image layout
and a docker-archive: ``oci-layout``, ``index.json``, ``blobs/sha256/...`` (configs,
manifests and the layers as their original uncompressed tars, so the bytes round-trip)
plus ``manifest.json`` and ``repositories`` for docker-archive readers, including older
dockerd releases. Loading accepts docker-archives (``manifest.json``; plain or gzip
layers), OCI image layouts (``index.json``, nested indexes, compressed layers), and the
archive itself plain or gzip/bzip2/xz-compressed.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ...api.errors import InvalidParameter
from ...api.models.images import ImageRecord
from .. import reference as refs
from ..registry.client import INDEX_TYPES
from ..registry.platforms import Platform, select_manifest
from .store import MEDIA_TAR, ImageStore, parse_config, sha256_digest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
NAME_ANNOTATION = "io.containerd.image.name"
REF_ANNOTATION = "org.opencontainers.image.ref.name"


@dataclass
class SaveItem:
    """One image to save and the tags it is saved under."""

    image: ImageRecord
    tags: list[str] = field(default_factory=list)


def select_for_save(store: ImageStore, names: Iterable[str]) -> list[SaveItem]:
    """Resolve ``docker save`` arguments: ``repo`` saves all its tags, ``repo:tag`` one, an id none (404 when unknown)."""
    items: dict[str, SaveItem] = {}
    for name in names:
        matched: list[tuple[ImageRecord, str]] = []
        try:
            parsed = refs.parse(name, default_tag="")
        except InvalidParameter:
            parsed = None
        if parsed is not None and not parsed.tag and not parsed.digest:
            for image in store.images():
                matched += [(image, t) for t in image.RepoTags if refs.parse(t).name == parsed.name]
        if not matched:
            image = store.get(name)
            shown = refs.parse(name).familiar if parsed is not None and not refs.looks_like_id(name) else ""
            matched = [(image, shown if shown in image.RepoTags else "")]
        for image, tag in matched:
            item = items.setdefault(image.Id, SaveItem(image))
            if tag and tag not in item.tags:
                item.tags.append(tag)
    return list(items.values())


def write_archive(store: ImageStore, items: list[SaveItem], out: IO[bytes]) -> None:
    """Write the archive of ``items`` to ``out`` (a file opened for writing)."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        written: set[str] = set()
        sizes: dict[str, int] = {}
        _add_bytes(tar, "blobs/", None)
        _add_bytes(tar, "blobs/sha256/", None)
        index: list[dict[str, Any]] = []
        manifest_json: list[dict[str, Any]] = []
        repositories: dict[str, dict[str, str]] = {}
        for item in items:
            image = item.image
            config = store.config_bytes(image)
            layers = []
            for diff_id in image.Layers:
                if diff_id not in sizes:
                    with store.open_layer_tar(diff_id) as layer:
                        sizes[diff_id] = _add_stream(tar, "blobs/sha256/" + diff_id.removeprefix("sha256:"), layer,
                                                     store.blobs.size(diff_id) if store.blobs.exists(diff_id) else None)
                layers.append({"mediaType": MEDIA_TAR, "digest": diff_id, "size": sizes[diff_id]})
            if image.Id not in written:
                _add_bytes(tar, "blobs/sha256/" + image.Id.removeprefix("sha256:"), config)
                written.add(image.Id)
            manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                   "config": {"mediaType": OCI_CONFIG, "digest": image.Id, "size": len(config)},
                                   "layers": layers}, separators=(",", ":")).encode()
            manifest_digest = sha256_digest(manifest)
            if manifest_digest not in written:
                _add_bytes(tar, "blobs/sha256/" + manifest_digest.removeprefix("sha256:"), manifest)
                written.add(manifest_digest)
            descriptor = {"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": len(manifest)}
            for tag in item.tags or [""]:
                entry = dict(descriptor)
                if tag:
                    parsed = refs.parse(tag)
                    entry["annotations"] = {NAME_ANNOTATION: parsed.name + ":" + parsed.tag, REF_ANNOTATION: parsed.tag}
                    repositories.setdefault(parsed.familiar_name, {})[parsed.tag] = image.Layers[-1].removeprefix("sha256:") \
                        if image.Layers else image.Id.removeprefix("sha256:")
                index.append(entry)
            manifest_json.append({"Config": "blobs/sha256/" + image.Id.removeprefix("sha256:"),
                                  "RepoTags": item.tags or None,
                                  "Layers": ["blobs/sha256/" + d.removeprefix("sha256:") for d in image.Layers]})
        _add_bytes(tar, "index.json", json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index},
                                                 separators=(",", ":")).encode())
        _add_bytes(tar, "manifest.json", json.dumps(manifest_json, separators=(",", ":")).encode())
        _add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        if repositories:
            _add_bytes(tar, "repositories", json.dumps(repositories, separators=(",", ":")).encode())


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes | None) -> None:
    info = tarfile.TarInfo(name.rstrip("/") if data is None else name)
    info.mtime = 0
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
        return
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _add_stream(tar: tarfile.TarFile, name: str, stream: IO[bytes], size: int | None) -> int:
    """Add a member from ``stream``; without a known ``size`` it is spooled to a temporary file first."""
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.mode = 0o644
    if size is not None:
        info.size = size
        tar.addfile(info, stream)
        return size
    with tempfile.TemporaryFile() as spool:
        size = 0
        while chunk := stream.read(1 << 20):
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        info.size = size
        tar.addfile(info, spool)
    return size


# -- load ------------------------------------------------------------------------------------------
@dataclass
class Loaded:
    """What a load made: per image its id and the tags given to it."""

    images: list[tuple[str, list[str]]] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    """(tag, old image id) pairs: a tag that moved away from another image."""


def load_archive(store: ImageStore, path: Path, progress: Callable[[str, int], None] | None = None) -> Loaded:
    """Load every image of the archive at ``path``; 400 when it is neither format."""
    try:
        tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 - closed by the with below
    except tarfile.TarError as exc:
        raise InvalidParameter(f"invalid archive: {exc}") from None
    with tar:
        names = {_clean(m.name): m for m in tar.getmembers()}
        if "manifest.json" in names:
            return _load_docker_archive(store, tar, names, progress)
        if "index.json" in names:
            return _load_oci_layout(store, tar, names, progress)
        if "repositories" in names:
            raise InvalidParameter("invalid archive: legacy (v1) image archives without manifest.json are not supported")
        raise InvalidParameter("invalid archive: no manifest.json or index.json: not an image archive")


def _clean(name: str) -> str:
    return name.removeprefix("./").rstrip("/")


def _read(tar: tarfile.TarFile, names: dict[str, tarfile.TarInfo], path: str) -> bytes:
    member = names.get(_clean(path))
    source = tar.extractfile(member) if member is not None else None
    if source is None:
        raise InvalidParameter(f"invalid archive: {path} is missing")
    return source.read()


def _open(tar: tarfile.TarFile, names: dict[str, tarfile.TarInfo], path: str) -> IO[bytes]:
    member = names.get(_clean(path))
    if member is not None and member.issym():
        member = names.get(_clean(str(Path(path).parent / member.linkname)))
    source = tar.extractfile(member) if member is not None else None
    if source is None:
        raise InvalidParameter(f"invalid archive: {path} is missing")
    return source


def _load_docker_archive(store: ImageStore, tar: tarfile.TarFile, names: dict[str, tarfile.TarInfo],
                         progress: Callable[[str, int], None] | None) -> Loaded:
    try:
        entries = json.loads(_read(tar, names, "manifest.json"))
    except ValueError:
        raise InvalidParameter("invalid archive: manifest.json is not JSON") from None
    if not isinstance(entries, list):
        raise InvalidParameter("invalid archive: manifest.json is not a list")
    loaded = Loaded()
    for entry in entries:
        config_raw = _read(tar, names, entry["Config"])
        diff_ids = list((parse_config(config_raw).get("rootfs") or {}).get("diff_ids") or [])
        layer_paths = list(entry.get("Layers") or [])
        if len(layer_paths) != len(diff_ids):
            raise InvalidParameter(f"invalid archive: {entry['Config']} has {len(diff_ids)} layers, the manifest {len(layer_paths)}")
        for layer_path, diff_id in zip(layer_paths, diff_ids, strict=True):
            _load_layer(store, diff_id, lambda p=layer_path: _open(tar, names, p), progress)
        _record(store, loaded, config_raw, [str(t) for t in entry.get("RepoTags") or []])
    return loaded


def _load_oci_layout(store: ImageStore, tar: tarfile.TarFile, names: dict[str, tarfile.TarInfo],
                     progress: Callable[[str, int], None] | None) -> Loaded:
    def blob(digest: str) -> bytes:
        data = _read(tar, names, "blobs/" + digest.replace(":", "/", 1))
        if sha256_digest(data) != digest:
            raise InvalidParameter(f"invalid archive: blob {digest} does not match its digest")
        return data

    loaded = Loaded()
    index = json.loads(_read(tar, names, "index.json"))
    for descriptor in index.get("manifests") or []:
        annotations = descriptor.get("annotations") or {}
        tags = _tags_of(annotations)
        manifest = json.loads(blob(descriptor["digest"]))
        if descriptor.get("mediaType") in INDEX_TYPES or "manifests" in manifest:
            chosen = select_manifest(manifest.get("manifests") or [], Platform.host())
            if chosen is None:
                raise InvalidParameter(f"invalid archive: no manifest for {Platform.host()} in {descriptor['digest']}")
            manifest = json.loads(blob(chosen["digest"]))
        config_raw = blob(manifest["config"]["digest"])
        diff_ids = list((parse_config(config_raw).get("rootfs") or {}).get("diff_ids") or [])
        for layer, diff_id in zip(manifest.get("layers") or [], diff_ids, strict=True):
            path = "blobs/" + layer["digest"].replace(":", "/", 1)
            _load_layer(store, diff_id, lambda p=path: _open(tar, names, p), progress, layer.get("mediaType", ""))
        _record(store, loaded, config_raw, tags)
    return loaded


def _tags_of(annotations: dict[str, str]) -> list[str]:
    name = annotations.get(NAME_ANNOTATION)
    if name:
        return [refs.parse(name).familiar]
    ref_name = annotations.get(REF_ANNOTATION, "")
    if ref_name and not refs.looks_like_id(ref_name):
        try:
            parsed = refs.parse(ref_name)
        except InvalidParameter:
            return []
        if "/" in ref_name or ":" in ref_name:
            return [parsed.familiar]
    return []


def _load_layer(store: ImageStore, diff_id: str, open_member: Callable[[], IO[bytes]],
                progress: Callable[[str, int], None] | None, media_type: str = "") -> None:
    if store.has_layer(diff_id):
        return
    with open_member() as member:
        digest, size = store.blobs.put_stream(member)
    info = store.add_layer_blob(digest, media_type, expected_diff_id=diff_id)
    if progress is not None:
        progress(info.diff_id, size)


def _record(store: ImageStore, loaded: Loaded, config_raw: bytes, tags: list[str]) -> None:
    image_id = sha256_digest(config_raw)
    for tag in tags:
        previous = store.resolve(tag)
        if previous is not None and previous.Id != image_id and tag in previous.RepoTags:
            loaded.renamed.append((tag, previous.Id))
    image = store.add_image_config(config_raw, tags=[refs.parse(t).familiar for t in tags], source="load")
    loaded.images.append((image.Id, [refs.parse(t).familiar for t in tags]))
