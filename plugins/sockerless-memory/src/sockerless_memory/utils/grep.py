"""grep, egrep, fgrep: print lines matching patterns."""

from __future__ import annotations

import collections
import errno
import stat as stat_mod

from ..sandbox.files import OpenFile
from .common import CHUNK, Util, chomp, iter_records, strerror, utility
from .regex import Regex, RegexError, compile_regex, literal_regex, wrap

_USAGE = """grep [-HhnlLoqvsrRiwFExz] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...

Search for PATTERN in FILEs (or stdin)

\t-H\tAdd 'filename:' prefix
\t-h\tDo not add 'filename:' prefix
\t-n\tAdd 'line_no:' prefix
\t-l\tShow only names of files that match
\t-L\tShow only names of files that don't match
\t-c\tShow only count of matching lines
\t-o\tShow only the matching part of line
\t-q\tQuiet. Return 0 if PATTERN is found, 1 otherwise
\t-v\tSelect non-matching lines
\t-s\tSuppress open and read errors
\t-r\tRecurse
\t-R\tRecurse and dereference symlinks
\t-i\tIgnore case
\t-w\tMatch whole words only
\t-x\tMatch whole lines only
\t-F\tPATTERN is a literal (not regexp)
\t-E\tPATTERN is an extended regexp
\t-z\tNUL terminated input
\t-m N\tMatch up to N times per file
\t-A N\tPrint N lines of trailing context
\t-B N\tPrint N lines of leading context
\t-C N\tSame as '-A N -B N'
\t-e PTRN\tPattern to match
\t-f FILE\tRead pattern from file"""

class Matcher:
    """A set of patterns: the earliest (then longest) match of any of them."""

    def __init__(self, regexes: list[Regex]) -> None:
        self.regexes = regexes

    def find(self, line: bytes, pos: int = 0) -> tuple[int, int] | None:
        """(start, end) of the earliest match at or after ``pos``."""
        best: tuple[int, int] | None = None
        for regex in self.regexes:
            m = regex.search(line, pos)
            if m is not None and (best is None or m.start() < best[0] or (m.start() == best[0] and m.end() > best[1])):
                best = (m.start(), m.end())
        return best

    def matches(self, line: bytes) -> bool:
        """True when the line has a match."""
        return any(regex.re.search(line) is not None for regex in self.regexes)


_NOT_WORD_BEFORE = b"(?<![0-9A-Za-z_])"
_NOT_WORD_AFTER = b"(?![0-9A-Za-z_])"


def build_matcher(u: Util, patterns: list[bytes], *, fixed: bool, extended: bool, icase: bool, word: bool, line: bool) -> Matcher:
    """Compile ``patterns`` (each may hold several newline-separated ones)."""
    regexes = []
    for pattern in patterns:
        for piece in pattern.split(b"\n"):
            try:
                regex = literal_regex(piece, icase=icase) if fixed else compile_regex(piece, extended=extended, icase=icase)
            except RegexError:
                u.fail(f"bad regex '{piece.decode('utf-8', 'surrogateescape')}'", 2)
            if line:
                regex = wrap(regex, b"^", b"\\Z")
            elif word:
                regex = wrap(regex, _NOT_WORD_BEFORE, _NOT_WORD_AFTER)
            regexes.append(regex)
    return Matcher(regexes)


