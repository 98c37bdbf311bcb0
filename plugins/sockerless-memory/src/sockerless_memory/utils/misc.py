"""Assorted utilities scripts lean on: getopt, install, strings, xxd, shuf, expand, unexpand,
dos2unix, unix2dos, factor, arch, hostid, getconf, pgrep, pkill, free, setsid, mountpoint, clear."""

from __future__ import annotations

import os
import random
import re
import stat as stat_mod

from ..sandbox.files import OpenFile
from ..sandbox.signals import SIGTERM, parse_signal
from .common import Util, chomp, human_size, iter_lines, iter_records, strerror, utility
from .fileops import Copier, CopyOptions, join, last_component
from .modes import parse_mode
from .options import OptionError
from .options import getopt as parse_options
from .regex import RegexError, compile_regex
from .spawn import exec_in_place

# -- getopt ------------------------------------------------------------------------------


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@utility("getopt", usage="getopt [OPTIONS] [--] OPTSTRING PARAMS\n\n\t-a\t\tAllow long options starting with single -\n\t-l LOPT[,...]\tLong options to recognize\n\t-n PROGNAME\tThe name under which errors are reported\n\t-o OPTSTRING\tShort options to recognize\n\t-q\t\tNo error messages on unrecognized options\n\t-Q\t\tNo normal output\n\t-s SHELL\tSet shell quoting conventions\n\t-T\t\tVersion test (exits with 4)\n\t-u\t\tDon't quote output")
def getopt(u: Util, argv: list[str]) -> int:
    """getopt [-o SHORT] [-l LONG,...] [-n NAME] [-qQuT] [--] PARAMS (or the traditional getopt OPTSTRING PARAMS)."""
    args = argv[1:]
    traditional = bool(args) and not args[0].startswith("-")
    if traditional:
        spec, params, longs, name, quiet, quote = args[0], args[1:], [], "getopt", False, False
        quiet_output = False
    else:
        opts, rest = u.getopt(args, "+ao:l:n:qQs:Tu", {"alternative": "a", "options=": "o", "longoptions=": "l", "longopts=": "l", "name=": "n", "quiet": "q", "quiet-output": "Q", "shell=": "s", "test": "T", "unquoted": "u"})
        if "T" in opts:
            return 4
        if "o" in opts:
            spec, params = opts.get("o") or "", rest
        elif rest:
            spec, params = rest[0], rest[1:]
        else:
            u.error("missing optstring argument")
            return 2
        longs = [item for value in opts.all("l") for item in value.split(",") if item]
        name, quiet, quote, quiet_output = opts.get("n", "getopt") or "getopt", "q" in opts, "u" not in opts, "Q" in opts
    spec = spec.lstrip("+-")
    table = {}
    takes_value = {c for i, c in enumerate(spec) if spec[i + 1:i + 2] == ":"}
    for item in longs:
        key = item.rstrip(":")
        suffix = "=?" if item.endswith("::") else "=" if item.endswith(":") else ""
        table[key + suffix] = "--" + key
        if suffix:
            takes_value.add("--" + key)
    try:
        found, operands = parse_options(params, spec, table)
    except OptionError as exc:
        if not quiet:
            u.proc.stderr.write(f"{name}: {exc}\n".encode("utf-8", "surrogateescape"))
        found, operands = None, []
    words: list[str] = []
    if found is not None:
        for key, value in found.seen:
            words.append(key if key.startswith("--") else "-" + key)
            if key in takes_value:
                words.append(_shell_quote(value or "") if quote else (value or ""))
    words.append("--")
    words.extend(_shell_quote(op) if quote else op for op in operands)
    if not quiet_output:
        u.out.write((" " + " ".join(words) + "\n").encode("utf-8", "surrogateescape"))
    return 0 if found is not None else 1


# -- install --------------------------------------------------------------------------

