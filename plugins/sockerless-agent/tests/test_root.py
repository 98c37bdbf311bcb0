"""``--root``: the agent chroots its workload into a container root prepared on the host.

The root is made by the core's :mod:`sockerless.agent.hostroot` from a busybox-static layer;
the daemon side is the core's hub and bridge in reverse mode, as a backend uses them.
"""

from __future__ import annotations

import asyncio
import json
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
from sockerless.plugins.backend import BackendConfigError

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


def _run(root: Path, tmp_path: Path, scenario, workdir: str = "/srv/app", extra: list[str] | None = None,
         extra_env: dict[str, str] | None = None, script: str = "pwd; cat /etc/hostname; exec sleep 30"):
    token = new_token()

    async def main():
        hub = AgentHub()
        hub.expect(CONTAINER, token)
        url = await hub.reverse_url()
        # as a platform starts it: the workload's environment, not this test's (HOME comes from the user)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKERLESS_AGENT_") and k != "HOME"}
        env["SOCKERLESS_AGENT_TOKEN"] = token
        env["PATH"] = "/bin"
        env.update(extra_env or {})
        agent = subprocess.Popen([sys.executable, "-m", "sockerless_agent", "--connect", url, "--container", CONTAINER,
                                  "--root", str(root), "--workdir", workdir, "--log-file", str(tmp_path / "agent.log"),
                                  *(extra or []), "--", "sh", "-c", script],
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


def test_the_main_process_runs_as_a_user_of_the_root(root: Path, tmp_path: Path) -> None:
    async def scenario(bridge, container):
        return await bridge.probe(container, ["sh", "-c", "id -u; echo $HOME"], 10)

    probed, out = _run(root, tmp_path, scenario, workdir="/", extra=["--user", "guest"],
                       script="id -u; echo $HOME; exec sleep 30")
    assert out.startswith(b"405\n/home/guest\n")
    assert probed == (0, "405\n/home/guest\n")  # execs and probes naming no user run as the container's, as in Docker


def test_mounts_handed_over_by_the_platform_are_made_inside_the_root_only(root: Path, tmp_path: Path) -> None:
    data, config = tmp_path / "volume-data", tmp_path / "config"
    data.mkdir()
    config.mkdir()
    (config / "app.conf").write_text("setting=1\n")
    mounts = [{"source": str(data), "target": "/data", "readonly": False},
              {"source": str(config), "target": "/etc/app", "readonly": True}]

    async def scenario(bridge, container):
        wrote = await bridge.probe(container, ["sh", "-c", "echo kept > /data/file; cat /etc/app/app.conf"], 10)
        refused = await bridge.probe(container, ["sh", "-c", "echo x > /etc/app/new"], 10)
        stat = await bridge.archive_stat(container, "/data/file")
        return wrote, refused, stat

    (wrote, refused, stat), _ = _run(root, tmp_path, scenario, extra_env={"SOCKERLESS_AGENT_MOUNTS": json.dumps(mounts)})
    assert wrote == (0, "setting=1\n")
    assert (data / "file").read_text() == "kept\n"  # the volume's own directory got the write
    assert refused[0] != 0 and "Read-only file system" in refused[1]
    assert stat["size"] == len("kept\n")
    assert not (root / "data" / "file").exists()  # seen through the mount only, in the agent's namespace
    with open("/proc/self/mountinfo") as handle:  # nothing was mounted in the host's namespace
        assert str(root) not in handle.read()


def test_a_mount_request_the_platform_did_not_fulfil_is_refused(root: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKERLESS_AGENT_")}
    env.update(SOCKERLESS_AGENT_TOKEN="t", SOCKERLESS_AGENT_MOUNTS="from-executor")
    done = subprocess.run([sys.executable, "-m", "sockerless_agent", "--connect", "ws://127.0.0.1:9/x", "--container",
                           CONTAINER, "--root", str(root), "--", "true"], env=env, capture_output=True, text=True)
    assert done.returncode == 2 and "did not provide them" in done.stderr


def test_backends_host_roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    roots = hostroot.HostRoots(tmp_path / "roots")
    layer = _busybox_layer(tmp_path / "layer")
    made = roots.prepare("c1", [layer], "c1host")
    assert made == tmp_path / "roots" / "c1" and (made / "bin" / "busybox").exists()
    assert roots.owned() == ["c1"]
    roots.remove("c1")
    assert roots.owned() == [] and not made.exists()
    assert hostroot.agent_flags(made, "", "") == ["--root", str(made), "--workdir", "/"]
    assert hostroot.agent_flags(made, "/w", "app")[-2:] == ["--user", "app"]
    assert hostroot.root_mode("", "ecs") == "image"  # this suite runs as root
    with pytest.raises(BackendConfigError, match="host-root must be image or none"):
        hostroot.root_mode("chroot", "ecs")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert hostroot.root_mode("", "lambda") == "none"
    with pytest.raises(BackendConfigError, match="needs the daemon to run as root"):
        hostroot.root_mode("image", "lambda")


def test_dns_search_domains_reach_the_workloads_resolver(root: Path, tmp_path: Path) -> None:
    (root / "etc" / "resolv.conf").write_text("nameserver 10.0.0.2\nsearch ec2.internal\noptions ndots:1\n")

    async def scenario(bridge, container):
        return await bridge.probe(container, ["cat", "/etc/resolv.conf"], 10)

    (code, conf), _ = _run(root, tmp_path, scenario, extra=["--dns-search", "app-1a2b3c4d.sockerless,db.sockerless"])
    assert code == 0
    assert conf == "nameserver 10.0.0.2\nsearch app-1a2b3c4d.sockerless db.sockerless ec2.internal\noptions ndots:1\n"


def test_dns_search_never_writes_through_a_link_out_of_the_root(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "host-resolv.conf"
    outside.write_text("nameserver 192.0.2.1\n")
    (root / "etc" / "resolv.conf").unlink()
    (root / "etc" / "resolv.conf").symlink_to(outside)

    async def scenario(bridge, container):
        return await bridge.probe(container, ["echo", "ran"], 10)

    result, _ = _run(root, tmp_path, scenario, extra=["--dns-search", "app.sockerless"])
    assert result == (0, "ran\n"), "the workload still runs"
    assert outside.read_text() == "nameserver 192.0.2.1\n"
    assert "cannot add search domains" in (tmp_path / "agent.log").read_text()
