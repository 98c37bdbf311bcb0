"""xargs: build command lines from standard input and run them."""

from __future__ import annotations

from collections.abc import Iterator

from ..sandbox.exec import ExecError
from ..sandbox.files import NullFile
from ..sandbox.process import ExitStatus, Process
from .common import Exit, Util, iter_chunks, strerror, utility
from .spawn import child_target, exec_reason

_USAGE = """xargs [OPTIONS] [PROG ARGS]

Run PROG on every item given by stdin

\t-0\tNUL terminated input
\t-a FILE\tRead from FILE instead of stdin
\t-d DELIM\tItems are separated by DELIM (no quote processing)
\t-r\tDon't run command if input is empty
\t-t\tPrint the command on stderr before execution
\t-p\tAsk user whether to run each command
\t-E STR,-e[STR]\tSTR stops input processing
\t-I STR\tReplace STR within PROG ARGS with input line
\t-n N\tPass no more than N args to PROG
\t-s N\tPass command line of no more than N bytes
\t-P N\tRun up to N PROGs in parallel
\t-x\tExit if size is exceeded"""

_BLANKS = b" \t\n\r\f\v"


class _XargsError(Exception):
    pass


def split_items(data: bytes) -> Iterator[bytes]:
    """Default input: blank-separated words with '...', "..." and backslash quoting."""
    i, n = 0, len(data)
    while i < n:
        while i < n and data[i] in _BLANKS:
            i += 1
        if i >= n:
            return
        word = bytearray()
        while i < n and data[i] not in _BLANKS:
            c = data[i]
            if c in b"'\"":
                end = data.find(bytes([c]), i + 1)
                newline = data.find(b"\n", i + 1)
                if end < 0 or (0 <= newline < end):
                    raise _XargsError("unmatched single quote" if c == 0x27 else "unmatched double quote")
                word += data[i + 1:end]
                i = end + 1
                continue
            if c == 0x5C and i + 1 < n:
                word.append(data[i + 1])
                i += 2
                continue
            word.append(c)
            i += 1
        yield bytes(word)


def _delimiter(text: str) -> bytes:
    table = {"\\n": b"\n", "\\t": b"\t", "\\0": b"\0", "\\\\": b"\\"}
    if text in table:
        return table[text]
    return text.encode("utf-8", "surrogateescape")[:1]


class _Runner:
    """Starts command lines (in parallel up to -P) and collects the overall status."""

    def __init__(self, u: Util, parallel: int, trace: bool, prompt: bool, keep_stdin: bool) -> None:
        self.u = u
        self.parallel = parallel
        self.trace = trace
        self.prompt = prompt
        self.keep_stdin = keep_stdin
        self.running: list[tuple[Process, list[str]]] = []
        self.status = 0

    def _fork(self, argv: list[str]) -> Process:
        child = self.u.proc.fork(argv)
        if not self.keep_stdin:
            child.fds.install(NullFile(), 0)  # the children must not eat the items
        return child

    def _report(self, argv: list[str]):
        def report(exc: ExecError) -> None:
            self.u.error(f"{argv[0]}: {exec_reason(exc)}")

        return report

    def run(self, argv: list[str]) -> None:
        u = self.u
        if self.trace or self.prompt:
            line = " ".join(argv)
            if self.prompt:
                if not ask_tty(u, line):
                    return
            else:
                u.proc.stderr.write(line.encode("utf-8", "surrogateescape") + b"\n")
        u.out.flush()
        child = self._fork(argv)
        if self.parallel == 1:
            self.collect(argv, child.run(child_target(child, argv, self._report(argv))))
            return
        while self.parallel > 0 and len(self.running) >= self.parallel:
            self.reap_one()
        u.proc.kernel.start_thread(child, child_target(child, argv, self._report(argv)))
        self.running.append((child, argv))

    def reap_one(self) -> None:
        while True:
            for entry in self.running:
                if entry[0].exited():
                    self.running.remove(entry)
                    self.collect(entry[1], self.u.proc.wait_child(entry[0]))
                    return
            self.u.proc.sleep(0.005)

    def finish(self) -> None:
        while self.running:
            self.reap_one()

    def collect(self, argv: list[str], status: ExitStatus) -> None:
        u = self.u
        if status.signal is not None:
            u.error(f"{argv[0]}: terminated by signal {status.signal}")
            self.finish()
            raise Exit(125)
        if status.code == 255:
            u.error(f"{argv[0]}: exited with status 255; aborting")
            self.finish()
            raise Exit(124)
        if status.code in (126, 127):
            self.finish()
            raise Exit(status.code)
        if status.code:
            self.status = 123