@utility("install", usage="install [-cdDsp] [-o USER] [-g GRP] [-m MODE] [-t DIR] [SOURCE]... DEST\n\nCopy files and set attributes\n\n\t-c\tJust copy (default)\n\t-d\tCreate directories\n\t-D\tCreate leading target directories\n\t-s\tStrip symbol table (no effect in the sandbox)\n\t-p\tPreserve date\n\t-o USER\tSet ownership\n\t-g GRP\tSet group ownership\n\t-m MODE\tSet permissions\n\t-t DIR\tInstall to DIR\n\t-v\tVerbose")
def install(u: Util, argv: list[str]) -> int:
    """install [-cdDsvp] [-o USER] [-g GROUP] [-m MODE] [-t DIR] SOURCE... DEST | -d DIR..."""
    opts, args = u.getopt(argv[1:], "cdDspvo:g:m:t:T", {"directory": "d", "preserve-timestamps": "p", "strip": "s", "verbose": "v", "owner=": "o", "group=": "g", "mode=": "m", "target-directory=": "t", "no-target-directory": "T"})
    try:
        mode = parse_mode(opts.get("m") or "755", 0o755) if "m" in opts else 0o755
    except ValueError:
        u.fail(f"invalid mode '{opts.get('m')}'")
    uid = gid = -1
    kernel = u.proc.kernel
    if "o" in opts:
        owner = opts.get("o") or ""
        entry = next((e for e in kernel.passwd() if e.name == owner), None)
        if entry is None and not owner.isdigit():
            u.fail(f"unknown user {owner}")
        uid = entry.uid if entry else int(owner)
    if "g" in opts:
        group = opts.get("g") or ""
        found = next((g for g, (n, _) in kernel.groups().items() if n == group), None)
        if found is None and not group.isdigit():
            u.fail(f"unknown group {group}")
        gid = found if found is not None else int(group)

    def finish(path: str, new_mode: int) -> None:
        try:
            if uid != -1 or gid != -1:
                u.fs.chown(path, uid, gid, u.cwd)
            u.fs.chmod(path, new_mode, u.cwd)
        except OSError as exc:
            u.warn(f"can't change attributes of '{path}': {strerror(exc)}")

    if "d" in opts:
        if not args:
            u.usage_error()
        for path in args:
            try:
                u.fs.makedirs(path, 0o755, u.cwd)
            except OSError as exc:
                u.warn(f"can't create directory '{path}': {strerror(exc)}")
                continue
            finish(path, mode)
        return u.status
    target_dir = opts.get("t")
    if target_dir is None and len(args) < 2:
        u.usage_error()
    if target_dir is not None:
        sources, dest = args, target_dir
    else:
        *sources, dest = args
    if "D" in opts:
        parent = dest if (target_dir is not None or len(sources) > 1) else dest.rpartition("/")[0]
        if parent:
            try:
                u.fs.makedirs(parent, 0o755, u.cwd)
            except OSError as exc:
                u.fail(f"can't create directory '{parent}': {strerror(exc)}")
    into = target_dir is not None or (u.is_dir(dest) and "T" not in opts)
    if len(sources) > 1 and not into:
        u.fail(f"target '{dest}' is not a directory")
    copier = Copier(u, CopyOptions(force=True, preserve="p" in opts))
    for source in sources:
        target = join(dest, last_component(source)) if into else dest
        if u.exists(target, follow=False) and not u.is_dir(target):
            try:
                u.fs.unlink(target, u.cwd)  # install replaces, never writes through
            except OSError as exc:
                u.warn(f"can't remove '{target}': {strerror(exc)}")
                continue
        if not copier.copy(source, target):
            u.status = 1
            continue
        finish(target, mode)
        if "v" in opts:
            u.out.write(f"'{source}' -> '{target}'\n".encode("utf-8", "surrogateescape"))
    return u.status


# -- content tools ----------------------------------------------------------------------

_PRINTABLE = re.compile(rb"[\x20-\x7e\t]{4,}")


