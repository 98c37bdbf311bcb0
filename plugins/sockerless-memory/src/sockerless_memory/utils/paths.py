"""Names and metadata: readlink, realpath, mktemp, which, stat, truncate, mkfifo."""

from __future__ import annotations

import errno
import os
import secrets
import stat as stat_mod
import string

from ..sandbox.exec import DEFAULT_PATH, is_executable
from ..sandbox.fs import normpath
from .common import Util, parse_size, strerror, utility
from .modes import mode_string
from .timefmt import strftime, zone


def canonical(u: Util, path: str, *, must_exist: bool) -> str | None:
    """``readlink -f``: every link resolved; only the last component may be missing unless ``must_exist``."""
    try:
        return u.fs.realpath(path, u.cwd)
    except OSError:
        pass
    if must_exist:
        return None
    parent, _, name = path.rstrip("/").rpartition("/")
    if name in ("", ".", ".."):
        return None
    try:
        base = u.fs.realpath(parent or ("/" if path.startswith("/") else "."), u.cwd)
    except OSError:
        return None
    if not u.fs.is_dir(base):
        return None
    try:  # a dangling link: follow its text one level
        target = u.fs.readlink(path, u.cwd)
        return normpath(target, base)
    except OSError:
        return normpath(name, base)


@utility("readlink", usage="readlink [-fnv] FILE\n\nDisplay the value of a symlink\n\n\t-f\tCanonicalize by following all symlinks\n\t-e\tCanonicalize, every component must exist\n\t-n\tDon't add newline\n\t-v\tVerbose")
def readlink(u: Util, argv: list[str]) -> int:
    """readlink [-fenv] FILE..."""
    opts, files = u.getopt(argv[1:], "fenvqsm", {"canonicalize": "f", "canonicalize-existing": "e", "no-newline": "n", "verbose": "v"})
    if not files:
        u.usage_error()
    end = b"" if "n" in opts else b"\n"
    for path in files:
        if "f" in opts or "e" in opts or "m" in opts:
            result = canonical(u, path, must_exist="e" in opts)
            if result is None:
                u.status = 1
                continue
        else:
            try:
                result = u.fs.readlink(path, u.cwd)
            except OSError as exc:
                if "v" in opts:
                    u.warn(f"{path}: {strerror(exc)}")
                u.status = 1
                continue
        u.out.write(result.encode("utf-8", "surrogateescape") + end)
    return u.status


@utility("realpath", usage="realpath FILE...\n\nPrint absolute pathnames of FILEs")
def realpath(u: Util, argv: list[str]) -> int:
    """realpath [-e|-m] FILE..."""
    opts, files = u.getopt(argv[1:], "emq", {"canonicalize-existing": "e", "canonicalize-missing": "m", "quiet": "q"})
    if not files:
        u.usage_error()
    for path in files:
        if "m" in opts:
            result = canonical(u, path, must_exist=False) or normpath(path, u.cwd)
        else:
            try:
                result = u.fs.realpath(path, u.cwd)
            except OSError as exc:
                if "q" in opts:
                    u.status = 1
                else:
                    u.warn(f"{path}: {strerror(exc)}")
                continue
        u.out.write(result.encode("utf-8", "surrogateescape") + b"\n")
    return u.status


_ALPHABET = string.ascii_letters + string.digits


@utility("mktemp", usage="mktemp [-dt] [-p DIR] [TEMPLATE]\n\nCreate a temporary file with name based on TEMPLATE and print its name.\nTEMPLATE must end with XXXXXX (e.g. [/dir/]nameXXXXXX).\nWithout TEMPLATE, -t tmp.XXXXXX is assumed.\n\n\t-d\tMake directory, not file\n\t-q\tFail silently on any errors\n\t-t\tPrepend base directory name to TEMPLATE\n\t-p DIR\tUse DIR as a base directory (implies -t)\n\t-u\tDo not create anything; print a name\n\nBase directory is: -p DIR, else $TMPDIR, else /tmp")
def mktemp(u: Util, argv: list[str]) -> int:
    """mktemp [-dqtu] [-p DIR] [TEMPLATE]."""
    opts, args = u.getopt(argv[1:], "dqtp:u", {"directory": "d", "quiet": "q", "tmpdir=?": "p", "dry-run": "u"})
    if len(args) > 1:
        u.usage_error()
    template = args[0] if args else "tmp.XXXXXX"
    base = opts.get("p") or u.env.get("TMPDIR") or "/tmp"
    if (not args or "t" in opts or "p" in opts) and ("/" not in template or not args):
        template = base.rstrip("/") + "/" + template
    stripped = template.rstrip("X")
    count = len(template) - len(stripped)
    if count < 6:
        if "q" not in opts:
            u.error(f"{template}: {os.strerror(errno.EINVAL)}")
        return 1
    for _ in range(100):
        name = stripped + "".join(secrets.choice(_ALPHABET) for _ in range(count))
        if "u" in opts:
            if not u.exists(name, follow=False):
                break
            continue
        try:
            if "d" in opts:
                u.fs.mkdir(name, 0o700, u.cwd)
                u.fs.chmod(name, 0o700, u.cwd)
            else:
                u.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600).release()
            break
        except FileExistsError:
            continue
        except OSError as exc:
            if "q" not in opts:
                u.error(f"{name}: {strerror(exc)}")
            return 1
    u.out.write(name.encode("utf-8", "surrogateescape") + b"\n")
    return 0