def ask_tty(u: Util, line: str) -> bool:
    """``-p``: the question goes to stderr and the answer comes from the terminal."""
    tty = u.proc.kernel.tty
    if tty is None:
        u.fail("can't open '/dev/tty': No such device or address")
    tty.write(f"{line} ?...".encode("utf-8", "surrogateescape"))
    answer = tty.readline()
    return answer[:1] in (b"y", b"Y")


@utility("xargs", usage=_USAGE)
def xargs(u: Util, argv: list[str]) -> int:
    """xargs [-0rtpx] [-a FILE] [-d DELIM] [-E STR] [-I STR] [-n N] [-s N] [-P N] [PROG ARGS]."""
    opts, command = u.getopt(argv[1:], "+0a:d:rtpxE:e::I:i::n:s:P:", {
        "null": "0", "arg-file=": "a", "delimiter=": "d", "no-run-if-empty": "r", "verbose": "t",
        "interactive": "p", "exit": "x", "eof=?": "e", "replace=?": "i", "max-args=": "n", "max-chars=": "s",
        "max-procs=": "P",
    })
    numbers = {}
    for key, default in (("n", "0"), ("s", "131072"), ("P", "1")):
        text = opts.get(key, default) or default
        if not text.isdigit():
            u.fail(f"invalid number '{text}'")
        numbers[key] = int(text)
        if key != "P" and key in opts and numbers[key] < 1:
            u.fail(f"number {text} is not in 1..2147483647 range")
    replace = opts.get("I") if "I" in opts else ("{}" if "i" in opts and opts.get("i") is None else opts.get("i"))
    eof = opts.get("E") if "E" in opts else opts.get("e")
    command = command or ["echo"]
    source = opts.get("a")
    try:
        file = u.open(source) if source else u.proc.stdin
    except OSError as exc:
        u.fail(f"can't open '{source}': {strerror(exc)}")
    try:
        data = b"".join(iter_chunks(file))
    finally:
        if source:
            file.release()
    try:
        if replace is not None and "0" not in opts and "d" not in opts:
            items = [line.lstrip(_BLANKS) for line in data.split(b"\n") if line.strip(_BLANKS)]
        elif "0" in opts:
            items = [item for item in data.split(b"\0")]
            if items and items[-1] == b"":
                items.pop()
        elif "d" in opts:
            items = data.split(_delimiter(opts.get("d") or "\n"))
            if items and items[-1] in (b"", b"\n"):
                items.pop()
        else:
            items = list(split_items(data))
    except _XargsError as exc:
        u.fail(str(exc))
    if eof and replace is None and "0" not in opts:
        marker = eof.encode("utf-8", "surrogateescape")
        if marker in items:
            items = items[: items.index(marker)]
    texts = [item.decode("utf-8", "surrogateescape") for item in items]
    parallel = numbers["P"] or 1 << 30
    runner = _Runner(u, parallel, "t" in opts, "p" in opts, source is not None)
    if replace is not None:
        for text in texts:
            runner.run([arg.replace(replace, text) for arg in command])
        runner.finish()
        return runner.status
    if not texts:
        if "r" not in opts:
            runner.run(list(command))
        runner.finish()
        return runner.status
    per_command = numbers["n"] or len(texts)
    limit = numbers["s"]
    base_size = sum(len(a) + 1 for a in command)  # every word with its NUL, as busybox counts
    batch: list[str] = []
    size = base_size
    for text in texts:
        needed = len(text) + 1
        if batch and (len(batch) >= per_command or size + needed > limit):
            runner.run([*command, *batch])
            batch, size = [], base_size
        if base_size + needed > limit:  # this item can never fit
            runner.finish()
            u.fail("argument line too long")
        batch.append(text)
        size += needed
    if batch:
        runner.run([*command, *batch])
    runner.finish()
    return runner.status