@utility("strings", usage="strings [-fo] [-t o|d|x] [-n LEN] [FILE]...\n\nDisplay printable strings in a binary file\n\n\t-f\t\tPrecede strings with filenames\n\t-o\t\tPrecede strings with octal offsets\n\t-t o|d|x\tPrecede strings with offsets in base 8/10/16\n\t-n LEN\t\tAt least LEN characters form a string (default 4)")
def strings(u: Util, argv: list[str]) -> int:
    """strings [-fo] [-t o|d|x] [-n LEN] [FILE]..."""
    opts, files = u.getopt(argv[1:], "afon:t:", {"bytes=": "n", "radix=": "t", "print-file-name": "f"})
    length = opts.get("n", "4") or "4"
    if not length.isdigit() or int(length) < 1:
        u.fail(f"invalid number '{length}'")
    pattern = re.compile(rb"[\x20-\x7e\t]{%d,}" % int(length))
    radix = "o" if "o" in opts else opts.get("t")
    if radix not in (None, "o", "d", "x"):
        u.usage_error()

    def each(name: str, file: OpenFile) -> None:
        data = file.read()
        for m in pattern.finditer(data):
            prefix = f"{name}: " if "f" in opts else ""
            if radix:
                prefix += format(m.start(), {"o": "7o", "d": "7d", "x": "7x"}[radix]) + " "
            u.out.write(prefix.encode("utf-8", "surrogateescape") + m.group(0) + b"\n")

    u.each_input(files, each)
    return u.status


