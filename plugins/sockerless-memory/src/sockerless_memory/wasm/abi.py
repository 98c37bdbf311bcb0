"""WASI preview1 (``wasi_snapshot_preview1``) numbers and record layouts.

Values and offsets follow the witx definitions of the snapshot; everything the host
functions of :mod:`.preview1` write into guest memory is laid out here.
"""

from __future__ import annotations

import errno as _errno
import os
import stat as stat_mod
import struct

MODULE = "wasi_snapshot_preview1"

# errno values, in the snapshot's order (the index is the value)
_ERRNO_NAMES = (
    "success", "2big", "acces", "addrinuse", "addrnotavail", "afnosupport", "again", "already", "badf",
    "badmsg", "busy", "canceled", "child", "connaborted", "connrefused", "connreset", "deadlk",
    "destaddrreq", "dom", "dquot", "exist", "fault", "fbig", "hostunreach", "idrm", "ilseq", "inprogress",
    "intr", "inval", "io", "isconn", "isdir", "loop", "mfile", "mlink", "msgsize", "multihop", "nametoolong",
    "netdown", "netreset", "netunreach", "nfile", "nobufs", "nodev", "noent", "noexec", "nolck", "nolink",
    "nomem", "nomsg", "noprotoopt", "nospc", "nosys", "notconn", "notdir", "notempty", "notrecoverable",
    "notsock", "notsup", "notty", "nxio", "overflow", "ownerdead", "perm", "pipe", "proto", "protonosupport",
    "prototype", "range", "rofs", "spipe", "srch", "stale", "timedout", "txtbsy", "xdev", "notcapable",
)
ERRNO = {name: value for value, name in enumerate(_ERRNO_NAMES)}
SUCCESS = 0
EBADF = ERRNO["badf"]
EFAULT = ERRNO["fault"]
EINVAL = ERRNO["inval"]
EIO = ERRNO["io"]
EISDIR = ERRNO["isdir"]
ENOTDIR = ERRNO["notdir"]
ENOTSOCK = ERRNO["notsock"]
ENOTSUP = ERRNO["notsup"]
ENOSYS = ERRNO["nosys"]
ESPIPE = ERRNO["spipe"]
EPIPE = ERRNO["pipe"]
ENOENT = ERRNO["noent"]

_HOST_TO_WASI = {}
for _name, _value in ERRNO.items():
    _host = getattr(_errno, "E" + _name.upper(), None)
    if _host is not None:
        _HOST_TO_WASI.setdefault(_host, _value)
_HOST_TO_WASI[_errno.EOPNOTSUPP] = ENOTSUP
_HOST_TO_WASI[_errno.EWOULDBLOCK] = ERRNO["again"]


def errno_of(exc: OSError) -> int:
    """The WASI errno for a host ``OSError`` (``EIO`` when it has no equivalent)."""
    return _HOST_TO_WASI.get(exc.errno or 0, EIO)


# filetype
FT_UNKNOWN, FT_BLOCK, FT_CHAR, FT_DIR, FT_REG, FT_DGRAM, FT_STREAM, FT_SYMLINK = range(8)

# fdflags
FDFLAG_APPEND, FDFLAG_DSYNC, FDFLAG_NONBLOCK, FDFLAG_RSYNC, FDFLAG_SYNC = 1, 2, 4, 8, 16
# oflags
O_CREAT, O_DIRECTORY, O_EXCL, O_TRUNC = 1, 2, 4, 8
# lookupflags
LOOKUP_SYMLINK_FOLLOW = 1
# fstflags
FST_ATIM, FST_ATIM_NOW, FST_MTIM, FST_MTIM_NOW = 1, 2, 4, 8
# clocks
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME, CLOCK_THREAD_CPUTIME = range(4)
# events and subscriptions
EVENT_CLOCK, EVENT_FD_READ, EVENT_FD_WRITE = range(3)
SUBCLOCK_ABSTIME = 1
EVENT_HANGUP = 1
# preopen types
PREOPEN_DIR = 0

RIGHT_FD_READ = 1 << 1
RIGHT_FD_SEEK = 1 << 2
RIGHT_FD_TELL = 1 << 5
RIGHT_FD_WRITE = 1 << 6
RIGHT_FD_DATASYNC = 1 << 0
RIGHT_FD_ALLOCATE = 1 << 8
RIGHT_FD_READDIR = 1 << 14
RIGHT_FD_FILESTAT_SET_SIZE = 1 << 22
RIGHTS_ALL = (1 << 30) - 1
RIGHTS_WRITE = RIGHT_FD_WRITE | RIGHT_FD_DATASYNC | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE
RIGHTS_STREAM = RIGHTS_ALL & ~(RIGHT_FD_SEEK | RIGHT_FD_TELL)

FDSTAT = struct.Struct("<BxHxxxxQQ")  # filetype, flags, rights base, rights inheriting (24 bytes)
FILESTAT = struct.Struct("<QQBxxxxxxxQQQQQ")  # dev ino type nlink size atim mtim ctim (64 bytes)
PRESTAT = struct.Struct("<BxxxI")  # tag, name length (8 bytes)
DIRENT = struct.Struct("<QQIBxxx")  # next cookie, inode, name length, type (24 bytes)
IOVEC = struct.Struct("<II")
SUBSCRIPTION = struct.Struct("<QB7xIxxxxQQH6x")  # userdata, tag, clock id / fd, timeout, precision, flags
EVENT = struct.Struct("<QHBxxxxxQH6x")  # userdata, error, type, nbytes, flags (32 bytes)
assert SUBSCRIPTION.size == 48 and EVENT.size == 32 and FILESTAT.size == 64 and FDSTAT.size == 24

_FILE_TYPES = {
    stat_mod.S_IFDIR: FT_DIR, stat_mod.S_IFREG: FT_REG, stat_mod.S_IFLNK: FT_SYMLINK,
    stat_mod.S_IFCHR: FT_CHAR, stat_mod.S_IFBLK: FT_BLOCK, stat_mod.S_IFSOCK: FT_STREAM,
}


def filetype_of_mode(mode: int) -> int:
    """The WASI filetype of a host ``st_mode``."""
    return _FILE_TYPES.get(stat_mod.S_IFMT(mode), FT_UNKNOWN)


def filestat(st: os.stat_result) -> bytes:
    """A ``filestat`` record for a host stat result."""
    return FILESTAT.pack(st.st_dev, st.st_ino, filetype_of_mode(st.st_mode), st.st_nlink, st.st_size,
                         st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns)


class WasiError(Exception):
    """Raised inside a host function to return a WASI errno to the guest."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code
