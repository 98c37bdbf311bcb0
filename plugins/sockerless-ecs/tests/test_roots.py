"""Per-container roots on the host (``host-root=image``) and the agent flags that enter them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from sockerless.agent.hostroot import ContainerRoots
from sockerless.api.errors import InvalidParameter
from sockerless_ecs.injection import HostRoot, mounts_environment

CID = "a" * 64


def _container(cid: str = CID, hostname: str = "") -> SimpleNamespace:
    return SimpleNamespace(id=cid, config=SimpleNamespace(Image="alpine", Hostname=hostname))


def _layers(tmp_path: Path) -> dict[str, Path]:
    lower, upper = tmp_path / "l1", tmp_path / "l2"
    (lower / "etc").mkdir(parents=True)
    (lower / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (lower / "etc" / "motd").write_text("lower\n")
    (upper / "etc").mkdir(parents=True)
    (upper / "etc" / "motd").write_text("upper\n")
    return {"sha256:1": lower, "sha256:2": upper}


def test_prepare_merges_the_layers_and_remove_deletes_the_root(tmp_path):
    layers = _layers(tmp_path)
    roots = ContainerRoots(tmp_path / "roots", lambda layer: layers[layer], "ecs")
    image = SimpleNamespace(Layers=["sha256:1", "sha256:2"])
    path = asyncio.run(roots.prepare(_container(hostname="web"), image))
    assert path == tmp_path / "roots" / CID
    assert (path / "etc" / "motd").read_text() == "upper\n" and (path / "etc" / "passwd").is_file()
    assert (path / "etc" / "hostname").read_text() == "web\n"
    assert (tmp_path / "l1" / "etc" / "motd").read_text() == "lower\n", "the layers stay untouched"
    asyncio.run(roots.remove(CID))
    assert not path.exists()


def test_the_hostname_defaults_to_the_short_id(tmp_path):
    roots = ContainerRoots(tmp_path / "roots", lambda layer: tmp_path, "ecs")
    path = asyncio.run(roots.prepare(_container(), SimpleNamespace(Layers=[])))
    assert (path / "etc" / "hostname").read_text() == CID[:12] + "\n"


def test_missing_layers_and_unsafe_images_are_refused_and_leave_nothing(tmp_path):
    roots = ContainerRoots(tmp_path / "roots", lambda layer: tmp_path / "nowhere", "ecs")
    with pytest.raises(InvalidParameter, match="not unpacked"):
        asyncio.run(roots.prepare(_container(), SimpleNamespace(Layers=["sha256:1"])))
    bad = tmp_path / "bad"
    bad.mkdir()
    os.symlink("/etc", bad / "etc")
    roots = ContainerRoots(tmp_path / "roots", lambda layer: bad, "ecs")
    with pytest.raises(InvalidParameter, match="/etc is not a directory"):
        asyncio.run(roots.prepare(_container(), SimpleNamespace(Layers=["sha256:1"])))
    assert not (tmp_path / "roots" / CID).exists()
    with pytest.raises(InvalidParameter, match="layers"):
        asyncio.run(ContainerRoots(tmp_path / "r", None, "ecs").prepare(_container(), SimpleNamespace(Layers=[])))


def test_only_roots_of_unknown_containers_are_orphans(tmp_path):
    directory = tmp_path / "roots"
    kept, orphan = "b" * 64, "c" * 64
    for name in (kept, orphan, "not-a-container"):
        (directory / name / "etc").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, directory / ("d" * 64))
    removed = asyncio.run(ContainerRoots(directory, None, "ecs").remove_orphans([kept]))
    assert removed == [orphan]
    assert sorted(p.name for p in directory.iterdir()) == sorted([kept, "d" * 64, "not-a-container"])
    assert outside.is_dir(), "a link is never followed"


def test_a_root_is_only_ever_a_full_container_id(tmp_path):
    with pytest.raises(ValueError):
        ContainerRoots(tmp_path, None, "ecs").path("../../etc")


def test_agent_flags_of_a_root():
    assert HostRoot("/r").flags() == ["--root", "/r", "--workdir", "/"]
    assert HostRoot("/r", "/app", "405:100").flags() == ["--root", "/r", "--workdir", "/app", "--user", "405:100"]
    assert mounts_environment([]) == []
    assert mounts_environment([{"sourceVolume": "v", "containerPath": "/d"}]) == ["SOCKERLESS_AGENT_MOUNTS=from-executor"]
