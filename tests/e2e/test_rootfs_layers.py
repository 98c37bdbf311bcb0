"""Container root filesystems of the memory backend: a private upper directory over shared image layers."""

from __future__ import annotations

import hashlib
import json
import os


def _tree(root) -> dict[str, tuple]:
    """Every entry of a directory tree with its metadata and content digest."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = None
            if os.path.islink(path):
                digest = os.readlink(path)
            elif os.path.isfile(path):
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            found[os.path.relpath(path, root)] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino, digest)
    return found


def _layers(daemon) -> list:
    image = json.loads(daemon.docker("image", "inspect", "alpine", check=True).stdout)[0]
    return [daemon.data_root / "image" / "layers" / layer.removeprefix("sha256:") for layer in image["RootFS"]["Layers"]]


def _rootfs(daemon, cid: str):
    return daemon.data_root / "backends" / "memory" / "containers" / cid / "rootfs"


def test_changes_stay_in_the_container_and_layers_stay_untouched(daemon, docker, name):
    layers = _layers(daemon)
    assert layers and all(layer.is_dir() for layer in layers)
    before = [_tree(layer) for layer in layers]
    script = ("echo changed >> /etc/passwd; rm -rf /usr/sbin /etc/shells; mkdir /etc/new.d; ln -s /etc/passwd /pw; "
              "chmod 600 /etc/group; tail -1 /etc/passwd; mv /usr/bin /opt/bin && ls /opt/bin | /opt/bin/wc -l; "
              "sleep 300")
    docker("run", "-d", "--name", name, "alpine", "sh", "-c", script, check=True)
    logs = ""
    for _ in range(100):
        logs = docker("logs", name).stdout.decode()
        if len(logs.splitlines()) >= 2:
            break
    assert logs.splitlines()[0] == "changed"
    assert int(logs.splitlines()[1]) > 50
    # the container sees its changes, from any process
    seen = docker("exec", name, "sh", "-c", "grep -c changed /etc/passwd; ls /usr; ls -l /pw; test -e /etc/shells || echo gone")
    assert seen.returncode == 0, seen.stderr
    assert seen.stdout.decode().splitlines()[0] == "1"  # /usr/bin moved away: tail is gone too
    assert "bin" not in seen.stdout.decode().split() and "gone" in seen.stdout.decode()
    # another container of the image sees the image
    fresh = docker("run", "--rm", "alpine", "sh", "-c", "tail -1 /etc/passwd; ls /usr/sbin /etc/shells /usr/bin/env")
    assert fresh.returncode == 0, fresh.stderr
    assert "changed" not in fresh.stdout.decode()
    docker("rm", "-f", name, check=True)
    assert [_tree(layer) for layer in layers] == before


def test_create_copies_nothing_of_the_image(daemon, docker, name):
    cid = docker("create", "--name", name, "alpine", "true", check=True).stdout.decode().strip()
    rootfs = _rootfs(daemon, cid)
    assert rootfs.is_dir() and os.listdir(rootfs) == []
    assert docker("start", "-a", name).returncode == 0
    # /etc/hostname and /etc/hosts are the container's own files mounted in, as Docker does: nothing copied up
    assert os.listdir(rootfs) == []
    info = json.loads(docker("inspect", name, check=True).stdout)[0]
    with open(info["HostnamePath"]) as handle:
        assert handle.read() == info["Config"]["Hostname"] + "\n"
    with open(info["HostsPath"]) as handle:
        assert "127.0.0.1\tlocalhost" in handle.read()
