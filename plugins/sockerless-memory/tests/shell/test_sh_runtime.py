"""Behaviour of the sandbox shell that a differential test cannot show: processes, input
handling, modes of invocation, refusals, speed, and the interactive session."""

from __future__ import annotations

import os
import termios
import threading
import time

from sh_support import Box
from sockerless_memory.sandbox import applets
from sockerless_memory.sandbox.files import TtyFile
from sockerless_memory.sandbox.kernel import Kernel
from sockerless_memory.sandbox.process import ProcessSpec


def test_benchmark_loop_counts(box: Box) -> None:
    # its speed is measured in bench/ (shell_loop), never asserted here: a loaded machine is slow
    result = box.sh("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo $i")
    assert result.out == "20000\n" and result.status == 0


def test_commands_run_as_child_processes(box: Box) -> None:
    result = box.sh('echo $$; sh -c \'echo $PPID; echo $$\'; true')
    shell_pid, child_ppid, child_pid = result.out.split()
    assert child_ppid == shell_pid
    assert child_pid != shell_pid


def test_last_command_of_dash_c_replaces_the_shell(box: Box) -> None:
    shell_pid, child_pid = box.sh('echo $$; sh -c \'echo $$\'').out.split()
    assert child_pid == shell_pid  # busybox execs the final command in place
    shell_pid, child_pid, trap_output = box.sh('trap "echo t" EXIT; echo $$; sh -c \'echo $$\'').out.split()
    assert child_pid != shell_pid and trap_output == "t"  # ... unless the shell still has an EXIT trap to run


def test_login_shell_reads_profile(box: Box) -> None:
    result = box.sandbox.run(["/bin/sh", "-l", "-c", "echo $PATH"], env={"PATH": "/nowhere"})
    assert result.out == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"


def test_pipeline_stages_are_concurrent_and_sigpipe_stops_writers(box: Box) -> None:
    # a writer that SIGPIPE did not stop would run for hours: the test's timeout would fail it
    result = box.sh("seq 1000000000000 | head -2; echo done")
    assert result.out == "1\n2\ndone\n"


def test_read_leaves_the_rest_of_stdin(box: Box) -> None:
    result = box.sh("read a; echo \"first=$a\"; cat", stdin=b"1\n2\n3\n")
    assert result.out == "first=1\n2\n3\n"


def test_script_on_stdin_shares_input_with_its_commands(box: Box) -> None:
    result = box.sandbox.run(["sh"], stdin=b"read x\nhello\necho got $x\n")
    assert result.out == "got hello\n"
    assert result.status == 0


def test_script_file_and_arguments(box: Box) -> None:
    box.clean()
    with open(os.path.join(box.tmp, "s.sh"), "w") as handle:
        handle.write("echo \"$0 $# $1 $2\"\nfoo_missing\nexit 4\n")
    result = box.sandbox.run(["sh", "/tmp/s.sh", "a", "b"])
    assert result.out == "/tmp/s.sh 2 a b\n"
    assert result.err == "/tmp/s.sh: line 2: foo_missing: not found\n"
    assert result.status == 4


def test_dash_s_and_missing_file(box: Box) -> None:
    result = box.sandbox.run(["sh", "-s", "x", "y"], stdin=b"echo $1$2\n")
    assert result.out == "xy\n"
    result = box.sandbox.run(["sh", "/nonexistent.sh"])
    assert result.status == 2
    assert "can't open '/nonexistent.sh'" in result.err


def test_options_on_the_command_line(box: Box) -> None:
    result = box.sandbox.run(["bash", "-eo", "pipefail", "-c", "false | true; echo no"])
    assert result.out == "" and result.status == 1
    result = box.sandbox.run(["sh", "-ex", "-c", "echo a; false; echo b"])
    assert result.out == "a\n" and result.err == "+ echo a\n+ false\n" and result.status == 1
    result = box.sandbox.run(["sh", "-n", "-c", "echo never"])
    assert result.out == "" and result.status == 0
    result = box.sandbox.run(["sh", "-Q"])
    assert result.status == 2 and "illegal option -Q" in result.err