class _Grep:
    def __init__(self, u: Util, opts, matcher: Matcher, show_names: bool) -> None:
        self.u = u
        self.opts = opts
        self.matcher = matcher
        self.show_names = show_names
        self.invert = "v" in opts
        self.sep = b"\0" if "z" in opts else b"\n"
        self.max_count = int(opts.get("m")) if "m" in opts else None  # type: ignore[arg-type]
        after = opts.get("A") if "A" in opts else opts.get("C", "0")
        before = opts.get("B") if "B" in opts else opts.get("C", "0")
        self.after = int(after or 0)
        self.before = int(before or 0)
        self.found_any = False
        self.printed_group = False
        self.listed = 0
        # plain selection of whole lines (the common case) goes a block of lines at a time
        self.bulk = not (self.after or self.before or self.max_count is not None or any(k in opts for k in "oqclL"))

    def prefix(self, name: str, number: int, mark: bytes) -> bytes:
        parts = b""
        if self.show_names:
            parts += name.encode("utf-8", "surrogateescape") + mark
        if "n" in self.opts:
            parts += b"%d" % number + mark
        return parts

    def search_bulk(self, label: str, file: OpenFile) -> None:
        """Print the selected lines of ``file``, filtering whole blocks of lines at once."""
        sep, out, invert = self.sep, self.u.out, self.invert
        regexes = [regex.re.search for regex in self.matcher.regexes]
        search = regexes[0] if len(regexes) == 1 else None
        name = label.encode("utf-8", "surrogateescape") + b":" if self.show_names else b""
        numbered = "n" in self.opts
        number = 0
        pending = b""
        while True:
            chunk = file.read1(CHUNK)
            if chunk:
                lines = (pending + chunk).split(sep) if pending else chunk.split(sep)
                pending = lines.pop()
            elif pending:
                lines, pending = [pending], b""
            else:
                return
            if search is not None:
                hits = [(search(line) is None) is invert for line in lines]
            else:
                hits = [any(s(line) is not None for s in regexes) is not invert for line in lines]
            if numbered:
                selected = [name + b"%d:" % (number + i + 1) + line for i, line in enumerate(lines) if hits[i]]
            else:
                selected = [line for line, hit in zip(lines, hits, strict=True) if hit]
            number += len(lines)
            if selected:
                self.found_any = True
                if name and not numbered:
                    out.write(name + (sep + name).join(selected) + sep)
                else:
                    out.write(sep.join(selected) + sep)
            self.u.check()

    def search(self, name: str, file: OpenFile) -> None:
        if self.bulk:
            self.search_bulk("(standard input)" if name == "-" else name, file)
            return
        opts, out = self.opts, self.u.out
        quiet = "q" in opts
        list_only = "l" in opts or "L" in opts
        count_only = "c" in opts
        matched = 0
        last_printed = 0
        pending_after = 0
        window: collections.deque[tuple[int, bytes]] = collections.deque(maxlen=self.before or None)
        label = "(standard input)" if name == "-" else name
        for number, raw in enumerate(iter_records(file, self.sep), 1):
            if self.max_count is not None and matched >= self.max_count:
                if pending_after and not (count_only or list_only):
                    line = chomp(raw, self.sep)
                    if self.matcher.matches(line) == self.invert:
                        out.write(self.prefix(label, number, b"-") + line + self.sep)
                        pending_after -= 1
                        continue
                break
            line = chomp(raw, self.sep)
            selected = self.matcher.matches(line) != self.invert
            if not selected:
                if pending_after:
                    out.write(self.prefix(label, number, b"-") + line + self.sep)
                    last_printed = number
                    pending_after -= 1
                elif self.before:
                    window.append((number, line))
                continue
            matched += 1
            self.found_any = True
            if quiet:
                return
            if list_only:
                break
            if count_only:
                continue
            first = number - len(window)
            if (self.before or self.after) and self.printed_group and (not last_printed or first > last_printed + 1):
                out.write(b"--" + self.sep)
            for ctx_number, ctx_line in window:
                out.write(self.prefix(label, ctx_number, b"-") + ctx_line + self.sep)
            window.clear()
            self.emit(label, number, line)
            last_printed = number
            self.printed_group = True
            pending_after = self.after
        if quiet:
            return
        if "l" in opts and matched:
            out.write(label.encode("utf-8", "surrogateescape") + self.sep)
        elif "L" in opts and not matched:
            out.write(label.encode("utf-8", "surrogateescape") + self.sep)
            self.listed += 1
        elif count_only and not list_only:
            out.write((label.encode("utf-8", "surrogateescape") + b":" if self.show_names else b"") + b"%d\n" % matched)

    def emit(self, label: str, number: int, line: bytes) -> None:
        out = self.u.out
        if "o" in self.opts and not self.invert:
            pos = 0
            while pos <= len(line):
                found = self.matcher.find(line, pos)
                if found is None:
                    break
                start, end = found
                if end > start:
                    out.write(self.prefix(label, number, b":") + line[start:end] + self.sep)
                pos = end if end > start else start + 1
            return
        if "o" in self.opts:
            return
        out.write(self.prefix(label, number, b":") + line + self.sep)


