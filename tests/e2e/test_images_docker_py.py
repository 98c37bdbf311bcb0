"""docker-py's image behaviours against Sockerless: pull, get, list, tag, save, load, push, history, remove, prune."""

from __future__ import annotations

import docker as docker_py
import pytest
from imagekit import layer_tar, registry_digest


def test_docker_py_image_workflow(client, services, name):
    registry = services["registry"]
    image = client.images.pull(f"{registry}/library/alpine", tag="latest")
    digest = registry_digest(registry, "library/alpine", "latest")
    assert f"{registry}/library/alpine@{digest}" in image.attrs["RepoDigests"]
    assert client.images.get(image.short_id).id == image.id
    assert image.tag(f"images-test/py-{name}", "1")
    image.reload()
    assert f"images-test/py-{name}:1" in image.tags
    listed = client.images.list(name=f"images-test/py-{name}")
    assert [i.id for i in listed] == [image.id]
    assert image.history()[0]["Id"] == image.id
    data = b"".join(image.save(named=f"images-test/py-{name}:1"))
    client.images.remove(f"images-test/py-{name}:1")
    assert f"images-test/py-{name}:1" not in client.images.get(image.id).tags
    loaded = client.images.load(data)
    assert [i.id for i in loaded] == [image.id]
    assert f"images-test/py-{name}:1" in client.images.get(image.id).tags
    target = f"{registry}/images-test/py-{name}"
    image.tag(target, "2")
    result = client.images.push(target, tag="2", stream=True, decode=True)
    last = list(result)[-1]
    assert last["aux"]["Digest"] == digest
    client.images.remove(f"images-test/py-{name}:1")
    client.images.remove(f"{target}:2")


def test_docker_py_errors_are_typed(client):
    with pytest.raises(docker_py.errors.ImageNotFound):
        client.images.get("images-test/does-not-exist:1")
    with pytest.raises(docker_py.errors.APIError):
        client.images.push("images-test/does-not-exist", tag="1")
    with pytest.raises(docker_py.errors.APIError):
        client.images.load(b"not a tar")
    broken = client.api.import_image_from_data(layer_tar({"x": b"y"}), repository="images-test/py-imported")
    assert "sha256:" in str(broken)
    client.images.remove("images-test/py-imported:latest")
