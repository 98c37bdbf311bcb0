"""File management: touch, mkdir, rmdir, rm, cp, mv, ln, unlink, link."""

from __future__ import annotations

import errno
import os
import stat as stat_mod
import time

from .common import Util, strerror, utility
from .fileops import Copier, CopyOptions, ask, join, last_component, remove_tree, same_file
from .modes import parse_mode
from .timefmt import parse_time, zone


@utility("touch", usage="touch [-cham] [-d DATE] [-t DATE] [-r FILE] FILE...\n\nUpdate mtime of FILEs\n\n\t-c\tDon't create files\n\t-h\tDon't follow links\n\t-a\tChange only atime\n\t-m\tChange only mtime\n\t-d DT\tDate/time to use\n\t-t DT\tDate/time to use\n\t-r FILE\tUse FILE's date/time")
def touch(u: Util, argv: list[str]) -> int:
    """touch [-cham] [-d DATE] [-t STAMP] [-r REF] FILE..."""
    opts, files = u.getopt(argv[1:], "chamd:t:r:f", {"no-create": "c", "no-dereference": "h", "date=": "d", "reference=": "r"})
    if not files:
        u.usage_error()
    times: tuple[int, int] | None = None
    tz = zone(u.env)
    if "r" in opts:
        ref = opts.get("r") or ""
        try:
            st = u.stat(ref)
        except OSError as exc:
            u.fail(f"{ref}: {strerror(exc)}")
        times = (st.st_atime_ns, st.st_mtime_ns)
    for key in "dt":
        if key in opts:
            text = opts.get(key) or ""
            try:
                stamp = parse_time(text, tz)
            except ValueError:
                u.fail(f"invalid date '{text}'")
            ns = round(stamp * 1e9)
            times = (ns, ns)
    only_a, only_m = "a" in opts and "m" not in opts, "m" in opts and "a" not in opts
    follow = "h" not in opts
    for path in files:
        try:
            existing = u.stat(path, follow=follow)
        except OSError:
            existing = None
        if existing is None:
            if "c" in opts:
                continue
            try:
                u.create(path, append=True).release()
            except OSError as exc:
                u.warn(f"{path}: {strerror(exc)}")
                continue
            existing = u.stat(path)
        now = time.time_ns()
        atime, mtime = times if times is not None else (now, now)
        if only_a:
            mtime = existing.st_mtime_ns
        if only_m:
            atime = existing.st_atime_ns
        try:
            u.fs.utime(path, (atime, mtime), u.cwd, follow=follow)
        except OSError as exc:
            u.warn(f"{path}: {strerror(exc)}")
    return u.status


@utility("mkdir", usage="mkdir [-m MODE] [-pv] DIRECTORY...\n\nCreate DIRECTORY\n\n\t-m MODE\tMode\n\t-p\tNo error if exists; make parent directories as needed\n\t-v\tVerbose")
def mkdir(u: Util, argv: list[str]) -> int:
    """mkdir [-m MODE] [-pv] DIRECTORY..."""
    opts, dirs = u.getopt(argv[1:], "m:pv", {"mode=": "m", "parents": "p", "verbose": "v"})
    if not dirs:
        u.usage_error()
    mode = None
    if "m" in opts:
        try:
            mode = parse_mode(opts.get("m") or "", 0o777, is_dir=True)
        except ValueError:
            u.fail(f"invalid mode '{opts.get('m')}'")
    default = 0o777 & ~u.proc.umask
    for path in dirs:
        if "p" in opts:
            parts = [p for p in path.split("/") if p]
            prefix = "/" if path.startswith("/") else ""
            chain = [prefix + "/".join(parts[: i + 1]) for i in range(len(parts))]
        else:
            chain = [path]
        for i, target in enumerate(chain):
            final = i == len(chain) - 1
            try:
                u.fs.mkdir(target, 0o700, u.cwd)
            except FileExistsError:
                if "p" in opts and u.is_dir(target):
                    continue
                if "p" in opts and not final:  # busybox names the parent with its slash
                    u.warn(f"can't create directory '{target}/': {os.strerror(errno.ENOTDIR)}")
                else:
                    u.warn(f"can't create directory '{target}': {os.strerror(errno.EEXIST)}")
                break
            except OSError as exc:
                u.warn(f"can't create directory '{target}': {strerror(exc)}")
                break
            # set the mode exactly (the host's umask must not interfere); -p parents stay u+wx
            wanted = mode if final and mode is not None else default if final else default | 0o300
            try:
                u.fs.chmod(target, wanted, u.cwd)
            except OSError as exc:
                u.warn(f"can't change mode of '{target}': {strerror(exc)}")
            if "v" in opts:
                u.out.write(f"mkdir: created directory '{target}'\n".encode("utf-8", "surrogateescape"))
    return u.status