def _walk(u: Util, path: str, follow_all: bool):
    """Files under ``path`` for ``grep -r`` (symlinked directories only with -R)."""
    try:
        with u.fs.scandir(path, u.cwd) as entries:
            names = [(e.name, e) for e in entries]
    except OSError as exc:
        yield path, exc
        return
    for name, entry in names:
        child = path.rstrip("/") + "/" + name if path != "/" else "/" + name
        try:
            st = u.stat(child, follow=True)
        except OSError:
            st = None
        is_link = entry.is_symlink()
        if st is not None and stat_mod.S_ISDIR(st.st_mode):
            if is_link and not follow_all:
                continue
            yield from _walk(u, child, follow_all)
        else:
            yield child, None


@utility("grep", "egrep", "fgrep", usage=_USAGE)
def grep(u: Util, argv: list[str]) -> int:
    """grep [-HhnlLoqvsrRiwFExz] [-m N] [-A|B|C N] PATTERN | -e PATTERN... | -f FILE... [FILE]..."""
    u.usage_status = 2
    opts, args = u.getopt(argv[1:], "HhnlLcoqvsrRiwFExzm:A:B:C:e:f:Ia", {
        "extended-regexp": "E", "fixed-strings": "F", "ignore-case": "i", "invert-match": "v", "count": "c",
        "files-with-matches": "l", "files-without-match": "L", "line-number": "n", "no-filename": "h",
        "with-filename": "H", "only-matching": "o", "quiet": "q", "silent": "q", "no-messages": "s",
        "recursive": "r", "dereference-recursive": "R", "word-regexp": "w", "line-regexp": "x",
        "regexp=": "e", "file=": "f", "max-count=": "m", "after-context=": "A", "before-context=": "B",
        "context=": "C", "null-data": "z", "text": "a", "color=?": "color",
    })  # --color[=WHEN] is accepted and ignored, as busybox does (it never colours)
    for key in "mABC":
        value = opts.get(key)
        if value is not None and not value.isdigit():
            u.fail(f"invalid number '{value}'", 2)
    patterns = [p.encode("utf-8", "surrogateescape") for p in opts.all("e")]
    for path in opts.all("f"):
        try:
            with u.input(path) as file:
                patterns.extend(chomp(line) for line in iter_records(file))
        except OSError as exc:
            u.fail(f"{path}: {strerror(exc)}", 2)
    if "e" not in opts and "f" not in opts:
        if not args:
            u.usage_error()
        patterns.append(args.pop(0).encode("utf-8", "surrogateescape"))
    extended = "E" in opts or u.name == "egrep"
    fixed = "F" in opts or u.name == "fgrep"
    matcher = build_matcher(u, patterns, fixed=fixed, extended=extended, icase="i" in opts, word="w" in opts, line="x" in opts)
    recursive = "r" in opts or "R" in opts
    files = args
    show_names = (len(files) > 1 or (recursive and bool(files))) and "h" not in opts
    if "H" in opts:
        show_names = True
    if "h" in opts:
        show_names = False
    g = _Grep(u, opts, matcher, show_names)
    errors = False
    quiet_errors = "s" in opts

    def search_one(path: str) -> None:
        nonlocal errors
        try:
            file = u.proc.stdin if path == "-" else u.open(path)
        except OSError as exc:
            errors = True
            if not quiet_errors:
                u.error(f"{path}: {strerror(exc)}")
            return
        try:
            if "I" in opts:  # skip binary files: a NUL in the first block says so
                head = file.read1(1 << 16)
                file.unread(head)
                if b"\0" in head:
                    return
            g.search(path, file)
        except OSError as exc:
            if exc.errno == errno.EISDIR:
                g.search(path, _Empty())
            else:
                errors = True
                if not quiet_errors:
                    u.error(f"{path}: {strerror(exc)}")
        finally:
            if path != "-":
                file.release()

    for path in files or ["-"]:
        if g.found_any and "q" in opts:
            break
        if recursive and path != "-" and u.is_dir(path):
            for child, exc in _walk(u, path, "R" in opts):
                if exc is not None:
                    errors = True
                    if not quiet_errors:
                        u.error(f"{child}: {strerror(exc)}")
                    continue
                search_one(child)
            continue
        search_one(path)
    if "q" in opts and g.found_any:
        return 0
    if errors:
        return 2
    if "L" in opts:
        return 0 if g.listed else 1
    return 0 if g.found_any else 1


class _Empty(OpenFile):
    """What a directory reads as for grep: nothing."""

    readable = True

    def _raw_read(self, n: int) -> bytes:
        return b""
