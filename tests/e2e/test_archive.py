"""``docker cp`` and ``docker export`` end to end: the Docker CLI and docker-py, and a real dockerd as reference."""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
import uuid
from pathlib import Path

import docker as docker_py
import pytest


def tar_of(*members: tuple[str, bytes, dict]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as archive:
        for name, data, attrs in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            for key, value in attrs.items():
                setattr(info, key, value)
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            archive.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    return buf.getvalue()


def listing(data: bytes) -> list[tuple[str, str, int, str]]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return [(m.name, m.type.decode(), m.mode, m.linkname) for m in archive]


def test_cp_into_created_container_then_start(docker, name, tmp_path: Path):
    (tmp_path / "hello.txt").write_text("hi there\n")
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "a").write_text("a\n")
    os.symlink("sub/a", tmp_path / "tree" / "link")
    docker("create", "--name", name, "alpine", "sh", "-c", "cat /tmp/hello.txt /srv/tree/link; ls /srv/tree", check=True)
    try:
        docker("cp", str(tmp_path / "hello.txt"), f"{name}:/tmp/", check=True)
        docker("cp", str(tmp_path / "tree"), f"{name}:/srv/tree", check=True)
        out = docker("start", "-a", name, check=True).stdout.decode()
        assert out == "hi there\na\nlink\nsub\n"
        docker("cp", f"{name}:/srv/tree", str(tmp_path / "back"), check=True)
        assert (tmp_path / "back" / "sub" / "a").read_text() == "a\n"
        assert os.readlink(tmp_path / "back" / "link") == "sub/a"
    finally:
        docker("rm", "-f", name)


def test_cp_symlink_rules(docker, name, tmp_path: Path):
    docker("run", "--name", name, "alpine", "sh", "-c",
           "mkdir -p /data/d && echo f > /data/d/f && ln -s d /data/dl && ln -s /data/d/f /data/fl", check=True)
    try:
        docker("cp", f"{name}:/data/fl", str(tmp_path / "plain"), check=True)
        assert os.readlink(tmp_path / "plain") == "/data/d/f"
        docker("cp", "-L", f"{name}:/data/fl", str(tmp_path / "followed"), check=True)
        assert (tmp_path / "followed").read_text() == "f\n"
        docker("cp", f"{name}:/data/dl/.", str(tmp_path / "content"), check=True)
        assert (tmp_path / "content" / "f").read_text() == "f\n"
        (tmp_path / "in.txt").write_text("in\n")
        docker("cp", str(tmp_path / "in.txt"), f"{name}:/data/dl", check=True)  # into the directory the link names
        docker("cp", f"{name}:/data/d/in.txt", str(tmp_path / "check.txt"), check=True)
        assert (tmp_path / "check.txt").read_text() == "in\n"
    finally:
        docker("rm", "-f", name)


def test_cp_errors(docker, name, tmp_path: Path):
    docker("create", "--name", name, "alpine", "true", check=True)
    try:
        missing = docker("cp", f"{name}:/nonexistent", str(tmp_path / "x"))
        assert missing.returncode != 0 and b"Could not find the file /nonexistent in container" in missing.stderr
        (tmp_path / "f").write_text("f")
        not_dir = docker("cp", str(tmp_path / "f"), f"{name}:/etc/passwd/")
        assert not_dir.returncode != 0
        (tmp_path / "etc").write_text("not a directory")
        clash = docker("cp", str(tmp_path / "etc"), f"{name}:/")
        assert clash.returncode != 0 and b"cannot overwrite directory" in clash.stderr
    finally:
        docker("rm", "-f", name)


def test_cp_archive_mode_uses_container_user(docker, name, tmp_path: Path):
    (tmp_path / "owned").write_text("x")
    docker("create", "--name", name, "--user", "nobody", "alpine", "stat", "-c", "%u:%g", "/tmp/owned", check=True)
    try:
        docker("cp", "-a", str(tmp_path / "owned"), f"{name}:/tmp/", check=True)
        assert docker("start", "-a", name, check=True).stdout.decode().strip() == "65534:65534"
    finally:
        docker("rm", "-f", name)


def test_cp_into_volume_before_start_and_export(docker, name, tmp_path: Path):
    volume = f"v-{uuid.uuid4().hex[:8]}"
    docker("create", "--name", name, "-v", f"{volume}:/vol", "alpine", "true", check=True)
    try:
        (tmp_path / "data.txt").write_text("in the volume\n")
        docker("cp", str(tmp_path / "data.txt"), f"{name}:/vol/", check=True)
        docker("cp", str(tmp_path / "data.txt"), f"{name}:/root/", check=True)
        seen = docker("run", "--rm", "-v", f"{volume}:/v", "alpine", "cat", "/v/data.txt", check=True)
        assert seen.stdout == b"in the volume\n"
        exported = docker("export", name, check=True).stdout
        names = [n for n, *_ in listing(exported)]
        assert "etc/passwd" in names and "root/data.txt" in names and "vol/data.txt" not in names
    finally:
        docker("rm", "-f", name)
        docker("volume", "rm", volume)


def test_cp_refused_on_read_only_root(docker, name, tmp_path: Path):
    (tmp_path / "f").write_text("f")
    docker("create", "--name", name, "--read-only", "alpine", "true", check=True)
    try:
        refused = docker("cp", str(tmp_path / "f"), f"{name}:/tmp/")
        assert refused.returncode != 0 and b"container rootfs is marked read-only" in refused.stderr
    finally:
        docker("rm", "-f", name)


