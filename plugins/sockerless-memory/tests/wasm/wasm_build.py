"""Compiling the C test programs of ``fixtures/`` for wasm32-wasi (also used by the end-to-end suite)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

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


def build_fixtures(out: Path) -> Path:
    """Compile every ``fixtures/NAME.c`` to ``out/NAME.wasm``; returns ``out``."""
    for source in sorted(FIXTURES.glob("*.c")):
        compile_wasi(source, out / f"{source.stem}.wasm")
    return out
