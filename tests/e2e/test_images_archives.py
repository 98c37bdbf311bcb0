"""save, load, import, history, prune and persistence of images, judged by tar content, dockerd and docker-py."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile

import docker as docker_py
import pytest
from daemon import Daemon
from imagekit import layer_tar, oci_image, write_layout


def _members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def _real(services, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOCKER_HOST": services["docker_host"]}
    return subprocess.run(["docker", *args], env=env, input=input, capture_output=True, timeout=120)


def _import(docker, ref: str, files: dict, *changes: str) -> str:
    args = [arg for change in changes for arg in ("-c", change)]
    return docker("import", *args, "-", ref, input=layer_tar(files, busybox=True), check=True).stdout.decode().strip()


def test_save_load_round_trip_is_bit_identical(docker, name):
    ref = f"images-test/rt-{name}:1"
    layer = layer_tar({"data": b"round trip\n", "etc/.wh.gone": b""}, busybox=True)
    image_id = docker("import", "-", ref, input=layer, check=True).stdout.decode().strip()
    saved = docker("save", ref, check=True).stdout
    members = _members(saved)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    assert members["blobs/sha256/" + diff_id.removeprefix("sha256:")] == layer  # the layer tar, byte for byte
    manifest = json.loads(members["manifest.json"])
    assert manifest == [{"Config": "blobs/sha256/" + image_id.removeprefix("sha256:"), "RepoTags": [ref],
                         "Layers": ["blobs/sha256/" + diff_id.removeprefix("sha256:")]}]
    index = json.loads(members["index.json"])
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "1"
    docker("rmi", ref, check=True)
    loaded = docker("load", input=saved, check=True).stdout.decode()
    assert f"Loaded image: {ref}" in loaded
    assert json.loads(docker("image", "inspect", ref, check=True).stdout)[0]["Id"] == image_id
    assert docker("save", ref, check=True).stdout == saved
    assert docker("run", "--rm", ref, "cat", "/data", check=True).stdout == b"round trip\n"


def test_save_of_several_images_and_load_by_id(docker, name):
    a = _import(docker, f"images-test/a-{name}:1", {"a": b"a"})
    b = _import(docker, f"images-test/b-{name}:1", {"b": b"b"})
    saved = docker("save", f"images-test/a-{name}:1", b, check=True).stdout
    entries = json.loads(_members(saved)["manifest.json"])
    assert [e["RepoTags"] for e in entries] == [[f"images-test/a-{name}:1"], None]
    docker("rmi", "-f", a, b, check=True)
    out = docker("load", "-q", input=saved, check=True).stdout.decode()
    assert f"Loaded image: images-test/a-{name}:1" in out
    assert f"Loaded image ID: {b}" in out


def test_dockerd_loads_what_sockerless_saves_and_back(docker, services, name):
    ref = f"images-test/cross-{name}:1"
    image_id = _import(docker, ref, {"cross": b"x\n"}, 'CMD ["cat", "/cross"]')
    saved = docker("save", ref, check=True).stdout
    try:
        loaded = _real(services, "load", input=saved)
        assert loaded.returncode == 0, loaded.stderr.decode()
        assert f"Loaded image: {ref}" in loaded.stdout.decode()
        real_id = _real(services, "image", "inspect", "-f", "{{.Id}}", ref).stdout.decode().strip()
        assert real_id == image_id
        run = _real(services, "run", "--rm", "--network", "none", ref)
        assert run.stdout == b"x\n", run.stderr
        from_dockerd = _real(services, "save", ref).stdout
        assert "manifest.json" in _members(from_dockerd)
    finally:
        _real(services, "rmi", ref)
    docker("rmi", ref, check=True)
    out = docker("load", input=from_dockerd, check=True).stdout.decode()
    assert f"Loaded image: {ref}" in out
    assert json.loads(docker("image", "inspect", ref, check=True).stdout)[0]["Id"] == image_id


def test_load_of_an_oci_layout_with_compressed_layers(docker, tmp_path, name):
    image = oci_image([layer_tar({}, busybox=True), layer_tar({"oci": b"layout\n"})], cmd=["cat", "/oci"])
    write_layout(tmp_path, [(image, {"os": "linux", "architecture": "amd64"})], f"images-test/oci-{name}:2",
                 as_index=False)
    index = json.loads((tmp_path / "index.json").read_text())
    index["manifests"][0]["annotations"]["io.containerd.image.name"] = f"docker.io/images-test/oci-{name}:2"
    (tmp_path / "index.json").write_text(json.dumps(index))
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(tmp_path, arcname=".")
    out = docker("load", input=archive.getvalue(), check=True).stdout.decode()
    assert f"Loaded image: images-test/oci-{name}:2" in out
    assert docker("run", "--rm", f"images-test/oci-{name}:2", check=True).stdout == b"layout\n"


def test_load_refuses_what_is_not_an_image_archive(client):
    with pytest.raises(docker_py.errors.APIError, match="not an image archive"):
        client.images.load(layer_tar({"x": b"y"}))


def test_import_applies_changes_to_the_config(docker, name):
    ref = f"images-test/imp-{name}:1"
    _import(docker, ref, {"hello": b"hi\n"}, "ENV GREETING=hello", 'ENTRYPOINT ["/bin/sh", "-c"]', 'CMD ["echo $GREETING"]',
            "WORKDIR /srv", "EXPOSE 8080", "LABEL team=images", "USER 0", "STOPSIGNAL SIGINT",
            "HEALTHCHECK --interval=5s CMD true")
    image = json.loads(docker("image", "inspect", ref, check=True).stdout)[0]
    config = image["Config"]
    assert "GREETING=hello" in config["Env"]
    assert config["Entrypoint"] == ["/bin/sh", "-c"] and config["Cmd"] == ["echo $GREETING"]
    assert config["WorkingDir"] == "/srv" and config["ExposedPorts"] == {"8080/tcp": {}}
    assert config["Labels"] == {"team": "images"} and config["StopSignal"] == "SIGINT"
    assert config["Healthcheck"]["Test"] == ["CMD-SHELL", "true"] and config["Healthcheck"]["Interval"] == 5_000_000_000
    assert image["Comment"] == "Imported from -"
    assert docker("run", "--rm", ref, check=True).stdout == b"hello\n"
    assert docker("run", "--rm", ref, "pwd", check=True).stdout == b"/srv\n"
    created = json.loads(docker("container", "inspect", docker("create", ref, check=True).stdout.decode().strip(),
                                check=True).stdout)[0]
    assert created["Config"]["Labels"] == {"team": "images"}
    assert created["Config"]["ExposedPorts"] == {"8080/tcp": {}}
    docker("rm", created["Id"], check=True)
    bad = docker("import", "-c", "RUN true", "-", input=layer_tar({"x": b"y"}))
    assert bad.returncode != 0 and "RUN is not a valid change command" in bad.stderr.decode()


def test_history_lists_the_config_history(client, docker, name, tmp_path):
    image = oci_image([layer_tar({"one": b"1"}), layer_tar({"two": b"22"})])
    write_layout(tmp_path, [(image, {"os": "linux", "architecture": "amd64"})], "x", as_index=False)
    index = json.loads((tmp_path / "index.json").read_text())
    index["manifests"][0]["annotations"]["io.containerd.image.name"] = f"images-test/hist-{name}:1"
    (tmp_path / "index.json").write_text(json.dumps(index))
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        tar.add(tmp_path, arcname=".")
    docker("load", input=archive.getvalue(), check=True)
    history = client.api.history(f"images-test/hist-{name}:1")
    assert [h["CreatedBy"] for h in history] == ["layer 1", "layer 0"]
    assert [h["Size"] for h in history] == [2, 1]
    assert history[0]["Tags"] == [f"images-test/hist-{name}:1"] and history[1]["Id"] == "<missing>"


def test_rmi_untags_then_deletes_and_conflicts(docker, client, name):
    ref = f"images-test/rm-{name}:1"
    image_id = _import(docker, ref, {"r": b"r"})
    docker("tag", ref, f"images-test/rm-{name}:2", check=True)
    assert client.api.remove_image(f"images-test/rm-{name}:2") == [{"Untagged": f"images-test/rm-{name}:2"}]
    cid = docker("create", ref, "true", check=True).stdout.decode().strip()
    with pytest.raises(docker_py.errors.APIError) as info:
        client.api.remove_image(image_id)
    assert info.value.response.status_code == 409
    docker("rm", cid, check=True)
    result = client.api.remove_image(ref)
    assert {"Untagged": ref} in result and {"Deleted": image_id} in result


def test_prune_removes_dangling_images_by_label(docker, client, name):
    label = f"images-test-prune={name}"
    tagged = _import(docker, f"images-test/keep-{name}:1", {"k": b"k"}, f"LABEL {label}")
    dangling = docker("import", "-c", f"LABEL {label}", "-", input=layer_tar({"d": b"d"}), check=True).stdout.decode().strip()
    other = docker("import", "-", input=layer_tar({"o": b"o"}), check=True).stdout.decode().strip()
    assert [i.id for i in client.images.list(filters={"dangling": True, "label": label})] == [dangling]
    pruned = client.images.prune(filters={"label": label})
    assert pruned["ImagesDeleted"] == [{"Deleted": dangling}]
    assert client.images.get(tagged).id == tagged and client.images.get(other).id == other
    with pytest.raises(docker_py.errors.ImageNotFound):
        client.images.get(dangling)
    client.images.remove(other)


def test_images_survive_a_daemon_crash(tmp_path):
    daemon = Daemon(tmp_path / "crash").start()
    try:
        image_id = daemon.docker("import", "-", "images-test/crash:1", input=layer_tar({"c": b"crash\n"}, busybox=True),
                                 check=True).stdout.decode().strip()
        daemon.kill()
        daemon.start()
        image = json.loads(daemon.docker("image", "inspect", "images-test/crash:1", check=True).stdout)[0]
        assert image["Id"] == image_id
        assert daemon.docker("run", "--rm", "images-test/crash:1", "cat", "/c", check=True).stdout == b"crash\n"
    finally:
        daemon.stop()
