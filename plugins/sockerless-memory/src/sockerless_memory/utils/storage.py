"""Blocks and space: split, dd, du, df."""

from __future__ import annotations

import os
import stat as stat_mod
import string

from ..sandbox.files import CHUNK, OpenFile
from .common import Util, human_size, iter_chunks, iter_lines, parse_size, strerror, utility
from .fileops import join

_SPLIT_SUFFIXES = {"b": 512, "k": 1024, "m": 1024**2, "g": 1024**3, "K": 1024, "M": 1024**2, "G": 1024**3}


def _suffix(index: int, length: int, numeric: bool) -> str | None:
    alphabet = string.digits if numeric else string.ascii_lowercase
    base = len(alphabet)
    if index >= base**length:
        return None
    chars = []
    for _ in range(length):
        index, digit = divmod(index, base)
        chars.append(alphabet[digit])
    return "".join(reversed(chars))


@utility("split", usage="split [OPTIONS] [INPUT [PREFIX]]\n\n\t-b N[k|m]\tSplit by N (kilo|mega)bytes\n\t-l N\t\tSplit by N lines\n\t-a N\t\tUse N letters as suffix\n\t-d\t\tUse numeric suffixes")
def split(u: Util, argv: list[str]) -> int:
    """split [-b N[kmg]] [-l N] [-a N] [-d] [INPUT [PREFIX]]."""
    opts, args = u.getopt(argv[1:], "b:l:a:d", {"bytes=": "b", "lines=": "l", "suffix-length=": "a", "numeric-suffixes": "d"})
    if len(args) > 2:
        u.usage_error()
    source = args[0] if args else "-"
    prefix = args[1] if len(args) > 1 else "x"
    try:
        length = int(opts.get("a", "2") or 2)
        by_bytes = "b" in opts
        count = parse_size(opts.get("b") or "", _SPLIT_SUFFIXES) if by_bytes else int(opts.get("l", "1000") or 1000)
    except ValueError:
        u.fail(f"invalid number '{opts.get('b') or opts.get('l') or opts.get('a')}'")
    if count <= 0:
        u.fail(f"invalid number '{count}'")
    state = {"index": 0, "file": None, "left": 0}

    def next_file() -> OpenFile:
        if state["file"] is not None:
            state["file"].release()
        suffix = _suffix(state["index"], length, "d" in opts)
        if suffix is None:
            u.fail("suffixes exhausted")
        state["index"] += 1
        state["left"] = count
        name = prefix + suffix
        try:
            state["file"] = u.create(name)
        except OSError as exc:
            u.fail(f"can't open '{name}': {strerror(exc)}")
        return state["file"]

    def each(name: str, file: OpenFile) -> None:
        pieces = iter_chunks(file) if by_bytes else iter_lines(file)
        for piece in pieces:
            while piece:
                if state["file"] is None or state["left"] == 0:
                    next_file()
                if by_bytes:
                    part, piece = piece[: state["left"]], piece[state["left"]:]
                    state["left"] -= len(part)
                else:
                    part, piece = piece, b""
                    state["left"] -= 1
                state["file"].write(part)

    try:
        u.each_input([source], each)
    finally:
        if state["file"] is not None:
            state["file"].release()
    return u.status


_DD_SUFFIXES = {"c": 1, "w": 2, "b": 512, "kB": 1000, "k": 1024, "K": 1024, "MB": 1000**2, "M": 1024**2, "GB": 1000**3, "G": 1024**3}


def _dd_number(u: Util, text: str) -> int:
    total = 1
    for part in text.split("x"):
        try:
            total *= parse_size(part, _DD_SUFFIXES)
        except ValueError:
            u.fail(f"invalid number '{text}'")
    return total


