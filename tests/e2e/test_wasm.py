"""WebAssembly programs in memory-backend containers, driven by the real Docker CLI.

The programs are C, compiled for wasm32-wasi at session start (see
``plugins/sockerless-memory/tests/wasm/fixtures``). They reach the containers through a
bind mount, or as the module of an imported ``wasi/wasm`` image.
"""

from __future__ import annotations

import io
import sys
import tarfile
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins" / "sockerless-memory" / "tests" / "wasm"))

from wasm_build import build_fixtures


@pytest.fixture(scope="module")
def wasm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixtures(tmp_path_factory.mktemp("wasm-e2e"))


def _run(docker, wasm_dir: Path, *args: str, input: bytes | None = None, options: tuple[str, ...] = ()):
    return docker("run", "--rm", *(("-i",) if input is not None else ()), *options, "-v", f"{wasm_dir}:/w:ro",
                  "alpine", *args, input=input)


def test_run_with_argv_env_and_exit_code(daemon, docker, wasm_dir: Path) -> None:
    result = _run(docker, wasm_dir, "/w/wtool.wasm", "args", "one", "two words")
    assert result.returncode == 0, result.stderr
    cache = daemon.data_root / "backends" / "memory" / "wasm-cache"
    assert list(cache.glob("*.cwasm")), f"no compiled module cached in {cache}"
    assert result.stdout == b"[/w/wtool.wasm]\n[args]\n[one]\n[two words]\n"
    env = _run(docker, wasm_dir, "/w/wtool.wasm", "env", "GREETING", options=("-e", "GREETING=hello"))
    assert env.stdout == b"GREETING=hello\n"
    failed = _run(docker, wasm_dir, "/w/wtool.wasm", "exit", "7")
    assert (failed.returncode, failed.stderr) == (7, b"exiting\n")


def test_stdin_streams_through_a_pipeline_of_the_shell(docker, wasm_dir: Path) -> None:
    lines = b"".join(b"line %d\n" % i for i in range(20000))
    result = _run(docker, wasm_dir, "sh", "-c", "/w/wtool.wasm upper | /w/wtool.wasm cat | tail -n 2", input=lines)
    assert result.stdout == b"LINE 19998\nLINE 19999\n", result.stderr


def test_memory_limit(docker, wasm_dir: Path) -> None:
    result = _run(docker, wasm_dir, "/w/wtool.wasm", "alloc", "128", options=("--memory", "48m"))
    assert result.returncode == 12
    assert b"out of memory after" in result.stderr


@pytest.mark.parametrize("mode", [("spin",), ("sleep", "1000"), ("cat",)])
def test_stop_and_kill_end_a_busy_sleeping_or_blocked_guest(docker, wasm_dir: Path, mode: tuple[str, ...]) -> None:
    name = f"wasm-{uuid.uuid4().hex[:10]}"
    docker("run", "-d", "-i", "--name", name, "-v", f"{wasm_dir}:/w:ro", "alpine", "/w/wtool.wasm", *mode, check=True)
    try:
        deadline = time.monotonic() + 20
        while docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() != b"true":
            assert time.monotonic() < deadline, "the container did not start"
            time.sleep(0.1)
        exec_result = docker("exec", name, "/w/wtool.wasm", "env", "HOSTNAME")
        assert exec_result.returncode == 0 and exec_result.stdout.startswith(b"HOSTNAME="), exec_result.stderr
        stopped = docker("stop", "-t", "1", name, timeout=30)
        assert stopped.returncode == 0, stopped.stderr
        assert docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == b"137"
        docker("start", name, check=True)
        docker("kill", name, check=True)
        docker("wait", name, timeout=30)
        assert docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == b"137"
    finally:
        docker("rm", "-f", name)


def _image_tar(module: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("app/hello.wasm")
        info.size, info.mode = len(module), 0o644  # no execute bit: a wasi/wasm image runs it anyway
        tar.addfile(info, io.BytesIO(module))
    return buf.getvalue()


def test_wasi_wasm_image_runs_its_module_as_the_entrypoint(docker, wasm_dir: Path) -> None:
    tag = f"wasm-e2e-{uuid.uuid4().hex[:8]}:latest"
    imported = docker("import", "--platform", "wasi/wasm", "-c", 'ENTRYPOINT ["/app/hello.wasm"]', "-c",
                      'CMD ["args", "from-cmd"]', "-", tag, input=_image_tar((wasm_dir / "wtool.wasm").read_bytes()))
    assert imported.returncode == 0, imported.stderr
    try:
        platform = docker("image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", tag).stdout.strip()
        assert platform == b"wasi/wasm"
        result = docker("run", "--rm", tag)
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"[/app/hello.wasm]\n[args]\n[from-cmd]\n"
        overridden = docker("run", "--rm", tag, "exit", "5")
        assert overridden.returncode == 5
        missing = docker("run", "--rm", "--entrypoint", "/nope.wasm", tag)
        assert missing.returncode != 0 and b"no such file or directory" in missing.stderr
        name = f"wasm-{uuid.uuid4().hex[:10]}"
        docker("run", "-d", "--name", name, tag, "sleep", "1000", check=True)
        try:
            executed = docker("exec", name, "/app/hello.wasm", "args", "in-exec")
            assert executed.stdout == b"[/app/hello.wasm]\n[args]\n[in-exec]\n", executed.stderr
            not_wasm = docker("exec", name, "/app")
            assert not_wasm.returncode == 126 and b"runs WebAssembly modules only" in not_wasm.stderr, not_wasm.stderr
        finally:
            docker("rm", "-f", name)
    finally:
        docker("rmi", "-f", tag)
