"""Identity and system information: id, whoami, groups, logname, hostname, uname, date, nproc, uptime, tty, printenv."""

from __future__ import annotations

import datetime as dt
import os
import time

from .common import Util, strerror, utility
from .timefmt import parse_time, strftime, zone


def _group_name(u: Util, gid: int) -> str:
    return u.proc.kernel.group_name(gid) or str(gid)


def _labelled(u: Util, number: int, name: str | None) -> str:
    return f"{number}({name})" if name else str(number)


def _identity(u: Util, user: str | None) -> tuple[int, int, list[int], str]:
    """(uid, gid, supplementary gids, name) of USER or of the process."""
    kernel = u.proc.kernel
    if user is None:
        creds = u.proc.creds
        name = kernel.user_name(creds.uid) or creds.user
        return creds.uid, creds.gid, list(creds.groups), name
    entries = kernel.passwd()
    match = next((e for e in entries if e.name == user), None)
    if match is None and user.isdigit():
        match = next((e for e in entries if e.uid == int(user)), None)
    if match is None:
        u.fail(f"unknown user {user}")
    extra = [gid for gid, (_, members) in sorted(kernel.groups().items()) if match.name in members and gid != match.gid]
    return match.uid, match.gid, [match.gid, *extra], match.name


@utility("id", usage="id [-ugGnr] [USER]\n\nPrint information about USER or the current user\n\n\t-u\tUser ID\n\t-g\tGroup ID\n\t-G\tSupplementary group IDs\n\t-n\tPrint names instead of numbers\n\t-r\tPrint real ID instead of effective ID")
def id_(u: Util, argv: list[str]) -> int:
    """id [-ugGnr] [USER]."""
    opts, args = u.getopt(argv[1:], "ugGnrZ", {"user": "u", "group": "g", "groups": "G", "name": "n", "real": "r"})
    if len(args) > 1:
        u.usage_error()
    uid, gid, groups, name = _identity(u, args[0] if args else None)
    kernel = u.proc.kernel
    if "u" in opts:
        u.out.write(f"{name if 'n' in opts else uid}\n".encode())
        return 0
    if "g" in opts:
        u.out.write(f"{_group_name(u, gid) if 'n' in opts else gid}\n".encode())
        return 0
    all_groups = groups if args else ([gid, *[g for g in groups if g != gid]] if groups else [gid])
    if "G" in opts:
        words = [_group_name(u, g) if "n" in opts else str(g) for g in all_groups]
        u.out.write((" ".join(words) + "\n").encode())
        return 0
    text = f"uid={_labelled(u, uid, kernel.user_name(uid))} gid={_labelled(u, gid, kernel.group_name(gid))}"
    if groups:
        text += " groups=" + ",".join(_labelled(u, g, kernel.group_name(g)) for g in all_groups)
    u.out.write(text.encode() + b"\n")
    return 0


@utility("whoami", usage="whoami\n\nPrint the user name associated with the current effective user id")
def whoami(u: Util, argv: list[str]) -> int:
    """whoami."""
    u.getopt(argv[1:], "")
    uid = u.proc.creds.uid
    name = u.proc.kernel.user_name(uid)
    if name is None:
        u.fail(f"unknown uid {uid}")
    u.out.write(name.encode() + b"\n")
    return 0


@utility("groups", usage="groups [USER]\n\nPrint the group memberships of USER or the current process")
def groups(u: Util, argv: list[str]) -> int:
    """groups [USER]."""
    _, args = u.getopt(argv[1:], "")
    _, gid, extra, _ = _identity(u, args[0] if args else None)
    ids = extra if args else [gid, *[g for g in extra if g != gid]]
    u.out.write((" ".join(_group_name(u, g) for g in ids) + "\n").encode())
    return 0


@utility("logname", usage="logname\n\nPrint the name of the current user")
def logname(u: Util, argv: list[str]) -> int:
    """logname: containers have no login session."""
    u.getopt(argv[1:], "")
    u.fail("getlogin: No such device or address")