def test_named_c_scripts_report_line_numbers(box: Box) -> None:
    result = box.sandbox.run(["sh", "-c", "true\nnope_cmd", "myname"])
    assert result.err == "myname: line 1: nope_cmd: not found\n"


def test_bash_mode_only_extensions(box: Box) -> None:
    assert box.sh("a=(1 2); echo ${a[1]}", shell="bash").out == "2\n"
    result = box.sh("a=(1 2)")
    assert result.status == 2 and 'unexpected "("' in result.err
    assert box.sh("echo {a,b}").out == "{a,b}\n"
    assert box.sh("echo {a,b}", shell="bash").out == "a b\n"
    assert box.sh("echo $'\\u0041'", shell="bash").out == "A\n"
    assert box.sh("ash -c 'echo $0'").out == "ash\n"


def test_process_substitution(box: Box) -> None:
    script = (
        "cat <(echo a); diff <(echo x) <(echo x) && echo same; paste <(seq 2) <(seq 3 4);"
        " while read l; do echo \"<$l>\"; done < <(printf '1\\n2\\n'); echo out > >(tr a-z A-Z); wait"
    )
    result = box.sh(script, shell="bash")
    assert result.out.splitlines()[:7] == ["a", "same", "1\t3", "2\t4", "<1>", "<2>", "OUT"], result
    assert box.sh("cat <(echo hi)").status == 2  # not in sh


def test_refusals_are_clear(box: Box) -> None:
    result = box.sh("shopt -s extglob; echo $?", shell="bash")
    assert "extglob: not supported" in result.err and result.out == "1\n"
    result = box.sh("ulimit -n 10; echo $?")
    assert "not supported" in result.err and result.out == "1\n"
    assert box.sh("ulimit -n").out.strip().isdigit()
    result = box.sh("fg")
    assert result.status == 2
    result = box.sh("declare -n ref=x; echo $?", shell="bash")
    assert "name references are not supported" in result.err and result.out == "2\n"
    result = box.sh("trap 'echo d' DEBUG; echo $?", shell="bash")
    assert "not supported" in result.err and result.out == "1\n"


def test_deep_function_recursion(box: Box) -> None:
    result = box.sh("f() { if [ $1 -gt 0 ]; then f $(($1 - 1)); else echo bottom; fi; }; f 150")
    assert result.out == "bottom\n", result.err


def test_read_timeout_and_count(box: Box) -> None:
    result = box.sh("{ sleep 1; echo late; } | { read -t 0.2 x; echo \"rc=$? [$x]\"; }")
    assert result.out == "rc=1 []\n"  # a read that waited would have got "late" with status 0
    assert box.sh("read -t 1 x <<EOF\nquick\nEOF\necho $? $x").out == "0 quick\n"
    assert box.sh("printf 'abcdef' | { read -n 2 a; read -n 2 b; echo $a-$b; }").out == "ab-cd\n"
    assert box.sh("printf 'a:b:c' | { read -d : x; echo $x; }", shell="bash").out == "a\n"
    assert box.sh("read -s -r x <<EOF\nsecret\\\\n\nEOF\necho $x").out == "secret\\n\n"


def test_wait_is_interrupted_by_a_trapped_signal(box: Box) -> None:
    result = box.sh("trap 'echo usr1' USR1; sleep 5 & p=$!; (sleep 0.2; kill -USR1 $$) & wait $p; echo rc=$?; kill $p")
    assert result.out == "usr1\nrc=138\n"  # an uninterrupted wait would end with the sleep's status 0


def test_exec_redirections_persist_and_exec_replaces(box: Box) -> None:
    result = box.sh("exec 3>/tmp/f; echo a >&3; echo b >&3; exec 3>&-; cat /tmp/f")
    assert result.out == "a\nb\n"
    result = box.sh("trap 'echo exit-trap' EXIT; exec sh -c 'echo replaced; exit 6'; echo no")
    assert result.out == "replaced\n" and result.status == 6


def test_xtrace_uses_ps4(box: Box) -> None:
    result = box.sh("PS4='[$LINENO] '; set -x; echo hi")
    assert result.err == "[0] echo hi\n"


