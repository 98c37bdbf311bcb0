"""Archives and compression: gzip, gunzip, zcat, tar.

tar extraction writes every entry through the jail. As busybox does, member names lose
a leading ``/`` and everything up to their last ``..`` component, and symlinks whose
target is absolute or climbs with ``..`` are created only after all other entries, so an
archive cannot plant a link and then write through it; even such a link resolves inside
the container root.
"""

from __future__ import annotations

import bz2
import errno
import io
import lzma
import os
import stat as stat_mod
import tarfile
import zlib

from ..sandbox.files import CHUNK, OpenFile
from .common import Util, chomp, iter_chunks, iter_lines, strerror, utility
from .fileops import join, remove_tree
from .glob import fnmatch
from .modes import mode_string
from .timefmt import strftime, zone


class _Reader(io.RawIOBase):
    """A Python file object over an :class:`OpenFile` (for gzip and tarfile)."""

    def __init__(self, file: OpenFile) -> None:
        self.file = file

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.file.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Writer(io.RawIOBase):
    """A Python writable over an :class:`OpenFile`."""

    def __init__(self, file: OpenFile) -> None:
        self.file = file

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.file.write(bytes(data))
        return len(data)


# -- gzip, bzip2, xz ------------------------------------------------------------------

class Codec:
    """A compression format: its magic, suffixes and stream objects (zlib/bz2/lzma share an API)."""

    def __init__(self, name: str, magic: bytes, suffixes: tuple[tuple[str, str], ...], compressor, decompressor) -> None:
        self.name = name
        self.magic = magic
        self.suffixes = suffixes  # (compressed suffix, suffix it stands for)
        self.compressor = compressor
        self.decompressor = decompressor


CODECS = {
    "gzip": Codec("gzip", b"\x1f\x8b", ((".gz", ""), (".tgz", ".tar"), (".z", ""), (".Z", "")),
                  lambda level: zlib.compressobj(level, zlib.DEFLATED, 31), lambda: zlib.decompressobj(wbits=31)),
    "bzip2": Codec("bzip2", b"BZh", ((".bz2", ""), (".tbz", ".tar"), (".tbz2", ".tar")),
                   lambda level: bz2.BZ2Compressor(level), bz2.BZ2Decompressor),
    "xz": Codec("xz", b"\xfd7zXZ\x00", ((".xz", ""), (".txz", ".tar")),
                lambda level: lzma.LZMACompressor(lzma.FORMAT_XZ, preset=level), lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ)),
    "lzma": Codec("lzma", b"\x5d\x00", ((".lzma", ""),),
                  lambda level: lzma.LZMACompressor(lzma.FORMAT_ALONE, preset=level), lambda: lzma.LZMADecompressor(lzma.FORMAT_ALONE)),
}
_APPLETS = {
    "gzip": ("gzip", False, False), "gunzip": ("gzip", True, False), "zcat": ("gzip", True, True),
    "bzip2": ("bzip2", False, False), "bunzip2": ("bzip2", True, False), "bzcat": ("bzip2", True, True),
    "xz": ("xz", False, False), "unxz": ("xz", True, False), "xzcat": ("xz", True, True),
    "lzma": ("lzma", False, False), "unlzma": ("lzma", True, False), "lzcat": ("lzma", True, True),
}
_STREAM_ERRORS = (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError)


def decompress_stream(u: Util, codec: Codec, source: OpenFile, sink) -> None:
    """Inflate every member of ``source`` into ``sink(bytes)``; ``ValueError`` on bad data."""
    head = source.read(len(codec.magic))
    if head != codec.magic and not (codec.name == "lzma" and head[:1] == b"\x5d"):
        raise ValueError("invalid magic")
    source.unread(head)
    decomp = codec.decompressor()
    pending = b""
    while True:
        chunk = pending or source.read1(CHUNK)
        pending = b""
        if not chunk:
            if not decomp.eof:
                raise ValueError("unexpected end of file")
            return
        try:
            sink(decomp.decompress(chunk))
        except _STREAM_ERRORS as exc:
            raise ValueError("corrupted data") from exc
        u.check()
        if decomp.eof:
            rest = decomp.unused_data or source.read1(CHUNK)
            if not rest.startswith(codec.magic[:2]):
                return  # trailing garbage is ignored, as gzip does
            decomp = codec.decompressor()
            pending = rest


