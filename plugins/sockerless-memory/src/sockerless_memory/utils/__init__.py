"""The applets of the sandbox's multi-call binary, written in Python after busybox's behaviour.

Importing this package registers every utility with :mod:`sockerless_memory.sandbox.applets`.
"""

from . import (  # noqa: F401
    archive,
    awk,
    basic,
    cal,
    compare,
    digest,
    expr,
    fields,
    files,
    find,
    grep,
    headtail,
    ls,
    misc,
    paths,
    perms,
    printf,
    proc,
    rsync,
    sed,
    sort,
    storage,
    stty,
    sysinfo,
    testcmd,
    text,
    top,
    xargs,
)
