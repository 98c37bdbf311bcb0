"""ls: list directory contents in busybox's formats (one per line to a pipe, columns on a terminal)."""

from __future__ import annotations

import os
import re
import stat as stat_mod
import time
from dataclasses import dataclass

from .common import Util, group_label, human_size, strerror, user_label, utility
from .fileops import join
from .modes import mode_string
from .timefmt import strftime, zone

_USAGE = """ls [-1AaCxdLHRFplinshrSXvctu] [-w WIDTH] [FILE]...

List directory contents

\t-1\tOne column output
\t-a\tInclude names starting with .
\t-A\tLike -a, but exclude . and ..
\t-x\tList by lines
\t-d\tList directory names, not contents
\t-L\tFollow symlinks
\t-H\tFollow symlinks on command line
\t-R\tRecurse
\t-p\tAppend / to directory names
\t-F\tAppend indicator (one of */=@|) to names
\t-l\tLong format
\t-i\tList inode numbers
\t-n\tList numeric UIDs and GIDs instead of names
\t-s\tList allocated blocks
\t-lc\tList ctime
\t-lu\tList atime
\t--full-time\tList full date/time
\t-h\tHuman readable sizes (1K 243M 2G)
\t--group-directories-first
\t-S\tSort by size
\t-X\tSort by extension
\t-v\tSort by version
\t-t\tSort by mtime
\t-tc\tSort by ctime
\t-tu\tSort by atime
\t-r\tReverse sort order
\t-w N\tFormat N columns wide
\t--color[={always,never,auto}]"""

_SIX_MONTHS = 6 * 30.5 * 86400


@dataclass
class Entry:
    """One name to list, with its stat (``None`` when it cannot be read)."""

    name: str  # as displayed
    path: str  # as reached
    st: os.stat_result | None
    link_target: str | None = None
    target_st: os.stat_result | None = None


