"""rsync in local mode: synchronise trees inside the container (no remote shell, no daemon).

Paths follow rsync's rules: ``src/`` copies the contents of src, ``src`` copies the
directory itself; ``-R`` keeps the given path (from a ``/./`` marker when there is one).
A file whose size and modification time match is left alone, unless ``-c`` or ``-I``.
"""

from __future__ import annotations

import hashlib
import os
import stat as stat_mod
import time
from dataclasses import dataclass

from ..sandbox.files import CHUNK
from .common import Util, chomp, iter_lines, strerror, utility
from .fileops import join, remove_tree
from .glob import fnmatch

_USAGE = """rsync [OPTION]... SRC... DEST

Local mode of rsync: copy and synchronise files and trees inside the container.

\t-a, --archive\t\tarchive mode; same as -rlptgoD
\t-r, --recursive\t\trecurse into directories
\t-R, --relative\t\tuse relative path names
\t-l, --links\t\tcopy symlinks as symlinks
\t-L, --copy-links\ttransform symlink into referent file/dir
\t-p, --perms\t\tpreserve permissions
\t-t, --times\t\tpreserve modification times
\t-o, --owner\t\tpreserve owner
\t-g, --group\t\tpreserve group
\t-D\t\t\tsame as --devices --specials (refused in the sandbox, skipped)
\t-d, --dirs\t\ttransfer directories without recursing
\t-u, --update\t\tskip files that are newer on the receiver
\t-c, --checksum\t\tskip based on checksum, not mod-time & size
\t-I, --ignore-times\tdon't skip files that match size and time
\t-n, --dry-run\t\tperform a trial run with no changes made
\t-v, --verbose\t\tincrease verbosity
\t-q, --quiet\t\tsuppress non-error messages
\t--delete\t\tdelete extraneous files from dest dirs
\t--exclude=PATTERN\texclude files matching PATTERN
\t--exclude-from=FILE\tread exclude patterns from FILE
\t--include=PATTERN\tdon't exclude files matching PATTERN
\t--files-from=FILE\tread list of source-file names from FILE
\t--ignore-existing\tskip updating files that exist on receiver
\t--existing\t\tskip creating new files on receiver
\t--size-only\t\tskip files that match in size
\t-H, --hard-links\tpreserve hard links
\t-x, --one-file-system\tdon't cross file system boundaries
\t--stats\t\tgive some file-transfer stats
\t-z, -h, -P, -W, -S\taccepted; no effect on a local copy"""


@dataclass
class _Rules:
    """--include/--exclude patterns, first match wins (a leading / anchors, a trailing / means directories)."""

    rules: list[tuple[bool, str]]

    def excluded(self, rel: str, is_dir: bool) -> bool:
        name = rel.rsplit("/", 1)[-1]
        for include, pattern in self.rules:
            dir_only = pattern.endswith("/")
            body = pattern.rstrip("/") or pattern
            if dir_only and not is_dir:
                continue
            if body.startswith("/"):
                hit = fnmatch(body[1:], rel, pathname=True)
            elif "/" in body:
                hit = fnmatch(body, rel, pathname=True) or fnmatch("*/" + body, rel, pathname=True) or fnmatch("**/" + body, rel, pathname=True)
            else:
                hit = fnmatch(body, name)
            if hit:
                return not include
        return False


