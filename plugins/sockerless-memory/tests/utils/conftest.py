"""Fixtures of the utility tests: a reference tree for busybox and the same tree inside a sandbox."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

# the helper module sits next to the tests (pytest runs with --import-mode=importlib)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sockerless_memory.sandbox.harness import Sandbox
from util_support import BUSYBOX, populate


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The fixture tree on the host, where busybox runs (read-only cases)."""
    assert BUSYBOX, "the differential tests need busybox (Debian: apt-get install busybox-static)"
    root = str(tmp_path_factory.mktemp("busybox-ref"))
    populate(root)
    return root


def _populated_sandbox() -> Iterator[Sandbox]:
    with Sandbox() as box:
        os.makedirs(os.path.join(box.root, "w"))
        populate(os.path.join(box.root, "w"))
        yield box


@pytest.fixture(scope="session")
def shared_box() -> Iterator[Sandbox]:
    """One sandbox with the fixture tree at /w (read-only cases)."""
    yield from _populated_sandbox()


@pytest.fixture
def box() -> Iterator[Sandbox]:
    """A fresh sandbox with the fixture tree at /w."""
    yield from _populated_sandbox()


@pytest.fixture
def outside(tmp_path) -> str:
    """A host directory that must stay untouched."""
    path = tmp_path / "outside"
    path.mkdir()
    (path / "secret").write_bytes(b"host secret\n")
    (path / "sub").mkdir()
    (path / "sub" / "deep").write_bytes(b"deep\n")
    return str(path)


@pytest.fixture
def jailed(outside: str) -> Iterator[Sandbox]:
    """A sandbox whose /w holds links aimed at ``outside`` (absolute and relative)."""
    with Sandbox() as box:
        work = os.path.join(box.root, "w")
        os.makedirs(work)
        populate(work)
        os.symlink(outside, os.path.join(work, "abs"))
        climb = os.path.relpath(outside, work)  # ../../.. enough to leave the root on the host
        os.symlink(climb, os.path.join(work, "rel"))
        os.symlink(outside + "/secret", os.path.join(work, "abs_file"))
        yield box