class _Ls:
    def __init__(self, u: Util, opts) -> None:
        self.u = u
        self.o = opts
        self.long = "l" in opts or "n" in opts
        fmt = opts.last_of("1lCxn")
        tty = u.out.file.isatty() if _has_stdout(u) else False
        self.columns = fmt in ("C", "x") or (fmt is None and tty and not self.long)
        self.across = fmt == "x"
        if self.long or fmt == "1":
            self.columns = False
        self.width = 80
        if "w" in opts:
            text = opts.get("w") or ""
            if not text.isdigit():
                u.fail(f"invalid number '{text}'")
            self.width = int(text) or 1 << 30
        elif "COLUMNS" in u.env and u.env["COLUMNS"].isdigit():
            self.width = int(u.env["COLUMNS"])
        elif tty:
            self.width = _terminal_width(u) or 80
        self.follow = "L" in opts
        self.tz = zone(u.env)
        self.now = time.time()
        self.time_key = opts.last_of("cu") or "m"
        self.color = opts.get("color") in ("always", "yes", "force") or (opts.get("color") in ("auto", "tty", "if-tty") and tty)
        if "color" in opts and opts.get("color") is None:
            self.color = tty
        self.first_block = True

    # -- gathering -------------------------------------------------------------------
    def entry(self, name: str, path: str, follow: bool) -> Entry:
        u = self.u
        try:
            st = u.stat(path, follow=False)
        except OSError:
            return Entry(name, path, None)
        entry = Entry(name, path, st)
        if stat_mod.S_ISLNK(st.st_mode):
            try:
                entry.link_target = u.fs.readlink(path, u.cwd)
            except OSError:
                entry.link_target = None
            try:
                entry.target_st = u.stat(path)
            except OSError:
                entry.target_st = None
            if follow and entry.target_st is not None:
                entry.st = entry.target_st
        return entry

    def children(self, path: str) -> list[Entry]:
        u = self.u
        names = u.fs.listdir(path, u.cwd)
        show_all = "a" in self.o
        if not show_all and "A" not in self.o:
            names = [n for n in names if not n.startswith(".")]
        if show_all:
            names += [".", ".."]
        return [self.entry(n, join(path, n), self.follow) for n in names]

    # -- ordering --------------------------------------------------------------------
    def sort(self, entries: list[Entry]) -> list[Entry]:
        o = self.o
        if "U" in o or "f" in o:
            return entries

        def name_key(e: Entry) -> bytes:
            return e.name.encode("utf-8", "surrogateescape")

        result = sorted(entries, key=name_key)
        mode = o.last_of("StXv")
        if mode == "S":
            result.sort(key=lambda e: -(e.st.st_size if e.st else 0))
        elif mode == "t":
            result.sort(key=lambda e: -int(self._time(e.st)) if e.st else 0)
        elif mode == "X":
            result.sort(key=lambda e: e.name.rsplit(".", 1)[1] if "." in e.name.lstrip(".") else "")
        elif mode == "v":
            result.sort(key=lambda e: [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"\d+|\D+", e.name)])
        if "group-directories-first" in o:
            result.sort(key=lambda e: not (e.st is not None and stat_mod.S_ISDIR(e.st.st_mode)))
        if "r" in o:
            result.reverse()
        return result

    def _time(self, st: os.stat_result) -> float:
        return {"c": st.st_ctime, "u": st.st_atime}.get(self.time_key, st.st_mtime)

    # -- rendering -------------------------------------------------------------------
    def indicator(self, e: Entry) -> str:
        if e.st is None:
            return ""
        mode = e.st.st_mode
        if "F" in self.o:
            if stat_mod.S_ISDIR(mode):
                return "/"
            if stat_mod.S_ISLNK(mode):
                return "@"
            if stat_mod.S_ISFIFO(mode):
                return "|"
            if stat_mod.S_ISSOCK(mode):
                return "="
            if mode & 0o111:
                return "*"
        elif "p" in self.o and stat_mod.S_ISDIR(mode):
            return "/"
        return ""

    def colored(self, e: Entry) -> str:
        if not self.color or e.st is None:
            return e.name
        mode = e.st.st_mode
        code = "0"
        if stat_mod.S_ISDIR(mode):
            code = "1;34"
        elif stat_mod.S_ISLNK(mode):
            code = "1;36" if e.target_st is not None else "1;31"
        elif stat_mod.S_ISREG(mode) and mode & 0o111:
            code = "1;32"
        return f"\x1b[{code}m{e.name}\x1b[m" if code != "0" else f"\x1b[0;0m{e.name}\x1b[m"

    def prefix(self, e: Entry) -> str:
        parts = ""
        if "i" in self.o:
            parts += f"{e.st.st_ino if e.st else 0:7d} "
        if "s" in self.o:
            blocks = (e.st.st_blocks // 2) if e.st else 0
            parts += (f"{human_size(blocks, 1024):>6} " if "h" in self.o else f"{blocks:6d} ")
        return parts

    def date(self, st: os.stat_result) -> str:
        ts = self._time(st)
        if "full-time" in self.o:
            return strftime(ts, "%Y-%m-%d %H:%M:%S %z", self.tz)
        if self.now - _SIX_MONTHS < ts <= self.now + 60:
            return strftime(ts, "%b %e %H:%M", self.tz)
        return strftime(ts, "%b %e  %Y", self.tz)

    def long_line(self, e: Entry) -> str:
        st = e.st
        assert st is not None
        proc = self.u.proc
        if "n" in self.o:
            owner, group = str(st.st_uid), str(st.st_gid)
        else:
            owner, group = user_label(proc, st.st_uid), group_label(proc, st.st_gid)
        if stat_mod.S_ISCHR(st.st_mode) or stat_mod.S_ISBLK(st.st_mode):
            size = f" {os.major(st.st_rdev):4d},{os.minor(st.st_rdev):4d}"
        elif "h" in self.o:
            size = f" {human_size(st.st_size):>7}"
        else:
            size = f" {st.st_size:9d}"
        line = f"{mode_string(st.st_mode)} {st.st_nlink:4d} {owner:<8.8} {group:<8.8}{size} {self.date(st)} {self.colored(e)}"
        if e.link_target is not None and stat_mod.S_ISLNK(st.st_mode):
            line += f" -> {e.link_target}"
            if "F" in self.o and e.target_st is not None:
                line += self.indicator(Entry(e.link_target, "", e.target_st))
        else:
            line += self.indicator(e)
        return line

    def write(self, text: str) -> None:
        self.u.out.write(text.encode("utf-8", "surrogateescape"))

    def show(self, entries: list[Entry]) -> None:
        if self.long:
            for e in entries:
                if e.st is None:
                    continue
                self.write(self.prefix(e) + self.long_line(e) + "\n")
            return
        cells = [self.prefix(e) + self.colored(e) + self.indicator(e) for e in entries if e.st is not None]
        if not self.columns:
            for cell in cells:
                self.write(cell + "\n")
            return
        plain = [self.prefix(e) + e.name + self.indicator(e) for e in entries if e.st is not None]
        if not cells:
            return
        col_width = max(len(c) for c in plain) + 2
        ncols = max(1, self.width // col_width)
        nrows = (len(cells) + ncols - 1) // ncols
        for row in range(nrows):
            line = ""
            for col in range(ncols):
                index = row * ncols + col if self.across else col * nrows + row
                if index >= len(cells):
                    continue
                last = (col == ncols - 1) or (index + (1 if self.across else nrows) >= len(cells))
                pad = "" if last else " " * (col_width - len(plain[index]))
                line += cells[index] + pad
            self.write(line.rstrip(" ") + "\n" if not self.color else line + "\n")

    def total(self, entries: list[Entry]) -> None:
        if self.long or "s" in self.o:
            blocks = sum((e.st.st_blocks // 2) for e in entries if e.st is not None)
            self.write(f"total {human_size(blocks, 1024) if 'h' in self.o and 's' in self.o else blocks}\n")

    def directory(self, path: str, label: str, header: bool) -> None:
        if header:
            self.write(("" if self.first_block else "\n") + f"{label}:\n")
        self.first_block = False
        try:
            entries = self.sort(self.children(path))
        except OSError as exc:
            self.u.warn(f"{label}: {strerror(exc)}")
            return
        self.total(entries)
        self.show(entries)
        if "R" in self.o:
            for e in entries:
                if e.name in (".", "..") or e.st is None or not stat_mod.S_ISDIR(e.st.st_mode):
                    continue
                self.directory(e.path, join(label, e.name) if label != "/" else "/" + e.name, True)


def _terminal_width(u: Util) -> int | None:
    """The columns of the container's terminal (a host pty descriptor held by the sandbox)."""
    fd = u.out.file.fileno()
    if fd is None:
        return None
    try:
        return os.get_terminal_size(fd).columns
    except OSError:
        return None


def _has_stdout(u: Util) -> bool:
    return u.proc.fds.get(1) is not None


@utility("ls", usage=_USAGE)
def ls(u: Util, argv: list[str]) -> int:
    """ls [-1AaCxdLHRFplinshrSXvctuU] [-w WIDTH] [FILE]..."""
    opts, paths = u.getopt(argv[1:], "1AaCxdLHRFplinshrSXvctuUw:gGfkqe", {
        "full-time": "full-time", "group-directories-first": "group-directories-first", "color=?": "color",
        "all": "a", "almost-all": "A", "directory": "d", "dereference": "L", "recursive": "R", "classify": "F",
        "human-readable": "h", "inode": "i", "numeric-uid-gid": "n", "reverse": "r", "size": "s",
    })
    for unsupported in "gGkqe":
        if unsupported in opts:
            u.usage_error(f"unrecognized option: {unsupported}")
    if "full-time" in opts:
        opts.add("l")
    if "f" in opts:
        opts.add("a")
    lister = _Ls(u, opts)
    listing_dirs = "d" not in opts
    # symlinks on the command line are followed unless they are being described (-l, -F, -d)
    follow_args = "L" in opts or "H" in opts or not ("l" in opts or "n" in opts or "F" in opts or "d" in opts)
    files: list[Entry] = []
    dirs: list[Entry] = []
    for path in paths or ["."]:
        entry = lister.entry(path, path, follow_args)
        if entry.st is None:
            try:
                u.stat(path, follow=False)
            except OSError as exc:
                u.warn(f"{path}: {strerror(exc)}")
                continue
        assert entry.st is not None
        if listing_dirs and stat_mod.S_ISDIR(entry.st.st_mode):
            dirs.append(entry)
        else:
            files.append(entry)
    files = lister.sort(files)
    dirs = lister.sort(dirs)
    if files:
        lister.show(files)
        lister.first_block = False
    header = len(paths) > 1 or "R" in opts or bool(files)
    for entry in dirs:
        lister.directory(entry.path, entry.name, header)
    return u.status