def compress_stream(u: Util, codec: Codec, source: OpenFile, sink, level: int) -> None:
    """Deflate ``source`` into ``sink(bytes)``."""
    comp = codec.compressor(level)
    for chunk in iter_chunks(source):
        sink(comp.compress(chunk))
        u.check()
    sink(comp.flush())


@utility(*_APPLETS, usage="gzip [-cfkdt123456789] [FILE]...\n\nCompress FILEs (or stdin); gunzip/zcat, bzip2/bunzip2/bzcat, xz/unxz/xzcat and lzma/unlzma/lzcat work alike\n\n\t-1..9\tCompression level\n\t-d\tDecompress\n\t-c\tWrite to stdout\n\t-f\tForce\n\t-k\tKeep input files\n\t-t\tTest file integrity")
def gzip(u: Util, argv: list[str]) -> int:
    """gzip/gunzip/zcat (and the bzip2, xz, lzma families) [-cdfkntqv123456789] [FILE]..."""
    opts, files = u.getopt(argv[1:], "cdfkntqz123456789", {"stdout": "c", "decompress": "d", "uncompress": "d", "force": "f", "keep": "k", "test": "t", "quiet": "q", "no-name": "n", "best": "9", "fast": "1"})
    family, unpack, to_out = _APPLETS.get(u.name, ("gzip", False, False))
    codec = CODECS[family]
    decompress = "d" in opts or unpack or "t" in opts
    to_stdout = "c" in opts or to_out
    default_level = {"gzip": 6, "bzip2": 9, "xz": 6, "lzma": 6}[family]
    level = int(opts.last_of("123456789") or default_level)
    for path in files or ["-"]:
        _compress_one(u, codec, path, decompress, to_stdout or path == "-", level, opts)
    return u.status


def _compress_one(u: Util, codec: Codec, path: str, decompress: bool, to_stdout: bool, level: int, opts) -> None:
    test_only = "t" in opts
    st = None
    if path != "-":
        try:
            st = u.stat(path)
        except OSError as exc:
            u.warn(f"{path}: {strerror(exc)}")
            return
        if stat_mod.S_ISDIR(st.st_mode):
            u.warn(f"{path}: {os.strerror(errno.EISDIR)}")
            return
    elif not decompress and u.out.file.isatty() and "f" not in opts:
        u.fail("compressed data not written to a terminal. Use -f to force")
    target = None
    if not to_stdout and not test_only:
        if decompress:
            for suffix, replacement in codec.suffixes:
                if path.endswith(suffix) and len(path) > len(suffix):
                    target = path[: -len(suffix)] + replacement
                    break
            if target is None:
                u.warn(f"{path}: unknown suffix - ignored")
                return
        else:
            suffix = codec.suffixes[0][0]
            if path.endswith(suffix):
                u.warn(f"{path} already has {suffix} suffix -- unchanged")
                return
            target = path + suffix
        if u.exists(target, follow=False):
            if "f" not in opts:
                u.warn(f"can't open '{target}': {os.strerror(errno.EEXIST)}")
                return
            remove_tree(u, target, recursive=False, force=True)
    try:
        source = u.proc.stdin if path == "-" else u.open(path)
    except OSError as exc:
        u.warn(f"can't open '{path}': {strerror(exc)}")
        return
    output: OpenFile | None = None
    try:
        if target is not None:
            try:
                output = u.create(target, mode=(st.st_mode & 0o777) if st else 0o644)
            except OSError as exc:
                u.warn(f"can't open '{target}': {strerror(exc)}")
                return
        sink = (lambda data: None) if test_only else output.write if output is not None else u.out.write
        try:
            if decompress:
                decompress_stream(u, codec, source, sink)
            else:
                compress_stream(u, codec, source, sink, level)
        except ValueError as exc:
            u.warn(str(exc))
            if output is not None:
                output.release()
                output = None
                remove_tree(u, target or "", recursive=False, force=True)
            return
    finally:
        if path != "-":
            source.release()
        if output is not None:
            output.release()
    if target is not None and st is not None:
        try:
            u.fs.utime(target, (st.st_atime_ns, st.st_mtime_ns), u.cwd)
        except OSError:
            pass
        if "k" not in opts:
            try:
                u.fs.unlink(path, u.cwd)
            except OSError as exc:
                u.warn(f"can't remove file '{path}': {strerror(exc)}")