@utility("rmdir", usage="rmdir [-p] DIRECTORY...\n\nRemove DIRECTORY if it is empty\n\n\t-p\tInclude parents\n\t--ignore-fail-on-non-empty")
def rmdir(u: Util, argv: list[str]) -> int:
    """rmdir [-p] [--ignore-fail-on-non-empty] DIRECTORY..."""
    opts, dirs = u.getopt(argv[1:], "pv", {"parents": "p", "ignore-fail-on-non-empty": "I"})
    if not dirs:
        u.usage_error()
    for path in dirs:
        current = path.rstrip("/") or path
        while True:
            try:
                u.fs.rmdir(current, u.cwd)
            except OSError as exc:
                if not (exc.errno in (errno.ENOTEMPTY, errno.EEXIST) and "I" in opts):
                    u.warn(f"'{current}': {strerror(exc)}")
                break
            if "p" not in opts or "/" not in current:
                break
            current = current.rsplit("/", 1)[0].rstrip("/")
            if not current:
                break
    return u.status


@utility("rm", usage="rm [-irf] FILE...\n\nRemove (unlink) FILEs\n\n\t-i\tAlways prompt before removing\n\t-f\tNever prompt\n\t-R,-r\tRecurse")
def rm(u: Util, argv: list[str]) -> int:
    """rm [-irfR] FILE..."""
    opts, files = u.getopt(argv[1:], "irfRv", {"force": "f", "interactive": "i", "recursive": "r", "verbose": "v"})
    force = opts.last_of("fi") == "f"
    interactive = opts.last_of("fi") == "i"
    if not files:
        if force:
            return 0
        u.usage_error()
    for path in files:
        if last_component(path) in (".", ".."):
            u.warn("can't remove '.' or '..'")
            continue
        # like busybox, "link/" removes the link itself, not what it points to
        target = path.rstrip("/") or "/"
        if not remove_tree(u, target, recursive="r" in opts or "R" in opts, force=force, interactive=interactive):
            u.status = 1
        elif "v" in opts:
            u.out.write(f"removed '{path}'\n".encode("utf-8", "surrogateescape"))
    return u.status


def _destinations(u: Util, args: list[str], no_target_dir: bool, target_dir: str | None) -> list[tuple[str, str]] | None:
    """(source, destination) pairs of cp/mv/ln: into a directory, or one source to one name."""
    if target_dir is not None:
        if not u.is_dir(target_dir):
            u.fail(f"'{target_dir}' is not a directory")
        return [(src, join(target_dir, last_component(src))) for src in args]
    if len(args) < 2:
        u.usage_error()
    *sources, dest = args
    if no_target_dir:
        if len(sources) > 1:
            u.usage_error()
        if u.is_dir(dest) and not u.is_dir(sources[0]):
            u.fail(f"'{dest}' is a directory")
        return [(sources[0], dest)]
    if u.is_dir(dest):
        return [(src, join(dest, last_component(src))) for src in sources]
    if len(sources) > 1:
        # busybox reports each file as it tries DEST/NAME
        return [(src, join(dest, last_component(src))) for src in sources]
    return [(sources[0], dest)]


