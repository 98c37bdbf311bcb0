"""Fixtures of the WebAssembly tests: C programs compiled for wasm32-wasi at session start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

FIXTURES = Path(__file__).parent / "fixtures"


def compile_wasi(source: Path, output: Path) -> Path:
    """``clang --target=wasm32-wasi -O2`` (Debian's clang, lld and wasi-libc: see .ci/install-deps)."""
    clang = shutil.which("clang")
    if clang is None:
        pytest.fail("clang is not installed: the WebAssembly fixtures need clang, lld, wasi-libc and "
                    "libclang-rt-14-dev-wasm32 (.ci/install-deps installs them)")
    result = subprocess.run([clang, "--target=wasm32-wasi", "-O2", "-Wall", "-Wl,--strip-all", "-o", str(output),
                             str(source)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"compiling {source.name} for wasm32-wasi failed:\n{result.stderr}")
    return output


@pytest.fixture(scope="session")
def wasm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with every fixture program compiled (``NAME.wasm`` per ``fixtures/NAME.c``)."""
    out = tmp_path_factory.mktemp("wasm-fixtures")
    for source in sorted(FIXTURES.glob("*.c")):
        compile_wasi(source, out / f"{source.stem}.wasm")
    return out


@pytest.fixture(scope="session")
def wtool(wasm_dir: Path) -> bytes:
    """The bytes of the ``wtool`` test program."""
    return (wasm_dir / "wtool.wasm").read_bytes()
