"""The self-contained agent build (``plugins/sockerless-agent/packaging/build-static.sh``), cached per source version.

Built once per version of the agent's sources under ``$SOCKERLESS_TEST_CACHE`` (default
``~/.cache/sockerless``): about 2-5 minutes on two busy cores the first time, nothing afterwards.
Shared by the suites that need the binary (the agent's own, the ECS sidecar's).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "plugins" / "sockerless-agent" / "packaging" / "build-static.sh"
SOURCES = [REPO / "plugins" / "sockerless-agent" / "src", REPO / "sockerless-core" / "src" / "sockerless" / "agent",
           REPO / "sockerless-core" / "src" / "sockerless" / "archive", BUILD.parent]


def source_digest() -> str:
    """A digest of everything the build packs."""
    digest = hashlib.sha256()
    for root in SOURCES:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class BuildFailed(RuntimeError):
    """The build script failed (its output in the message)."""


def static_agent() -> Path:
    """The built binary (built now unless this source version is cached; one build at a time across
    processes, published by an atomic rename so a reader never sees half a binary)."""
    cache = Path(os.environ.get("SOCKERLESS_TEST_CACHE", Path.home() / ".cache" / "sockerless"))
    binary = cache / "agent-build" / source_digest() / "sockerless-agent"
    if binary.exists():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    with open(binary.parent / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            partial = binary.with_name("sockerless-agent.partial")
            out = subprocess.run([str(BUILD), str(partial)], capture_output=True, text=True, timeout=900)
            if out.returncode != 0 or not partial.exists():
                raise BuildFailed(f"the static agent build failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
            partial.replace(binary)
    return binary
