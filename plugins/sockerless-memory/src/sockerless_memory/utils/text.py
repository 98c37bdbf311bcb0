"""Line-oriented text utilities: cat, tac, rev, nl, fold, paste, comm, tee, wc."""

from __future__ import annotations

import stat as stat_mod

from ..sandbox.files import OpenFile
from ..sandbox.signals import SIGINT
from .common import CHUNK, Util, chomp, iter_chunks, iter_lines, strerror, utility


def _visible_table(tabs: bool) -> list[bytes]:
    """``cat -v`` rendering of each byte: ``^X`` for controls, ``M-`` for the high half."""
    table = []
    for byte in range(256):
        prefix = b""
        low = byte
        if byte >= 0x80:
            prefix = b"M-"
            low = byte - 0x80
        if low == 0x7F:
            text = b"^?"
        elif low < 0x20 and (low != 0x09 or tabs or prefix) and not (low == 0x0A and not prefix):
            text = b"^" + bytes([low + 0x40])
        else:
            text = bytes([low])
        table.append(prefix + text)
    return table


@utility("cat", usage="cat [-nbvteAs] [FILE]...\n\nPrint FILEs to stdout\n\n\t-n\tNumber output lines\n\t-b\tNumber nonempty lines\n\t-v\tShow nonprinting characters as ^x or M-x\n\t-t\t...and tabs as ^I\n\t-e\t...and end lines with $\n\t-A\tSame as -vte\n\t-s\tSqueeze repeated empty lines")
def cat(u: Util, argv: list[str]) -> int:
    """cat [-nbvteAs] [FILE]..."""
    opts, files = u.getopt(argv[1:], "nbvteAsu")
    show_ends = "e" in opts or "A" in opts
    show_tabs = "t" in opts or "A" in opts
    visible = "v" in opts or show_ends or show_tabs
    number_nonblank = "b" in opts
    number = "n" in opts or number_nonblank
    squeeze = "s" in opts
    if not (visible or number or squeeze):
        out = u.out

        def copy(name: str, file: OpenFile) -> None:
            for chunk in iter_chunks(file):
                out.write(chunk)
                out.flush()  # a pipe reader sees data as it comes

        u.each_input(files, copy)
        return u.status
    table = _visible_table(show_tabs) if visible else None
    state = {"line": 0, "blank": False}

    def render(name: str, file: OpenFile) -> None:
        for raw in iter_lines(file):
            body = chomp(raw)
            empty = not body
            if squeeze and empty and state["blank"]:
                continue
            state["blank"] = empty
            prefix = b""
            if number and not (number_nonblank and empty):
                state["line"] += 1
                prefix = b"%6d\t" % state["line"]
            if table is not None:
                body = b"".join([table[c] for c in body])
            # numbering reads whole lines and so ends the last one with a newline, as busybox does
            ending = b"\n" if raw.endswith(b"\n") or number else b""
            if show_ends and ending:
                ending = b"$\n"
            u.out.write(prefix + body + ending)

    u.each_input(files, render)
    return u.status


@utility("tac", usage="tac [FILE]...\n\nConcatenate FILEs and print them in reverse")
def tac(u: Util, argv: list[str]) -> int:
    """tac [FILE]...: each file's lines, last first."""
    _, files = u.getopt(argv[1:], "")

    def each(name: str, file: OpenFile) -> None:
        for line in reversed(list(iter_lines(file))):
            u.out.write(line)

    u.each_input(files, each)
    return u.status


@utility("rev", usage="rev [FILE]...\n\nReverse lines of FILE")
def rev(u: Util, argv: list[str]) -> int:
    """rev [FILE]...: each line's characters reversed."""
    _, files = u.getopt(argv[1:], "")

    def each(name: str, file: OpenFile) -> None:
        for raw in iter_lines(file):
            body = chomp(raw)
            try:
                body = body.decode("utf-8")[::-1].encode("utf-8")
            except UnicodeDecodeError:
                pass  # not text: busybox leaves what it cannot decode as it is
            u.out.write(body + raw[len(raw.rstrip(b"\n")):])

    u.each_input(files, each)
    return u.status


