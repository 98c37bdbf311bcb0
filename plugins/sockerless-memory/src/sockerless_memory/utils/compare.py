"""Comparing files: cmp and diff (unified output, as busybox's diff prints)."""

from __future__ import annotations

import re
import stat as stat_mod
from collections.abc import Callable

from .common import Util, iter_lines, strerror, utility
from .fileops import join


@utility("cmp", usage="cmp [-ls] [-n NUM] FILE1 [FILE2]\n\nCompare FILE1 with FILE2 (or stdin)\n\n\t-l\tWrite the byte numbers (decimal) and values (octal)\n\t\tfor all differing bytes\n\t-s\tQuiet\n\t-n NUM\tCompare at most NUM bytes")
def cmp(u: Util, argv: list[str]) -> int:
    """cmp [-ls] [-n NUM] FILE1 [FILE2]: exit 0 same, 1 different, 2 trouble."""
    opts, files = u.getopt(argv[1:], "lsn:", {"verbose": "l", "silent": "s", "quiet": "s", "bytes=": "n"})
    if not 1 <= len(files) <= 2:
        u.usage_error()
    names = files if len(files) == 2 else [files[0], "-"]
    data = []
    for name in names:
        try:
            with u.input(name) as file:
                data.append(file.read())
        except OSError as exc:
            if "s" not in opts:
                u.error(f"{name}: {strerror(exc)}")
            return 2
    a, b = data
    if "n" in opts:
        limit = int(opts.get("n") or 0)
        a, b = a[:limit], b[:limit]
    status = 0
    line = 1
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            status = 1
            if "s" in opts:
                return 1
            if "l" not in opts:
                u.out.write(f"{names[0]} {names[1]} differ: char {i + 1}, line {line}\n".encode("utf-8", "surrogateescape"))
                return 1
            u.out.write(f"{i + 1} {a[i]:3o} {b[i]:3o}\n".encode())
        elif a[i] == 0x0A:
            line += 1
    if len(a) != len(b):
        if "s" not in opts:
            u.out.flush()
            u.error(f"EOF on {names[0] if len(a) < len(b) else names[1]}")
        return 1
    return status


def diff_ops(a: list, b: list) -> list[tuple[str, int, int, int, int]]:
    """Myers' shortest edit script as (tag, a_start, a_end, b_start, b_end) runs: equal, delete, insert, replace."""
    n, m = len(a), len(b)
    # trim the common head and tail: the usual case is a small change in a long file
    head = 0
    while head < n and head < m and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and tail < m - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    core = _myers(a[head:n - tail], b[head:m - tail])
    ops: list[tuple[str, int, int, int, int]] = []
    if head:
        ops.append(("equal", 0, head, 0, head))
    for tag, i1, i2, j1, j2 in core:
        ops.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
    if tail:
        ops.append(("equal", n - tail, n, m - tail, m))
    return ops


def _myers(a: list, b: list) -> list[tuple[str, int, int, int, int]]:
    n, m = len(a), len(b)
    if not n and not m:
        return []
    if not n:
        return [("insert", 0, 0, 0, m)]
    if not m:
        return [("delete", 0, n, 0, 0)]
    maximum = n + m
    v = {1: 0}
    trace = []
    for d in range(maximum + 1):
        trace.append(dict(v))
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v.get(k - 1, -1) < v.get(k + 1, -1)):
                x = v.get(k + 1, 0)
            else:
                x = v.get(k - 1, 0) + 1
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            v[k] = x
            if x >= n and y >= m:
                return _backtrack(trace, a, b, n, m)
    raise AssertionError("unreachable")


def _backtrack(trace: list[dict[int, int]], a: list, b: list, n: int, m: int) -> list[tuple[str, int, int, int, int]]:
    x, y = n, m
    edits: list[tuple[str, int, int]] = []  # (kind, a index, b index), reversed
    for d in range(len(trace) - 1, -1, -1):
        v = trace[d]
        k = x - y
        if k == -d or (k != d and v.get(k - 1, -1) < v.get(k + 1, -1)):
            prev_k = k + 1
        else:
            prev_k = k - 1
        prev_x = v.get(prev_k, 0)
        prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x -= 1
            y -= 1
            edits.append(("=", x, y))
        if d > 0:
            if x == prev_x:
                edits.append(("+", prev_x, prev_y))
            else:
                edits.append(("-", prev_x, prev_y))
        x, y = prev_x, prev_y
    edits.reverse()
    ops: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    for kind, _, _ in edits:
        if kind == "=":
            _extend(ops, "equal", i, i + 1, j, j + 1)
            i += 1
            j += 1
        elif kind == "-":
            _extend(ops, "delete", i, i + 1, j, j)
            i += 1
        else:
            _extend(ops, "insert", i, i, j, j + 1)
            j += 1
    return _merge_replace(ops)


