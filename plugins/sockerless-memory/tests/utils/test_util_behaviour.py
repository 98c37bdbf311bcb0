"""Behaviour that the differential suite cannot check: extensions over Debian's busybox build,
applets it lacks, processes and signals, time, and round trips of archives."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import time

import pytest
from sockerless_memory.sandbox.files import BytesInput, CaptureOutput
from sockerless_memory.sandbox.harness import Sandbox
from sockerless_memory.sandbox.kernel import Kernel
from sockerless_memory.sandbox.process import ProcessSpec
from sockerless_memory.sandbox.signals import SIGTERM
from util_support import run_ours


def ours(box: Sandbox, *argv: str, stdin: bytes = b"", cwd: str = "/w"):
    return run_ours(box, list(argv), cwd=cwd, stdin=stdin)


def read(box: Sandbox, path: str) -> bytes:
    with open(os.path.join(box.root, path.lstrip("/")), "rb") as handle:
        return handle.read()


# -- text ------------------------------------------------------------------------------

def test_cat_squeezes_blank_lines(box: Sandbox) -> None:
    assert ours(box, "cat", "-s", stdin=b"a\n\n\n\nb\n\n").stdout == b"a\n\nb\n\n"


def test_paste_uneven_files_as_busybox(box: Sandbox) -> None:
    """busybox drops an ended file together with the delimiter after it (GNU keeps empty columns)."""
    box.fs.write_bytes("/w/p3", b"1\n2\n3\n")
    box.fs.write_bytes("/w/p1", b"a\n")
    assert ours(box, "paste", "p3", "p1").stdout == b"1\ta\n2\t3\t"
    assert ours(box, "paste", "p1", "p3").stdout == b"a\t1\n2\n3\n"


def test_comm_columns(box: Sandbox) -> None:
    box.fs.write_bytes("/w/l", b"a\nc\nd\n")
    box.fs.write_bytes("/w/r", b"b\nc\ne\n")
    assert ours(box, "comm", "l", "r").stdout == b"a\n\tb\n\t\tc\nd\n\te\n"
    assert ours(box, "comm", "-12", "l", "r").stdout == b"c\n"
    assert ours(box, "comm", "-3", "l", "r").stdout == b"a\n\tb\nd\n\te\n"


def test_sort_human_and_general(box: Sandbox) -> None:
    assert ours(box, "sort", "-h", stdin=b"1G\n10K\n3\n2M\n").stdout == b"3\n10K\n2M\n1G\n"
    assert ours(box, "sort", "-o", "b.txt", "b.txt").status == 0
    assert read(box, "/w/b.txt") == b"1\n1\n10\n2\n3\n"


def test_uniq_output_file(box: Sandbox) -> None:
    assert ours(box, "uniq", "dup", "out").status == 0
    assert read(box, "/w/out") == b"a\nb\nc\nA\n"


def test_split_names_and_sizes(box: Sandbox) -> None:
    assert ours(box, "split", "-l", "2", "n5").status == 0
    assert [read(box, f"/w/x{s}") for s in ("aa", "ab", "ac")] == [b"1\n2\n", b"3\n4\n", b"5\n"]
    assert ours(box, "split", "-b", "3", "-d", "-a", "3", "a.txt", "p.").status == 0
    assert read(box, "/w/p.000") == b"hel" and read(box, "/w/p.001") == b"lo "


# -- sed extensions and in-place -------------------------------------------------------

@pytest.mark.parametrize(
    ("script", "output"),
    [
        ("2Q", b"1\n"),
        ("3q5", b"1\n2\n3\n"),
        ("1~2d", b"2\n4\n"),
        ("0,/1/d", b"2\n3\n4\n5\n"),
        ("2,~4d", b"1\n5\n"),
        ("/2/,+1s/$/!/", b"1\n2!\n3!\n4\n5\n"),
        ("$!{h;d};x;G", b"4\n5\n"),
        ("/3/I,$d", b"1\n2\n"),
        ("2{N;N;D}", b"1\n3\n4\n5\n"),
        ("s/^/>/;T;s/$/</", b">1<\n>2<\n>3<\n>4<\n>5<\n"),
        ("2z", b"1\n\n3\n4\n5\n"),
    ],
)
def test_sed_gnu_extensions(box: Sandbox, script: str, output: bytes) -> None:
    result = ours(box, "sed", script, "n5")
    assert result.stdout == output, result.stderr
    if script == "3q5":
        assert result.status == 5


def test_sed_l_command(box: Sandbox) -> None:
    assert ours(box, "sed", "-n", "l", stdin=b"a\tb\x01\\\n").stdout == b"a\\tb\\001\\\\$\n"
    assert ours(box, "sed", "-n", "l 5", stdin=b"abcdefgh\n").stdout == b"abcd\\\nefgh$\n"


def test_sed_separate_and_in_place(box: Sandbox) -> None:
    assert ours(box, "sed", "-s", "-n", "$p", "n3", "n5").stdout == b"3\n5\n"
    assert ours(box, "sed", "-i.orig", "s/1/one/", "n3").status == 0
    assert read(box, "/w/n3") == b"one\n2\n3\n" and read(box, "/w/n3.orig") == b"1\n2\n3\n"
    mode = os.stat(os.path.join(box.root, "w/nonl")).st_mode & 0o777
    assert ours(box, "sed", "-i", "s/no/NO/", "nonl").status == 0
    assert read(box, "/w/nonl") == b"NO newline"
    assert os.stat(os.path.join(box.root, "w/nonl")).st_mode & 0o777 == mode


def test_sed_w_file_and_r(box: Sandbox) -> None:
    assert ours(box, "sed", "-n", "/a/w picked", "g").status == 0
    assert read(box, "/w/picked") == b"a1\na3\na6\n"
    assert ours(box, "sed", "1r nonl", "n3").stdout == b"1\nno newline\n2\n3\n"


# -- files -----------------------------------------------------------------------------

def test_rm_interactive_reads_answers(box: Sandbox) -> None:
    result = ours(box, "rm", "-i", "a.txt", "b.txt", stdin=b"y\nn\n")
    assert result.stderr == b"rm: remove 'a.txt'? rm: remove 'b.txt'? "
    assert not os.path.exists(os.path.join(box.root, "w/a.txt"))
    assert os.path.exists(os.path.join(box.root, "w/b.txt"))


def test_mv_across_mounts_copies_then_removes(tmp_path) -> None:
    from sockerless_memory.sandbox.fs import Mount

    volume = tmp_path / "vol"
    volume.mkdir()
    with Sandbox(mounts=[Mount("/vol", str(volume))]) as box:
        box.fs.makedirs("/w/tree/sub")
        box.fs.write_bytes("/w/tree/sub/f", b"data")
        box.fs.symlink("sub/f", "/w/tree/link")
        result = ours(box, "mv", "tree", "/vol/")
        assert result.status == 0, result.stderr
        assert (volume / "tree" / "sub" / "f").read_bytes() == b"data"
        assert os.readlink(volume / "tree" / "link") == "sub/f"
        assert not box.fs.exists("/w/tree")


def test_touch_dates(box: Sandbox) -> None:
    assert ours(box, "touch", "-d", "2020-01-02 03:04:05", "a.txt").status == 0
    assert os.stat(os.path.join(box.root, "w/a.txt")).st_mtime == 1577934245
    assert ours(box, "touch", "-t", "202001020304.06", "b.txt").status == 0
    assert os.stat(os.path.join(box.root, "w/b.txt")).st_mtime == 1577934246
    assert ours(box, "touch", "-r", "a.txt", "-m", "n3").status == 0
    assert os.stat(os.path.join(box.root, "w/n3")).st_mtime == 1577934245


def test_mktemp(box: Sandbox) -> None:
    made = ours(box, "mktemp").stdout.strip().decode()
    assert made.startswith("/tmp/tmp.") and box.fs.exists(made)
    made = ours(box, "mktemp", "-d", "-p", "/w", "dirXXXXXX").stdout.strip().decode()
    assert made.startswith("/w/dir") and box.fs.is_dir(made)
    name = ours(box, "mktemp", "-u").stdout.strip().decode()
    assert not box.fs.exists(name)


def test_stat_default_format(box: Sandbox) -> None:
    text = ours(box, "stat", "a.txt").stdout.decode()
    assert text.startswith("  File: a.txt\n  Size: 47        \tBlocks: ")
    assert "Access: (0644/-rw-r--r--)  Uid: (    0/    root)   Gid: (    0/    root)" in text
    assert "Modify: 2024-01-02 03:04:05.000000000 +0000" in text
    assert ours(box, "stat", "-c", "%N", "la").stdout == b"'la' -> 'a.txt'\n"


def test_df_and_du_report_real_figures(box: Sandbox) -> None:
    lines = ours(box, "df").stdout.decode().splitlines()
    assert lines[0].split() == ["Filesystem", "1K-blocks", "Used", "Available", "Use%", "Mounted", "on"]
    total = int(lines[1].split()[1])
    assert total == os.statvfs(box.root).f_blocks * os.statvfs(box.root).f_frsize // 1024
    assert ours(box, "du", "-sk", "d").stdout.split(b"\t")[1] == b"d\n"


def test_ls_columns_on_a_terminal_width(box: Sandbox) -> None:
    out = ours(box, "ls", "-C", "-w", "20", "d").stdout
    assert out == b"sub  x\n"


# -- archives --------------------------------------------------------------------------

def test_gzip_round_trip_and_errors(box: Sandbox) -> None:
    assert ours(box, "gzip", "a.txt").status == 0
    assert gzip.decompress(read(box, "/w/a.txt.gz")).startswith(b"hello world\n")
    assert not box.fs.exists("/w/a.txt")
    assert ours(box, "gunzip", "a.txt.gz").status == 0
    assert read(box, "/w/a.txt").startswith(b"hello world\n")
    assert ours(box, "gzip", "-c", "n3").stdout[:2] == b"\x1f\x8b"
    assert ours(box, "zcat", stdin=gzip.compress(b"one") + gzip.compress(b"two")).stdout == b"onetwo"
    result = ours(box, "gunzip", "-c", stdin=b"not gzip")
    assert (result.status, result.stderr) == (1, b"gunzip: invalid magic\n")
    assert ours(box, "gunzip", "nonl").stderr == b"gunzip: nonl: unknown suffix - ignored\n"


def test_tar_round_trip_with_compression(box: Sandbox) -> None:
    assert ours(box, "tar", "-czf", "t.tgz", "d", "la", "a.txt").status == 0
    with tarfile.open(os.path.join(box.root, "w/t.tgz")) as archive:
        names = sorted(archive.getnames())
    assert names == ["a.txt", "d", "d/sub", "d/sub/y", "d/x", "la"]
    box.fs.makedirs("/w/out")
    assert ours(box, "tar", "xzf", "t.tgz", "-C", "out").status == 0
    assert read(box, "/w/out/d/sub/y") == b"y\n"
    assert box.fs.readlink("/w/out/la") == "a.txt"
    assert os.stat(os.path.join(box.root, "w/out/a.txt")).st_mtime == 1704164645
    listing = ours(box, "tar", "-tvzf", "t.tgz").stdout.decode()
    assert "lrwxrwxrwx root/root         0 2024-01-02 03:04:05 la -> a.txt" in listing
    assert ours(box, "tar", "-xOzf", "t.tgz", "d/x").stdout == b"x\n"


def test_tar_stdin_stdout_and_excludes(box: Sandbox) -> None:
    created = ours(box, "tar", "-cvf", "-", "--exclude", "y", "d")
    assert created.stderr == b"d/\nd/sub/\nd/x\n" or sorted(created.stderr.split()) == [b"d/", b"d/sub/", b"d/x"]
    with tarfile.open(fileobj=io.BytesIO(created.stdout)) as archive:
        assert "d/sub/y" not in archive.getnames()
    assert ours(box, "tar", "-tf", "-", stdin=created.stdout).status == 0
    assert ours(box, "tar", "-x", "--strip-components=1", "-f", "-", stdin=created.stdout).status == 0
    assert read(box, "/w/x") == b"x\n"


# -- processes and signals -------------------------------------------------------------

def test_timeout_exit_statuses(box: Sandbox) -> None:
    """Busybox's timeout ends as its program does: killed by the signal (128+n), not GNU's 124."""
    start = time.monotonic()
    assert ours(box, "timeout", "0.2", "sleep", "10").status == 143
    assert time.monotonic() - start < 5
    assert ours(box, "timeout", "-s", "KILL", "0.1", "sleep", "10").status == 137
    assert ours(box, "timeout", "5", "sh", "-c", "exit 3").status == 3
    assert ours(box, "timeout", "-k", "0.1", "0.1", "sleep", "10").status == 143
    assert box.sh("timeout 0.1 sh -c 'trap \"exit 7\" TERM; sleep 5 & wait'; echo $?").stdout == b"7\n"


def test_env_execs_in_place(box: Sandbox) -> None:
    result = ours(box, "env", "-i", "FOO=bar", "printenv", "FOO")
    assert result.stdout == b"bar\n"
    assert ours(box, "env", "FOO=1", "sh", "-c", "echo $$ $FOO").stdout == b"1 1\n"


def test_nice_nohup_time(box: Sandbox) -> None:
    assert ours(box, "nice").stdout == b"0\n"
    assert ours(box, "nice", "-n", "5", "nice").stdout == b"5\n"
    assert ours(box, "nohup", "echo", "hi").stdout == b"hi\n"
    result = ours(box, "time", "sleep", "0.01")
    assert result.status == 0 and result.stderr.startswith(b"real\t0m 0.")


def test_ps_shows_the_process_table(box: Sandbox) -> None:
    out = ours(box, "ps").stdout.decode().splitlines()
    assert out[0] == "PID   USER     TIME  COMMAND"
    assert out[1].split() == ["1", "root", "0:00", "ps"]
    assert ours(box, "ps", "-o", "pid,comm").stdout == b"PID   COMMAND\n    1 ps\n"


def test_top_redraws_the_table_until_count(box: Sandbox) -> None:
    out = ours(box, "top", "-b", "-n", "2", "-d", "0.05").stdout.decode().splitlines()
    assert out.count("  PID  PPID USER     STAT   VSZ %VSZ CPU %CPU COMMAND") == 2
    assert out[0].startswith("Mem: ") and out[1].startswith("CPU: ") and out[2].startswith("Load average: ")
    assert out[4].split() == ["1", "0", "root", "R", "0", "0%", "0", "0%", "top", "-b", "-n", "2", "-d", "0.05"]
    assert ours(box, "top", "-H").status == 1  # options it does not have are refused, not ignored
    result = ours(box, "top", "-n", "x")
    assert result.status == 1 and result.stderr == b"top: invalid number 'x'\n"


def test_top_runs_until_killed(box: Sandbox) -> None:
    kernel, proc, out = _start(box, ["top", "-d", "0.05"])
    assert _wait(lambda: out.getvalue().count(b"COMMAND") >= 2)
    kernel.signal_all(9)
    assert _wait(proc.exited)


def test_xargs_parallel_and_delimiter(box: Sandbox) -> None:
    result = ours(box, "xargs", "-n1", "-P3", "echo", stdin=b"a b c d e f")
    assert sorted(result.stdout.split()) == [b"a", b"b", b"c", b"d", b"e", b"f"]
    assert ours(box, "xargs", "-d,", "-n1", "echo", stdin=b"a b,c").stdout == b"a b\nc\n"
    assert ours(box, "xargs", "sh", "-c", "exit 3", stdin=b"x").status == 123
    result = ours(box, "xargs", "sh", "-c", "exit 255", stdin=b"x")
    assert result.status == 124 and b"exited with status 255" in result.stderr


def test_pipelines_end_with_sigpipe(box: Sandbox) -> None:
    result = box.sh("yes | head -2; seq 100000 | head -1; cat /dev/zero | head -c 3 | od -An -c")
    assert result.stdout == b"y\ny\n1\n  \\0  \\0  \\0\n"


def test_write_error_is_reported(box: Sandbox) -> None:
    result = box.sh("echo hi > /dev/full; echo $?; cat a.txt > /dev/full; echo $?")
    assert result.stdout.split() == [b"1", b"1"]
    assert b"write error: No space left on device" in result.stderr


def _start(box: Sandbox, argv: list[str]):
    kernel = Kernel(box.fs)
    out, err = CaptureOutput(), CaptureOutput()
    from sockerless_memory.sandbox.exec import run_entrypoint

    proc = kernel.spawn(ProcessSpec(argv=argv, env=dict(box.env), cwd="/w"), (BytesInput(b""), out.acquire(), err.acquire()), lambda p: run_entrypoint(p, argv))
    return kernel, proc, out


def _wait(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_tail_follow_polls_and_stops_on_signal(box: Sandbox) -> None:
    kernel, proc, out = _start(box, ["tail", "-f", "-s", "0.05", "-n", "1", "n3"])
    assert _wait(lambda: out.getvalue() == b"3\n")
    with open(os.path.join(box.root, "w/n3"), "ab") as handle:
        handle.write(b"4\n")
    assert _wait(lambda: out.getvalue() == b"3\n4\n")
    kernel.kill(proc.pid, SIGTERM)  # pid 1 ignores signals without handlers, as init does
    time.sleep(0.2)
    kernel.signal_all(9)
    assert _wait(proc.exited)


def test_tail_f_dev_null_blocks_until_killed(box: Sandbox) -> None:
    kernel, proc, out = _start(box, ["sh", "-c", "tail -f /dev/null; echo after"])
    time.sleep(0.3)
    assert not proc.exited()
    victims = [p for p in kernel.processes() if p.argv[:1] == ["tail"]]
    assert victims
    kernel.kill(victims[0].pid, SIGTERM)
    assert _wait(proc.exited)
    assert out.getvalue() == b"after\n"


def test_sleep_infinity_and_kill(box: Sandbox) -> None:
    _, proc, out = _start(box, ["sh", "-c", "sleep infinity & kill $!; wait $!; echo $?"])
    assert _wait(proc.exited)
    assert out.getvalue() == b"143\n"


# -- awk beyond what Debian's busybox build can be compared on (it lacks math) ----------

@pytest.mark.parametrize(
    ("program", "output"),
    [
        ('BEGIN { print 2^10, 2**3, 2^3^2, -2^2, 2^-1 }', b"1024 8 512 -4 0.5\n"),
        ('BEGIN { printf "%.4f %.4f %.4f\\n", sin(0), cos(0), atan2(1, 1) * 4 }', b"0.0000 1.0000 3.1416\n"),
        ('BEGIN { print exp(0), log(1), sqrt(16), int(-3.5), int(3.9) }', b"1 0 4 -3 3\n"),
        ('BEGIN { x = 2; x ^= 3; print x }', b"8\n"),
        ('BEGIN { srand(1); a = rand(); srand(1); b = rand(); print (a == b), (a >= 0 && a < 1), srand(5) }', b"1 1 1\n"),
        ('BEGIN { printf "%*d|%-*d|%.*f\\n", 5, 42, 4, 7, 2, 3.14159 }', b"   42|7   |3.14\n"),
        ('BEGIN { print and(12, 10), or(12, 10), xor(12, 10), lshift(1, 4), rshift(16, 2) }', b"8 14 6 16 4\n"),
        ('BEGIN { print strftime("%Y-%m-%d", 0, 1), mktime("1970 01 02 00 00 00") }', b"1970-01-01 86400\n"),
        ('BEGIN { RS = "[,;]" } { print NR ": " $0 }', b"1: a\n2: b\n3: c\n"),
        ('function f(n) { return n ? n + f(n - 1) : 0 } BEGIN { print f(100) }', b"5050\n"),
        ('function fill(a) { a["x"] = 1; a["y"] = 2 } BEGIN { fill(arr); print length(arr) }', b"2\n"),
        ('BEGIN { print length(x), (1 in x), length(x) }', b"0 0 0\n"),
        ('BEGIN { a[1,2] = 3; for (k in a) { split(k, p, SUBSEP); print p[1] "-" p[2] } }', b"1-2\n"),
        ('BEGIN { print substr("hello", 2, 3) > "/w/o"; close("/w/o"); getline l < "/w/o"; print l, NR }', b"ell 0\n"),
        ('BEGIN { "echo a; echo b" | getline x; print x, NR; print close("echo a; echo b") }', b"a 1\n0\n"),
        ('BEGIN { print system("exit 3"), close("nothing") }', b"3 -1\n"),
        ('BEGIN { print "c\\nb\\na" | "sort"; close("sort"); print "after" }', b"a\nb\nc\nafter\n"),
        ('BEGIN { s = "a.b"; print (s ~ "a.b"), (s ~ "^a\\\\.b$"), ("axb" ~ "^a\\\\.b$") }', b"1 1 0\n"),
        ('BEGIN { printf "%c%c%c\\n", 72, "i!", 256 + 33 }', b"Hi!\n"),
        ('BEGIN { x = "abc"; n = gsub(/b|bc/, "[&]", x); print n, x }', b"1 a[bc]\n"),
    ],
)
def test_awk_extensions(box: Sandbox, program: str, output: bytes) -> None:
    result = ours(box, "awk", program, stdin=b"a,b;c")
    assert result.stdout == output, result.stderr


def test_awk_program_files_and_errors(box: Sandbox) -> None:
    box.fs.write_bytes("/w/prog.awk", b"{ total += $1 }\nEND { print total }\n")
    assert ours(box, "awk", "-f", "prog.awk", "b.txt").stdout == b"17\n"
    result = ours(box, "awk", "BEGIN { x = 1 +* 2 }")
    assert result.status == 1 and result.stderr.startswith(b"awk: cmd. line:1: ")
    result = ours(box, "awk", "BEGIN { undefined_function(1) }")
    assert result.status == 1 and b"undefined function" in result.stderr
    result = ours(box, "awk", "function f(n) { return f(n + 1) } BEGIN { f(1) }")
    assert result.status == 1 and b"too deep" in result.stderr
    result = ours(box, "awk", "BEGIN { a[1] = 1; a = 2 }")
    assert result.status == 1 and b"array" in result.stderr


def test_awk_large_input_is_fast_enough(box: Sandbox) -> None:
    data = b"".join(b"%d field%d %d\n" % (i, i % 7, i * 3) for i in range(20000))
    start = time.monotonic()
    result = ours(box, "awk", "{ s[$2] += $3; n++ } END { for (k in s) t += s[k]; print n, t }", stdin=data)
    assert result.stdout == b"20000 599970000\n"
    assert time.monotonic() - start < 10


# -- rsync (local) ---------------------------------------------------------------------

def _tree(box: Sandbox, top: str) -> list[str]:
    base = os.path.join(box.root, top.lstrip("/"))
    found = []
    for directory, dirs, files in os.walk(base):
        for name in dirs + files:
            found.append(os.path.relpath(os.path.join(directory, name), base))
    return sorted(found)


def test_rsync_trailing_slash_relative_and_delete(box: Sandbox) -> None:
    assert ours(box, "rsync", "-a", "d/", "copy/").status == 0
    assert _tree(box, "/w/copy") == ["sub", "sub/y", "x"]
    assert ours(box, "rsync", "-a", "d", "nested/").status == 0
    assert _tree(box, "/w/nested") == ["d", "d/sub", "d/sub/y", "d/x"]
    assert ours(box, "rsync", "-aR", "d/sub/y", "rel/").status == 0
    assert _tree(box, "/w/rel") == ["d", "d/sub", "d/sub/y"]
    box.fs.write_bytes("/w/copy/extra", b"e")
    assert ours(box, "rsync", "-a", "--delete", "--exclude=y", "d/", "copy/").status == 0
    assert _tree(box, "/w/copy") == ["sub", "sub/y", "x"]  # excluded files are protected from --delete
    assert os.stat(os.path.join(box.root, "w/copy/x")).st_mtime == 1704164645


def test_rsync_verbose_skips_unchanged_files(box: Sandbox) -> None:
    first = ours(box, "rsync", "-av", "d/", "out").stdout.decode().splitlines()
    assert first[:2] == ["sending incremental file list", "created directory out"]
    assert {"x", "sub/", "sub/y"} <= set(first)
    second = ours(box, "rsync", "-av", "d/", "out").stdout.decode().splitlines()
    assert second[1] == ""  # nothing to transfer
    box.fs.write_bytes("/w/d/x", b"changed\n")
    third = ours(box, "rsync", "-av", "d/", "out").stdout.decode().splitlines()
    assert third[1] == "x"
    assert read(box, "/w/out/x") == b"changed\n"


def test_rsync_files_from_links_and_remote_refused(box: Sandbox) -> None:
    box.fs.write_bytes("/w/list", b"a.txt\nd/x\n")
    assert ours(box, "rsync", "-a", "--files-from=list", ".", "picked/").status == 0
    assert _tree(box, "/w/picked") == ["a.txt", "d", "d/x"]
    assert ours(box, "rsync", "-a", "la", "ld", "links/").status == 0
    assert box.fs.readlink("/w/links/la") == "a.txt"
    assert ours(box, "rsync", "-aL", "la", "deref").status == 0
    assert read(box, "/w/deref").startswith(b"hello world")
    result = ours(box, "rsync", "-a", "host:/etc", "x")
    assert result.status == 1 and b"only local copies" in result.stderr
    assert ours(box, "rsync", "-an", "d/", "dry/").status == 0
    assert not box.fs.exists("/w/dry")


# -- compression families and assorted tools ----------------------------------------------

@pytest.mark.parametrize(("pack", "unpack", "cat", "suffix"), [
    ("gzip", "gunzip", "zcat", ".gz"), ("bzip2", "bunzip2", "bzcat", ".bz2"),
    ("xz", "unxz", "xzcat", ".xz"), ("lzma", "unlzma", "lzcat", ".lzma"),
])
def test_compression_round_trips(box: Sandbox, pack: str, unpack: str, cat: str, suffix: str) -> None:
    original = read(box, "/w/bin")
    assert ours(box, pack, "bin").status == 0
    assert not box.fs.exists("/w/bin") and box.fs.exists("/w/bin" + suffix)
    assert ours(box, cat, "bin" + suffix).stdout == original
    assert ours(box, pack, "-t", "bin" + suffix).status == 0
    assert ours(box, unpack, "bin" + suffix).status == 0
    assert read(box, "/w/bin") == original
    assert ours(box, unpack, "-c", stdin=b"garbage").status == 1


def test_tar_reads_bzip2_and_xz(box: Sandbox) -> None:
    for flag in ("-j", "-J"):
        assert ours(box, "tar", "-c", flag, "-f", "t.tar.x", "d").status == 0
        assert ours(box, "tar", "-tf", "t.tar.x").stdout == b"d/\nd/sub/\nd/sub/y\nd/x\n" or b"d/x" in ours(box, "tar", "-tf", "t.tar.x").stdout


def test_install(box: Sandbox) -> None:
    assert ours(box, "install", "a.txt", "inst").status == 0
    assert os.stat(os.path.join(box.root, "w/inst")).st_mode & 0o777 == 0o755
    assert ours(box, "install", "-m", "644", "-D", "a.txt", "deep/er/file").status == 0
    assert os.stat(os.path.join(box.root, "w/deep/er/file")).st_mode & 0o777 == 0o644
    assert ours(box, "install", "-d", "x/y/z").status == 0 and box.fs.is_dir("/w/x/y/z")
    assert ours(box, "install", "-t", "d", "a.txt", "b.txt").status == 0
    assert read(box, "/w/d/b.txt") == b"3\n1\n2\n10\n1\n"


def test_pgrep_pkill_free_getconf(box: Sandbox) -> None:
    result = box.sh("sleep 5 & sleep 0.2; pgrep -l sleep; pkill sleep; wait $!; echo $?")
    assert result.stdout.decode().split()[1:] == ["sleep", "143"]
    assert ours(box, "pgrep", "nothing-like-this").status == 1
    assert ours(box, "free").stdout.startswith(b" " * 14 + b"      total")
    assert ours(box, "getconf", "PAGESIZE").stdout == f"{os.sysconf('SC_PAGE_SIZE')}\n".encode()
    assert ours(box, "getconf", "NOPE").status == 1


def test_misc_tools(box: Sandbox) -> None:
    assert ours(box, "shuf", "-i", "1-5").stdout.split() != []
    assert sorted(ours(box, "shuf", "-e", "a", "b", "c").stdout.split()) == [b"a", b"b", b"c"]
    assert ours(box, "xxd", "-r", "-p", stdin=b"68656c6c6f0a").stdout == b"hello\n"
    assert ours(box, "mountpoint", "/").stdout == b"/ is a mountpoint\n"
    assert ours(box, "mountpoint", "/w").status == 1
    assert ours(box, "factor", "360").stdout == b"360: 2 2 2 3 3 5\n"
    assert ours(box, "setsid", "echo", "x").stdout == b"x\n"
