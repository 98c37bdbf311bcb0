"""Build an ``alpine:latest`` stand-in for dockerd from Debian's busybox-static (offline)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .proc import BenchError, run

BUSYBOX = "/usr/bin/busybox"
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"


def busybox_applets(busybox: str = BUSYBOX) -> list[str]:
    """Applet names of the static busybox, without ``busybox`` itself."""
    out = run([busybox, "--list"], timeout=30).stdout.decode()
    return [name for name in out.split() if name and name != "busybox" and "/" not in name]


def build_rootfs(dest: Path, busybox: str = BUSYBOX) -> Path:
    """A minimal rootfs: /bin/busybox, relative applet symlinks, /etc/passwd, /etc/group, /tmp 1777."""
    if not os.access(busybox, os.X_OK):
        raise BenchError(f"{busybox} not found (apt-get install busybox-static)")
    for sub in ("bin", "etc", "root", "proc", "sys", "dev", "usr/bin", "sbin"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    target = dest / "bin" / "busybox"
    target.write_bytes(Path(busybox).read_bytes())
    target.chmod(0o755)
    for name in busybox_applets(busybox):
        link = dest / "bin" / name
        if not link.exists() and not link.is_symlink():
            link.symlink_to("busybox")
    (dest / "etc" / "passwd").write_text(PASSWD)
    (dest / "etc" / "group").write_text(GROUP)
    tmp = dest / "tmp"
    tmp.mkdir(exist_ok=True)
    tmp.chmod(0o1777)
    return dest


def import_rootfs(rootfs: Path, docker_cmd: list[str], env: Mapping[str, str], tag: str = "alpine:latest",
                  timeout: float = 120.0) -> None:
    """``tar -c . | docker import -c 'ENV PATH=...' -c 'CMD ["/bin/sh"]' - TAG``."""
    tar = subprocess.Popen(["tar", "--numeric-owner", "--owner=0", "--group=0", "-C", str(rootfs), "-c", "."],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if tar.stdout is None:
        raise BenchError("could not pipe tar into docker import")
    try:
        imp = subprocess.run([*docker_cmd, "import", "-c", f"ENV PATH={IMAGE_PATH}", "-c", 'CMD ["/bin/sh"]',
                              "-", tag], stdin=tar.stdout, capture_output=True, timeout=timeout, env=dict(env))
        tar.stdout.close()
        tar.wait(timeout)
    except subprocess.TimeoutExpired:
        raise BenchError(f"docker import timed out after {timeout:g}s") from None
    finally:
        if tar.poll() is None:
            tar.kill()
            tar.wait(5)
    if imp.returncode != 0 or tar.returncode != 0:
        raise BenchError(f"docker import failed: {imp.stderr.decode(errors='replace').strip()[-200:]}")
