"""``cd pwd`` (and bash's ``pushd``/``popd``/``dirs``): the working directory, logical by default.

As in ash and bash, the shell keeps its logical working directory itself (``sh.curdir``):
``$PWD`` only reports it, so assigning or unsetting it changes neither ``cd ..`` nor ``pwd``.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from typing import TYPE_CHECKING

from ...sandbox.fs import normpath
from . import builtin, leading_options

if TYPE_CHECKING:
    from ..shell import Shell


def change_dir(sh: Shell, target: str, *, physical: bool = False, shown: str | None = None) -> int:
    """Change to ``target`` (relative to the logical directory); updates ``PWD``/``OLDPWD``. Returns a status."""
    proc = sh.proc
    path = normpath(target, sh.curdir)
    try:
        st = sh.fs.stat(path, "/")
        if not stat_mod.S_ISDIR(st.st_mode):
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        if proc.creds.uid != 0 and not _searchable(sh, st):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))
        if physical:
            path = sh.fs.realpath(path, "/")
    except OSError as exc:
        sh.errmsg(f"can't cd to {shown or target}: {exc.strerror}", "cd")
        return 2
    old = sh.get_var("PWD") if sh.bash else sh.curdir  # bash's OLDPWD is what $PWD said
    proc.cwd = sh.curdir = path
    if old is not None:
        sh.set_var("OLDPWD", old)
    else:
        sh.unset_var("OLDPWD")
    sh.set_var("PWD", path)
    return 0


def _searchable(sh: Shell, st: os.stat_result) -> bool:
    creds = sh.proc.creds
    if st.st_uid == creds.uid:
        return bool(st.st_mode & 0o100)
    if st.st_gid == creds.gid or st.st_gid in creds.groups:
        return bool(st.st_mode & 0o010)
    return bool(st.st_mode & 0o001)


@builtin("cd", "chdir")
def cd(sh: Shell, argv: list[str]) -> int:
    """``cd [-L|-P] [dir|-]``."""
    args = argv[1:]
    physical = "physical" in sh.shopts
    while args and args[0] in ("-L", "-P", "--"):
        flag = args.pop(0)
        if flag == "--":
            break
        physical = flag == "-P"
    if not args:
        home = sh.get_var("HOME")
        if not home:
            return 0
        return change_dir(sh, home, physical=physical)
    target = args[0]
    if target == "-":
        old = sh.get_var("OLDPWD")
        if not old:
            sh.errmsg("can't cd to -: No such file or directory", "cd")
            return 2
        status = change_dir(sh, old, physical=physical)
        if status == 0:
            sh.write(sh.curdir + "\n")
        return status
    cdpath = sh.get_var("CDPATH")
    if cdpath and not target.startswith("/") and not target.startswith("."):
        for directory in cdpath.split(":"):
            candidate = (directory.rstrip("/") + "/" + target) if directory else target
            if sh.fs.is_dir(normpath(candidate, sh.curdir), "/"):
                status = change_dir(sh, candidate, physical=physical, shown=target)
                if status == 0 and directory:
                    sh.write(sh.curdir + "\n")
                return status
    return change_dir(sh, target, physical=physical)


@builtin("pwd")
def pwd(sh: Shell, argv: list[str]) -> int:
    """``pwd [-L|-P]``: the logical directory unless ``-P`` (the ``pwd`` utility defaults to ``-P``)."""
    physical = "physical" in sh.shopts
    for opt in leading_options(argv[1:]):
        for letter in opt[1:]:
            if letter not in "LP":
                sh.errmsg(f"illegal option -{letter}", "pwd")
                return 2
            physical = letter == "P"
    path = sh.curdir
    if physical:
        try:
            path = sh.fs.realpath(path, "/")
        except OSError:
            pass
    sh.write(path + "\n")
    return 0


@builtin("pushd", bash_only=True)
def pushd(sh: Shell, argv: list[str]) -> int:
    """``pushd dir``: remember the current directory and change to ``dir``."""
    if len(argv) < 2:
        if not sh.dir_stack:
            sh.errmsg("no other directory", "pushd")
            return 1
        target = sh.dir_stack.pop(0)
    else:
        target = argv[1]
    old = sh.curdir
    status = change_dir(sh, target)
    if status == 0:
        sh.dir_stack.insert(0, old)
        _print_stack(sh)
    return 1 if status else 0


@builtin("popd", bash_only=True)
def popd(sh: Shell, argv: list[str]) -> int:
    """``popd``: return to the directory saved by ``pushd``."""
    if not sh.dir_stack:
        sh.errmsg("directory stack empty", "popd")
        return 1
    status = change_dir(sh, sh.dir_stack.pop(0))
    if status == 0:
        _print_stack(sh)
    return 1 if status else 0


@builtin("dirs", bash_only=True)
def dirs(sh: Shell, argv: list[str]) -> int:
    """``dirs``: the directory stack."""
    _print_stack(sh)
    return 0


def _print_stack(sh: Shell) -> None:
    entries = [sh.curdir, *sh.dir_stack]
    sh.write(" ".join(sh._tilde_dir(e) for e in entries) + "\n")