@utility("nl", usage="nl [OPTIONS] [FILE]...\n\nWrite FILEs to standard output with line numbers added\n\n\t-b STYLE\tWhich lines to number - a: all, t: nonempty, n: none\n\t-i N\t\tLine number increment\n\t-s STRING\tUse STRING as line number separator\n\t-v N\t\tStart from N\n\t-w N\t\tWidth of line numbers")
def nl(u: Util, argv: list[str]) -> int:
    """nl [-b STYLE] [-i N] [-s SEP] [-v N] [-w N] [FILE]..."""
    opts, files = u.getopt(argv[1:], "b:i:s:v:w:")
    style = opts.get("b", "t")
    if style not in ("a", "t", "n"):
        u.usage_error()
    try:
        step = int(opts.get("i", "1"))
        current = int(opts.get("v", "1"))
        width = int(opts.get("w", "6"))
    except ValueError as exc:
        u.fail(f"invalid number '{str(exc).rsplit(' ', 1)[-1].strip(chr(39))}'")
    sep = (opts.get("s", "\t") or "").encode("utf-8", "surrogateescape")
    state = {"n": current}

    def each(name: str, file: OpenFile) -> None:
        for raw in iter_lines(file):
            body = chomp(raw)
            if style == "a" or (style == "t" and body):
                u.out.write(b"%*d" % (width, state["n"]) + sep + body + b"\n")
                state["n"] += step
            else:
                u.out.write(b" " * (width + len(sep)) + body + b"\n")

    u.each_input(files, each)
    return u.status


def _fold_line(body: bytes, width: int, count_bytes: bool, at_spaces: bool) -> list[bytes]:
    pieces: list[bytes] = []
    line = bytearray()
    column = 0
    for byte in body:
        new = _advance(column, byte, count_bytes)
        if new > width and line:
            cut = max(line.rfind(b" "), line.rfind(b"\t")) if at_spaces else -1
            if cut >= 0:  # -s: break after the last blank, carrying the rest over
                pieces.append(bytes(line[: cut + 1]))
                line = line[cut + 1:]
            else:
                pieces.append(bytes(line))
                line = bytearray()
            new = _advance(_width_of(line, count_bytes), byte, count_bytes)
        line.append(byte)
        column = new
    pieces.append(bytes(line))
    return pieces


def _advance(column: int, byte: int, count_bytes: bool) -> int:
    if count_bytes:
        return column + 1
    if byte == 0x09:
        return column + 8 - column % 8
    if byte == 0x08:
        return max(0, column - 1)
    if byte == 0x0D:
        return 0
    if 0x80 <= byte < 0xC0:
        return column
    return column + 1


def _width_of(data: bytes | bytearray, count_bytes: bool) -> int:
    column = 0
    for byte in data:
        column = _advance(column, byte, count_bytes)
    return column


@utility("fold", usage="fold [-bs] [-w WIDTH] [FILE]...\n\nWrap input lines in FILEs (or stdin), writing to stdout\n\n\t-b\tCount bytes rather than columns\n\t-s\tBreak at spaces\n\t-w\tUse WIDTH columns instead of 80")
def fold(u: Util, argv: list[str]) -> int:
    """fold [-bs] [-w WIDTH] [FILE]..."""
    args = [("-w" + a[1:]) if a[:1] == "-" and a[1:].isdigit() else a for a in argv[1:]]
    opts, files = u.getopt(args, "bsw:")
    try:
        width = int(opts.get("w", "80"))
    except ValueError:
        u.fail(f"invalid number '{opts.get('w')}'")
    if not 1 <= width <= 10000:
        u.fail(f"number {width} is not in 1..10000 range")

    def each(name: str, file: OpenFile) -> None:
        for raw in iter_lines(file):
            body = chomp(raw)
            u.out.write(b"\n".join(_fold_line(body, width, "b" in opts, "s" in opts)) + raw[len(body):])

    u.each_input(files, each)
    return u.status


def _delimiters(text: str) -> list[bytes]:
    """``paste -d`` list: characters with ``\\n \\t \\\\ \\0`` escapes (``\\0`` is empty)."""
    out: list[bytes] = []
    data = text.encode("utf-8", "surrogateescape")
    i = 0
    while i < len(data):
        c = data[i:i + 1]
        if c == b"\\" and i + 1 < len(data):
            e = data[i + 1:i + 2]
            out.append({b"n": b"\n", b"t": b"\t", b"\\": b"\\", b"0": b""}.get(e, e))
            i += 2
            continue
        out.append(c)
        i += 1
    return out


