"""``--root``: the agent chroots its workload into a container root prepared on the host.

The root is made by the core's :mod:`sockerless.agent.hostroot` from a busybox-static layer;
the daemon side is the core's hub and bridge in reverse mode, as a backend uses them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sockerless.agent import hostroot
from sockerless.agent.bridge import AgentBridge
from sockerless.agent.hub import AgentHub
from sockerless.agent.link import ReverseAddress
from sockerless.agent.tokens import new_token
from sockerless.engine.stdio import OutputStream, ProcessIO

CONTAINER = "b" * 64
BUSYBOX = shutil.which("busybox") or "/bin/busybox"


def _busybox_layer(path: Path) -> Path:
    (path / "bin").mkdir(parents=True)
    shutil.copy(BUSYBOX, path / "bin" / "busybox")
    for applet in ("sh", "cat", "ls", "echo", "id", "pwd", "sleep"):
        os.symlink("busybox", path / "bin" / applet)
    (path / "etc").mkdir()
    (path / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nguest:x:405:100:guest:/home/guest:/bin/sh\n")
    (path / "etc" / "group").write_text("root:x:0:\nusers:x:100:\n")
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        pytest.fail("--root needs root privileges: run this suite as root (CI does)")
    if not os.path.exists(BUSYBOX):
        pytest.fail("busybox-static is needed (.ci/install-deps installs it)")
    destination = tmp_path / "root"
    hostroot.prepare([_busybox_layer(tmp_path / "layer")], destination, "web-1")
    return destination


def _run(root: Path, tmp_path: Path, scenario, workdir: str = "/srv/app"):
    token = new_token()

    async def main():
        hub = AgentHub()
        hub.expect(CONTAINER, token)
        url = await hub.reverse_url()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKERLESS_AGENT_")}
        env["SOCKERLESS_AGENT_TOKEN"] = token
        env["PATH"] = "/bin"
        agent = subprocess.Popen([sys.executable, "-m", "sockerless_agent", "--connect", url, "--container", CONTAINER,
                                  "--root", str(root), "--workdir", workdir, "--log-file", str(tmp_path / "agent.log"),
                                  "--", "sh", "-c", "pwd; cat /etc/hostname; exec sleep 30"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        bridge = AgentBridge(hub, lambda c: ReverseAddress(CONTAINER, token), backend="test", connect_timeout=20)
        loop = asyncio.get_running_loop()
        out = bytearray()
        io = ProcessIO(stdin=None, stdout=OutputStream(loop, lambda chunks: [out.extend(d) for _, d in chunks]),
                       stderr=OutputStream(loop, lambda chunks: [out.extend(d) for _, d in chunks]))
        container = SimpleNamespace(id=CONTAINER)
        try:
            process = await bridge.main_process(container, io, asyncio.to_thread(agent.wait))
            result = await scenario(bridge, container)
            await bridge.signal_main(container, 9)
            await asyncio.wait_for(process.wait(), 20)
        finally:
            if agent.poll() is None:
                agent.kill()
            await hub.close()
        return result, bytes(out)

    return asyncio.run(main())


def test_the_workload_and_its_execs_see_only_the_root(root: Path, tmp_path: Path) -> None:
    marker = Path("/tmp") / f"sockerless-root-test-{os.getpid()}"

    async def scenario(bridge, container):
        code, listing = await bridge.probe(container, ["ls", "/"], 10)
        wrote = await bridge.probe(container, ["sh", "-c", f"echo inside > {marker}; cat {marker}"], 10)
        who = await bridge.probe(container, ["sh", "-c", "id -u; echo $HOME"], 10)
        stat = await bridge.archive_stat(container, str(marker))
        return code, listing, wrote, who, stat

    (code, listing, wrote, who, stat), out = _run(root, tmp_path, scenario)
    assert out.startswith(b"/srv/app\nweb-1\n")  # the working directory is made inside the root
    assert (root / "srv" / "app").is_dir()
    assert code == 0 and sorted(listing.split()) == sorted(os.listdir(root))
    assert wrote == (0, "inside\n")
    assert (root / marker.relative_to("/")).read_text() == "inside\n" and not marker.exists()
    assert who == (0, "0\n/root\n")  # HOME from the root's own /etc/passwd
    assert stat["name"] == marker.name and stat["size"] == len("inside\n")


def test_users_are_the_roots_own(root: Path, tmp_path: Path) -> None:
    async def scenario(bridge, container):
        loop = asyncio.get_running_loop()
        out = bytearray()
        io = ProcessIO(stdin=None, stdout=OutputStream(loop, lambda chunks: [out.extend(d) for _, d in chunks]),
                       stderr=OutputStream(loop, lambda chunks: [out.extend(d) for _, d in chunks]))
        process = await bridge.exec_start(container, "exec-1", ["sh", "-c", "id -u; id -g; echo $HOME"], [], "/", "guest",
                                          False, io)
        result = await asyncio.wait_for(process.wait(), 20)
        return result.code, bytes(out)

    (code, text), _ = _run(root, tmp_path, scenario, workdir="/")
    assert (code, text) == (0, b"405\n100\n/home/guest\n")  # guest exists only in the root's /etc/passwd


def test_prepared_root_has_runtime_files(root: Path) -> None:
    assert (root / "etc" / "hostname").read_text() == "web-1\n"
    assert "web-1" in (root / "etc" / "hosts").read_text()
    assert os.major(os.stat(root / "dev" / "null").st_rdev) == 1
    assert oct((root / "tmp").stat().st_mode & 0o7777) == "0o1777"


def test_an_image_link_out_of_the_root_is_refused(tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    layer.mkdir()
    os.symlink("/etc", layer / "etc")
    with pytest.raises(hostroot.HostRootError, match="/etc is not a directory"):
        hostroot.prepare([layer], tmp_path / "root", "x")
    assert not (Path("/etc") / "hostname.sockerless").exists()
