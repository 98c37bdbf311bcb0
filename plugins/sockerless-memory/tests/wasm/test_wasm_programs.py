"""WASI programs in the sandbox: arguments, environment, streams, pipes with our shell, exit codes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sockerless_memory.sandbox.files import TtyFile
from sockerless_memory.sandbox.harness import Sandbox
from wasm_support import Started, install


@pytest.fixture
def box(wtool: bytes):
    with Sandbox() as sandbox:
        install(sandbox, wtool)
        yield sandbox


def test_hello_and_argv(box: Sandbox) -> None:
    assert box.run(["wtool"]).out == "hello from wasm\n"
    result = box.run(["wtool", "args", "a b", "", "ünï"])
    assert result.out == "[wtool]\n[args]\n[a b]\n[]\n[ünï]\n"
    assert result.status == 0


def test_argv0_as_invoked_by_the_shell(box: Sandbox) -> None:
    assert box.sh("/bin/wtool args x").out == "[/bin/wtool]\n[args]\n[x]\n"


def test_environment(box: Sandbox) -> None:
    result = box.sh("export GREETING='hi there'; wtool env GREETING HOME NOPE")
    assert result.out == "GREETING=hi there\nHOME=/root\nNOPE=(unset)\n"


def test_exit_codes_and_stderr(box: Sandbox) -> None:
    result = box.run(["wtool", "exit", "42"])
    assert (result.status, result.out, result.err) == (42, "", "exiting\n")
    assert box.sh("wtool exit 3; echo status=$?").out == "status=3\n"
    assert box.sh("wtool exit 0 && echo ok").out == "ok\n"
    assert box.run(["wtool", "bogus"]).status == 2


def test_trap_ends_like_an_abort(box: Sandbox) -> None:
    result = box.run(["wtool", "trap"])
    assert result.status == 134
    assert "wasm trap" in result.err


def test_stdin_stdout_in_pipelines_with_the_shell(box: Sandbox) -> None:
    result = box.sh("printf 'b\\na\\nc\\n' | wtool upper | sort -r | wtool cat")
    assert result.out == "C\nB\nA\n"
    big = box.sh("seq 1 60000 | wtool cat | tail -n 1; seq 1 60000 | wtool cat | wc -l")
    assert big.out.split() == ["60000", "60000"]
    assert box.run(["wtool", "cat"], stdin=b"given on stdin\n").out == "given on stdin\n"


def test_sigpipe_ends_a_writer_whose_reader_is_gone(box: Sandbox) -> None:
    assert box.sh("seq 1 200000 > /tmp/lines; wtool cat /tmp/lines | head -n 1", timeout=60).out == "1\n"
    status = box.sh("set -o pipefail; wtool cat /tmp/lines | head -n 1 >/dev/null; echo $?", timeout=60)
    assert status.out == "141\n"


def test_terminals_and_devices(box: Sandbox) -> None:
    assert box.run(["wtool", "isatty"]).out == "000\n"
    assert box.sh("wtool isatty < /dev/null").out == "000\n"
    master, slave = os.openpty()
    try:
        tty = TtyFile(slave)
        started = Started(box, ["wtool", "isatty"], stdin=tty)
        assert started.result().out == "100\n"
    finally:
        os.close(master)


def test_redirections(box: Sandbox) -> None:
    result = box.sh("wtool args x > /tmp/out; wtool cat < /tmp/out; wtool exit 1 2>/dev/null; wtool exit 5 2>&1 | cat")
    assert result.out == "[wtool]\n[args]\n[x]\nexiting\n"


def test_output_streams_while_the_program_runs(box: Sandbox) -> None:
    started = Started(box, ["wtool", "sleep", "60"])
    started.wait_output(b"sleeping\n")  # flushed by the guest: visible before it ends
    started.kernel.signal_all(9)
    assert started.result().status == 137


def test_a_module_is_found_through_path_and_needs_an_execute_bit(box: Sandbox, wtool: bytes) -> None:
    box.fs.write_bytes("/usr/local/bin/tool2", wtool, mode=0o644)
    assert box.sh("tool2; echo $?").out == "127\n"  # PATH search skips files that cannot run
    assert box.sh("/usr/local/bin/tool2; echo $?").out == "126\n"
    box.fs.chmod("/usr/local/bin/tool2", 0o755)
    assert box.sh("tool2").out == "hello from wasm\n"


def test_an_invalid_module_is_refused_clearly(box: Sandbox) -> None:
    box.fs.write_bytes("/bin/broken", b"\0asm\x01\0\0\0garbage", mode=0o755)
    result = box.sh("broken; echo status=$?")
    assert "invalid WebAssembly module" in result.err
    assert result.out == "status=126\n"


def test_clock(box: Sandbox) -> None:
    import time

    assert abs(int(box.run(["wtool", "clock"]).out) - time.time()) < 5


def test_cwd_is_the_root_of_the_wasi_guest(box: Sandbox) -> None:
    # WASI preview1 has no initial working directory: wasi-libc starts every program in "/"
    box.fs.makedirs("/work")
    assert box.run(["wtool", "cwd"], cwd="/work").out == "/\n"


def test_module_cache_on_disk(tmp_path: Path, wtool: bytes) -> None:
    from sockerless_memory.wasm.engine import WasmRuntime

    first = WasmRuntime(tmp_path)
    assert not first.cached_on_disk(wtool)
    first.module(wtool)
    assert first.cached_on_disk(wtool)
    artifacts = list(tmp_path.glob("*.cwasm"))
    assert len(artifacts) == 1 and first.fingerprint in artifacts[0].name
    second = WasmRuntime(tmp_path)
    assert second._load(artifacts[0].name.split("-")[0]) is not None  # loaded, not compiled
    second.fingerprint = "0" * 16  # another engine configuration: the artifact does not apply
    assert not second.cached_on_disk(wtool)


def test_a_changed_module_file_is_compiled_again(box: Sandbox, wtool: bytes, wasm_dir: Path) -> None:
    from sockerless_memory.wasm.engine import runtime

    rt = runtime()
    first = rt.module_at(box.fs, "/bin/wtool")
    assert rt.module_at(box.fs, "/bin/wtool") is first  # the same file: neither read nor compiled again
    box.fs.write_bytes("/bin/wtool", (wasm_dir / "hello.wasm").read_bytes(), mode=0o755)
    assert rt.module_at(box.fs, "/bin/wtool") is not first
    assert box.run(["wtool"]).out == "hello, world\n"


def test_concurrent_guests_keep_their_own_exit_status(box: Sandbox) -> None:
    # wasmtime-py hands a host function's exception to whichever thread traps next: each guest
    # must take its status from its own record, never from that shared slot
    started = [Started(box, ["wtool", "exit" if n % 3 else "trap", str(n)]) for n in range(1, 25)]
    statuses = [s.result(timeout=60).status for s in started]
    assert statuses == [n if n % 3 else 134 for n in range(1, 25)]