@utility("paste", usage="paste [-d LIST] [-s] [FILE]...\n\nPaste lines from each input file, separated with tab\n\n\t-d LIST\tUse delimiters from LIST, not tab\n\t-s      Serial: one file at a time")
def paste(u: Util, argv: list[str]) -> int:
    """paste [-d LIST] [-s] [FILE]..."""
    opts, files = u.getopt(argv[1:], "d:s")
    delims = _delimiters(opts.get("d", "\t") or "") if "d" in opts else [b"\t"]
    if not delims:
        delims = [b""]
    files = files or ["-"]
    opened: list[OpenFile | None] = []
    for path in files:
        if path == "-":
            opened.append(u.proc.stdin)
            continue
        try:
            opened.append(u.open(path))
        except OSError as exc:
            u.fail(f"{path}: {strerror(exc)}")
    try:
        try:
            stdin_lines = iter_lines(u.proc.stdin)  # every "-" takes the next line of the one stdin
            readers = [stdin_lines if path == "-" else iter_lines(f) for path, f in zip(files, opened, strict=True)]
            return _paste(u, opts, delims, readers)
        except OSError as exc:
            u.fail(f"read error: {strerror(exc)}")
    finally:
        for path, file in zip(files, opened, strict=True):
            if path != "-" and file is not None:
                file.release()


def _paste(u: Util, opts, delims: list[bytes], readers: list) -> int:
    """Join the readers' lines: side by side, or (``-s``) each reader's lines on one line."""
    if "s" in opts:
        for reader in readers:
            lines = [chomp(line) for line in reader]
            if not lines:
                continue
            parts = [lines[0]]
            for i, line in enumerate(lines[1:]):
                parts.append(delims[i % len(delims)] + line)
            u.out.write(b"".join(parts) + b"\n")
        return 0
    # as busybox: a file that has ended contributes nothing, not even the delimiter after it
    # (so when the last file ends first, the rows lose their newline)
    last = len(readers) - 1
    active = [True] * len(readers)
    while any(active):
        parts = []
        for i, reader in enumerate(readers):
            if not active[i]:
                continue
            item = next(reader, None)
            if item is None:
                active[i] = False
                continue
            parts.append(chomp(item))
            parts.append(b"\n" if i == last else delims[i % len(delims)])
        u.out.write(b"".join(parts))
        u.check()
    return 0


@utility("comm", usage="comm [-123] FILE1 FILE2\n\nCompare FILE1 with FILE2\n\n\t-1\tSuppress lines unique to FILE1\n\t-2\tSuppress lines unique to FILE2\n\t-3\tSuppress lines common to both files")
def comm(u: Util, argv: list[str]) -> int:
    """comm [-123] FILE1 FILE2: three columns of unique and common lines of sorted files."""
    opts, files = u.getopt(argv[1:], "123")
    if len(files) != 2:
        u.usage_error()
    contents = []
    for path in files:
        try:
            with u.input(path) as file:
                contents.append([chomp(line) for line in iter_lines(file)])
        except OSError as exc:
            u.fail(f"{path}: {strerror(exc)}")
    left, right = contents
    show = [c not in opts for c in "123"]
    # the column a line goes in is indented by one tab per shown column before it
    indents = [b"", b"\t" if show[0] else b"", (b"\t" if show[0] else b"") + (b"\t" if show[1] else b"")]
    i = j = 0
    while i < len(left) or j < len(right):
        if j >= len(right) or (i < len(left) and left[i] < right[j]):
            column, line = 0, left[i]
            i += 1
        elif i >= len(left) or right[j] < left[i]:
            column, line = 1, right[j]
            j += 1
        else:
            column, line = 2, left[i]
            i += 1
            j += 1
        if show[column]:
            u.out.write(indents[column] + line + b"\n")
    return 0


