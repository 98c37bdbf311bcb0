"""Ownership and permissions: chmod, chown, chgrp (names from the container's /etc/passwd and /etc/group)."""

from __future__ import annotations

import stat as stat_mod
from collections.abc import Callable

from .common import Util, strerror, utility
from .fileops import join
from .modes import mode_string, parse_mode


def walk_apply(u: Util, path: str, recursive: bool, apply: Callable[[str, bool], None], *, follow_top: bool = True) -> None:
    """Call ``apply(path, is_top)`` on ``path`` and, with ``recursive``, everything below it (links not followed)."""
    apply(path, True)
    if not recursive:
        return
    try:
        st = u.stat(path, follow=follow_top)
    except OSError:
        return
    if not stat_mod.S_ISDIR(st.st_mode):
        return
    stack = [path]
    while stack:
        directory = stack.pop()
        try:
            with u.fs.scandir(directory, u.cwd) as entries:
                children = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
        except OSError as exc:
            u.warn(f"{directory}: {strerror(exc)}")
            continue
        for name, is_dir in children:
            child = join(directory, name)
            apply(child, False)
            if is_dir:
                stack.append(child)


def _failed(u: Util, opts, path: str, exc: OSError) -> None:
    """chmod/chown could not change ``path``: said unless ``-f``; the exit status is 1 either way."""
    if "f" not in opts:
        u.warn(f"{path}: {strerror(exc)}")
    else:
        u.status = 1


@utility("chmod", usage="chmod [-Rcvf] MODE[,MODE]... FILE...\n\nMODE is octal number (bit pattern sstrwxrwxrwx) or [ugoa]{+|-|=}[rwxXst]\n\n\t-R\tRecurse\n\t-c\tList changed files\n\t-v\tVerbose\n\t-f\tHide errors")
def chmod(u: Util, argv: list[str]) -> int:
    """chmod [-Rcvf] MODE FILE..."""
    # a mode such as -w or -rwx looks like options: busybox takes it as the mode
    args = list(argv[1:])
    mode_arg = None
    for i, arg in enumerate(args):
        if arg.startswith("-") and len(arg) > 1 and all(c in "rwxXstugoa" for c in arg[1:]) and any(c in "rwxXst" for c in arg[1:]):
            mode_arg = args.pop(i)
            break
    opts, operands = u.getopt(args, "Rcvf", {"recursive": "R", "changes": "c", "verbose": "v", "silent": "f", "quiet": "f"})
    if mode_arg is None:
        if not operands:
            u.usage_error()
        mode_arg = operands.pop(0)
    if not operands:
        u.usage_error()
    try:
        parse_mode(mode_arg, 0o644)
    except ValueError:
        u.fail(f"invalid mode '{mode_arg}'")

    def apply(path: str, top: bool) -> None:
        try:
            st = u.stat(path, follow=top)
        except OSError as exc:
            _failed(u, opts, path, exc)
            return
        if stat_mod.S_ISLNK(st.st_mode):
            return  # links met while recursing are skipped, as chmod -R does
        new = parse_mode(mode_arg, st.st_mode, is_dir=stat_mod.S_ISDIR(st.st_mode), umask=u.proc.umask)
        try:
            u.fs.chmod(path, new, u.cwd)
        except OSError as exc:
            _failed(u, opts, path, exc)
            return
        changed = new != st.st_mode & 0o7777
        if "v" in opts or ("c" in opts and changed):
            text = f"mode of '{path}' changed to {new:04o} ({mode_string(new | stat_mod.S_IFREG)[1:]})"
            u.out.write(text.encode("utf-8", "surrogateescape") + b"\n")

    for path in operands:
        walk_apply(u, path, "R" in opts, apply)
    return u.status


def _lookup_user(u: Util, name: str) -> tuple[int, int | None]:
    for entry in u.proc.kernel.passwd():
        if entry.name == name:
            return entry.uid, entry.gid
    if name.isdigit():
        return int(name), None
    u.fail(f"unknown user {name}")


def _lookup_group(u: Util, name: str) -> int:
    for gid, (group, _) in u.proc.kernel.groups().items():
        if group == name:
            return gid
    if name.isdigit():
        return int(name)
    u.fail(f"unknown group {name}")


def _owner_change(u: Util, opts, operands: list[str], uid: int, gid: int) -> int:
    follow_links = "h" not in opts

    def apply(path: str, top: bool) -> None:
        follow = follow_links and (top or "L" in opts)
        try:
            u.fs.chown(path, uid, gid, u.cwd, follow=follow)
        except OSError as exc:
            _failed(u, opts, path, exc)
            return
        if "v" in opts:
            u.out.write(f"changed ownership of '{path}'\n".encode("utf-8", "surrogateescape"))

    for path in operands:
        walk_apply(u, path, "R" in opts, apply, follow_top=follow_links)
    return u.status


@utility("chown", usage="chown [-RhLHPcvf]... USER[:[GRP]] FILE...\n\nChange the owner and/or group of FILEs to USER and/or GRP\n\n\t-h\tAffect symlinks instead of symlink targets\n\t-L\tTraverse all symlinks to directories\n\t-H\tTraverse symlinks on command line only\n\t-P\tDon't traverse symlinks (default)\n\t-R\tRecurse\n\t-c\tList changed files\n\t-v\tVerbose\n\t-f\tHide errors")
def chown(u: Util, argv: list[str]) -> int:
    """chown [-RhLHPcvf] USER[:[GROUP]] FILE..."""
    opts, operands = u.getopt(argv[1:], "RhLHPcvf", {"recursive": "R", "no-dereference": "h", "verbose": "v", "changes": "c", "silent": "f", "quiet": "f"})
    if len(operands) < 2:
        u.usage_error()
    spec = operands.pop(0)
    sep = ":" if ":" in spec else "." if "." in spec else ""
    user, _, group = spec.partition(sep) if sep else (spec, "", "")
    uid, gid = -1, -1
    if user:
        uid, login_gid = _lookup_user(u, user)
        if sep and not group and login_gid is not None:
            gid = login_gid  # USER: means the user's login group
    if group:
        gid = _lookup_group(u, group)
    return _owner_change(u, opts, operands, uid, gid)


@utility("chgrp", usage="chgrp [-RhLHPcvf]... GROUP FILE...\n\nChange the group membership of FILEs to GROUP\n\n\t-h\tAffect symlinks instead of symlink targets\n\t-L\tTraverse all symlinks to directories\n\t-H\tTraverse symlinks on command line only\n\t-P\tDon't traverse symlinks (default)\n\t-R\tRecurse\n\t-c\tList changed files\n\t-v\tVerbose\n\t-f\tHide errors")
def chgrp(u: Util, argv: list[str]) -> int:
    """chgrp [-RhLHPcvf] GROUP FILE..."""
    opts, operands = u.getopt(argv[1:], "RhLHPcvf", {"recursive": "R", "no-dereference": "h", "verbose": "v", "changes": "c", "silent": "f", "quiet": "f"})
    if len(operands) < 2:
        u.usage_error()
    gid = _lookup_group(u, operands.pop(0))
    return _owner_change(u, opts, operands, -1, gid)
