"""Checksums and encodings: md5sum/sha*sum (with -c), cksum, base64, od, hexdump."""

from __future__ import annotations

import base64 as b64
import binascii
import hashlib
import re
from collections.abc import Iterator

from ..sandbox.files import OpenFile
from .common import Util, chomp, iter_chunks, iter_lines, strerror, utility

_ALGORITHMS = {"md5sum": "md5", "sha1sum": "sha1", "sha256sum": "sha256", "sha512sum": "sha512", "sha3sum": "sha3_224", "sha224sum": "sha224", "sha384sum": "sha384"}


def _hash_file(u: Util, algorithm: str, path: str) -> str | None:
    digest = hashlib.new(algorithm)
    try:
        with u.input(path) as file:
            for chunk in iter_chunks(file):
                digest.update(chunk)
                u.check()
    except OSError as exc:
        u.perror(exc, f"can't open '{path}'")
        return None
    return digest.hexdigest()


@utility(*_ALGORITHMS, usage="md5sum [-c[sw]] [FILE]...\n\nPrint or check checksums\n\n\t-c\tCheck sums against list in FILEs\n\t-s\tDon't output anything, status code shows success\n\t-w\tWarn about improperly formatted checksum lines")
def checksum(u: Util, argv: list[str]) -> int:
    """md5sum/sha1sum/sha256sum/sha512sum [-c [-sw]] [FILE]..."""
    opts, files = u.getopt(argv[1:], "cswbtqa:" if u.name == "sha3sum" else "cswbtq", {"check": "c", "status": "s", "warn": "w", "binary": "b", "text": "t", "quiet": "q"})
    algorithm = _ALGORITHMS.get(u.name, "md5")
    if "a" in opts:  # sha3sum -a BITS
        bits = opts.get("a")
        if bits not in ("224", "256", "384", "512"):
            u.fail(f"invalid number '{bits}'")
        algorithm = f"sha3_{bits}"
    if "c" not in opts:
        for path in files or ["-"]:
            value = _hash_file(u, algorithm, path)
            if value is not None:
                u.out.write(f"{value}  {path}\n".encode("utf-8", "surrogateescape"))
        return u.status
    failed = total = 0
    width = hashlib.new(algorithm).digest_size * 2
    for listing in files or ["-"]:
        try:
            with u.input(listing) as file:
                lines = [chomp(line).decode("utf-8", "surrogateescape") for line in iter_lines(file)]
        except OSError as exc:
            u.warn(f"{listing}: {strerror(exc)}")
            continue
        for line in lines:
            total += 1
            m = re.fullmatch(rf"([0-9a-fA-F]{{{width}}})(?:  | \*)(.*)", line)
            if m is None:  # busybox counts a malformed line as a mismatch, silently
                failed += 1
                continue
            name = m.group(2)
            if _hash_file(u, algorithm, name) == m.group(1).lower():
                if "s" not in opts and "q" not in opts:
                    u.out.write(f"{name}: OK\n".encode("utf-8", "surrogateescape"))
                continue
            failed += 1
            if "s" not in opts:
                u.out.write(f"{name}: FAILED\n".encode("utf-8", "surrogateescape"))
    if failed:
        if "s" not in opts:
            u.out.flush()
            u.error(f"WARNING: {failed} of {total} computed checksums did NOT match")
        return 1
    return u.status


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i << 24
        for _ in range(8):
            c = ((c << 1) ^ 0x04C11DB7) if c & 0x80000000 else (c << 1)
        table.append(c & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


@utility("cksum", usage="cksum FILE...\n\nCalculate the CRC32 checksums of FILEs")
def cksum(u: Util, argv: list[str]) -> int:
    """cksum [FILE]...: the POSIX CRC and the size."""
    _, files = u.getopt(argv[1:], "")

    def each(name: str, file: OpenFile) -> None:
        crc = 0
        size = 0
        for chunk in iter_chunks(file):
            size += len(chunk)
            for byte in chunk:
                crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[(crc >> 24) ^ byte]
        length = size
        while length:
            crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[(crc >> 24) ^ (length & 0xFF)]
            length >>= 8
        crc = ~crc & 0xFFFFFFFF
        label = "" if name == "-" else f" {name}"
        u.out.write(f"{crc} {size}{label}\n".encode("utf-8", "surrogateescape"))

    u.each_input(files, each)
    return u.status


_B64_CHARS = re.compile(rb"[^A-Za-z0-9+/=]")


@utility("base64", usage="base64 [-d] [-w COL] [FILE]\n\nBase64 encode or decode FILE to standard output\n\n\t-d\tDecode data\n\t-w COL\tWrap lines at COL (default 76, 0 disables)")
def base64(u: Util, argv: list[str]) -> int:
    """base64 [-d] [-w COL] [FILE]."""
    opts, files = u.getopt(argv[1:], "dw:i", {"decode": "d", "wrap=": "w", "ignore-garbage": "i"})
    if len(files) > 1:
        u.usage_error()
    width_text = opts.get("w", "76") or "76"
    if not width_text.isdigit():
        u.fail(f"invalid number '{width_text}'")
    width = int(width_text)
    path = files[0] if files else "-"
    data = u.read_input(path)
    if "d" in opts:
        text = _B64_CHARS.sub(b"", data)  # busybox skips what is not base64
        whole = len(text) - len(text) % 4
        try:
            u.out.write(b64.b64decode(text[:whole]))
        except binascii.Error:
            u.out.flush()
            u.fail("invalid input")
        if whole != len(text):
            u.out.flush()
            u.fail("truncated input")
        return 0
    encoded = b64.b64encode(data)
    if width:
        lines = [encoded[i:i + width] for i in range(0, len(encoded), width)]
        u.out.write(b"".join(line + b"\n" for line in lines))
    else:
        u.out.write(encoded)  # busybox ends a -w 0 encoding without a newline
    return 0


# -- od ---------------------------------------------------------------------------------

_NAMED = ["nul", "soh", "stx", "etx", "eot", "enq", "ack", "bel", "bs", "ht", "nl", "vt", "ff", "cr", "so", "si",
          "dle", "dc1", "dc2", "dc3", "dc4", "nak", "syn", "etb", "can", "em", "sub", "esc", "fs", "gs", "rs", "us", "sp"]
_C_ESCAPES = {0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
_WIDTHS = {("d", 1): 4, ("d", 2): 6, ("d", 4): 11, ("d", 8): 20, ("u", 1): 3, ("u", 2): 5, ("u", 4): 10, ("u", 8): 20,
           ("o", 1): 3, ("o", 2): 6, ("o", 4): 11, ("o", 8): 22, ("x", 1): 2, ("x", 2): 4, ("x", 4): 8, ("x", 8): 16}


def _od_cell(kind: str, size: int, chunk: bytes) -> str:
    if kind == "c":
        byte = chunk[0]
        if byte in _C_ESCAPES:
            return f"{_C_ESCAPES[byte]:>4}"
        if 0x20 <= byte < 0x7F:
            return f"{chr(byte):>4}"
        return f" {byte:03o}"
    if kind == "a":
        byte = chunk[0] & 0x7F
        name = _NAMED[byte] if byte <= 0x20 else "del" if byte == 0x7F else chr(byte)
        return f"{name:>4}"
    value = int.from_bytes(chunk, "little", signed=kind == "d")
    width = _WIDTHS[(kind, size)]
    if kind in ("d", "u"):
        return " " + f"{value:>{width}d}"
    if kind == "o":
        return " " + f"{value:0{width}o}"
    return " " + f"{value:0{width}x}"


def _od_types(u: Util, opts) -> list[tuple[str, int]]:
    types: list[tuple[str, int]] = []
    letters = {"a": ("a", 1), "b": ("o", 1), "c": ("c", 1), "d": ("u", 2), "o": ("o", 2), "x": ("x", 2), "s": ("d", 2), "i": ("d", 2), "l": ("d", 4)}
    for key, value in opts.seen:
        if key in letters:
            types.append(letters[key])
        elif key == "t":
            spec = value or ""
            while spec:
                m = re.match(r"([acdoux])(\d*|[CSIL])", spec)
                if m is None:
                    u.fail(f"invalid type string '{value}'")
                kind, size_text = m.group(1), m.group(2)
                if kind in "ac":
                    size = 1
                else:
                    size = {"C": 1, "S": 2, "I": 4, "L": 8, "": 4}.get(size_text) or int(size_text)
                    if (kind, size) not in _WIDTHS:
                        u.fail(f"invalid type string '{value}'")
                types.append((kind, size))
                spec = spec[m.end():]
    return types or [("o", 2)]


def _count(u: Util, text: str | None) -> int:
    """A byte count as od and hexdump take it: decimal, 0x hex or 0 octal, with b/k/m multipliers."""
    text = text or ""
    multiplier = {"b": 512, "k": 1024, "m": 1024 * 1024}.get(text[-1:], 1)
    body = text[:-1] if multiplier != 1 else text
    try:
        value = int(body, 0) if not (body.startswith("0") and body[1:].isdigit()) else int(body, 8)
    except ValueError:
        u.fail(f"invalid number '{text}'")
    if value < 0:
        u.fail(f"invalid number '{text}'")
    return value * multiplier


def _dump_input(u: Util, files: list[str], skip: str | None, length: str | None) -> tuple[bytes, int]:
    """What od and hexdump show: the inputs joined, less the ``skip`` bytes, at most ``length``
    (counts as :func:`_count` reads them); and the number skipped."""
    chunks: list[bytes] = []
    u.each_input(files, lambda name, file: chunks.append(file.read()))
    skipped = _count(u, skip)
    data = b"".join(chunks)[skipped:]
    if length is not None:
        data = data[: _count(u, length)]
    return data, skipped


def _dump_lines(u: Util, data: bytes, width: int, verbose: bool) -> Iterator[tuple[int, bytes]]:
    """The offsets and lines of ``width`` bytes to dump; unless ``verbose``, lines that repeat
    the one before are left out and a ``*`` line written in their place."""
    previous = None
    starred = False
    for offset in range(0, len(data), width):
        line = data[offset:offset + width]
        if line == previous and not verbose:
            if not starred:
                u.out.write(b"*\n")
                starred = True
            continue
        starred = False
        previous = line
        yield offset, line


@utility("od", usage="od [-abcdfhilovxs] [-t TYPE] [-A RADIX] [-N SIZE] [-j SKIP] [-S MINSTR] [-w WIDTH] [FILE]...\n\nPrint FILEs (or stdin) unambiguously, as octal bytes by default")
def od(u: Util, argv: list[str]) -> int:
    """od [-bcdiloxsv] [-t TYPE]... [-A RADIX] [-N COUNT] [-j SKIP] [-w WIDTH] [FILE]..."""
    opts, files = u.getopt(argv[1:], "abcdiloxsvt:A:N:j:w::", {"address-radix=": "A", "read-bytes=": "N", "skip-bytes=": "j", "format=": "t", "output-duplicates": "v", "width=?": "w"})
    types = _od_types(u, opts)
    radix = opts.get("A", "o") or "o"
    if radix not in "doxn" or len(radix) != 1:
        u.fail(f"bad output address radix '{radix}' (should be one of [doxn])")
    data, skip = _dump_input(u, files, opts.get("j", "0"), opts.get("N"))
    width = (_count(u, opts.get("w")) if opts.get("w") else 32) if "w" in opts else 16
    if width <= 0:
        u.fail(f"invalid number '{opts.get('w')}'")
    address_formats = {"o": "{:07o}", "d": "{:07d}", "x": "{:06x}", "n": ""}
    address = address_formats[radix]
    for offset, line in _dump_lines(u, data, width, "v" in opts):
        for index, (kind, size) in enumerate(types):
            padded = line + b"\0" * (-len(line) % size)
            cells = "".join(_od_cell(kind, size, padded[i:i + size]) for i in range(0, len(padded), size))
            prefix = address.format(skip + offset) if index == 0 else " " * len(address.format(0))
            u.out.write(f"{prefix}{cells}\n".encode("utf-8", "surrogateescape"))
    if radix != "n" and not (files and u.status and not data):  # nothing could be read: no end address
        u.out.write(f"{address.format(skip + len(data))}\n".encode())
    return u.status


@utility("hexdump", usage="hexdump [-bcCdox] [-n LENGTH] [-s OFFSET] [-v] [FILE]...\n\nDisplay FILEs (or stdin) in a user specified format\n\n\t-b\t1-byte octal display\n\t-c\t1-byte character display\n\t-d\t2-byte decimal display\n\t-o\t2-byte octal display\n\t-x\t2-byte hex display\n\t-C\thex+ASCII 16 bytes per line\n\t-v\tShow all (no dup folding)\n\t-n LENGTH\tInterpret only LENGTH bytes of input\n\t-s OFFSET\tSkip OFFSET bytes")
def hexdump(u: Util, argv: list[str]) -> int:
    """hexdump [-bcCdox] [-n LENGTH] [-s OFFSET] [-v] [FILE]..."""
    opts, files = u.getopt(argv[1:], "bcCdoxn:s:ve:f:", {"canonical": "C"})
    if "e" in opts or "f" in opts:
        u.fail("custom formats (-e/-f) are not supported in the memory sandbox")
    data, skip = _dump_input(u, files, opts.get("s", "0"), opts.get("n"))
    canonical = "C" in opts
    mode = opts.last_of("bcdox") or ("x" if not canonical else None)
    for offset, line in _dump_lines(u, data, 16, "v" in opts):
        if canonical:
            hexes = ""
            for i in range(16):
                hexes += f"{line[i]:02x} " if i < len(line) else "   "
                if i == 7:
                    hexes += " "
            text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in line)
            u.out.write(f"{skip + offset:08x}  {hexes} |{text}|\n".encode())
        else:
            u.out.write(_hexdump_line(mode or "x", skip + offset, line).encode("utf-8", "surrogateescape"))
    if data or canonical:
        u.out.write((f"{skip + len(data):08x}\n" if canonical else f"{skip + len(data):07x}\n").encode())
    return u.status


def _hexdump_line(mode: str, offset: int, line: bytes) -> str:
    if mode in ("b", "c"):
        cells = [f" {b:03o}" for b in line] if mode == "b" else [_od_cell("c", 1, bytes([b])) for b in line]
        return f"{offset:07x}" + "".join(cells) + " " * (4 * (16 - len(line))) + "\n"
    padded = line + b"\0" * (len(line) % 2)
    words = [int.from_bytes(padded[i:i + 2], "little") for i in range(0, len(padded), 2)]
    cell = {"x": " {:04x}", "o": "  {:06o}", "d": "   {:05d}"}[mode]
    width = len(cell.format(0))
    return f"{offset:07x}" + "".join(cell.format(w) for w in words) + " " * (width * (8 - len(words))) + "\n"
