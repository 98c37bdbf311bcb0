"""Word expansion: tilde, parameters, command substitution, arithmetic, field splitting,
pathname expansion and quote removal.

One walker (:meth:`ExpandMixin._walk`) feeds a *collector*: :class:`Fields` builds the
fields of a command line (tracking which pieces were quoted, for splitting and
globbing), :class:`_Concat` builds a single string (assignments, redirection targets),
:class:`_PatternText` a pattern in which quoted characters are escaped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import glob as globmod
from . import pattern as pat
from . import procsub
from .ast import Arith, CmdSub, DQuote, Lit, Param, Part, ProcSub, Quoted, Tilde, Word, WordLike
from .braces import expand_braces
from .errors import ShellError
from .variables import Assoc

if TYPE_CHECKING:
    from .shell import Shell

_START, _TEXT, _WS, _NONWS = 0, 1, 2, 3


class Fields:
    """Collects fields; each piece remembers whether it may glob (unquoted) or not."""

    __slots__ = ("has", "out", "pieces", "sh", "state")

    def __init__(self, sh: Shell, out: list[str]) -> None:
        self.sh = sh
        self.out = out
        self.pieces: list[tuple[str, bool]] = []
        self.has = False
        self.state = _START

    def quoted(self, text: str) -> None:
        """Append text that neither splits nor globs."""
        self.pieces.append((text, False))
        self.has = True
        self.state = _TEXT

    def literal(self, text: str) -> None:
        """Append unquoted literal text (it may glob)."""
        self.pieces.append((text, True))
        self.has = True
        self.state = _TEXT

    def split(self, text: str) -> None:
        """An unquoted expansion result: split at IFS characters."""
        if not text:
            return
        sh = self.sh
        splitter = sh.ifs_split
        if splitter is None or sh.ifs_safe.match(text) or not splitter.search(text):
            self.pieces.append((text, True))
            self.has = True
            self.state = _TEXT
            return
        ws = sh.ifs_ws
        for k, piece in enumerate(splitter.split(text)):
            if not k & 1:
                if piece:
                    self.pieces.append((piece, True))
                    self.has = True
                    self.state = _TEXT
            elif piece in ws:
                if self.has:
                    self.emit()
                    self.state = _WS
            elif self.state == _WS and not self.has:
                self.state = _NONWS
            else:
                self.emit()
                self.state = _NONWS

    def soft_break(self) -> None:
        """Between unquoted ``$@`` elements: end the field if it has anything."""
        if self.has:
            self.emit()
        self.state = _START

    def hard_break(self) -> None:
        """Between quoted ``"$@"`` elements: always end the field."""
        self.emit()
        self.state = _START

    def emit(self) -> None:
        """End the current field (globbing it when it has unquoted pattern characters)."""
        pieces = self.pieces
        self.pieces = []
        self.has = False
        if len(pieces) == 1:
            text, globbing = pieces[0]
            if not globbing or not _magic_chars(text) or self.sh.opts.noglob:
                self.out.append(text)
                return
        elif not self.sh.opts.noglob and any(g and _magic_chars(t) for t, g in pieces):
            pass
        else:
            self.out.append("".join(t for t, _ in pieces))
            return
        pattern = "".join(t if g else pat.escape(t) for t, g in pieces)
        if pat.has_magic(pattern):
            sh = self.sh
            shopts = sh.shopts
            matches = globmod.expand(sh.fs, sh.proc.cwd, pattern, dotglob="dotglob" in shopts, dot_dirs=not sh.bash)
            if matches:
                self.out.extend(matches)
                return
            if shopts:
                if "nullglob" in shopts:
                    return
                if "failglob" in shopts:
                    raise ShellError(f"no match: {''.join(t for t, _ in pieces)}", 1)
        self.out.append("".join(t for t, _ in pieces))

    def finish(self) -> None:
        """End of the word: emit the last field if it has anything."""
        if self.has:
            self.emit()


def _magic_chars(text: str) -> bool:
    return "*" in text or "?" in text or "[" in text


class _Concat:
    """Collector producing one string (no splitting, no globbing)."""

    __slots__ = ("parts", "sep")

    def __init__(self, sep: str = " ") -> None:
        self.parts: list[str] = []
        self.sep = sep

    def quoted(self, text: str) -> None:
        """Append text that neither splits nor globs."""
        self.parts.append(text)

    literal = quoted
    split = quoted

    def soft_break(self) -> None:
        """A separator between joined values."""
        self.parts.append(self.sep)

    hard_break = soft_break


class _PatternText(_Concat):
    """Collector producing a pattern: quoted text is escaped, unquoted text stays active."""

    __slots__ = ()

    def quoted(self, text: str) -> None:
        """Append text that neither splits nor globs."""
        self.parts.append(pat.escape(text))

    def literal(self, text: str) -> None:
        """Append unquoted literal text (it may glob)."""
        self.parts.append(text)

    split = literal


class ExpandMixin:
    """Expansion methods of :class:`~.shell.Shell`."""

    # -- entry points --------------------------------------------------------------------
    def expand_words(self: Shell, words: list[WordLike]) -> list[str]:
        """Expand command words into fields."""
        out: list[str] = []
        for w in words:
            if type(w) is str:
                out.append(w)
                continue
            parts = w.parts  # type: ignore[union-attr]
            if len(parts) == 1 and not w.brace:  # type: ignore[union-attr]
                p = parts[0]
                tp = type(p)
                if tp is Param and p.op is None and p.index is None and not p.indirect and p.name not in "@*":
                    v = self.param_scalar(p.name)
                    if v is None:
                        self._unset_check(p.name)
                    elif v and self.ifs_safe.match(v):
                        out.append(v)
                    elif v:
                        fields = Fields(self, out)
                        fields.split(v)
                        fields.finish()
                    continue
                if tp is DQuote and len(p.parts) == 1:
                    q = p.parts[0]
                    if type(q) is Param and q.op is None and q.index is None and not q.indirect and q.name not in "@*":
                        v = self.param_scalar(q.name)
                        if v is None:
                            self._unset_check(q.name)
                            v = ""
                        out.append(v)
                        continue
            if w.brace and self.bash and "no:braceexpand" not in self.shopts:  # type: ignore[union-attr]
                for variant in expand_braces(parts):
                    fields = Fields(self, out)
                    self._walk(variant, fields, False)
                    fields.finish()
                continue
            fields = Fields(self, out)
            self._walk(parts, fields, False)
            fields.finish()
        return out

    def expand_str(self: Shell, word: WordLike | None) -> str:
        """Expand to one string: no field splitting, no pathname expansion."""
        if word is None:
            return ""
        if type(word) is str:
            return word
        parts = word.parts  # type: ignore[union-attr]
        if len(parts) == 1:
            p = parts[0]
            tp = type(p)
            if tp is Lit or tp is Quoted:
                return p.text  # type: ignore[union-attr]
            if tp is Arith:
                return str(self.arith_expand(p))  # type: ignore[arg-type]
        if self.bash:
            collector = _Concat()
        else:  # ash joins "$@" like "$*" where no fields are made (assignments, case words, here-docs)
            ifs = self.get_var("IFS")
            collector = _Concat(" " if ifs is None else ifs[:1])
        self._walk(parts, collector, True)
        return "".join(collector.parts)

    def expand_pattern(self: Shell, word: WordLike) -> str:
        """Expand a pattern word: quoted characters are escaped, the rest keeps its meaning."""
        if type(word) is str:
            return word
        collector = _PatternText()
        self._walk(word.parts, collector, False)  # type: ignore[union-attr]
        return "".join(collector.parts)

    def expand_regex(self: Shell, word: WordLike) -> str:
        """The right side of ``=~``: quoted parts match literally."""
        if type(word) is str:
            return word
        out: list[str] = []
        for part in word.parts:  # type: ignore[union-attr]
            tp = type(part)
            if tp is Lit:
                out.append(part.text)
            elif tp is Quoted or tp is DQuote:
                out.append(re.escape(self.expand_str(Word([part]))))
            else:  # unquoted expansions keep their regex meaning
                out.append(self.expand_str(Word([part])))
        return "".join(out)

    def expand_words_noglob(self: Shell, words: list[WordLike]) -> list[str]:
        """Fields without pathname expansion (``[[ ]]`` operands, ``for`` lists under ``set -f``)."""
        saved = self.opts.noglob
        self.opts.noglob = True
        try:
            return self.expand_words(words)
        finally:
            self.opts.noglob = saved

    # -- the walker ----------------------------------------------------------------------
    def _walk(self: Shell, parts: list[Part], out, quoted: bool, in_arg: bool = False) -> None:
        for p in parts:
            tp = type(p)
            if tp is Lit:
                if quoted:
                    out.quoted(p.text)
                elif in_arg:
                    out.split(p.text)
                else:
                    out.literal(p.text)
            elif tp is Quoted:
                out.quoted(p.text)
            elif tp is DQuote:
                if p.parts:
                    self._walk(p.parts, out, True)
                else:
                    out.quoted("")
            elif tp is Param:
                self._param(p, out, quoted)
            elif tp is CmdSub:
                text = self.command_subst(p)
                if quoted:
                    out.quoted(text)
                else:
                    out.split(text)
            elif tp is Arith:
                text = str(self.arith_expand(p))
                if quoted:
                    out.quoted(text)
                else:
                    out.split(text)
            elif tp is Tilde:
                out.quoted(self.tilde(p.user))
            elif tp is ProcSub:
                out.quoted(procsub.substitute(self, p))
            else:  # an array literal outside an assignment
                raise ShellError('syntax error: unexpected "("')

    def arith_expand(self: Shell, part: Arith) -> int:
        """Evaluate ``$((...))``."""
        expr = part.expr
        parts = expr.parts
        if len(parts) == 1 and type(parts[0]) is Lit:
            text = parts[0].text
        else:
            text = self.expand_str(expr)
        return self.arith_eval(text)

    def tilde(self: Shell, user: str) -> str:
        """The directory a tilde prefix names (the prefix itself when unknown)."""
        if not user:
            home = self.get_var("HOME")
            return home if home is not None else "~"
        if user == "+":
            return self.get_var("PWD") or "~+"
        if user == "-":
            return self.get_var("OLDPWD") or "~-"
        for entry in self.kernel.passwd():
            if entry.name == user:
                return entry.home
        return "~" + user

    # -- parameters ----------------------------------------------------------------------
    def param_scalar(self: Shell, name: str) -> str | None:
        """The value of a scalar parameter (positional, special or variable); None if unset."""
        c = name[0]
        if c.isdigit():
            n = int(name)
            if n == 0:
                return self.arg0
            return self.params[n - 1] if n <= len(self.params) else None
        if len(name) == 1 and not (c.isalpha() or c == "_"):
            if c == "?":
                return str(self.status)
            if c == "$":
                return str(self.root_pid)
            if c == "#":
                return str(len(self.params))
            if c == "-":
                return self.opts.dash()
            if c == "!":
                return None if self.last_bg is None else str(self.last_bg)
            if c == "@" or c == "*":
                return " ".join(self.params)
        return self.get_var(name)

    def text_length(self: Shell, value: str) -> int:
        """``${#x}``: characters in a UTF-8 locale, bytes otherwise (the C locale of images)."""
        if value.isascii():
            return len(value)
        for name in ("LC_ALL", "LC_CTYPE", "LANG"):
            setting = self.get_var(name)
            if setting:
                if "utf-8" in setting.lower() or "utf8" in setting.lower():
                    return len(value)
                break
        return len(value.encode("utf-8", "surrogateescape"))

    def _unset_check(self: Shell, name: str) -> None:
        if self.opts.nounset and name not in ("@", "*"):
            if self.bash:
                raise ShellError(f"{name}: unbound variable", 127)
            raise ShellError(f"{name}: parameter not set")

    def _lookup(self: Shell, p: Param) -> str | list[str] | None:
        """The raw value of a parameter reference: None (unset), a string, or a list (``@``-like)."""
        name = p.name
        if p.indirect:
            ref = self.param_scalar(name)
            if ref is None:
                if self.opts.nounset:
                    raise ShellError(f"{name}: parameter not set")
                return None
            name, sub = _split_ref(ref)
            if sub is not None:
                return self._element(name, sub)
        index = p.index
        if index is not None:
            if index == "@" or index == "*":
                return self.array_values(name)
            return self._element(name, self.expand_str(index))
        if name == "@" or name == "*":
            return list(self.params)
        return self.param_scalar(name)

    def _element(self: Shell, name: str, sub: str) -> str | list[str] | None:
        if sub in ("@", "*"):
            return self.array_values(name)
        if type(self.vars.get(name)) is Assoc:
            return self.array_get(name, sub)
        return self.array_get(name, self.arith_eval(sub) if sub.strip() else 0)

    def _param(self: Shell, p: Param, out, quoted: bool) -> None:
        op = p.op
        star = p.name == "*" or p.index == "*"
        if op is None:
            value = self._lookup(p)
            if value is None:
                self._unset_check(p.name)
                value = ""
            self._emit(value, out, quoted, star)
            return
        if op == "len":
            value = self._lookup(p)
            if type(value) is list:
                if not self.bash and p.index is None:  # busybox: ${#@} is the length of "$*"
                    value = " ".join(value)
                else:
                    self._emit(str(len(value)), out, quoted, False)
                    return
            if value is None:
                self._unset_check(p.name)
                value = ""
            self._emit(str(self.text_length(value)), out, quoted, False)
            return
        if op in "-=?+":
            self._conditional(p, out, quoted, star)
            return
        if op == "keys":
            self._emit(self.array_keys(p.name), out, quoted, p.index == "*")
            return
        if op == "names":
            names = sorted(n for n in self.vars if n.startswith(p.name))
            self._emit(names, out, quoted, False)
            return
        value = self._lookup(p)
        if value is None:
            self._unset_check(p.name)
            value = ""
        if op == ":":
            value = self._substring(p, value)
        elif op in ("#", "##", "%", "%%"):
            pattern = self.expand_pattern(p.arg) if p.arg is not None else ""
            func = pat.remove_prefix if op[0] == "#" else pat.remove_suffix
            longest = len(op) == 2
            if type(value) is list:
                value = [func(v, pattern, longest) for v in value]
            else:
                value = func(value, pattern, longest)  # type: ignore[arg-type]
        elif op[0] == "/":
            pattern = self.expand_pattern(p.arg) if p.arg is not None else ""
            rep = self.expand_str(p.arg2) if p.arg2 is not None else ""
            if type(value) is list:
                value = [pat.replace(v, pattern, rep, op) for v in value]
            else:
                value = pat.replace(value, pattern, rep, op)  # type: ignore[arg-type]
        else:  # case modification ^ ^^ , ,,
            pattern = self.expand_pattern(p.arg) if p.arg is not None and p.arg.parts else ""
            if type(value) is list:
                value = [_change_case(v, op, pattern) for v in value]
            else:
                value = _change_case(value, op, pattern)  # type: ignore[arg-type]
        self._emit(value, out, quoted, star)

    def _emit(self: Shell, value: str | list[str], out, quoted: bool, star: bool) -> None:
        if type(value) is str:
            if quoted:
                out.quoted(value)
            else:
                out.split(value)
            return
        if quoted:
            if star:
                ifs = self.get_var("IFS")
                sep = " " if ifs is None else ifs[:1]
                out.quoted(sep.join(value))
                return
            for i, v in enumerate(value):
                if i:
                    out.hard_break()
                out.quoted(v)
            return
        for i, v in enumerate(value):
            if i:
                out.soft_break()
            out.split(v)

    def _conditional(self: Shell, p: Param, out, quoted: bool, star: bool) -> None:
        value = self._lookup(p)
        if type(value) is list:
            present = any(value) if p.colon else bool(value)
        else:
            present = value is not None and (not p.colon or value != "")
        op = p.op
        # "${u:+x}" is an empty field even when it expands to nothing; for "$@" ash makes one
        # too ("${@+"$@"}" with no parameters), bash only when the default word is used
        if quoted and (not self.bash or p.name not in ("@", "*") or (op in ("-", "=") and not present)):
            out.quoted("")
        arg = p.arg
        if op == "-":
            if present:
                self._emit(value, out, quoted, star)  # type: ignore[arg-type]
            elif arg is not None:
                self._walk(arg.parts, out, quoted, True)
        elif op == "+":
            if present and arg is not None:
                self._walk(arg.parts, out, quoted, True)
        elif op == "=":
            if present:
                self._emit(value, out, quoted, star)  # type: ignore[arg-type]
                return
            new = self.expand_str(arg)
            name = p.name
            if not name[0].isalpha() and name[0] != "_":
                raise ShellError(f"{name}: bad variable name")
            if p.index is not None and p.index not in ("@", "*"):
                self.array_set(name, self.arith_eval(self.expand_str(p.index)), new)
            else:
                self.set_var(name, new)
            self._emit(new, out, quoted, False)
        else:  # ?
            if present:
                self._emit(value, out, quoted, star)  # type: ignore[arg-type]
                return
            message = self.expand_str(arg) if arg is not None and arg.parts else ""
            if not message:
                message = "parameter not set or null" if p.colon else "parameter not set"
            raise ShellError(f"{p.name}: {message}", 127 if self.bash else 2)

    def _substring(self: Shell, p: Param, value: str | list[str]) -> str | list[str]:
        offset_text = self.expand_str(p.arg).strip()
        offset = self.arith_eval(offset_text) if offset_text else 0
        length: int | None = None
        if p.arg2 is not None:
            length_text = self.expand_str(p.arg2).strip()
            length = self.arith_eval(length_text) if length_text else 0
        if type(value) is list and not self.bash and p.index is None:
            value = " ".join(value)  # busybox takes ${@:o:l} as a substring of "$*"
        if type(value) is list:
            items = value
            if p.name in ("@", "*") and p.index is None:
                items = [self.arg0, *value]  # ${@:0} starts with $0
            return _slice_list(items, offset, length)
        return _slice_str(value, offset, length)  # type: ignore[arg-type]


def _slice_str(value: str, offset: int, length: int | None) -> str:
    n = len(value)
    if offset < 0:
        offset = max(0, n + offset) if n + offset >= 0 else n + 1
    if offset > n:
        return ""
    if length is None:
        return value[offset:]
    if length < 0:
        end = n + length
        if end < offset:
            raise ShellError(f"{length}: substring expression < 0", 1)
        return value[offset:end]
    return value[offset:offset + length]


def _slice_list(items: list[str], offset: int, length: int | None) -> list[str]:
    n = len(items)
    if offset < 0:
        offset = n + offset
        if offset < 0:
            return []
    if length is None:
        return items[offset:]
    if length < 0:
        raise ShellError(f"{length}: substring expression < 0", 1)
    return items[offset:offset + length]


def _change_case(value: str, op: str, pattern: str) -> str:
    upper = op[0] == "^"
    every = len(op) == 2
    conv = str.upper if upper else str.lower
    out = []
    for i, ch in enumerate(value):
        if (every or i == 0) and (not pattern or pat.match(pattern, ch)):
            out.append(conv(ch))
        else:
            out.append(ch)
    return "".join(out)


def _split_ref(ref: str) -> tuple[str, str | None]:
    """``name`` or ``name[sub]`` (the target of ``${!ref}``)."""
    if ref.endswith("]") and "[" in ref:
        name, _, sub = ref[:-1].partition("[")
        return name, sub
    return ref, None