SCENARIO_PUT = [
    ("d", b"", {"type": tarfile.DIRTYPE, "mode": 0o755}),
    ("d/f", b"hello", {"mode": 0o640}),
    ("d/h", b"", {"type": tarfile.LNKTYPE, "linkname": "d/f", "mode": 0o640}),
    ("d/l", b"", {"type": tarfile.SYMTYPE, "linkname": "f"}),
    ("dl", b"", {"type": tarfile.SYMTYPE, "linkname": "d"}),
    ("abs", b"", {"type": tarfile.SYMTYPE, "linkname": "/etc"}),
]
SCENARIO_GET = ["/tmp/d", "/tmp/d/", "/tmp/d/.", "/tmp/dl", "/tmp/dl/", "/tmp/dl/.", "/tmp/d/l", "/tmp/abs", "/tmp/d/f"]


def _scenario(client: docker_py.DockerClient, name: str) -> dict[str, object]:
    container = client.containers.create("alpine", ["true"], name=name, network_mode="none")
    results: dict[str, object] = {}
    try:
        api = client.api
        assert api.put_archive(container.id, "/tmp", tar_of(*SCENARIO_PUT))
        for path in SCENARIO_GET:
            stream, stat = api.get_archive(container.id, path)
            data = b"".join(stream)
            stat.pop("mtime")
            if stat["mode"] & (1 << 31):
                stat.pop("size")  # directory sizes differ between filesystems
            results[path] = (stat, listing(data))
        for path in ("/nonexistent", "/tmp/d/f/"):
            response = api.head(api._url("/containers/{0}/archive", container.id), params={"path": path})
            results["HEAD " + path] = response.status_code >= 400
        response = api.head(api._url("/containers/{0}/archive", container.id), params={"path": "/tmp/d/f"})
        header = json.loads(base64.b64decode(response.headers["X-Docker-Container-Path-Stat"]))
        results["HEAD /tmp/d/f"] = (response.status_code, header["name"], header["size"], header["mode"])
        for path, data, params in (("/tmp", tar_of(("../../escape", b"x", {})), {}),
                                   ("/tmp", tar_of(("bad", b"", {"type": tarfile.SYMTYPE, "linkname": "../../../x"})), {}),
                                   ("/tmp/d/f", tar_of(("x", b"x", {})), {}),
                                   ("/nonexistent", tar_of(("x", b"x", {})), {}),
                                   ("/tmp", tar_of(("d", b"x", {})), {"noOverwriteDirNonDir": "1"})):
            response = api.put(api._url("/containers/{0}/archive", container.id), params={"path": path, **params},
                               data=data)
            results[f"PUT {path} {data[:12]!r} {params}"] = (response.status_code == 404, response.status_code >= 400,
                                                              response.json()["message"].rsplit(": ", 1)[-1].replace(container.id, "ID"))
    finally:
        container.remove(force=True)
    return results


def test_archive_matches_a_real_dockerd(client, services, name):
    """The same copies on a real dockerd and on Sockerless give the same stats and tar listings."""
    real = docker_py.DockerClient(base_url=services["docker_host"], timeout=60)
    try:
        expected = _scenario(real, f"sockerless-api-{name}")
    finally:
        real.close()
    actual = _scenario(client, name)
    for key, value in expected.items():
        assert actual[key] == value, key


def test_no_copy_escapes_the_container_root(daemon, client, name):
    """Tar entries with ``..``, absolute names, links out of the root written through, copies into links."""
    marker = f"escape-{uuid.uuid4().hex[:8]}"
    container = client.containers.create("alpine", ["true"], name=name)
    api = client.api
    attempts = [
        ("/tmp", tar_of((f"../../../../{marker}-dotdot", b"x", {}))),
        ("/tmp", tar_of((f"/{marker}-abs", b"x", {}))),
        ("/tmp", tar_of(("up", b"", {"type": tarfile.SYMTYPE, "linkname": "/../../../../../.."}),
                        (f"up/{marker}-through", b"x", {}))),
        ("/tmp", tar_of(("host", b"", {"type": tarfile.SYMTYPE, "linkname": str(daemon.workdir)}),
                        (f"host/{marker}-host", b"x", {}))),
        ("/tmp", tar_of(("hl", b"", {"type": tarfile.LNKTYPE, "linkname": "../../../../../../etc/passwd"}))),
        ("/tmp/up", tar_of((f"{marker}-intolink", b"x", {}))),
        ("/tmp/host", tar_of((f"{marker}-intohostlink", b"x", {}))),
    ]
    try:
        for path, data in attempts:
            api.put(api._url("/containers/{0}/archive", container.id), params={"path": path}, data=data)
        with pytest.raises(docker_py.errors.NotFound):
            api.get_archive(container.id, f"{daemon.workdir}/daemon.log")
        stream, _ = api.get_archive(container.id, "/tmp/up/")
        names = [n for n, *_ in listing(b"".join(stream))]
        assert "up/etc/passwd" in names and not any("daemon.log" in n for n in names)
        rootfs = daemon.data_root / "backends" / "memory" / "containers" / container.id / "rootfs"
        found = []
        for top in (Path("/tmp"), daemon.workdir):
            for dirpath, _, files in os.walk(top):
                found += [os.path.join(dirpath, f) for f in files if f.startswith(marker)]
        assert found and all(f.startswith(str(rootfs) + "/") for f in found), found
    finally:
        container.remove(force=True)
