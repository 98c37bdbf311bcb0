"""WebAssembly start and run latency on the memory backend (dockerd has no WASM runtime to compare with).

The module is the test suite's ``wtool`` C program, compiled once per bench run with Debian's
clang for wasm32-wasi and bind-mounted read-only into ``alpine`` containers.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .engines import Engine
from .proc import BenchError

SOURCE = Path(__file__).resolve().parents[2] / "plugins" / "sockerless-memory" / "tests" / "wasm" / "fixtures" / "wtool.c"


@functools.cache
def module_dir() -> Path:
    """A directory holding ``wtool.wasm`` (compiled on first use)."""
    clang = shutil.which("clang")
    if clang is None:
        raise BenchError("clang is not installed (needs clang, lld, wasi-libc, libclang-rt-14-dev-wasm32)")
    out = Path(tempfile.mkdtemp(prefix="slbench-wasm-"))
    atexit.register(shutil.rmtree, out, True)
    result = subprocess.run([clang, "--target=wasm32-wasi", "-O2", "-Wl,--strip-all", "-o", str(out / "wtool.wasm"),
                             str(SOURCE)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise BenchError(f"compiling {SOURCE.name} for wasm32-wasi failed: {result.stderr.strip()[-300:]}")
    return out


def _require_wasm(engine: Engine) -> list[str]:
    if engine.name != "sockerless":
        raise BenchError("dockerd has no WebAssembly runtime here (no containerd wasm shim): Sockerless only")
    return ["-v", f"{module_dir()}:/w:ro"]


def case_wasm_run(engine: Engine, settings: Any) -> dict[str, Any]:
    """``docker run --rm alpine /w/wtool.wasm``: container start plus a cached module's run."""
    from .cases import sample_cli

    return sample_cli(engine, ["run", "--rm", *_require_wasm(engine), "alpine", "/w/wtool.wasm"], settings,
                      keep_output=True)


def case_wasm_exec(engine: Engine, settings: Any) -> dict[str, Any]:
    """``docker exec <running> /w/wtool.wasm``: one module run in a running container."""
    from .cases import sample_cli

    mount = _require_wasm(engine)
    cid = engine.docker("run", "-d", *mount, "alpine", "sleep", "86400").stdout.decode().strip()
    try:
        return sample_cli(engine, ["exec", cid, "/w/wtool.wasm"], settings, keep_output=True)
    finally:
        engine.docker("rm", "-f", cid, check=False)
