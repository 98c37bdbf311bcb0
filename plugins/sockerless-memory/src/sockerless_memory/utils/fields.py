"""Per-line field and character utilities: cut, tr, uniq."""

from __future__ import annotations

import re

from ..sandbox.files import OpenFile
from .common import Util, chomp, iter_chunks, iter_lines, iter_record_blocks, strerror, utility
from .regex import CLASS_MEMBERS, RegexError, compile_regex

# -- cut ------------------------------------------------------------------------------

_CUT_USAGE = """cut [OPTIONS] [FILE]...

Print selected fields from FILEs to stdout

\t-b LIST\tOutput only bytes from LIST
\t-c LIST\tOutput only characters from LIST
\t-d SEP\tField delimiter for input (default -f TAB, -F run of whitespace)
\t-O SEP\tField delimiter for output (default = -d for -f, one space for -F)
\t-D\tDon't sort/collate sections or match -fF lines without delimiter
\t-f LIST\tPrint only these fields (-d is single char)
\t-F LIST\tPrint only these fields (-d is regex)
\t-s\tOutput only lines containing delimiter
\t-n\tIgnored"""

BIG = 1 << 62


def parse_list(u: Util, text: str, keep_order: bool) -> list[tuple[int, int]]:
    """``1,3-5,7-``: 1-based inclusive ranges, sorted and merged unless ``keep_order``."""
    ranges: list[tuple[int, int]] = []
    for part in text.split(","):
        m = re.fullmatch(r"(\d*)(-?)(\d*)", part.strip())
        if m is None or not (m.group(1) or m.group(3)):
            u.fail(f"invalid range '{part}'" if part else "missing list of positions")
        start = int(m.group(1)) if m.group(1) else 1
        end = (int(m.group(3)) if m.group(3) else BIG) if m.group(2) else start
        if start == 0:
            u.fail("fields and positions are numbered from 1")
        if end < start:
            u.usage_error(f"{start}>{end}: invalid range")
        ranges.append((start, end))
    if keep_order:
        return ranges
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _select(items: list[bytes], ranges: list[tuple[int, int]]) -> list[bytes]:
    picked: list[bytes] = []
    for start, end in ranges:
        picked.extend(items[start - 1:end])
    return picked


@utility("cut", usage=_CUT_USAGE)
def cut(u: Util, argv: list[str]) -> int:
    """cut -b LIST | -c LIST | -f LIST [-d SEP] [-s] | -F LIST [-d REGEX] [FILE]..."""
    opts, files = u.getopt(argv[1:], "b:c:f:F:d:O:sDn", {"output-delimiter=": "O", "delimiter=": "d", "fields=": "f", "bytes=": "b", "characters=": "c", "only-delimited": "s"})
    modes = [m for m in "bcfF" if m in opts]
    if not modes:
        u.fail("expected a list of bytes, characters, or fields")
    if len(modes) > 1:
        u.usage_error("only one list may be specified")
    mode = modes[0]
    ranges = parse_list(u, opts.get(mode) or "", "D" in opts)
    delim_text = (opts.get("d") or "").encode("utf-8", "surrogateescape")
    if mode == "f":
        delim = delim_text[:1] if "d" in opts else b"\t"
        if "d" in opts and not delim:
            delim = b"\n"
        out_delim = opts.get("O").encode("utf-8", "surrogateescape") if "O" in opts else delim  # type: ignore[union-attr]
    elif mode == "F":
        try:
            splitter = compile_regex(delim_text, extended=True) if delim_text else compile_regex(b"[ \t]+", extended=True)
        except RegexError as exc:
            u.fail(f"bad regex '{delim_text.decode()}': {exc}")
        out_delim = opts.get("O").encode("utf-8", "surrogateescape") if "O" in opts else b" "  # type: ignore[union-attr]
    elif "d" in opts or "s" in opts:
        u.fail("-d and -s are only allowed with fields")
    only_delimited = "s" in opts

    def each(name: str, file: OpenFile) -> None:
        for raw in iter_lines(file):
            line = chomp(raw)
            if mode in "bc":
                u.out.write(b"".join(_select([line[i:i + 1] for i in range(len(line))], ranges)) + b"\n")
                continue
            if not line:
                u.out.write(b"\n")  # busybox prints empty lines even with -s
                continue
            if mode == "f":
                if delim not in line:
                    if not only_delimited:
                        u.out.write(line + b"\n")
                    continue
                parts = line.split(delim)
            else:
                parts = re.split(splitter.re, line)
                if len(parts) == 1 and only_delimited:
                    continue
            u.out.write(out_delim.join(_select(parts, ranges)) + b"\n")

    u.each_input(files, each)
    return u.status


# -- tr -------------------------------------------------------------------------------

def expand_set(text: bytes) -> bytes:
    """A ``tr`` set as the bytes it lists: escapes, ``a-z`` ranges, ``[:class:]``, ``[=c=]``."""
    items: list[int] = []
    i, n = 0, len(text)

    def one() -> int:
        nonlocal i
        c = text[i]
        if c == 0x5C and i + 1 < n:  # backslash
            e = text[i + 1]
            if 0x30 <= e <= 0x37:
                j = i + 1
                while j < n and j < i + 4 and 0x30 <= text[j] <= 0x37:
                    j += 1
                value = int(text[i + 1:j], 8) & 0xFF
                i = j
                return value
            i += 2
            return {ord("n"): 10, ord("t"): 9, ord("r"): 13, ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("v"): 11}.get(e, e)
        i += 1
        return c

    while i < n:
        if text.startswith(b"[:", i):
            end = text.find(b":]", i + 2)
            name = text[i + 2:end].decode("latin-1") if end > 0 else ""
            if end > 0 and name in CLASS_MEMBERS:
                items.extend(CLASS_MEMBERS[name])
                i = end + 2
                continue
        if text.startswith(b"[=", i) and text[i + 3:i + 5] == b"=]":
            items.append(text[i + 2])
            i += 5
            continue
        start = one()
        if i + 1 < n and text[i] == 0x2D:  # '-' followed by a range end
            i += 1
            end = one()
            items.extend(range(start, end + 1))
            continue
        items.append(start)
    return bytes(items)


