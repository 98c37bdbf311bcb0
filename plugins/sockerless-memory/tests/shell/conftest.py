"""Fixtures of the shell tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

# the helper modules sit next to the tests (pytest runs with --import-mode=importlib)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sh_support import Box
from sockerless_memory.sandbox.harness import Sandbox


@pytest.fixture(scope="module")
def box() -> Iterator[Box]:
    """A sandbox shared by the tests of a module, its /tmp emptied before each script."""
    with Sandbox() as sandbox:
        yield Box(sandbox)