@utility("which", usage="which [-a] COMMAND...\n\nLocate COMMAND\n\n\t-a\tShow all matches")
def which(u: Util, argv: list[str]) -> int:
    """which [-a] COMMAND..."""
    opts, names = u.getopt(argv[1:], "a")
    if not names:
        u.usage_error()
    search = u.env.get("PATH", DEFAULT_PATH)
    for name in names:
        found = False
        if "/" in name:
            if is_executable(u.proc, name):
                u.out.write(name.encode("utf-8", "surrogateescape") + b"\n")
                found = True
        else:
            for directory in search.split(":"):
                candidate = f"{directory or '.'}/{name}"
                if is_executable(u.proc, candidate):
                    u.out.write(candidate.encode("utf-8", "surrogateescape") + b"\n")
                    found = True
                    if "a" not in opts:
                        break
        if not found:
            u.status = 1
    return u.status


def _file_type(st: os.stat_result) -> str:
    mode = st.st_mode
    if stat_mod.S_ISREG(mode):
        return "regular empty file" if st.st_size == 0 else "regular file"
    for test, name in (
        (stat_mod.S_ISDIR, "directory"), (stat_mod.S_ISLNK, "symbolic link"), (stat_mod.S_ISCHR, "character special file"),
        (stat_mod.S_ISBLK, "block special file"), (stat_mod.S_ISFIFO, "fifo"), (stat_mod.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "weird file"


def _stamp(ts_ns: int, tz) -> str:
    seconds, nanos = divmod(ts_ns, 1_000_000_000)
    return strftime(seconds, "%Y-%m-%d %H:%M:%S", tz) + f".{nanos:09d}" + strftime(seconds, " %z", tz)


def _stat_field(u: Util, directive: str, path: str, st: os.stat_result, tz) -> str:
    proc = u.proc
    if directive == "N":
        if stat_mod.S_ISLNK(st.st_mode):
            try:
                return f"'{path}' -> '{u.fs.readlink(path, u.cwd)}'"
            except OSError:
                return f"'{path}'"
        return path
    values = {
        "n": lambda: path, "s": lambda: str(st.st_size), "a": lambda: f"{st.st_mode & 0o7777:o}",
        "A": lambda: mode_string(st.st_mode), "F": lambda: _file_type(st), "u": lambda: str(st.st_uid),
        "U": lambda: proc.kernel.user_name(st.st_uid) or "UNKNOWN", "g": lambda: str(st.st_gid),
        "G": lambda: proc.kernel.group_name(st.st_gid) or "UNKNOWN", "h": lambda: str(st.st_nlink),
        "i": lambda: str(st.st_ino), "b": lambda: str(st.st_blocks), "B": lambda: "512", "o": lambda: str(st.st_blksize),
        "t": lambda: f"{os.major(st.st_rdev):x}", "T": lambda: f"{os.minor(st.st_rdev):x}",
        "x": lambda: _stamp(st.st_atime_ns, tz), "y": lambda: _stamp(st.st_mtime_ns, tz), "z": lambda: _stamp(st.st_ctime_ns, tz),
        "X": lambda: str(int(st.st_atime)), "Y": lambda: str(int(st.st_mtime)), "Z": lambda: str(int(st.st_ctime)),
        "d": lambda: str(st.st_dev), "D": lambda: f"{st.st_dev:x}", "f": lambda: f"{st.st_mode:x}", "%": lambda: "%",
    }
    getter = values.get(directive)
    return getter() if getter else directive


def stat_format(u: Util, fmt: str, path: str, st: os.stat_result, tz) -> str:
    """Expand a ``stat -c`` format (``%n %s %a ...``; unknown directives print their letter, as busybox does)."""
    out: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        i += 1
        if c == "%" and i < len(fmt):
            out.append(_stat_field(u, fmt[i], path, st, tz))
            i += 1
        elif c == "\\" and i < len(fmt) and fmt[i] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[fmt[i]])
            i += 1
        else:
            out.append(c)
    return "".join(out)


@utility("stat", usage="stat [-ltf] [-c FMT] FILE...\n\nDisplay file (default) or filesystem status\n\n\t-c FMT\tUse the specified format\n\t-f\tDisplay filesystem status\n\t-L\tFollow links\n\t-t\tTerse display")
def stat(u: Util, argv: list[str]) -> int:
    """stat [-Lt] [-c FORMAT] FILE..."""
    opts, files = u.getopt(argv[1:], "c:fLt", {"format=": "c", "dereference": "L", "terse": "t", "file-system": "f", "printf=": "P"})
    if not files:
        u.usage_error()
    if "f" in opts:
        u.fail("-f is not supported in the memory sandbox")
    tz = zone(u.env)
    for path in files:
        try:
            st = u.stat(path, follow="L" in opts)
        except OSError as exc:
            u.warn(f"can't stat '{path}': {strerror(exc)}")
            continue
        if "c" in opts or "P" in opts:
            fmt = opts.get("c") if "c" in opts else opts.get("P")
            text = stat_format(u, fmt or "", path, st, tz) + ("\n" if "c" in opts else "")
        elif "t" in opts:
            text = stat_format(u, "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %o", path, st, tz) + "\n"
        else:
            text = _default_stat(u, path, st, tz)
        u.out.write(text.encode("utf-8", "surrogateescape"))
    return u.status


def _default_stat(u: Util, path: str, st: os.stat_result, tz) -> str:
    name = _stat_field(u, "N", path, st, tz)
    proc = u.proc
    device = ""
    if stat_mod.S_ISCHR(st.st_mode) or stat_mod.S_ISBLK(st.st_mode):
        device = f" Device type: {os.major(st.st_rdev)},{os.minor(st.st_rdev)}"
    user = proc.kernel.user_name(st.st_uid) or "UNKNOWN"
    group = proc.kernel.group_name(st.st_gid) or "UNKNOWN"
    return (
        f"  File: {name}\n"
        f"  Size: {st.st_size:<10d}\tBlocks: {st.st_blocks:<10d} IO Block: {st.st_blksize:<6d} {_file_type(st)}\n"
        f"Device: {st.st_dev:x}h/{st.st_dev}d\tInode: {st.st_ino:<10d}  Links: {st.st_nlink:<5d}{device}".rstrip() + "\n"
        f"Access: ({st.st_mode & 0o7777:04o}/{mode_string(st.st_mode)})  Uid: ({st.st_uid:5d}/{user:>8})   Gid: ({st.st_gid:5d}/{group:>8})\n"
        f"Access: {_stamp(st.st_atime_ns, tz)}\n"
        f"Modify: {_stamp(st.st_mtime_ns, tz)}\n"
        f"Change: {_stamp(st.st_ctime_ns, tz)}\n"
    )


@utility("truncate", usage="truncate [-c] -s [+|-]SIZE[kMG] FILE...\n\nTruncate FILEs to SIZE\n\n\t-c\tDo not create files\n\t-s SIZE")
def truncate(u: Util, argv: list[str]) -> int:
    """truncate [-c] -s [+-]SIZE FILE..."""
    opts, files = u.getopt(argv[1:], "cs:", {"no-create": "c", "size=": "s"})
    if "s" not in opts or not files:
        u.usage_error()
    text = opts.get("s") or ""
    sign = text[:1] if text[:1] in "+-" else ""
    try:
        size = parse_size(text[len(sign):])
    except ValueError:
        u.fail(f"invalid number '{text}'")
    for path in files:
        try:
            if not u.exists(path):
                if "c" in opts:
                    continue
                u.create(path, append=True).release()
            current = u.stat(path).st_size
            target = current + size if sign == "+" else max(0, current - size) if sign == "-" else size
            u.fs.truncate(path, target, u.cwd)
        except OSError as exc:
            u.warn(f"{path}: {strerror(exc)}")
    return u.status


@utility("mkfifo", usage="mkfifo [-m MODE] NAME\n\nCreate named pipe\n\n\t-m MODE\tMode (default a=rw)")
def mkfifo(u: Util, argv: list[str]) -> int:
    """mkfifo: named pipes cannot be created inside the sandbox's jail."""
    _, names = u.getopt(argv[1:], "m:")
    if not names:
        u.usage_error()
    for name in names:
        u.warn(f"can't create fifo '{name}': Operation not permitted")
    return u.status