@utility("dd", usage="dd [if=FILE] [of=FILE] [ibs=N obs=N/bs=N] [count=N] [skip=N] [seek=N]\n\t[conv=notrunc|noerror|sync|fsync] [iflag=skip_bytes|fullblock] [oflag=seek_bytes|append] [status=noxfer|none]\n\nCopy a file with converting and formatting\n\n\tif=FILE\t\tRead from FILE instead of stdin\n\tof=FILE\t\tWrite to FILE instead of stdout\n\tbs=N\t\tRead and write N bytes at a time\n\tibs=N\t\tRead N bytes at a time\n\tobs=N\t\tWrite N bytes at a time\n\tcount=N\t\tCopy only N input blocks\n\tskip=N\t\tSkip N input blocks\n\tseek=N\t\tSkip N output blocks\n\tconv=notrunc\tDon't truncate output file\n\tconv=noerror\tContinue after read errors\n\tconv=sync\tPad blocks with zeros\n\tconv=fsync\tPhysically write data out before finishing\n\tconv=swab\tSwap every pair of bytes\n\tstatus=noxfer\tSuppress rate output\n\tstatus=none\tSuppress all output")
def dd(u: Util, argv: list[str]) -> int:
    """dd [if=] [of=] [bs= ibs= obs=] [count=] [skip=] [seek=] [conv=] [iflag=] [oflag=] [status=]."""
    params: dict[str, str] = {}
    for arg in argv[1:]:
        key, eq, value = arg.partition("=")
        if not eq or key not in ("if", "of", "bs", "ibs", "obs", "count", "skip", "seek", "conv", "iflag", "oflag", "status"):
            u.usage_error(f"unknown operand {arg}" if eq else None)
        params[key] = value
    ibs = _dd_number(u, params.get("ibs", params.get("bs", "512")))
    obs = _dd_number(u, params.get("obs", params.get("bs", "512")))
    conv = set(filter(None, params.get("conv", "").split(",")))
    iflag = set(filter(None, params.get("iflag", "").split(",")))
    oflag = set(filter(None, params.get("oflag", "").split(",")))
    for flag in conv - {"notrunc", "noerror", "sync", "fsync", "fdatasync", "swab"}:
        u.fail(f"invalid conv '{flag}'")
    count = _dd_number(u, params["count"]) if "count" in params else None
    skip = _dd_number(u, params.get("skip", "0"))
    seek = _dd_number(u, params.get("seek", "0"))
    source = params.get("if")
    target = params.get("of")
    try:
        infile = u.open(source) if source else u.proc.stdin
    except OSError as exc:
        u.fail(f"can't open '{source}': {strerror(exc)}")
    try:
        outfile = u.out.file
        if target:
            flags = os.O_WRONLY | os.O_CREAT
            if "notrunc" not in conv and "append" not in oflag and not seek:
                flags |= os.O_TRUNC
            if "append" in oflag:
                flags |= os.O_APPEND
            try:
                outfile = u.open(target, flags)
            except OSError as exc:
                u.fail(f"can't open '{target}': {strerror(exc)}")
            if seek:
                outfile.seek(seek if "seek_bytes" in oflag else seek * obs)
                if "notrunc" not in conv:
                    fd = outfile.fileno()
                    if fd is not None:
                        os.ftruncate(fd, seek if "seek_bytes" in oflag else seek * obs)
        full_in = full_out = part_in = part_out = 0
        to_skip = skip if "skip_bytes" in iflag else skip * ibs
        while to_skip > 0:
            chunk = infile.read(min(to_skip, CHUNK))
            if not chunk:
                break
            to_skip -= len(chunk)
        pending = b""
        while count is None or full_in + part_in < count:
            u.check()
            block = infile.read(ibs) if "fullblock" in iflag or infile.kind == "file" else infile.read1(ibs)
            if not block:
                break
            if len(block) == ibs:
                full_in += 1
            else:
                part_in += 1
                if "sync" in conv:
                    block += b"\0" * (ibs - len(block))
            if "swab" in conv:
                block = b"".join(block[i + 1:i + 2] + block[i:i + 1] for i in range(0, len(block), 2))
            pending += block
            while len(pending) >= obs:
                outfile.write(pending[:obs])
                pending = pending[obs:]
                full_out += 1
        if pending:
            outfile.write(pending)
            part_out += 1
    finally:
        if source:
            infile.release()
        if target and outfile is not u.out.file:
            outfile.release()
    if params.get("status") != "none":
        u.proc.stderr.write(f"{full_in}+{part_in} records in\n{full_out}+{part_out} records out\n".encode())
    return 0


