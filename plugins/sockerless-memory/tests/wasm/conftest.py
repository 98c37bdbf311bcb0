"""Fixtures of the WebAssembly tests: C programs compiled for wasm32-wasi at session start."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "sandbox"))  # layer_support

from wasm_build import build_fixtures  # noqa: E402


@pytest.fixture(scope="session")
def wasm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with every fixture program compiled (``NAME.wasm`` per ``fixtures/NAME.c``)."""
    return build_fixtures(tmp_path_factory.mktemp("wasm-fixtures"))


@pytest.fixture(scope="session")
def wtool(wasm_dir: Path) -> bytes:
    """The bytes of the ``wtool`` test program."""
    return (wasm_dir / "wtool.wasm").read_bytes()