@utility("tr", usage="tr [-cds] STRING1 [STRING2]\n\nTranslate, squeeze, or delete characters from stdin, writing to stdout\n\n\t-c\tTake complement of STRING1\n\t-d\tDelete input characters coded STRING1\n\t-s\tSqueeze multiple output characters of STRING2 into one character")
def tr(u: Util, argv: list[str]) -> int:
    """tr [-cds] STRING1 [STRING2]."""
    opts, args = u.getopt(argv[1:], "cdsC", {"complement": "c", "delete": "d", "squeeze-repeats": "s"})
    if not args or len(args) > 2:
        u.usage_error()
    set1 = expand_set(args[0].encode("utf-8", "surrogateescape"))
    set2 = expand_set(args[1].encode("utf-8", "surrogateescape")) if len(args) > 1 else b""
    if "c" in opts or "C" in opts:
        present = set(set1)
        set1 = bytes(b for b in range(256) if b not in present)
    delete = "d" in opts
    squeeze = "s" in opts
    table = None
    delete_bytes = b""
    if delete:
        delete_bytes = set1
        squeeze_set = set(set2)
    elif set2:
        mapping = list(range(256))
        for i, byte in enumerate(set1):
            mapping[byte] = set2[i] if i < len(set2) else set2[-1]
        table = bytes(mapping)
        squeeze_set = set(set2)
    else:
        squeeze_set = set(set1)
    last = -1
    for chunk in iter_chunks(u.proc.stdin):
        if table is not None:
            chunk = chunk.translate(table)
        elif delete_bytes:
            chunk = chunk.translate(None, delete_bytes)
        if squeeze and squeeze_set:
            kept = bytearray()
            for byte in chunk:
                if byte == last and byte in squeeze_set:
                    continue
                kept.append(byte)
                last = byte
            chunk = bytes(kept)
        u.out.write(chunk)
    return 0


# -- uniq -----------------------------------------------------------------------------

def _uniq_key(line: bytes, skip_fields: int, skip_chars: int, width: int | None, icase: bool) -> bytes:
    i = 0
    for _ in range(skip_fields):
        while i < len(line) and line[i] in b" \t":
            i += 1
        while i < len(line) and line[i] not in b" \t":
            i += 1
    key = line[i + skip_chars:]
    if width is not None:
        key = key[:width]
    return key.lower() if icase else key


@utility("uniq", usage="uniq [-cduiz] [-f,s,w N] [FILE [OUTFILE]]\n\nDiscard duplicate lines\n\n\t-c\tPrefix lines by the number of occurrences\n\t-d\tOnly print duplicate lines\n\t-u\tOnly print unique lines\n\t-i\tIgnore case\n\t-z\tNUL terminated output\n\t-f N\tSkip first N fields\n\t-s N\tSkip first N chars (after any skipped fields)\n\t-w N\tCompare N characters in line")
def uniq(u: Util, argv: list[str]) -> int:
    """uniq [-cduiz] [-f N] [-s N] [-w N] [FILE [OUTFILE]]."""
    opts, args = u.getopt(argv[1:], "cduizf:s:w:", {"count": "c", "repeated": "d", "unique": "u", "ignore-case": "i", "skip-fields=": "f", "skip-chars=": "s", "check-chars=": "w"})
    if len(args) > 2:
        u.usage_error()
    try:
        skip_fields = int(opts.get("f", "0") or 0)
        skip_chars = int(opts.get("s", "0") or 0)
        width = int(opts.get("w")) if "w" in opts else None  # type: ignore[arg-type]
    except ValueError as exc:
        u.fail(f"invalid number {str(exc).split(':', 1)[-1].strip()}")
    sep = b"\0" if "z" in opts else b"\n"
    output = None
    if len(args) == 2 and args[1] != "-":
        try:
            output = u.create(args[1])
        except OSError as exc:
            u.fail(f"can't open '{args[1]}': {strerror(exc)}")
    write = output.write if output is not None else u.out.write
    source = args[0] if args else "-"

    only_repeated, only_unique, counted = "d" in opts, "u" in opts, "c" in opts

    def emit(line: bytes, count: int) -> None:
        if (only_repeated and count < 2) or (only_unique and count > 1):
            return
        write((b"%7d " % count if counted else b"") + line + sep)

    def each(name: str, file: OpenFile) -> None:
        previous: bytes | None = None
        prev_key = b""
        count = 0
        plain = not (skip_fields or skip_chars or width is not None or "i" in opts)
        for block in iter_record_blocks(file, sep):
            for line in block:
                key = line if plain else _uniq_key(line, skip_fields, skip_chars, width, "i" in opts)
                if previous is not None and key == prev_key:
                    count += 1
                    continue
                if previous is not None:
                    emit(previous, count)
                previous, prev_key, count = line, key, 1
        if previous is not None:
            emit(previous, count)

    try:
        u.each_input([source], each)
    finally:
        if output is not None:
            output.release()
    return u.status