@utility("cp", usage="cp [-arPLHpfinlsTuv] SOURCE DEST\nor: cp [-arPLHpfinlsuv] SOURCE... { -t DIRECTORY | DIRECTORY }\n\nCopy SOURCEs to DEST\n\n\t-a\tSame as -dpR\n\t-R,-r\tRecurse\n\t-d,-P\tPreserve symlinks (default if -R)\n\t-L\tFollow all symlinks\n\t-H\tFollow symlinks on command line\n\t-p\tPreserve file attributes if possible\n\t-f\tOverwrite\n\t-i\tPrompt before overwrite\n\t-n\tDon't overwrite\n\t-l,-s\tCreate (sym)links\n\t-T\tRefuse to copy if DEST is a directory\n\t-t DIR\tCopy all SOURCEs into DIR\n\t-u\tCopy only newer files\n\t-v\tVerbose")
def cp(u: Util, argv: list[str]) -> int:
    """cp [-arPLHpfinlsTuv] SOURCE... DEST."""
    opts, args = u.getopt(argv[1:], "arRPdLHpfinlsTt:uv", {
        "archive": "a", "recursive": "R", "no-dereference": "P", "dereference": "L", "preserve=?": "p",
        "force": "f", "interactive": "i", "no-clobber": "n", "link": "l", "symbolic-link": "s",
        "no-target-directory": "T", "target-directory=": "t", "update": "u", "verbose": "v",
    })
    recursive = any(k in opts for k in "arR")
    deref = "always"
    if recursive or "P" in opts or "d" in opts:
        deref = "never"
    last = opts.last_of("LHPd")
    if last == "L":
        deref = "always"
    elif last == "H":
        deref = "cmdline"
    elif last in ("P", "d"):
        deref = "never"
    options = CopyOptions(
        recursive=recursive, deref=deref, preserve="p" in opts or "a" in opts, force="f" in opts,
        no_clobber="n" in opts, interactive=opts.last_of("in") == "i", verbose="v" in opts, update="u" in opts,
        link="hard" if "l" in opts else "symbolic" if "s" in opts else None,
    )
    pairs = _destinations(u, args, "T" in opts, opts.get("t"))
    copier = Copier(u, options)
    for src, dst in pairs or []:
        if not copier.copy(src, dst):
            u.status = 1
    return u.status


@utility("mv", usage="mv [-finTv] SOURCE DEST\nor: mv [-finv] SOURCE... { -t DIRECTORY | DIRECTORY }\n\nRename SOURCE to DEST, or move SOURCEs to DIRECTORY\n\n\t-f\tDon't prompt before overwriting\n\t-i\tInteractive, prompt before overwrite\n\t-n\tDon't overwrite an existing file\n\t-T\tRefuse to move if DEST is a directory\n\t-t DIR\tMove all SOURCEs into DIR\n\t-v\tVerbose")
def mv(u: Util, argv: list[str]) -> int:
    """mv [-finTv] SOURCE... DEST."""
    opts, args = u.getopt(argv[1:], "finTt:vu", {
        "force": "f", "interactive": "i", "no-clobber": "n", "no-target-directory": "T", "target-directory=": "t",
        "verbose": "v", "update": "u",
    })
    mode = opts.last_of("fin")
    for src, dst in _destinations(u, args, "T" in opts, opts.get("t")) or []:
        try:
            src_st = u.lstat(src)
        except OSError as exc:
            u.warn(f"can't rename '{src}': {strerror(exc)}")
            continue
        try:
            dst_st = u.lstat(dst)
        except OSError as exc:
            if exc.errno == errno.ENOTDIR:
                u.warn(f"can't stat '{dst}': Path has non-directory component")
                continue
            dst_st = None
        if dst_st is not None:
            if mode == "n":
                continue
            if "u" in opts and dst_st.st_mtime_ns >= src_st.st_mtime_ns:
                continue
            if mode == "i" and not ask(u, f"overwrite '{dst}'"):
                continue
            if same_file(src_st, dst_st):
                u.warn(f"'{src}' and '{dst}' are the same file")
                continue
            if stat_mod.S_ISDIR(dst_st.st_mode) and not stat_mod.S_ISDIR(src_st.st_mode):
                u.warn(f"can't overwrite directory '{dst}' with non-directory")
                continue
        if "v" in opts:
            u.out.write(f"'{src}' -> '{dst}'\n".encode("utf-8", "surrogateescape"))
        try:
            u.fs.rename(src, dst, u.cwd)
            continue
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                u.warn(f"can't rename '{src}': {strerror(exc)}")
                continue
        # another mount: copy everything as it is, then remove the original
        if dst_st is not None and not remove_tree(u, dst, recursive=True, force=True):
            u.status = 1
            continue
        copier = Copier(u, CopyOptions(recursive=True, deref="never", preserve=True, force=True))
        if not copier.copy(src, dst) or not remove_tree(u, src, recursive=True, force=True):
            u.status = 1
    return u.status