@utility("xxd", usage="xxd [-pri] [-c COLS] [-g N] [-l LEN] [-s OFS] [FILE]\n\nHex dump FILE (or stdin)\n\n\t-g N\t\tBytes per group\n\t-c N\t\tBytes per line\n\t-p\t\tShow only hex bytes, assumes -c30\n\t-i\t\tC include file style\n\t-l LENGTH\tInterpret only LENGTH bytes of input\n\t-s OFFSET\tSkip OFFSET bytes\n\t-r\t\tReverse (with -p, assumes no offsets in input)")
def xxd(u: Util, argv: list[str]) -> int:
    """xxd [-pri] [-c COLS] [-g N] [-l LEN] [-s OFS] [FILE]."""
    opts, files = u.getopt(argv[1:], "pric:g:l:s:u")
    if len(files) > 1:
        u.usage_error()
    path = files[0] if files else "-"
    data = u.read_input(path)
    if "r" in opts:
        if "p" in opts:
            digits = re.sub(rb"[^0-9a-fA-F]", b"", data)
        else:
            digits = b"".join(re.sub(rb"[^0-9a-fA-F]", b"", line.split(b":", 1)[-1][:40]) for line in data.splitlines())
        u.out.write(bytes.fromhex(digits[: len(digits) // 2 * 2].decode()))
        return 0
    skip = _number(u, opts.get("s", "0"))
    data = data[skip:]
    if "l" in opts:
        data = data[: _number(u, opts.get("l"))]
    hexdigits = "{:02X}" if "u" in opts else "{:02x}"
    if "p" in opts:
        columns = _number(u, opts.get("c", "30")) or 30
        text = "".join(hexdigits.format(b) for b in data)
        for i in range(0, len(text), columns * 2):
            u.out.write(text[i:i + columns * 2].encode() + b"\n")
        return 0
    if "i" in opts:
        columns = _number(u, opts.get("c", "12")) or 12
        name = re.sub(r"[^0-9A-Za-z]", "_", path) if files else None
        if name:
            u.out.write(f"unsigned char {name}[] = {{\n".encode("utf-8", "surrogateescape"))
        for i in range(0, len(data), columns):
            chunk = data[i:i + columns]
            u.out.write(("  " + ", ".join("0x" + hexdigits.format(b) for b in chunk) + ",\n").encode())
        if name:
            u.out.write(f"}};\nunsigned int {name}_len = {len(data)};\n".encode("utf-8", "surrogateescape"))
        return 0
    columns = _number(u, opts.get("c", "16")) or 16
    group = _number(u, opts.get("g", "2"))
    width = columns * 2 + (columns // group if group else 0)
    for i in range(0, len(data), columns):
        chunk = data[i:i + columns]
        pieces = [hexdigits.format(b) for b in chunk]
        if group:
            cells = " ".join("".join(pieces[j:j + group]) for j in range(0, len(pieces), group))
        else:
            cells = "".join(pieces)
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        u.out.write(f"{skip + i:08x}: {cells:<{width}} {text}\n".encode())
    return 0


def _number(u: Util, text: str | None) -> int:
    """A non-negative count in C notation (``16``, ``0x10``, ``020``)."""
    try:
        value = int(text or "", 0)
    except ValueError:
        u.fail(f"invalid number '{text}'")
    if value < 0:
        u.fail(f"invalid number '{text}'")
    return value


@utility("shuf", usage="shuf [-n NUM] [-o FILE] [-z] [FILE | -e [ARG...] | -i L-H]\n\nRandomly permute lines\n\n\t-n NUM\tOutput at most NUM lines\n\t-o FILE\tWrite to FILE, not standard output\n\t-z\tNUL terminated output\n\t-e\tTreat ARGs as lines\n\t-i L-H\tTreat numbers L-H as lines")
def shuf(u: Util, argv: list[str]) -> int:
    """shuf [-n NUM] [-o FILE] [-z] [FILE | -e ARG... | -i LO-HI]."""
    opts, args = u.getopt(argv[1:], "n:o:zei:r", {"head-count=": "n", "output=": "o", "zero-terminated": "z", "echo": "e", "input-range=": "i", "repeat": "r"})
    end = b"\0" if "z" in opts else b"\n"
    if "e" in opts:
        lines = [a.encode("utf-8", "surrogateescape") for a in args]
    elif "i" in opts:
        m = re.fullmatch(r"(\d+)-(\d+)", opts.get("i") or "")
        if m is None or int(m.group(1)) > int(m.group(2)) + 1:
            u.fail(f"bad range '{opts.get('i')}'")
        lines = [str(n).encode() for n in range(int(m.group(1)), int(m.group(2)) + 1)]
    else:
        if len(args) > 1:
            u.usage_error()
        lines = []
        u.each_input(args, lambda name, file: lines.extend(chomp(line, end) for line in _records(file, end)))
    random.shuffle(lines)
    if "n" in opts:
        count = opts.get("n") or "0"
        if not count.isdigit():
            u.fail(f"invalid number '{count}'")
        lines = lines[: int(count)]
    data = b"".join(line + end for line in lines)
    if "o" in opts:
        try:
            file = u.create(opts.get("o") or "")
        except OSError as exc:
            u.fail(f"can't open '{opts.get('o')}': {strerror(exc)}")
        file.write(data)
        file.release()
    else:
        u.out.write(data)
    return u.status


def _records(file: OpenFile, end: bytes):
    return iter_records(file, end)


def _tab_stops(u: Util, opts) -> int:
    text = opts.get("t", "8") or "8"
    if not text.isdigit() or int(text) < 1:
        u.fail(f"invalid number '{text}'")
    return int(text)


@utility("expand", usage="expand [-i] [-t N] [FILE]...\n\nConvert tabs to spaces, writing to stdout\n\n\t-i\tOnly convert leading tabs\n\t-t N\tTabstops every N chars")
def expand(u: Util, argv: list[str]) -> int:
    """expand [-i] [-t N] [FILE]..."""
    args = [("-t" + a[1:]) if a[:1] == "-" and a[1:].isdigit() else a for a in argv[1:]]
    opts, files = u.getopt(args, "it:", {"initial": "i", "tabs=": "t"})
    width = _tab_stops(u, opts)

    def each(name: str, file: OpenFile) -> None:
        for raw in iter_lines(file):
            out = bytearray()
            column = 0
            leading = True
            for byte in raw:
                if byte == 0x09 and (leading or "i" not in opts):
                    spaces = width - column % width
                    out += b" " * spaces
                    column += spaces
                    continue
                if byte not in (0x20, 0x09):
                    leading = False
                out.append(byte)
                column = 0 if byte == 0x0A else column - 1 if byte == 0x08 else column + 1
            u.out.write(bytes(out))

    u.each_input(files, each)
    return u.status


@utility("unexpand", usage="unexpand [-fa][-t N] [FILE]...\n\nConvert spaces to tabs, writing to stdout\n\n\t-a\tConvert all blanks\n\t-f\tConvert only leading blanks\n\t-t N\tTabstops every N chars")
def unexpand(u: Util, argv: list[str]) -> int:
    """unexpand [-fa] [-t N] [FILE]..."""
    opts, files = u.getopt(argv[1:], "fat:", {"first-only": "f", "all": "a", "tabs=": "t"})
    width = _tab_stops(u, opts)
    every = "a" in opts or ("t" in opts and "f" not in opts)

    def convert(line: bytes) -> bytes:
        out = bytearray()
        column = 0
        pending = 0  # spaces seen since the last tab stop
        leading = True
        for byte in line:
            if byte == 0x20 and (leading or every):
                pending += 1
                column += 1
                if column % width == 0:
                    out += b"\t" if pending > 1 else b" "
                    pending = 0
                continue
            if byte == 0x09 and (leading or every):
                out += b"\t"
                column += width - column % width
                pending = 0
                continue
            out += b" " * pending
            pending = 0
            leading = False
            out.append(byte)
            column += 1
        out += b" " * pending
        return bytes(out)

    def each(name: str, file: OpenFile) -> None:
        for raw in iter_lines(file):
            body = chomp(raw)
            u.out.write(convert(body) + raw[len(body):])

    u.each_input(files, each)
    return u.status


@utility("dos2unix", "unix2dos", usage="dos2unix [-ud] [FILE]\n\nConvert FILE in-place from DOS to Unix format.\nWhen no file is given, use stdin/stdout.\n\n\t-u\tdos2unix\n\t-d\tunix2dos")
def dos2unix(u: Util, argv: list[str]) -> int:
    """dos2unix/unix2dos [-ud] [FILE]...: in place, or stdin to stdout."""
    opts, files = u.getopt(argv[1:], "ud")
    to_dos = ("d" in opts) if opts.last_of("ud") else u.name == "unix2dos"

    def convert(data: bytes) -> bytes:
        unix = data.replace(b"\r\n", b"\n")
        return unix.replace(b"\n", b"\r\n") if to_dos else unix

    if not files:
        u.out.write(convert(u.proc.stdin.read()))
        return 0
    for path in files:
        try:
            st = u.stat(path)
            data = u.fs.read_bytes(path, u.cwd)
            u.fs.write_bytes(path, convert(data), st.st_mode & 0o7777, u.cwd)
        except OSError as exc:
            u.warn(f"{path}: {strerror(exc)}")
    return u.status


@utility("factor", usage="factor [NUMBER]...\n\nPrint prime factors")
def factor(u: Util, argv: list[str]) -> int:
    """factor [NUMBER]... (numbers from stdin when none are given)."""
    _, args = u.getopt(argv[1:], "")
    numbers = args or u.proc.stdin.read().decode("utf-8", "replace").split()
    for text in numbers:
        if not text.isdigit():
            u.warn(f"invalid number '{text}'")
            continue
        n = value = int(text)
        factors = []
        divisor = 2
        while divisor * divisor <= n:
            while n % divisor == 0:
                factors.append(divisor)
                n //= divisor
            divisor += 1 if divisor == 2 else 2
            if divisor % 4096 == 1:
                u.check()
        if n > 1:
            factors.append(n)
        u.out.write((f"{value}:" + "".join(f" {f}" for f in factors) + "\n").encode())
    return u.status


@utility("arch", usage="arch\n\nPrint system architecture")
def arch(u: Util, argv: list[str]) -> int:
    """arch: the machine name (as ``uname -m``)."""
    u.getopt(argv[1:], "")
    u.out.write(os.uname().machine.encode() + b"\n")
    return 0


@utility("hostid", usage="hostid\n\nPrint out a unique 32-bit identifier for the machine")
def hostid(u: Util, argv: list[str]) -> int:
    """hostid: derived from the container's hostname (no gethostid in the sandbox)."""
    u.getopt(argv[1:], "")
    value = 0
    for byte in u.proc.kernel.hostname.encode():
        value = (value * 31 + byte) & 0xFFFFFFFF
    u.out.write(f"{value:08x}\n".encode())
    return 0


_CONF = {
    "PAGESIZE": lambda: os.sysconf("SC_PAGE_SIZE"), "PAGE_SIZE": lambda: os.sysconf("SC_PAGE_SIZE"),
    "_NPROCESSORS_ONLN": lambda: len(os.sched_getaffinity(0)), "_NPROCESSORS_CONF": lambda: os.cpu_count() or 1,
    "ARG_MAX": lambda: os.sysconf("SC_ARG_MAX"), "CLK_TCK": lambda: os.sysconf("SC_CLK_TCK"),
    "OPEN_MAX": lambda: os.sysconf("SC_OPEN_MAX"), "LONG_BIT": lambda: 64, "PATH_MAX": lambda: 4096, "NAME_MAX": lambda: 255,
    "LINE_MAX": lambda: 2048, "CHILD_MAX": lambda: os.sysconf("SC_CHILD_MAX"), "HOST_NAME_MAX": lambda: 64,
}


@utility("getconf", usage="getconf NAME [PATH]\n\nPrint configuration values (PAGESIZE, _NPROCESSORS_ONLN, ARG_MAX, PATH_MAX...)")
def getconf(u: Util, argv: list[str]) -> int:
    """getconf NAME [PATH]."""
    _, args = u.getopt(argv[1:], "a")
    if not 1 <= len(args) <= 2:
        u.usage_error()
    getter = _CONF.get(args[0])
    if getter is None:
        u.fail(f"Unrecognized variable '{args[0]}'")
    u.out.write(f"{getter()}\n".encode())
    return 0


def _matching(u: Util, opts, pattern: str) -> list:
    try:
        regex = compile_regex(pattern.encode("utf-8", "surrogateescape"), extended=True).re if pattern else None
    except RegexError as exc:
        u.fail(f"bad regex '{pattern}': {exc}", 2)
    found = []
    for proc in u.proc.kernel.processes():
        if proc.exited() or proc.pid == u.proc.pid:
            continue
        name = os.path.basename(proc.argv[0]) if proc.argv else ""
        subject = (" ".join(proc.argv) if "f" in opts else name).encode("utf-8", "surrogateescape")
        hit = regex is None or (regex.fullmatch(subject) if "x" in opts else regex.search(subject))
        if "u" in opts:
            wanted = opts.get("u") or ""
            hit = hit and (proc.creds.user == wanted or str(proc.creds.uid) == wanted)
        if "P" in opts:
            hit = hit and str(proc.ppid) == opts.get("P")
        if bool(hit) != ("v" in opts):
            found.append(proc)
    if "n" in opts and found:
        found = [max(found, key=lambda p: p.start_time)]
    if "o" in opts and found:
        found = [min(found, key=lambda p: p.start_time)]
    return found


@utility("pgrep", usage="pgrep [-flanovx] [-s SID|-P PPID|PATTERN]\n\nDisplay process(es) selected by regex PATTERN\n\n\t-l\tShow command name too\n\t-a\tShow command line too\n\t-f\tMatch against entire command line\n\t-n\tShow the newest process only\n\t-o\tShow the oldest process only\n\t-v\tNegate the match\n\t-x\tMatch whole name (not substring)\n\t-u EUID\tMatch against effective UID\n\t-P PPID\tMatch parent process ID")
def pgrep(u: Util, argv: list[str]) -> int:
    """pgrep [-flanovx] [-u USER] [-P PPID] PATTERN."""
    opts, args = u.getopt(argv[1:], "flanovxu:P:s:")
    if len(args) > 1 or (not args and "u" not in opts and "P" not in opts):
        u.usage_error()
    found = _matching(u, opts, args[0] if args else "")
    for proc in found:
        text = str(proc.pid)
        if "a" in opts:
            text += " " + " ".join(proc.argv)
        elif "l" in opts:
            text += " " + (os.path.basename(proc.argv[0]) if proc.argv else "")
        u.out.write(text.encode("utf-8", "surrogateescape") + b"\n")
    return 0 if found else 1


@utility("pkill", usage="pkill [-l|-SIGNAL] [-xfvno] [-s SID|-P PPID|PATTERN]\n\nSend signal to processes selected by regex PATTERN\n\n\t-l\tList all signals\n\t-x\tMatch whole name (not substring)\n\t-f\tMatch against entire command line\n\t-s SID\tMatch session ID (0 for current)\n\t-P PPID\tMatch parent process ID\n\t-v\tNegate the match\n\t-n\tSignal the newest process only\n\t-o\tSignal the oldest process only")
def pkill(u: Util, argv: list[str]) -> int:
    """pkill [-SIGNAL] [-xfvno] [-u USER] [-P PPID] PATTERN."""
    args = argv[1:]
    signum = SIGTERM
    if args and args[0].startswith("-") and len(args[0]) > 1 and not set(args[0][1:]) <= set("xfvnolauPs"):
        try:
            signum = parse_signal(args[0][1:])
        except ValueError:
            u.fail(f"bad signal name '{args[0][1:]}'")
        args = args[1:]
    opts, rest = u.getopt(args, "xfvnou:P:s:l")
    if len(rest) > 1 or (not rest and "u" not in opts and "P" not in opts):
        u.usage_error()
    found = _matching(u, opts, rest[0] if rest else "")
    for proc in found:
        proc.deliver(signum, inside=True)
    return 0 if found else 1


@utility("free", usage="free [-bkmgh]\n\nDisplay free and used memory")
def free(u: Util, argv: list[str]) -> int:
    """free [-bkmgh]: the host's memory (the sandbox has no memory limit of its own), from sysconf."""
    opts, _ = u.getopt(argv[1:], "bkmgh")
    page = os.sysconf("SC_PAGE_SIZE")
    total = os.sysconf("SC_PHYS_PAGES") * page
    available = os.sysconf("SC_AVPHYS_PAGES") * page
    unit = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}.get(opts.last_of("bkmg") or "k", 1024)

    def cell(value: int) -> str:
        return f"{human_size(value) if 'h' in opts else value // unit:>11}"

    u.out.write(f"{'':14}{'total':>11}{'used':>12}{'free':>12}{'shared':>12}{'buff/cache':>12}{'available':>12}\n".encode())
    u.out.write(f"Mem:   {cell(total)} {cell(total - available)} {cell(available)} {cell(0)} {cell(0)} {cell(available)}\n".encode())
    u.out.write(f"Swap:  {cell(0)} {cell(0)} {cell(0)}\n".encode())
    return 0


@utility("setsid", usage="setsid [-c] PROG ARGS\n\nRun PROG in a new session. PROG will have no controlling terminal\nand will not be affected by keyboard signals (^C etc).\n\n\t-c\tSet controlling terminal to stdin")
def setsid(u: Util, argv: list[str]) -> int:
    """setsid [-cfw] PROG ARGS: a new process group (the sandbox has no sessions beyond that)."""
    _, args = u.getopt(argv[1:], "+cfw")
    if not args:
        u.usage_error()
    u.proc.pgid = u.proc.pid
    return exec_in_place(u, args)


@utility("mountpoint", usage="mountpoint [-q] { [-dn] DIR | -x DEVICE }\n\nCheck if DIR is a mountpoint\n\n\t-q\tQuiet\n\t-d\tPrint major:minor of the filesystem")
def mountpoint(u: Util, argv: list[str]) -> int:
    """mountpoint [-q] [-d] DIR: the container root and its volumes and binds are mount points."""
    opts, args = u.getopt(argv[1:], "qdnx")
    if len(args) != 1:
        u.usage_error()
    path = args[0]
    try:
        st = u.stat(path)
        real = u.fs.realpath(path, u.cwd)
    except OSError as exc:
        u.fail(f"{path}: {strerror(exc)}")
    if not stat_mod.S_ISDIR(st.st_mode):
        u.fail(f"{path}: not a directory")
    is_mount = real == "/" or real in u.fs.mount_targets
    if "d" in opts and is_mount:
        u.out.write(f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}\n".encode())
    elif "q" not in opts:
        u.out.write(f"{path} is {'' if is_mount else 'not '}a mountpoint\n".encode("utf-8", "surrogateescape"))
    return 0 if is_mount else 1


@utility("clear", usage="clear\n\nClear screen")
def clear(u: Util, argv: list[str]) -> int:
    """clear: the ANSI sequence that homes the cursor and erases the screen."""
    u.getopt(argv[1:], "")
    u.out.write(b"\x1b[H\x1b[J")
    return 0