@utility("tee", usage="tee [-ai] [FILE]...\n\nCopy stdin to each FILE, and also to stdout\n\n\t-a\tAppend to the given FILEs, don't overwrite\n\t-i\tIgnore interrupt signals (SIGINT)")
def tee(u: Util, argv: list[str]) -> int:
    """tee [-ai] [FILE]...: stdin to stdout and every FILE, as it arrives."""
    opts, files = u.getopt(argv[1:], "ai", {"append": "a", "ignore-interrupts": "i"})
    if "i" in opts:
        from ..sandbox.process import Disposition

        u.proc.dispositions[SIGINT] = Disposition.IGNORE
    outputs: list[tuple[str, OpenFile]] = []
    for path in files:
        if path == "-":
            outputs.append((path, u.out.file.acquire()))
            continue
        try:
            outputs.append((path, u.create(path, append="a" in opts)))
        except OSError as exc:
            u.perror(exc, path)
    try:
        stdout_ok = True
        for chunk in iter_chunks(u.proc.stdin):
            if stdout_ok:
                try:
                    u.out.file.write(chunk)
                except OSError as exc:
                    u.perror(exc, "write error")
                    stdout_ok = False
            for path, file in list(outputs):
                try:
                    file.write(chunk)
                except OSError as exc:
                    u.perror(exc, path)
                    outputs.remove((path, file))
                    file.release()
    finally:
        for _, file in outputs:
            file.release()
    return u.status


def _counts(file: OpenFile, longest_wanted: bool) -> tuple[int, int, int, int, int]:
    """Lines, words, characters, bytes and the longest line, a block of whole lines at a time."""
    lines = words = chars = size = longest = 0
    pending = b""
    while True:
        chunk = file.read1(CHUNK)
        if chunk:
            block = pending + chunk if pending else chunk
            cut = block.rfind(b"\n") + 1
            if not cut:
                pending = block
                continue
            block, pending = block[:cut], block[cut:]
        elif pending:
            block, pending = pending, b""
        else:
            return lines, words, chars, size, longest
        size += len(block)
        lines += block.count(b"\n")
        words += len(block.split())
        chars += len(block) if block.isascii() else len(block.decode("utf-8", "replace"))  # a bad byte counts as one
        if longest_wanted:
            for body in block.split(b"\n"):
                longest = max(longest, _width_of(body, False) if b"\t" in body or not body.isascii() else len(body))


@utility("wc", usage="wc [-cmlwL] [FILE]...\n\nCount lines, words, and bytes for FILEs (or stdin)\n\n\t-c\tCount bytes\n\t-m\tCount characters\n\t-l\tCount newlines\n\t-w\tCount words\n\t-L\tPrint longest line length")
def wc(u: Util, argv: list[str]) -> int:
    """wc [-cmlwL] [FILE]..."""
    opts, files = u.getopt(argv[1:], "cmlwL", {"bytes": "c", "chars": "m", "lines": "l", "words": "w", "max-line-length": "L"})
    order = "lwmcL"
    wanted = [c for c in order if c in opts] or ["l", "w", "c"]
    index = {"l": 0, "w": 1, "m": 2, "c": 3, "L": 4}
    rows: list[tuple[tuple[int, ...], str | None]] = []
    total = [0, 0, 0, 0, 0]

    def each(name: str, file: OpenFile) -> None:
        counts = _counts(file, "L" in wanted)
        for i in range(4):
            total[i] += counts[i]
        total[4] = max(total[4], counts[4])
        rows.append((counts, None if not files else name))

    for path in files or ["-"]:
        try:
            st = u.stat(path) if path != "-" else None
        except OSError as exc:
            u.warn(f"{path}: {strerror(exc)}")
            continue
        if st is not None and stat_mod.S_ISDIR(st.st_mode):
            u.warn(f"{path}: Is a directory")
            rows.append(((0, 0, 0, 0, 0), path))
            continue
        u.each_input([path], each)
    if len(files) > 1:
        rows.append((tuple(total), "total"))
    padded = len(wanted) > 1 or len(files) > 1
    for counts, name in rows:
        cells = [b"%9d" % counts[index[c]] if padded else b"%d" % counts[index[c]] for c in wanted]
        line = b" ".join(cells)
        if name is not None:
            line += b" " + name.encode("utf-8", "surrogateescape")
        u.out.write(line + b"\n")
    return u.status