@utility("ln", usage="ln [-sfnbtTv] [-S SUF] TARGET... LINK|DIR\n\nCreate a link LINK or DIR/TARGET to the specified TARGET(s)\n\n\t-s\tMake symlinks instead of hardlinks\n\t-f\tRemove existing destinations\n\t-n\tDon't dereference symlinks - treat like normal file\n\t-b\tMake a backup of the target (if exists) before link operation\n\t-S SUF\tUse suffix instead of ~ when making backup files\n\t-T\tTreat LINK as a file, not DIR\n\t-v\tVerbose")
def ln(u: Util, argv: list[str]) -> int:
    """ln [-sfnbTv] [-S SUF] TARGET... LINK|DIR."""
    opts, args = u.getopt(argv[1:], "sfnbS:Tvt:", {
        "symbolic": "s", "force": "f", "no-dereference": "n", "backup": "b", "suffix=": "S",
        "no-target-directory": "T", "verbose": "v", "target-directory=": "t",
    })
    if not args:
        u.usage_error()
    if len(args) == 1 and "t" not in opts:
        args = [args[0], last_component(args[0])]
    *targets, link = args if "t" not in opts else [*args, opts.get("t") or ""]
    into_dir = False
    if "T" not in opts:
        if "n" in opts:
            into_dir = u.is_dir(link) and not stat_mod.S_ISLNK(_lstat_mode(u, link))
        else:
            into_dir = u.is_dir(link)
    elif u.is_dir(link) and not ("n" in opts and stat_mod.S_ISLNK(_lstat_mode(u, link))):
        u.fail(f"'{link}' is a directory")
    suffix = opts.get("S", "~") or "~"
    for target in targets:
        dest = join(link, last_component(target)) if into_dir else link
        if "s" not in opts:
            try:
                u.lstat(target)
            except OSError as exc:
                u.warn(f"{target}: {strerror(exc)}")
                continue
        try:
            exists = u.lstat(dest)
        except OSError:
            exists = None
        if exists is not None:
            if "b" in opts:
                try:
                    u.fs.rename(dest, dest + suffix, u.cwd)
                except OSError as exc:
                    u.warn(f"{dest}: {strerror(exc)}")
                    continue
            elif "f" in opts:
                if stat_mod.S_ISDIR(exists.st_mode):
                    u.warn(f"{dest}: {os.strerror(errno.EISDIR)}")
                    continue
                try:
                    u.fs.unlink(dest, u.cwd)
                except OSError as exc:
                    u.warn(f"{dest}: {strerror(exc)}")
                    continue
            else:
                u.warn(f"{dest}: {os.strerror(errno.EEXIST)}")
                continue
        try:
            if "s" in opts:
                u.fs.symlink(target, dest, u.cwd)
            else:
                u.fs.link(target, dest, u.cwd)
        except OSError as exc:
            u.warn(f"{dest}: {strerror(exc)}")
            continue
        if "v" in opts:
            u.out.write(f"'{dest}' -> '{target}'\n".encode("utf-8", "surrogateescape"))
    return u.status


def _lstat_mode(u: Util, path: str) -> int:
    try:
        return u.lstat(path).st_mode
    except OSError:
        return 0


@utility("unlink", usage="unlink FILE\n\nDelete FILE by calling unlink()")
def unlink(u: Util, argv: list[str]) -> int:
    """unlink FILE."""
    _, args = u.getopt(argv[1:], "")
    if len(args) != 1:
        u.usage_error()
    try:
        u.fs.unlink(args[0], u.cwd)
    except OSError as exc:
        u.fail(f"can't delete '{args[0]}': {strerror(exc)}")
    return 0


@utility("link", usage="link FILE LINK\n\nCreate hard LINK to FILE")
def link(u: Util, argv: list[str]) -> int:
    """link FILE LINK."""
    _, args = u.getopt(argv[1:], "")
    if len(args) != 2:
        u.usage_error()
    try:
        u.fs.link(args[0], args[1], u.cwd)
    except OSError as exc:
        u.fail(f"can't create link '{args[1]}' to '{args[0]}': {strerror(exc)}")
    return 0
