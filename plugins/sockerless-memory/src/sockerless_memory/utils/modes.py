"""File modes: parsing ``chmod`` specifications and rendering ``-rwxr-xr-x`` strings."""

from __future__ import annotations

import re
import stat as stat_mod

_CLAUSE = re.compile(r"([ugoa]*)((?:[-+=][rwxXstugo]*)+)")
_ACTION = re.compile(r"([-+=])([rwxXstugo]*)")
_WHO_BITS = {"u": 0o4700, "g": 0o2070, "o": 0o1007}


def parse_mode(spec: str, mode: int, *, is_dir: bool = False, umask: int = 0) -> int:
    """Apply ``spec`` (octal, or symbolic ``u+x,go-w``) to ``mode``; ``ValueError`` when invalid."""
    if spec and all(c in "01234567" for c in spec):
        value = int(spec, 8)
        if value > 0o7777:
            raise ValueError(spec)
        # like chmod(1), an octal mode of a directory keeps its set-id bits unless given
        if is_dir and len(spec) <= 3:
            return value | (mode & 0o6000)
        return value
    current = mode & 0o7777
    for clause in spec.split(","):
        m = _CLAUSE.fullmatch(clause)
        if m is None:
            raise ValueError(spec)
        who = m.group(1) or ""
        mask = 0
        for w in who.replace("a", "ugo") or "ugo":
            mask |= _WHO_BITS[w]
        for op, perms in _ACTION.findall(m.group(2)):
            bits = 0
            for p in perms:
                if p in "ugo":
                    source = current & _WHO_BITS[p] & 0o777
                    shift = {"u": 6, "g": 3, "o": 0}[p]
                    triple = (source >> shift) & 7
                    bits |= triple << 6 | triple << 3 | triple
                elif p == "r":
                    bits |= 0o444
                elif p == "w":
                    bits |= 0o222
                elif p == "x":
                    bits |= 0o111
                elif p == "X":
                    if is_dir or current & 0o111:
                        bits |= 0o111
                elif p == "s":
                    bits |= 0o6000
                elif p == "t" and (not who or "a" in who):  # busybox ignores o+t
                    bits |= 0o1000
            bits &= mask
            if not who:
                bits &= ~umask  # with no 'who', bits set in the umask are left alone (POSIX)
            if op == "+":
                current |= bits
            elif op == "-":
                current &= ~bits
            else:
                current = (current & ~mask) | bits
    return current


def mode_string(mode: int) -> str:
    """``ls -l``'s ten characters for a mode."""
    kinds = [
        (stat_mod.S_ISDIR, "d"), (stat_mod.S_ISLNK, "l"), (stat_mod.S_ISCHR, "c"), (stat_mod.S_ISBLK, "b"),
        (stat_mod.S_ISFIFO, "p"), (stat_mod.S_ISSOCK, "s"),
    ]
    kind = next((c for test, c in kinds if test(mode)), "-")
    chars = []
    for shift, special, letter in ((6, stat_mod.S_ISUID, "s"), (3, stat_mod.S_ISGID, "s"), (0, stat_mod.S_ISVTX, "t")):
        bits = (mode >> shift) & 7
        chars.append("r" if bits & 4 else "-")
        chars.append("w" if bits & 2 else "-")
        x = bits & 1
        if mode & special:
            chars.append(letter if x else letter.upper())
        else:
            chars.append("x" if x else "-")
    return kind + "".join(chars)