def test_command_substitution_output_is_captured_not_printed(box: Box) -> None:
    result = box.sh("x=$(echo inner; echo err >&2); echo \"[$x]\"")
    assert result.out == "[inner]\n" and result.err == "err\n"


def test_many_command_substitutions_add_up(box: Box) -> None:
    result = box.sh("i=0; s=0; while [ $i -lt 300 ]; do s=$(( s + $(echo 1) )); i=$((i+1)); done; echo $s")
    assert result.out == "300\n"


def test_background_job_is_a_separate_process(box: Box) -> None:
    result = box.sh("sh -c 'echo $PPID $$' >job.out & echo $!; wait; cat job.out; echo $$")
    job_pid, child_parent, child_pid, shell_pid = result.out.split()
    assert child_pid == job_pid  # the job's subshell runs the program in place
    assert child_parent == shell_pid
    assert job_pid != shell_pid


class Terminal:
    """An interactive shell on a host pseudo-terminal."""

    def __init__(self, box: Box, argv: list[str]) -> None:
        self.kernel = Kernel(box.sandbox.fs)
        self.master, slave = os.openpty()
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        tty = TtyFile(slave)
        env = {"PATH": "/usr/bin:/bin", "HOME": "/root"}
        sh = applets.get(argv[0])
        assert sh is not None
        self.proc = self.kernel.spawn(ProcessSpec(argv, env), (tty, tty.acquire(), tty.acquire()), lambda p: sh(p, argv))
        self.output = b""
        self._lock = threading.Lock()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.output += data

    def send(self, data: bytes, settle: float = 0.15) -> None:
        os.write(self.master, data)
        time.sleep(settle)

    def text(self) -> str:
        with self._lock:
            return self.output.decode().replace("\r\n", "\n")

    def exit_code(self) -> int:
        """Wait for the shell to end; its exit code."""
        assert self.proc._done.wait(5)
        assert self.proc.status is not None
        return self.proc.status.code

    def close(self) -> None:
        os.close(self.master)

    def __enter__(self) -> Terminal:
        time.sleep(0.2)  # the shell's first prompt
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def test_interactive_session(box: Box) -> None:
    with Terminal(box, ["sh"]) as term:
        term.send(b"echo hello\n")
        term.send(b"if true\nthen echo multi\nfi\n")
        term.send(b"cd /etc\n")
        term.send(b"nope_cmd\n")
        term.send(b"if then\n")
        term.send(b"echo $?\n")
        term.send(b"exit 3\n")
        assert term.exit_code() == 3
        time.sleep(0.1)
        assert term.text() == (
            "/ # hello\n/ # > > multi\n/ # /etc # sh: nope_cmd: not found\n"
            '/etc # sh: syntax error: unexpected "then"\n/etc # 2\n/etc # '
        )


def test_interactive_eof_and_prompt_escapes(box: Box) -> None:
    with Terminal(box, ["sh"]) as term:
        term.send(b"PS1='\\u@\\h:\\w\\$ '\n")
        term.send(b"false\n")
        term.send(b"\x04")
        assert term.exit_code() == 1
        time.sleep(0.1)
        assert term.text() == "/ # root@localhost:/# root@localhost:/# "


def test_interactive_interrupt_abandons_the_line(box: Box) -> None:
    with Terminal(box, ["sh"]) as term:
        term.send(b"sleep 5; echo not-printed\n", settle=0.3)
        term.kernel.kill_group(term.proc.pgid, 2)
        time.sleep(0.3)
        term.send(b"echo status=$?\n")
        term.send(b"trap 'echo trapped' INT\n")
        term.kernel.kill_group(term.proc.pgid, 2)
        time.sleep(0.3)
        term.send(b"exit\n")
        term.exit_code()
        text = term.text()
        assert "not-printed" not in text
        assert "status=130" in text
        assert "trapped" in text


def test_wait_dash_n_returns_the_first_finished_job(box: Box) -> None:
    result = box.sh("(sleep 0.5; exit 3) & (exit 4) & wait -n; echo $?; wait", shell="bash")
    assert result.out == "4\n"