@utility("hostname", usage="hostname [-sfi] [HOSTNAME | -F FILE]\n\nShow hostname\n\n\t-s\tShort\n\t-i\tAddresses for the hostname\n\t-d\tDNS domain name\n\t-f\tFully qualified domain name")
def hostname(u: Util, argv: list[str]) -> int:
    """hostname [-sfdi]: the container's UTS name (setting it is not allowed)."""
    opts, args = u.getopt(argv[1:], "sfdiF:")
    if args or "F" in opts:
        u.fail("sethostname: Operation not permitted")
    name = u.proc.kernel.hostname
    if "s" in opts:
        name = name.split(".", 1)[0]
    elif "d" in opts:
        name = name.split(".", 1)[1] if "." in name else ""
    elif "i" in opts:
        name = _address_of(u, name)
    u.out.write(name.encode() + b"\n")
    return 0


def _address_of(u: Util, name: str) -> str:
    try:
        hosts = u.fs.read_bytes("/etc/hosts").decode("utf-8", "replace")
    except OSError:
        hosts = ""
    for line in hosts.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) > 1 and name in fields[1:]:
            return fields[0]
    return "127.0.0.1"


@utility("uname", usage="uname [-amnrspvio]\n\nPrint system information\n\n\t-a\tPrint all\n\t-m\tMachine (hardware) type\n\t-n\tHostname\n\t-r\tKernel release\n\t-s\tKernel name (default)\n\t-p\tProcessor type\n\t-v\tKernel version\n\t-i\tHardware platform\n\t-o\tOS name")
def uname(u: Util, argv: list[str]) -> int:
    """uname [-amnrspvio]: the host kernel, as a container sees it, with the container's hostname."""
    opts, args = u.getopt(argv[1:], "amnrspvio", {
        "all": "a", "machine": "m", "nodename": "n", "kernel-release": "r", "kernel-name": "s",
        "processor": "p", "kernel-version": "v", "hardware-platform": "i", "operating-system": "o",
    })
    if args:
        u.usage_error()
    host = os.uname()
    values = {
        "s": "Linux", "n": u.proc.kernel.hostname, "r": host.release, "v": host.version, "m": host.machine,
        "p": "unknown", "i": "unknown", "o": "GNU/Linux",
    }
    if "a" in opts:
        keys = "snrvmo"
    else:
        keys = "".join(k for k in "snrvmpio" if k in opts) or "s"
    u.out.write((" ".join(values[k] for k in keys) + "\n").encode())
    return 0


def _iso_offset(ts: float, tz: dt.tzinfo) -> str:
    offset = strftime(ts, "%z", tz)
    return offset[:3] + ":" + offset[3:]


@utility("date", usage="date [OPTIONS] [+FMT] [[-s] TIME]\n\nDisplay time (using +FMT), or set time\n\n\t-u\t\tWork in UTC (don't convert to local time)\n\t[-s] TIME\tSet time to TIME\n\t-d TIME\t\tDisplay TIME, not 'now'\n\t-D FMT\t\tFMT (strptime format) for -s/-d TIME conversion\n\t-r FILE\t\tDisplay last modification time of FILE\n\t-R\t\tOutput RFC-2822 date\n\t-I[SPEC]\tOutput ISO-8601 date\n\t\t\tSPEC=date (default), hours, minutes, seconds or ns\n\nRecognized TIME formats:\n\t@seconds_since_1970\n\thh:mm[:ss]\n\t[YYYY.]MM.DD-hh:mm[:ss]\n\tYYYY-MM-DD hh:mm[:ss]\n\t[[[[[YY]YY]MM]DD]hh]mm[.ss]")
def date(u: Util, argv: list[str]) -> int:
    """date [-uR] [-I[SPEC]] [-d TIME] [-D FMT] [-r FILE] [+FORMAT]."""
    opts, args = u.getopt(argv[1:], "uRI::d:D:r:s:", {
        "utc": "u", "universal": "u", "rfc-2822": "R", "rfc-email": "R", "iso-8601=?": "I", "date=": "d",
        "reference=": "r", "set=": "s",
    })
    tz = zone(u.env, utc="u" in opts)
    fmt = None
    for arg in args:
        if arg.startswith("+") and fmt is None:
            fmt = arg[1:]
        else:
            u.fail("can't set date: Operation not permitted")
    if "s" in opts:
        u.fail("can't set date: Operation not permitted")
    now = time.time()
    if "d" in opts:
        text = opts.get("d") or ""
        try:
            if "D" in opts:
                parsed = dt.datetime.strptime(text, opts.get("D") or "")
                now = (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).timestamp()
            else:
                now = parse_time(text, tz)
        except ValueError:
            u.fail(f"invalid date '{text}'")
    elif "r" in opts:
        path = opts.get("r") or ""
        try:
            now = u.stat(path).st_mtime
        except OSError as exc:
            u.fail(f"can't stat '{path}': {strerror(exc)}")
    if fmt is None:
        if "I" in opts:
            spec = opts.get("I") or "date"
            layouts = {"date": "%Y-%m-%d", "hours": "%Y-%m-%dT%H", "minutes": "%Y-%m-%dT%H:%M", "seconds": "%Y-%m-%dT%H:%M:%S", "ns": "%Y-%m-%dT%H:%M:%S,%N"}
            matches = [k for k in layouts if k.startswith(spec)]
            if not matches:
                u.fail(f"invalid argument '{spec}' for '-I'")
            try:
                text = strftime(now, layouts[matches[0]], tz)
                if matches[0] != "date":
                    text += _iso_offset(now, tz)
            except ValueError:
                u.fail(f"invalid date '{opts.get('d') or now}'")
            u.out.write(text.encode() + b"\n")
            return 0
        fmt = "%a, %d %b %Y %H:%M:%S %z" if "R" in opts else "%a %b %e %H:%M:%S %Z %Y"
    try:
        text = strftime(now, fmt, tz)
    except ValueError:
        u.fail(f"invalid date '{opts.get('d') or now}'")
    u.out.write(text.encode("utf-8", "surrogateescape") + b"\n")
    return 0


