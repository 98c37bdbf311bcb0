"""Container root filesystems on this host, for agents that run here and chroot their workload.

A cloud simulator's process executor runs a workload's command as a host process. Given
``--root``, the agent chroots the main process and every exec into a directory; this module
prepares that directory from the image's unpacked layers, so the workload sees its image's
files (and only them), as in the cloud, and ``docker cp`` and ``docker exec`` agree on paths.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shlex
import shutil
import stat as stat_mod
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..api.errors import InvalidParameter
from ..engine.builder.imagefs import ImageFS
from ..plugins.backend import BackendConfigError

log = logging.getLogger("sockerless.agent.hostroot")

_CONTAINER_ID = re.compile(r"^[0-9a-f]{64}$")

DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8), "urandom": (1, 9), "tty": (5, 0)}
"""Character devices a container's ``/dev`` has (major, minor), made when running as root."""


class HostRootError(Exception):
    """The image's files cannot make a safe root (a link out of it where the runtime writes)."""


def prepare(layers: list[Path], destination: Path, hostname: str) -> None:
    """Fill the empty directory ``destination`` with the merged ``layers`` (lowest first) plus what a
    runtime adds: ``/dev`` nodes, ``/proc`` and ``/tmp`` mount points, ``/etc/hostname``, ``/etc/hosts``
    and ``/etc/resolv.conf``. Files are copied, never linked: the layers stay untouched."""
    destination.mkdir(parents=True, exist_ok=True)
    if layers:
        ImageFS(layers).export("/", destination)
    for name, mode in (("dev", 0o755), ("proc", 0o555), ("sys", 0o555), ("tmp", 0o1777), ("etc", 0o755)):
        path = _inside(destination, name)
        if not path.exists():
            path.mkdir()
            path.chmod(mode)
    dev = _inside(destination, "dev")
    if os.geteuid() == 0:
        for name, (major, minor) in DEVICES.items():
            node = dev / name
            if not os.path.lexists(node):
                os.mknod(node, 0o666 | stat_mod.S_IFCHR, os.makedev(major, minor))
                node.chmod(0o666)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        if not os.path.lexists(dev / name):
            os.symlink(target, dev / name)
    etc = _inside(destination, "etc")
    _write(etc / "hostname", f"{hostname}\n")
    _write(etc / "hosts", f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{hostname}\n")
    try:
        resolv = Path("/etc/resolv.conf").read_text()
    except OSError:
        resolv = ""
    _write(etc / "resolv.conf", resolv)


def remove(destination: Path) -> None:
    """Delete a prepared root (nothing is followed out of it)."""
    shutil.rmtree(destination, ignore_errors=True)


def _inside(root: Path, name: str) -> Path:
    """``root/name`` when it is a directory inside ``root`` (not a link out of it), else an error."""
    path = root / name
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise HostRootError(f"the image's /{name} is not a directory: cannot prepare the container root")
    return path


def _write(path: Path, text: str) -> None:
    """Replace ``path`` (a link there is replaced, not followed)."""
    if path.is_symlink() or path.exists():
        if path.is_dir() and not path.is_symlink():
            raise HostRootError(f"the image's {path.name} is a directory: cannot prepare the container root")
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


# -- for backends whose agent runs on this host (simulator "host" injection) ---------------------------
ROOT_MODES = ("image", "none")


def root_mode(configured: str, backend: str) -> str:
    """The ``host-root`` option of a backend: ``image`` (chroot into the image's files; the default when
    running as root) or ``none`` (the host's own filesystem; the default otherwise). ``image`` without
    root privileges is refused: chroot needs them."""
    mode = configured or ("image" if os.geteuid() == 0 else "none")
    if mode not in ROOT_MODES:
        raise BackendConfigError(f"{backend} backend: host-root must be image or none, not {configured!r}")
    if mode == "image" and os.geteuid() != 0:
        raise BackendConfigError(f"{backend} backend: host-root=image needs the daemon to run as root (the agent chroots "
                         "into the container root); use host-root=none to run commands in the host's filesystem")
    return mode


class HostRoots:
    """The container roots of one backend, one directory per container under ``base``."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def path(self, container_id: str) -> Path:
        """Where the root of ``container_id`` is (whether or not prepared)."""
        return self.base / container_id

    def prepare(self, container_id: str, layers: list[Path], hostname: str) -> Path:
        """A fresh root for the container from its image's layers (lowest first)."""
        destination = self.path(container_id)
        remove(destination)
        prepare(layers, destination, hostname)
        return destination

    def remove(self, container_id: str) -> None:
        """Delete the container's root."""
        remove(self.path(container_id))

    def owned(self) -> list[str]:
        """The container ids that have a root here (to find leftovers of removed containers)."""
        try:
            return [entry.name for entry in self.base.iterdir() if entry.is_dir()]
        except FileNotFoundError:
            return []


class ContainerRoots:
    """A backend's per-container roots under ``directory`` (full container ids), made from the containers'
    images off the event loop, with Docker-style errors naming ``backend``."""

    def __init__(self, directory: Path, layer_path: Callable[[str], Path] | None, backend: str) -> None:
        self.roots = HostRoots(directory)
        self.layer_path = layer_path
        self.backend = backend

    def path(self, container_id: str) -> Path:
        """Where the root of ``container_id`` is."""
        if not _CONTAINER_ID.match(container_id):
            raise ValueError(f"not a full container id: {container_id!r}")
        return self.roots.path(container_id)

    async def prepare(self, container: Any, image: Any) -> Path:
        """The root of ``container`` filled from ``image``'s layers (lowest first), with its hostname."""
        if self.layer_path is None:
            raise InvalidParameter(f"{self.backend} backend: host-root=image needs the image's layers, and this daemon gives "
                                   "the backend none (set host-root=none)")
        layers = [Path(self.layer_path(layer)) for layer in getattr(image, "Layers", None) or []]
        missing = [str(p) for p in layers if not p.is_dir()]
        if missing:
            raise InvalidParameter(f"{self.backend} backend: the layers of image {container.config.Image} are not unpacked "
                                   f"here ({missing[0]}): pull the image again")
        self.path(container.id)
        self.roots.base.mkdir(parents=True, exist_ok=True)
        hostname = container.config.Hostname or container.id[:12]
        try:
            return await asyncio.to_thread(self.roots.prepare, container.id, layers, hostname)
        except HostRootError as exc:
            await self.remove(container.id)
            raise InvalidParameter(f"{self.backend} backend: image {container.config.Image}: {exc}") from None
        except OSError as exc:
            await self.remove(container.id)
            raise InvalidParameter(f"{self.backend} backend: cannot prepare the root of container {container.id[:12]}: "
                                   f"{exc}") from None

    async def remove(self, container_id: str) -> None:
        """Delete the root of ``container_id`` (nothing when there is none; a link there is not followed)."""
        destination = self.path(container_id)
        if destination.is_dir() and not destination.is_symlink():
            await asyncio.to_thread(self.roots.remove, container_id)

    async def remove_orphans(self, known: Iterable[str]) -> list[str]:
        """Remove the roots of containers not in ``known`` (ids); the ids removed."""
        keep = set(known)
        removed = []
        for container_id in sorted(self.roots.owned()):
            if _CONTAINER_ID.match(container_id) and container_id not in keep \
                    and not self.roots.path(container_id).is_symlink():
                log.info("removing the root of the vanished container %s", container_id[:12])
                await asyncio.to_thread(self.roots.remove, container_id)
                removed.append(container_id)
        return removed


def host_agent_command(configured: str = "") -> list[str]:
    """How a backend has the agent run on this host: ``configured`` (shell words), else this interpreter
    running the installed ``sockerless-agent``."""
    return shlex.split(configured) or [sys.executable, "-m", "sockerless_agent"]


def agent_flags(root: Path, workdir: str, user: str) -> list[str]:
    """The agent options that run a workload inside ``root`` (see the agent's ``--root``)."""
    flags = ["--root", str(root), "--workdir", workdir or "/"]
    if user:
        flags += ["--user", user]
    return flags


# -- a built-in image for simulator mode ---------------------------------------------------------------
BUSYBOX_PATHS = ("/bin/busybox", "/usr/bin/busybox")
PT_INTERP = 3
BUILTIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def static_busybox() -> str | None:
    """This host's busybox when it is a static executable (Debian's ``busybox-static``), else ``None``."""
    for path in BUSYBOX_PATHS:
        try:
            with open(path, "rb") as handle:
                header = handle.read(64)
                if header[:4] != b"\x7fELF" or header[4] != 2:  # 64-bit ELF only
                    continue
                phoff = int.from_bytes(header[32:40], "little")
                phentsize = int.from_bytes(header[54:56], "little")
                phnum = int.from_bytes(header[56:58], "little")
                handle.seek(phoff)
                table = handle.read(phentsize * phnum)
        except OSError:
            continue
        kinds = {int.from_bytes(table[i:i + 4], "little") for i in range(0, len(table), phentsize)}
        if PT_INTERP not in kinds:
            return path
    return None


def busybox_rootfs(busybox: str, destination: str) -> None:
    """Fill ``destination`` with ``busybox``, a link per applet, ``/etc/passwd``, ``/etc/group`` and ``/tmp``."""
    root = Path(destination)
    for name in ("bin", "etc", "root", "tmp", "usr/bin", "sbin"):
        (root / name).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    shutil.copy2(busybox, root / "bin" / "busybox")
    listed = subprocess.run([busybox, "--list"], capture_output=True, text=True, timeout=30).stdout.split()
    for applet in listed:
        if applet != "busybox" and not (root / "bin" / applet).exists():
            os.symlink("busybox", root / "bin" / applet)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    (root / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")


def builtin_image(backend: str) -> Any:
    """For a simulator-mode backend with the agent on this host: when no registry can be reached, every image
    name is this host's static busybox (``(build, config, description)`` as ``sockerless_builtin_image``
    returns), or ``None`` without one."""
    from ..api.models.images import ImageConfig

    busybox = static_busybox()
    if busybox is None:
        return None
    return ((lambda path: busybox_rootfs(busybox, path)),
            ImageConfig(Env=[f"PATH={BUILTIN_PATH}"], Cmd=["sh"]),
            f"built-in rootfs of the {backend} backend in simulator mode (this host's static busybox)")