# -- tar ------------------------------------------------------------------------------

_TAR_USAGE = """tar c|x|t [-ZzJjahmvokO] [-f TARFILE] [-C DIR] [-T FILE] [-X FILE] [--exclude PATTERN]... [FILE]...

Create, extract, or list files from a tar file

\tc\tCreate
\tx\tExtract
\tt\tList
\t-f FILE\tName of TARFILE ('-' for stdin/out)
\t-C DIR\tChange to DIR before operation
\t-v\tVerbose
\t-O\tExtract to stdout
\t-m\tDon't restore mtime
\t-o\tDon't restore user:group
\t-k\tDon't replace existing files
\t-z\t(De)compress using gzip
\t-J\t(De)compress using xz
\t-j\t(De)compress using bzip2
\t-a\t(De)compress based on extension
\t-h\tFollow symlinks
\t-T FILE\tFile with names to include
\t-X FILE\tFile with glob patterns to exclude
\t--exclude PATTERN\tGlob pattern to exclude
\t--overwrite\t\tReplace existing files
\t--strip-components NUM\tNUM of leading components to strip
\t--no-recursion\t\tDon't descend in directories
\t--numeric-owner\t\tUse numeric user:group
\t--no-same-permissions\tDon't restore access permissions"""


def _name_list(u: Util, path: str) -> list[str]:
    """The non-blank lines of ``path``: the names of ``tar -T``, the patterns of ``-X``."""
    try:
        with u.input(path) as file:
            return [chomp(line).decode("utf-8", "surrogateescape") for line in iter_lines(file) if chomp(line)]
    except OSError as exc:
        u.fail(f"can't open '{path}': {strerror(exc)}")