class _Du:
    def __init__(self, u: Util, opts) -> None:
        self.u = u
        self.opts = opts
        self.unit = 1
        if "m" in opts:
            self.unit = 1024
        self.seen: set[tuple[int, int]] = set()
        self.max_depth = int(opts.get("d")) if "d" in opts else None  # type: ignore[arg-type]
        self.device: int | None = None  # -x: the file system of the argument being summed

    def show(self, kib: int, path: str) -> None:
        if "h" in self.opts:
            text = human_size(kib, 1024)
        else:
            text = str((kib + self.unit - 1) // self.unit)
        self.u.out.write(f"{text}\t{path}\n".encode("utf-8", "surrogateescape"))

    def size(self, path: str, depth: int, top: bool) -> int:
        u = self.u
        u.check()
        try:
            st = u.stat(path, follow="L" in self.opts or (top and "H" in self.opts))
        except OSError as exc:
            u.warn(f"{path}: {strerror(exc)}")
            return 0
        if st.st_nlink > 1 and not stat_mod.S_ISDIR(st.st_mode) and "l" not in self.opts:
            key = (st.st_dev, st.st_ino)
            if key in self.seen:
                return 0  # hard links are counted once
            self.seen.add(key)
        total = st.st_blocks // 2
        if "x" in self.opts and self.device is not None and st.st_dev != self.device:
            return 0
        if stat_mod.S_ISDIR(st.st_mode):
            for name in u.dir_names(path):
                total += self.size(join(path, name), depth + 1, False)
            if self._shown(depth, top):
                self.show(total, path)
        elif top or ("a" in self.opts and self._shown(depth, top)):
            self.show(total, path)
        return total

    def _shown(self, depth: int, top: bool) -> bool:
        if "s" in self.opts:
            return top
        return self.max_depth is None or depth <= self.max_depth


@utility("du", usage="du [-aHLdclsxhmk] [FILE]...\n\nSummarize disk space used for FILEs (or directories)\n\n\t-a\tShow file sizes too\n\t-L\tFollow all symlinks\n\t-H\tFollow symlinks on command line\n\t-d N\tLimit output to directories (and files with -a) of depth < N\n\t-c\tShow grand total\n\t-l\tCount sizes many times if hard linked\n\t-s\tDisplay only a total for each argument\n\t-x\tSkip directories on different filesystems\n\t-h\tSizes in human readable format (e.g., 1K 243M 2G)\n\t-m\tSizes in megabytes\n\t-k\tSizes in kilobytes (default)")
def du(u: Util, argv: list[str]) -> int:
    """du [-aHLcslxhmk] [-d N] [FILE]..."""
    opts, files = u.getopt(argv[1:], "aHLd:clsxhmk", {"all": "a", "summarize": "s", "human-readable": "h", "max-depth=": "d", "total": "c", "one-file-system": "x", "count-links": "l"})
    if "d" in opts and not (opts.get("d") or "").isdigit():
        u.fail(f"invalid number '{opts.get('d')}'")
    runner = _Du(u, opts)
    grand = 0
    for path in files or ["."]:
        try:
            runner.device = u.stat(path).st_dev
        except OSError:
            runner.device = None
        grand += runner.size(path, 0, True)
    if "c" in opts:
        runner.show(grand, "total")
    return u.status


@utility("df", usage="df [-PkmhT] [-t TYPE] [FILESYSTEM]...\n\nPrint filesystem usage statistics\n\n\t-P\tPOSIX output format\n\t-k\t1024-byte blocks (default)\n\t-m\t1M-byte blocks\n\t-h\tHuman readable (e.g. 1K 243M 2G)\n\t-T\tPrint filesystem type\n\t-t TYPE\tPrint only mounts of this type\n\t-a\tShow all filesystems\n\t-i\tInodes\n\t-B SIZE\tBlocksize")
def df(u: Util, argv: list[str]) -> int:
    """df [-PkmhTai] [-B SIZE] [PATH]...: real figures of the host file system holding the container root."""
    opts, paths = u.getopt(argv[1:], "PkmhTt:aiB:", {"human-readable": "h", "portability": "P", "print-type": "T", "inodes": "i"})
    fs = u.fs
    mounts = ["/", *fs.mount_targets]
    rows: list[tuple[str, str]] = []
    if paths:
        for path in paths:
            try:
                real = fs.realpath(path, u.cwd)
            except OSError as exc:
                u.warn(f"{path}: {strerror(exc)}")
                continue
            target = max((m for m in mounts if real == m or real.startswith(m.rstrip("/") + "/")), key=len)
            rows.append((target, path))
    else:
        rows = [(m, m) for m in mounts]
    block = 1024
    if "m" in opts:
        block = 1024 * 1024
    if "B" in opts:
        try:
            block = parse_size(opts.get("B") or "1024", {"k": 1024, "K": 1024, "m": 1024**2, "M": 1024**2, "g": 1024**3, "G": 1024**3})
        except ValueError:
            u.fail(f"invalid number '{opts.get('B')}'")
    human = "h" in opts
    label = "Size" if human else "Inodes" if "i" in opts else "1K-blocks" if block == 1024 else "1M-blocks" if block == 1024**2 else f"{block}B-blocks"
    kind_column = f"{'Type':<10} " if "T" in opts else ""
    if "P" in opts and not human:
        header = f"{'Filesystem':<20} {kind_column}{'1024-blocks' if block == 1024 else label}    Used Available Capacity Mounted on"
    else:
        header = f"{'Filesystem':<20} {kind_column}{label:>9} {'Used':>9} {'Available':>9} Use% Mounted on"
    u.out.write(header.encode() + b"\n")
    for target, _ in rows:
        try:
            st = _statvfs(u, target)
        except OSError as exc:
            u.warn(f"{target}: {strerror(exc)}")
            continue
        if "i" in opts:
            total, free, avail = st.f_files, st.f_ffree, st.f_favail
            scale = 1
        else:
            total, free, avail = st.f_blocks, st.f_bfree, st.f_bavail
            scale = st.f_frsize
        used = total - free
        percent = 0 if used + avail == 0 else -(-used * 100 // (used + avail))
        if human and "i" not in opts:
            cells = [human_size(total * scale), human_size(used * scale), human_size(avail * scale)]
        elif "i" in opts:
            cells = [str(total), str(used), str(avail)]
        else:
            cells = [str(total * scale // block), str(used * scale // block), str(avail * scale // block)]
        name = "overlay" if target == "/" else "/dev/sandbox"
        kind = "overlay" if target == "/" else "ext4"
        if "t" in opts and kind != opts.get("t"):
            continue
        line = f"{name:<20} " + (f"{kind:<10} " if "T" in opts else "") + f"{cells[0]:>9} {cells[1]:>9} {cells[2]:>9} {percent:>3d}% {target}"
        u.out.write(line.encode("utf-8", "surrogateescape") + b"\n")
    return u.status


def _statvfs(u: Util, target: str) -> os.statvfs_result:
    """``fstatvfs`` of a container directory, opened through the jail."""
    fd = u.fs.open(target, os.O_RDONLY | os.O_DIRECTORY, cwd="/")
    try:
        return os.fstatvfs(fd)
    finally:
        os.close(fd)