def _extend(ops: list, tag: str, i1: int, i2: int, j1: int, j2: int) -> None:
    if ops and ops[-1][0] == tag:
        t, a1, _, b1, _ = ops[-1]
        ops[-1] = (t, a1, i2, b1, j2)
    else:
        ops.append((tag, i1, i2, j1, j2))


def _merge_replace(ops: list) -> list:
    merged: list = []
    for op in ops:
        if (merged and {merged[-1][0], op[0]} == {"delete", "insert"}) or (merged and merged[-1][0] == "replace" and op[0] in ("delete", "insert")):
            _, a1, _, b1, _ = merged[-1]
            merged[-1] = ("replace", a1, op[2], b1, op[4])
        else:
            merged.append(op)
    return merged


def _range(start: int, count: int) -> str:
    if count == 1:
        return f"{start + 1}"
    return f"{start + 1 if count else start},{count}"


def unified(a: list[bytes], b: list[bytes], ops: list, context: int) -> list[bytes]:
    """Hunks of a unified diff (without the file headers)."""
    changes = [op for op in ops if op[0] != "equal"]
    if not changes:
        return []
    groups: list[list] = [[changes[0]]]
    for op in changes[1:]:
        if op[1] - groups[-1][-1][2] <= 2 * context:
            groups[-1].append(op)
        else:
            groups.append([op])
    out: list[bytes] = []
    for group in groups:
        a_start = max(0, group[0][1] - context)
        a_end = min(len(a), group[-1][2] + context)
        b_start = max(0, group[0][3] - context)
        b_end = min(len(b), group[-1][4] + context)
        out.append(f"@@ -{_range(a_start, a_end - a_start)} +{_range(b_start, b_end - b_start)} @@\n".encode())
        i = a_start
        for _tag, i1, i2, j1, j2 in group:
            out.extend(_line(b" ", line) for line in a[i:i1])
            out.extend(_line(b"-", line) for line in a[i1:i2])
            out.extend(_line(b"+", line) for line in b[j1:j2])
            i = i2
        out.extend(_line(b" ", line) for line in a[i:a_end])
    return out


def _line(mark: bytes, line: bytes) -> bytes:
    if line.endswith(b"\n"):
        return mark + line
    return mark + line + b"\n\\ No newline at end of file\n"


def _normaliser(opts) -> Callable[[bytes], bytes]:
    def norm(line: bytes) -> bytes:
        if "w" in opts:
            line = re.sub(rb"[ \t\r\f\v]+", b"", line)
        elif "b" in opts:
            line = re.sub(rb"[ \t\r\f\v]+", b" ", line).replace(b" \n", b"\n")
            line = line.rstrip(b" ") if not line.endswith(b"\n") else line
        if "i" in opts:
            line = line.lower()
        return line if line.endswith(b"\n") else line + b"\n\0"  # a missing newline is a difference

    return norm