class _Sync:
    def __init__(self, u: Util, opts) -> None:
        self.u = u
        self.o = opts
        archive = "a" in opts
        self.recursive = (archive or "r" in opts) and not ("files-from" in opts and "r" not in opts)
        self.dirs = "d" in opts or "files-from" in opts
        self.links = (archive or "l" in opts) and "L" not in opts
        self.perms = archive or "p" in opts
        self.times = archive or "t" in opts
        self.owner = archive or "o" in opts
        self.group = archive or "g" in opts
        self.dry = "n" in opts
        self.verbose = opts.count("v") and "q" not in opts
        self.rules = _Rules([])
        self.sent = 0
        self.total = 0
        self.hard_links: dict[tuple[int, int], str] = {}  # -H: source inode -> its first copy
        self.device: int | None = None  # -x: the file system of the source being copied
        self.created: str | None = None  # the destination directory this run created

    def say(self, text: str) -> None:
        if self.verbose:
            self.u.out.write(text.encode("utf-8", "surrogateescape") + b"\n")

    def _is_source_dir(self, path: str) -> bool:
        try:
            return stat_mod.S_ISDIR(self.stat_source(path).st_mode)
        except OSError:
            return False

    def stat_source(self, path: str) -> os.stat_result:
        return self.u.stat(path, follow="L" in self.o)

    def unchanged(self, src: str, st: os.stat_result, dst: str, dst_st: os.stat_result) -> bool:
        o = self.o
        if "I" in o:
            return False
        if st.st_size != dst_st.st_size:
            return False
        if "size-only" in o:
            return True
        if "c" in o:
            return _digest(self.u, src) == _digest(self.u, dst)
        return int(st.st_mtime) == int(dst_st.st_mtime)

    def transfer(self, src: str, dst: str, rel: str) -> None:
        """Bring ``dst`` in line with ``src``; ``rel`` is the name shown with -v."""
        u = self.u
        u.check()
        try:
            st = self.stat_source(src)
        except OSError as exc:
            u.warn(f'link_stat "{src}" failed: {strerror(exc)} (2)', 23)
            return
        is_dir = stat_mod.S_ISDIR(st.st_mode)
        if rel and self.rules.excluded(rel, is_dir):
            return
        if "x" in self.o and is_dir and self.device is not None and st.st_dev != self.device:
            return  # -x: stay on the source's file system
        try:
            dst_st = u.lstat(dst)
        except OSError:
            dst_st = None
        if dst_st is not None and "ignore-existing" in self.o and not is_dir:
            return
        if dst_st is None and "existing" in self.o:
            return
        if is_dir:
            self.directory(src, dst, rel, st, dst_st)
        elif stat_mod.S_ISLNK(st.st_mode) and self.links:
            self.symlink(src, dst, rel, st, dst_st)
        elif stat_mod.S_ISREG(st.st_mode):
            self.file(src, dst, rel, st, dst_st)
        else:
            # rsync prints this on stdout even without -v
            self.u.out.write(f'skipping non-regular file "{rel or src}"\n'.encode("utf-8", "surrogateescape"))

    def _replace(self, dst: str, dst_st: os.stat_result | None, want_dir: bool) -> os.stat_result | None:
        """Remove what is in the way of an entry of the other kind."""
        if dst_st is None:
            return None
        if stat_mod.S_ISDIR(dst_st.st_mode) == want_dir and not stat_mod.S_ISLNK(dst_st.st_mode):
            return dst_st
        if not self.dry:
            remove_tree(self.u, dst, recursive=True, force=True)
        return None

    def directory(self, src: str, dst: str, rel: str, st: os.stat_result, dst_st: os.stat_result | None) -> None:
        u = self.u
        if not (self.recursive or self.dirs):
            self.say(f'skipping directory {rel or "."}')
            return
        dst_st = self._replace(dst, dst_st, True)
        if dst_st is None and not self.dry:
            try:
                u.fs.mkdir(dst, 0o700, u.cwd)
            except OSError as exc:
                u.warn(f'mkdir "{dst}" failed: {strerror(exc)} ({exc.errno})', 23)
                return
        changed = dst_st is None or (not rel and (dst.rstrip("/") or "/") == self.created) or (self.times and int(dst_st.st_mtime) != int(st.st_mtime)) or (
            self.perms and dst_st.st_mode & 0o7777 != st.st_mode & 0o7777
        )
        if changed:  # like rsync, a directory is listed when it is created or its attributes change
            self.say((rel.rstrip("/") + "/") if rel else "./")
        if self.recursive:
            try:
                names = sorted(u.fs.listdir(src, u.cwd))
            except OSError as exc:
                u.warn(f'opendir "{src}" failed: {strerror(exc)} ({exc.errno})', 23)
                names = []
            # as rsync lists them: a directory's other entries first, then its subdirectories
            dirs = [n for n in names if self._is_source_dir(join(src, n))]
            for name in [n for n in names if n not in dirs] + dirs:
                self.transfer(join(src, name), join(dst, name), join(rel, name) if rel else name)
            if "delete" in self.o and (dst_st is not None or not self.dry) and u.exists(dst):
                self.delete_extraneous(dst, rel, set(names))
        if not self.dry and u.exists(dst):
            self.attributes(dst, st, new=dst_st is None)

    def delete_extraneous(self, dst: str, rel: str, keep: set[str]) -> None:
        u = self.u
        try:
            present = sorted(u.fs.listdir(dst, u.cwd))
        except OSError:
            return
        for name in present:
            child_rel = join(rel, name) if rel else name
            if name in keep:
                continue
            is_dir = u.is_dir(join(dst, name)) and not stat_mod.S_ISLNK(u.lstat(join(dst, name)).st_mode)
            if self.rules.excluded(child_rel, is_dir) and "delete-excluded" not in self.o:
                continue
            self.say(f"deleting {child_rel}{'/' if is_dir else ''}")
            if not self.dry:
                remove_tree(u, join(dst, name), recursive=True, force=True)

    def symlink(self, src: str, dst: str, rel: str, st: os.stat_result, dst_st: os.stat_result | None) -> None:
        u = self.u
        target = u.fs.readlink(src, u.cwd)
        if dst_st is not None and stat_mod.S_ISLNK(dst_st.st_mode):
            try:
                if u.fs.readlink(dst, u.cwd) == target:
                    return
            except OSError:
                pass
        self.say(f"{rel} -> {target}")
        if self.dry:
            return
        self._replace(dst, dst_st, False)
        try:
            if u.exists(dst, follow=False):
                u.fs.unlink(dst, u.cwd)
            u.fs.symlink(target, dst, u.cwd)
        except OSError as exc:
            u.warn(f'symlink "{dst}" -> "{target}" failed: {strerror(exc)} ({exc.errno})', 23)

    def file(self, src: str, dst: str, rel: str, st: os.stat_result, dst_st: os.stat_result | None) -> None:
        u = self.u
        self.total += st.st_size
        if "H" in self.o and st.st_nlink > 1:
            first = self.hard_links.get((st.st_dev, st.st_ino))
            if first is None:
                self.hard_links[(st.st_dev, st.st_ino)] = dst
            elif first != dst:
                self.say(f"{rel} => {first}")
                if not self.dry:
                    try:
                        if dst_st is not None:
                            remove_tree(u, dst, recursive=True, force=True)
                        u.fs.link(first, dst, u.cwd)
                    except OSError as exc:
                        u.warn(f'link "{dst}" => {first} failed: {strerror(exc)} ({exc.errno})', 23)
                return
        dst_st = self._replace(dst, dst_st, False)
        if dst_st is not None:
            if "u" in self.o and dst_st.st_mtime > st.st_mtime:
                return
            if self.unchanged(src, st, dst, dst_st):
                if not self.dry:
                    self.attributes(dst, st, new=False)
                return
        self.say(rel or src.rsplit("/", 1)[-1])
        if self.dry:
            return
        # write a temporary file next to the destination, then rename it over (rsync's way)
        directory, _, base = dst.rpartition("/")
        temp = (directory + "/" if directory else "") + f".{base}.{os.getpid() % 100000:05d}{time.monotonic_ns() % 1000000:06d}"
        try:
            source = u.open(src)
        except OSError as exc:
            u.warn(f'send_files failed to open "{src}": {strerror(exc)} ({exc.errno})', 23)
            return
        try:
            target = u.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                while chunk := source.read1(CHUNK):
                    target.write(chunk)
                    self.sent += len(chunk)
                    u.check()
            finally:
                target.release()
            self.attributes(temp, st, new=True)
            u.fs.rename(temp, dst, u.cwd)
        except OSError as exc:
            u.warn(f'failed to write "{dst}": {strerror(exc)} ({exc.errno})', 23)
            try:
                u.fs.unlink(temp, u.cwd)
            except OSError:
                pass
        finally:
            source.release()

    def attributes(self, path: str, st: os.stat_result, *, new: bool) -> None:
        u = self.u
        try:
            if self.owner or self.group:
                u.fs.chown(path, st.st_uid if self.owner else -1, st.st_gid if self.group else -1, u.cwd, follow=False)
        except OSError:
            pass
        try:
            if self.perms:
                u.fs.chmod(path, st.st_mode & 0o7777, u.cwd)
            elif new:
                u.fs.chmod(path, st.st_mode & 0o777 & ~u.proc.umask, u.cwd)
            if self.times:
                u.fs.utime(path, (st.st_atime_ns, st.st_mtime_ns), u.cwd)
        except OSError as exc:
            u.warn(f'failed to set attributes of "{path}": {strerror(exc)}', 23)