class _Tar:
    def __init__(self, u: Util, opts) -> None:
        self.u = u
        self.opts = opts
        self.excludes = opts.all("exclude")
        for path in opts.all("X"):
            self.excludes += _name_list(u, path)
        self.verbose = opts.count("v")
        self.warned: set[str] = set()
        self.base = opts.get("C") or "."
        self.show_name = u.out.write  # where -v lists names (stderr when the archive is on stdout)

    def excluded(self, name: str) -> bool:
        stripped = name.rstrip("/")
        base = stripped.rsplit("/", 1)[-1]
        return any(fnmatch(p, stripped) or fnmatch(p, base) or fnmatch(p.rstrip("/"), stripped) for p in self.excludes)

    def path(self, name: str) -> str:
        """A member name as a path under -C DIR."""
        return join(self.base, name) if self.base not in ("", ".") else name

    def compression(self, archive: str | None, writing: bool) -> str:
        opts = self.opts
        if "z" in opts:
            return "gz"
        if "j" in opts:
            return "bz2"
        if "J" in opts or "lzma" in opts:
            return "xz"
        if "Z" in opts:
            self.u.fail("compress (.Z) archives are not supported")
        if "a" in opts and archive:
            for suffix, kind in ((".tar.gz", "gz"), (".tgz", "gz"), (".tar.bz2", "bz2"), (".tbz", "bz2"), (".tar.xz", "xz"), (".txz", "xz")):
                if archive.endswith(suffix):
                    return kind
        return "" if writing else "*"

    # -- create ---------------------------------------------------------------------
    def create(self, output: OpenFile, names: list[str], archive: str | None) -> None:
        mode = "w|" + self.compression(archive, True)
        with tarfile.open(fileobj=_Writer(output), mode=mode, format=tarfile.GNU_FORMAT) as tar:
            for name in names:
                self.add(tar, name, top=True)

    def _member_name(self, path: str) -> str:
        name = path
        if name.startswith("/"):
            if "/" not in self.warned:
                self.u.error("removing leading '/' from member names")
                self.warned.add("/")
            name = name.lstrip("/")
        return name

    def add(self, tar: tarfile.TarFile, path: str, top: bool) -> None:
        u = self.u
        u.check()
        location = self.path(path) if not path.startswith("/") else path
        name = self._member_name(path)
        if self.excluded(name):
            return
        try:
            st = u.stat(location, follow="h" in self.opts)
        except OSError as exc:
            u.warn(f"{location}: {strerror(exc)}")
            return
        info = tarfile.TarInfo(name + ("/" if stat_mod.S_ISDIR(st.st_mode) and not name.endswith("/") else ""))
        info.mode = st.st_mode & 0o7777
        info.uid, info.gid = st.st_uid, st.st_gid
        info.uname = u.proc.kernel.user_name(st.st_uid) or ""
        info.gname = u.proc.kernel.group_name(st.st_gid) or ""
        info.mtime = int(st.st_mtime)
        if self.verbose:
            self.show_name(info.name.encode("utf-8", "surrogateescape") + b"\n")
        if stat_mod.S_ISDIR(st.st_mode):
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
            if "no-recursion" not in self.opts:
                for child in u.dir_names(location):
                    self.add(tar, join(path, child), top=False)
            return
        if stat_mod.S_ISLNK(st.st_mode):
            info.type = tarfile.SYMTYPE
            info.linkname = u.fs.readlink(location, u.cwd)
            tar.addfile(info)
            return
        if not stat_mod.S_ISREG(st.st_mode):
            u.warn(f"{location}: skipping special file")
            return
        info.size = st.st_size
        try:
            source = u.open(location)
        except OSError as exc:
            u.warn(f"{location}: {strerror(exc)}")
            return
        try:
            tar.addfile(info, _Reader(source))
        finally:
            source.release()

    # -- read -----------------------------------------------------------------------
    def open_archive(self, source: OpenFile, archive: str | None) -> tarfile.TarFile:
        return tarfile.open(fileobj=_Reader(source), mode="r|" + self.compression(archive, False))

    def selected(self, name: str, wanted: list[str], found: set[str]) -> bool:
        if self.excluded(name):
            return False
        if not wanted:
            return True
        stripped = name.rstrip("/")
        for want in wanted:
            w = want.rstrip("/")
            if stripped == w or stripped.startswith(w + "/") or fnmatch(w, stripped):
                found.add(want)
                return True
        return False

    def list(self, tar: tarfile.TarFile, wanted: list[str], found: set[str]) -> None:
        u = self.u
        tz = zone(u.env)
        for member in tar:
            if not self.selected(member.name, wanted, found):
                continue
            name = member.name + ("/" if member.isdir() and not member.name.endswith("/") else "")
            if self.verbose:
                kind = {tarfile.DIRTYPE: stat_mod.S_IFDIR, tarfile.SYMTYPE: stat_mod.S_IFLNK, tarfile.CHRTYPE: stat_mod.S_IFCHR,
                        tarfile.BLKTYPE: stat_mod.S_IFBLK, tarfile.FIFOTYPE: stat_mod.S_IFIFO}.get(member.type, stat_mod.S_IFREG)
                owner = member.uname or str(member.uid)
                group = member.gname or str(member.gid)
                if "numeric-owner" in self.opts:
                    owner, group = str(member.uid), str(member.gid)
                line = f"{mode_string(kind | member.mode)} {owner}/{group} {member.size:9d} {strftime(member.mtime, '%Y-%m-%d %H:%M:%S', tz)} {name}"
                if member.issym():
                    line += f" -> {member.linkname}"
                elif member.islnk():
                    line += f" link to {member.linkname}"
                u.out.write(line.encode("utf-8", "surrogateescape") + b"\n")
            else:
                u.out.write(name.encode("utf-8", "surrogateescape") + b"\n")

    def safe_name(self, name: str) -> str | None:
        """busybox's sanitising: no leading '/', nothing up to the last '..' component."""
        parts = name.split("/")
        if ".." in parts:
            last = len(parts) - 1 - parts[::-1].index("..")
            prefix = "/".join(parts[: last + 1]) + "/"
            if prefix not in self.warned:
                self.u.error(f"removing leading '{prefix}' from member names")
                self.warned.add(prefix)
            parts = parts[last + 1:]
        elif name.startswith("/") and "/" not in self.warned:
            self.u.error("removing leading '/' from member names")
            self.warned.add("/")
        parts = [p for p in parts if p not in ("", ".")]
        strip = int(self.opts.get("strip-components") or 0)
        if strip:
            if len(parts) <= strip:
                return None
            parts = parts[strip:]
        return "/".join(parts) if parts else None

    def extract(self, tar: tarfile.TarFile, wanted: list[str], found: set[str]) -> None:
        u = self.u
        deferred: list[tuple[str, str, tarfile.TarInfo]] = []
        directories: list[tuple[str, tarfile.TarInfo]] = []
        for member in tar:
            u.check()
            if not self.selected(member.name, wanted, found):
                continue
            name = self.safe_name(member.name)
            if name is None:
                continue
            if "O" in self.opts:
                if member.isfile():
                    data = tar.extractfile(member)
                    if data is not None:
                        while chunk := data.read(CHUNK):
                            u.out.write(chunk)
                continue
            if self.verbose:
                u.out.write(member.name.encode("utf-8", "surrogateescape") + (b"/" if member.isdir() and not member.name.endswith("/") else b"") + b"\n")
            path = self.path(name)
            if member.issym():
                target = member.linkname
                if target.startswith("/") or ".." in target.split("/"):
                    deferred.append((path, target, member))  # planted last: nothing can be written through it
                    continue
                self.symlink(path, target, member)
            elif member.isdir():
                self.directory(path, member)
                directories.append((path, member))
            elif member.islnk():
                link_name = self.safe_name(member.linkname)
                self.hardlink(path, self.path(link_name) if link_name else "", member)
            elif member.isfile():
                self.file(path, tar, member)
            else:
                u.warn(f"{path}: special files cannot be created in the sandbox")
        for path, target, member in deferred:
            self.symlink(path, target, member)
        for path, member in reversed(directories):  # now that their contents are in
            self.attributes(path, member, directory=True)

    def _prepare(self, path: str) -> bool:
        """Make room for a new entry at ``path`` (parents created, an old non-directory removed)."""
        u = self.u
        parent = path.rpartition("/")[0]
        if parent:
            try:
                u.fs.makedirs(parent, 0o755, u.cwd)
            except OSError as exc:
                u.warn(f"can't create directory '{parent}': {strerror(exc)}")
                return False
        try:
            st = u.lstat(path)
        except OSError:
            return True
        if "k" in self.opts:
            u.warn(f"{path}: {os.strerror(errno.EEXIST)}")
            return False
        if stat_mod.S_ISDIR(st.st_mode):
            return True
        try:
            u.fs.unlink(path, u.cwd)  # never write through an existing link
        except OSError as exc:
            u.warn(f"can't remove old file {path}: {strerror(exc)}")
            return False
        return True

    def directory(self, path: str, member: tarfile.TarInfo) -> None:
        u = self.u
        if not self._prepare(path.rstrip("/")):
            return
        try:
            if not u.is_dir(path):
                u.fs.mkdir(path.rstrip("/"), 0o700, u.cwd)
        except OSError as exc:
            u.warn(f"can't make dir {path}: {strerror(exc)}")

    def file(self, path: str, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        u = self.u
        if not self._prepare(path):
            return
        data = tar.extractfile(member)
        try:
            output = u.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            u.warn(f"can't open '{path}': {strerror(exc)}")
            return
        try:
            if data is not None:
                while chunk := data.read(CHUNK):
                    output.write(chunk)
        finally:
            output.release()
        self.attributes(path, member)

    def symlink(self, path: str, target: str, member: tarfile.TarInfo) -> None:
        u = self.u
        if not self._prepare(path):
            return
        try:
            u.fs.symlink(target, path, u.cwd)
        except OSError:
            u.warn(f"can't create symlink '{path}' to '{target}'")
            return
        self.attributes(path, member, link=True)

    def hardlink(self, path: str, target: str, member: tarfile.TarInfo) -> None:
        u = self.u
        if not target or not self._prepare(path):
            u.warn(f"can't create hardlink '{path}' to '{member.linkname}'")
            return
        try:
            u.fs.link(target, path, u.cwd)
        except OSError as exc:
            u.warn(f"can't create hardlink '{path}' to '{member.linkname}': {strerror(exc)}")

    def attributes(self, path: str, member: tarfile.TarInfo, *, directory: bool = False, link: bool = False) -> None:
        u = self.u
        root = u.proc.creds.uid == 0
        try:
            if root and "o" not in self.opts and "no-same-owner" not in self.opts:
                uid, gid = member.uid, member.gid
                if "numeric-owner" not in self.opts:
                    uid = next((e.uid for e in u.proc.kernel.passwd() if member.uname and e.name == member.uname), uid)
                    gid = next((g for g, (n, _) in u.proc.kernel.groups().items() if member.gname and n == member.gname), gid)
                u.fs.chown(path, uid, gid, u.cwd, follow=not link)
        except OSError:
            pass
        try:
            if not link:
                mode = member.mode & (0o7777 if root else 0o777)
                if "no-same-permissions" in self.opts:
                    mode &= ~u.proc.umask
                u.fs.chmod(path, mode, u.cwd)
            if "m" not in self.opts:
                ns = int(member.mtime) * 1_000_000_000
                u.fs.utime(path, (ns, ns), u.cwd, follow=not link)
        except OSError as exc:
            if not link:
                u.warn(f"{path}: {strerror(exc)}")


@utility("tar", usage=_TAR_USAGE)
def tar(u: Util, argv: list[str]) -> int:
    """tar c|x|t [-zjJavOmokh] [-f FILE] [-C DIR] [-T FILE] [-X FILE] [--exclude PAT] [FILE]..."""
    args = argv[1:]
    if args and not args[0].startswith("-"):
        # the traditional bundled form: "tar xzf FILE" is "tar -x -z -f FILE"
        args = ["-" + args[0], *args[1:]]
    opts, names = u.getopt(args, "cxtf:C:vOmokhzjJaZT:X:p", {
        "create": "c", "extract": "x", "get": "x", "list": "t", "file=": "f", "directory=": "C", "verbose": "v",
        "to-stdout": "O", "touch": "m", "no-same-owner": "o", "keep-old-files": "k", "dereference": "h",
        "gzip": "z", "gunzip": "z", "bzip2": "j", "xz": "J", "auto-compress": "a", "files-from=": "T",
        "exclude-from=": "X", "exclude=": "exclude", "overwrite": "overwrite", "strip-components=": "strip-components",
        "no-recursion": "no-recursion", "numeric-owner": "numeric-owner", "no-same-permissions": "no-same-permissions",
        "same-owner": "same-owner", "preserve-permissions": "p", "lzma": "lzma",
    })
    modes = [m for m in "cxt" if m in opts]
    if len(modes) != 1:
        u.usage_error()
    mode = modes[0]
    strip = opts.get("strip-components")
    if strip is not None and not strip.isdigit():
        u.fail(f"invalid number '{strip}'")
    for listing in opts.all("T"):
        names += _name_list(u, listing)
    runner = _Tar(u, opts)
    archive = opts.get("f")
    if "C" in opts and not u.is_dir(opts.get("C") or ""):
        u.fail(f"can't change directory to '{opts.get('C')}': {os.strerror(errno.ENOENT)}")
    if mode == "c":
        if not names:
            u.fail("empty archive")
        if archive and archive != "-":
            try:
                output = u.create(archive)
            except OSError as exc:
                u.fail(f"can't open '{archive}': {strerror(exc)}")
        else:
            if u.out.file.isatty():
                u.fail("can't write compressed data to a terminal" if "z" in opts else "refusing to write archive to a terminal")
            u.out.flush()
            output = u.out.file.acquire()
        if not archive or archive == "-":
            runner.show_name = u.proc.stderr.write
        try:
            runner.create(output, names, archive)
        except (OSError, tarfile.TarError, EOFError) as exc:
            u.warn(str(exc))
        finally:
            output.release()
        return u.status
    if archive and archive != "-":
        try:
            source = u.open(archive)
        except OSError as exc:
            u.fail(f"can't open '{archive}': {strerror(exc)}")
    else:
        source = u.proc.stdin.acquire()
    found: set[str] = set()
    try:
        with runner.open_archive(source, archive) as archive_file:
            if mode == "t":
                runner.list(archive_file, names, found)
            else:
                runner.extract(archive_file, names, found)
    except (tarfile.TarError, EOFError, zlib.error, OSError, lzma.LZMAError, ValueError) as exc:
        u.warn(_tar_error(exc))
    finally:
        source.release()
    for name in names:
        if name not in found:
            u.warn(f"{name}: not found in archive")
    return u.status


def _tar_error(exc: BaseException) -> str:
    if isinstance(exc, tarfile.ReadError) and "empty" in str(exc):
        return "short read"
    if isinstance(exc, tarfile.ReadError | tarfile.CompressionError):
        return "invalid tar magic"
    return str(exc)