class _Diff:
    def __init__(self, u: Util, opts) -> None:
        self.u = u
        self.opts = opts
        self.context = int(opts.get("U", "3") or 3)
        self.labels = opts.all("L")
        self.status = 0
        self.normalise = any(k in opts for k in "bwi")

    def read(self, path: str) -> list[bytes] | None:
        if path != "-" and "N" in self.opts and not self.u.exists(path):
            return []
        try:
            with self.u.input(path) as file:
                return list(iter_lines(file))
        except OSError as exc:
            self.u.error(f"can't open '{path}': {strerror(exc)}")
            self.status = 2
            return None

    def files(self, left: str, right: str) -> None:
        a, b = self.read(left), self.read(right)
        if a is None or b is None:
            return
        norm = _normaliser(self.opts)
        ops = diff_ops([norm(x) for x in a], [norm(x) for x in b]) if self.normalise else diff_ops(a, b)
        if all(op[0] == "equal" for op in ops):
            return
        self.status = max(self.status, 1)
        if "q" in self.opts:
            self.u.out.write(f"Files {left} and {right} differ\n".encode("utf-8", "surrogateescape"))
            return
        label_a = self.labels[0] if self.labels else left
        label_b = self.labels[1] if len(self.labels) > 1 else right
        self.u.out.write(f"--- {label_a}\n+++ {label_b}\n".encode("utf-8", "surrogateescape"))
        for piece in unified(a, b, ops, self.context):
            self.u.out.write(piece)

    def directories(self, left: str, right: str) -> None:
        u = self.u
        try:
            names_a = set(u.fs.listdir(left, u.cwd))
            names_b = set(u.fs.listdir(right, u.cwd))
        except OSError as exc:
            u.error(f"{strerror(exc)}")
            self.status = 2
            return
        for name in sorted(names_a | names_b, key=lambda n: n.encode("utf-8", "surrogateescape")):
            pa, pb = join(left, name), join(right, name)
            in_a, in_b = name in names_a, name in names_b
            if not (in_a and in_b) and "N" not in self.opts:
                self.status = max(self.status, 1)
                u.out.write(f"Only in {left if in_a else right}: {name}\n".encode("utf-8", "surrogateescape"))
                continue
            dir_a, dir_b = in_a and u.is_dir(pa), in_b and u.is_dir(pb)
            if dir_a and dir_b:
                if "r" in self.opts:
                    self.directories(pa, pb)
                else:
                    u.out.write(f"Common subdirectories: {pa} and {pb}\n".encode("utf-8", "surrogateescape"))
                continue
            if dir_a != dir_b:
                self.status = max(self.status, 1)
                kind_a = "directory" if dir_a else "regular file"
                kind_b = "directory" if dir_b else "regular file"
                u.out.write(f"File {pa} is a {kind_a} while file {pb} is a {kind_b}\n".encode("utf-8", "surrogateescape"))
                continue
            self.files(pa, pb)


@utility("diff", usage="diff [-abBdiNqrTstw] [-L LABEL] [-S FILE] [-U LINES] FILE1 FILE2\n\nCompare files line by line and output the differences between them.\nThis implementation supports unified diffs only.\n\n\t-a\tTreat all files as text\n\t-b\tIgnore changes in the amount of whitespace\n\t-B\tIgnore changes whose lines are all blank\n\t-d\tTry hard to find a smaller set of changes\n\t-i\tIgnore case differences\n\t-L\tUse LABEL instead of the filename in the unified header\n\t-N\tTreat absent files as empty\n\t-q\tOutput only whether files differ\n\t-r\tRecurse\n\t-S\tStart with FILE when comparing directories\n\t-T\tMake tabs line up by prefixing a tab when necessary\n\t-s\tReport when two files are the same\n\t-t\tExpand tabs to spaces in output\n\t-U\tOutput LINES lines of context\n\t-w\tIgnore all whitespace")
def diff(u: Util, argv: list[str]) -> int:
    """diff [-abBdiNqrstuw] [-L LABEL] [-U N] FILE1 FILE2: 0 same, 1 different, 2 trouble."""
    opts, files = u.getopt(argv[1:], "abBdiL:NqrsS:tTU:uw", {
        "text": "a", "ignore-space-change": "b", "ignore-blank-lines": "B", "minimal": "d", "ignore-case": "i",
        "label=": "L", "new-file": "N", "brief": "q", "recursive": "r", "report-identical-files": "s",
        "starting-file=": "S", "expand-tabs": "t", "initial-tab": "T", "unified=?": "U", "ignore-all-space": "w",
    })
    if len(files) != 2:
        u.usage_error()
    context = opts.get("U", "3") or "3"
    if not context.isdigit():
        u.fail(f"invalid number '{context}'")
    runner = _Diff(u, opts)
    left, right = files
    try:
        st_a = u.stat(left) if left != "-" else None
        st_b = u.stat(right) if right != "-" else None
    except OSError as exc:
        if "N" not in opts:
            missing = left if not u.exists(left) else right
            u.fail(f"can't stat '{missing}': {strerror(exc)}", 2)
        st_a = st_b = None
    dir_a = st_a is not None and stat_mod.S_ISDIR(st_a.st_mode)
    dir_b = st_b is not None and stat_mod.S_ISDIR(st_b.st_mode)
    if dir_a and dir_b:
        runner.directories(left, right)
    elif dir_a or dir_b:
        name = (right if dir_a else left).rstrip("/").rsplit("/", 1)[-1]
        if dir_a:
            left = join(left, name)
        else:
            right = join(right, name)
        runner.files(left, right)
    else:
        runner.files(left, right)
    return runner.status