def _digest(u: Util, path: str) -> bytes:
    digest = hashlib.md5(usedforsecurity=False)
    with u.input(path) as file:
        while chunk := file.read1(CHUNK):
            digest.update(chunk)
    return digest.digest()


def _relative_parts(source: str) -> tuple[str, str]:
    """(the path to read, the name kept under DEST) for -R: from a /./ marker, or the whole path."""
    if "/./" in source:
        rest = source.partition("/./")[2]
        return source, rest.strip("/")
    return source, source.lstrip("/").rstrip("/")


@utility("rsync", usage=_USAGE)
def rsync(u: Util, argv: list[str]) -> int:
    """rsync [-arRlLptgoDduIcnvq] [--delete] [--exclude PAT] [--files-from FILE] SRC... DEST (local only)."""
    opts, args = u.getopt(argv[1:], "arRlLptgoDduIcnvqzhPWxHSe:", {
        "archive": "a", "recursive": "r", "relative": "R", "links": "l", "copy-links": "L", "perms": "p",
        "times": "t", "owner": "o", "group": "g", "devices": "D", "specials": "D", "dirs": "d", "update": "u",
        "ignore-times": "I", "checksum": "c", "dry-run": "n", "verbose": "v", "quiet": "q", "compress": "z",
        "human-readable": "h", "progress": "P", "partial": "P", "whole-file": "W", "one-file-system": "x",
        "hard-links": "H", "delete": "delete", "delete-after": "delete", "delete-before": "delete",
        "delete-during": "delete", "delete-excluded": "delete-excluded", "exclude=": "exclude",
        "exclude-from=": "exclude-from", "include=": "include", "include-from=": "include-from",
        "files-from=": "files-from", "ignore-existing": "ignore-existing", "existing": "existing",
        "size-only": "size-only", "stats": "stats", "rsh=": "e", "no-perms": "no-p", "no-times": "no-t",
        "no-owner": "no-o", "no-group": "no-g", "numeric-ids": "numeric-ids", "inplace": "inplace", "sparse": "S",
    })
    if "e" in opts or any(":" in a.split("/", 1)[0] for a in args if not a.startswith("/")):
        u.fail("only local copies are supported in the memory sandbox (no remote shell or daemon)", 1)
    if len(args) < 2 and not ("files-from" in opts and len(args) == 2):
        u.usage_error()
    started = time.monotonic()
    sync = _Sync(u, opts)
    for key in ("p", "t", "o", "g"):
        if "no-" + key in opts:
            setattr(sync, {"p": "perms", "t": "times", "o": "owner", "g": "group"}[key], False)
    rules: list[tuple[bool, str]] = []
    for key, value in opts.seen:
        if key in ("exclude", "include"):
            rules.append((key == "include", value or ""))
        elif key in ("exclude-from", "include-from"):
            try:
                with u.input(value or "") as file:
                    for line in iter_lines(file):
                        text = chomp(line).decode("utf-8", "surrogateescape").strip()
                        if text and not text.startswith(("#", ";")):
                            rules.append((key == "include-from", text))
            except OSError as exc:
                u.fail(f'failed to open exclude file {value}: {strerror(exc)} (2)', 1)
    sync.rules = _Rules(rules)
    *sources, dest = args
    relative = "R" in opts or "files-from" in opts
    if sync.verbose:
        sync.say("sending incremental file list")
    if "files-from" in opts:
        listing = opts.get("files-from") or ""
        try:
            with u.input(listing) as file:
                names = [chomp(line).decode("utf-8", "surrogateescape") for line in iter_lines(file)]
        except OSError as exc:
            u.fail(f"failed to open files-from file {listing}: {strerror(exc)}", 1)
        base = (sources[0] if sources else ".").rstrip("/") or "/"
        sources = [base + "/./" + n.strip("/") for n in names if n.strip()]
    dest_is_dir = u.is_dir(dest)
    if not dest_is_dir and (len(sources) > 1 or relative or any(s.endswith("/") or u.is_dir(s) for s in sources)):
        if not sync.dry:
            try:
                u.fs.makedirs(dest, 0o755, u.cwd)
            except OSError as exc:
                u.fail(f'mkdir "{dest}" failed: {strerror(exc)} ({exc.errno})', 11)
        sync.say(f"created directory {dest.rstrip('/') or '/'}")
        sync.created = dest.rstrip("/") or "/"
        dest_is_dir = True
    for source in sources:
        try:
            sync.device = u.stat(source).st_dev
        except OSError:
            sync.device = None
        if relative:
            path, name = _relative_parts(source)
            parts = name.split("/")
            # the leading directories of a -R path are created (without their attributes)
            for i in range(1, len(parts)):
                prefix = join(dest, "/".join(parts[:i]))
                if not u.exists(prefix) and not sync.dry:
                    try:
                        u.fs.mkdir(prefix, 0o755, u.cwd)
                        u.fs.chmod(prefix, 0o755 & ~u.proc.umask, u.cwd)
                    except OSError:
                        pass
            sync.transfer(path, join(dest, name) if name else dest, name)
        elif source.endswith("/") and u.is_dir(source):
            sync.transfer(source.rstrip("/") or "/", dest, "")
        elif dest_is_dir:
            name = source.rstrip("/").rsplit("/", 1)[-1]
            sync.transfer(source.rstrip("/"), join(dest, name), name)
        else:
            sync.transfer(source, dest, "")
    if sync.verbose or "stats" in opts:
        # a local copy has no protocol traffic: the figures are the file data actually copied
        elapsed = max(time.monotonic() - started, 1e-6)
        speedup = sync.total / sync.sent if sync.sent else 0.0
        sync.verbose = True
        sync.say("")
        sync.say(f"sent {sync.sent:,} bytes  received 0 bytes  {sync.sent / elapsed:,.2f} bytes/sec")
        sync.say(f"total size is {sync.total:,}  speedup is {speedup:.2f}" + (" (DRY RUN)" if sync.dry else ""))
    return u.status
