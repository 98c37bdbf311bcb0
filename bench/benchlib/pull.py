"""``docker pull`` throughput from a local registry (distribution), on both engines alike.

The image is made here, once per run: ``PULL_LAYERS`` layers of incompressible data (so
the registry serves about the same bytes as it stores), laid out as an OCI image and
copied into the registry with ``skopeo``. Each sample pulls it and removes it again, so
every pull downloads, verifies and unpacks every layer.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from typing import Any

from .engines import Engine
from .proc import BenchError
from .stats import summarize

PULL_LAYERS = 3
LAYER_BYTES = 8 * 1024 * 1024
REPOSITORY = "sockerless-bench/pull"


def registry_address() -> str:
    """The registry to pull from: ``SOCKERLESS_TEST_REGISTRY`` or the shared one on 127.0.0.1:5000."""
    return os.environ.get("SOCKERLESS_TEST_REGISTRY", "127.0.0.1:5000")


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer(index: int) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        payload = os.urandom(LAYER_BYTES)
        info = tarfile.TarInfo(f"data/layer-{index}.bin")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return out.getvalue()


def seed_image(registry: str) -> tuple[str, int]:
    """Push a fresh bench image; returns (reference, compressed bytes of its layers)."""
    layers = [_layer(i) for i in range(PULL_LAYERS)]
    gz = [gzip.compress(layer, compresslevel=1, mtime=0) for layer in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["true"]},
                         "rootfs": {"type": "layers", "diff_ids": [_sha(x) for x in layers]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _sha(config),
                                      "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": _sha(g),
                                       "size": len(g)} for g in gz]}).encode()
    layout = tempfile.mkdtemp(prefix="slbench-layout-")
    try:
        blobs = os.path.join(layout, "blobs", "sha256")
        os.makedirs(blobs)
        for blob in [config, manifest, *gz]:
            with open(os.path.join(blobs, _sha(blob)[7:]), "wb") as handle:
                handle.write(blob)
        with open(os.path.join(layout, "index.json"), "w") as handle:
            json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": _sha(manifest), "size": len(manifest),
                       "annotations": {"org.opencontainers.image.ref.name": "1"}}]}, handle)
        with open(os.path.join(layout, "oci-layout"), "w") as handle:
            handle.write('{"imageLayoutVersion":"1.0.0"}')
        tag = f"run-{int(time.time())}"
        ref = f"{registry}/{REPOSITORY}:{tag}"
        result = subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--preserve-digests",
                                 f"oci:{layout}:1", f"docker://{ref}"], capture_output=True, timeout=300)
        if result.returncode != 0:
            raise BenchError(f"skopeo could not seed {ref}: {result.stderr.decode().strip()[-200:]}")
        return ref, sum(len(g) for g in gz)
    finally:
        shutil.rmtree(layout, ignore_errors=True)


_seeded: dict[str, tuple[str, int]] = {}


def case_pull(engine: Engine, settings: Any) -> dict[str, Any]:
    """Wall time of ``docker pull`` of the seeded image (removed again after each sample)."""
    registry = registry_address()
    if registry not in _seeded:
        _seeded[registry] = seed_image(registry)
    ref, size = _seeded[registry]
    rounds = max(3, settings.iterations // 4)
    samples = []
    for index in range(settings.warmup + rounds):
        start = time.perf_counter()
        engine.docker("pull", "-q", ref, timeout=300)
        seconds = time.perf_counter() - start
        engine.docker("rmi", ref, timeout=120)
        if index >= settings.warmup:
            samples.append(seconds)
    result = summarize(samples)
    result["command"] = f"docker pull {ref} (then docker rmi)"
    result["compressed_bytes"] = size
    result["MB_per_s"] = round(size / 1e6 / result["median"], 1) if result.get("median") else None
    return result