@utility("nproc", usage="nproc [--all] [--ignore=N]\n\nPrint number of available CPUs\n\n\t--all\t\tNumber of installed CPUs\n\t--ignore=N\tExclude N CPUs")
def nproc(u: Util, argv: list[str]) -> int:
    """nproc [--all] [--ignore=N]."""
    opts, _ = u.getopt(argv[1:], "", {"all": "all", "ignore=": "ignore"})
    count = os.cpu_count() or 1
    if "all" not in opts and hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    ignore = opts.get("ignore") or "0"
    if not ignore.isdigit():
        u.fail(f"invalid number '{ignore}'")
    u.out.write(f"{max(1, count - int(ignore))}\n".encode())
    return 0


@utility("uptime", usage="uptime\n\nDisplay the time since the last boot")
def uptime(u: Util, argv: list[str]) -> int:
    """uptime: time since the container started, load averages of the host."""
    u.getopt(argv[1:], "s")
    now = time.time()
    up = int(now - u.proc.kernel.boot_time)
    days, rest = divmod(up, 86400)
    hours, minutes = rest // 3600, (rest % 3600) // 60
    text = strftime(now, " %H:%M:%S up ", zone(u.env))
    if days:
        text += f"{days} day{'s' if days != 1 else ''}, "
    text += f"{hours:2d}:{minutes:02d}," if hours else f"{minutes} min,"
    try:
        loads = os.getloadavg()
    except OSError:
        loads = (0.0, 0.0, 0.0)
    text += f"  0 users,  load average: {loads[0]:.2f}, {loads[1]:.2f}, {loads[2]:.2f}\n"
    u.out.write(text.encode())
    return 0


@utility("tty", usage="tty [-s]\n\nPrint file name of stdin's terminal\n\n\t-s\tPrint nothing, only return exit status")
def tty(u: Util, argv: list[str]) -> int:
    """tty [-s]."""
    opts, _ = u.getopt(argv[1:], "s")
    stdin = u.proc.fds.get(0)
    if stdin is None or not stdin.isatty():
        if "s" not in opts:
            u.out.write(b"not a tty\n")
        return 1
    if "s" not in opts:
        u.out.write(getattr(stdin, "name", "/dev/pts/0").encode() + b"\n")
    return 0


@utility("printenv", usage="printenv [VARIABLE]...\n\nPrint environment VARIABLEs.\nIf no VARIABLE specified, print all.")
def printenv(u: Util, argv: list[str]) -> int:
    """printenv [VARIABLE]..."""
    opts, names = u.getopt(argv[1:], "0")
    end = b"\0" if "0" in opts else b"\n"
    if not names:
        for name, value in u.env.items():
            u.out.write(f"{name}={value}".encode("utf-8", "surrogateescape") + end)
        return 0
    status = 0
    for name in names:
        if name in u.env:
            u.out.write(u.env[name].encode("utf-8", "surrogateescape") + end)
        else:
            status = 1
    return status
