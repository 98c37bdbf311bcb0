"""Prompt strings: ``PS1``/``PS2`` backslash escapes (``\\w \\u \\h \\$``...) and parameter expansion."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from .errors import ShellError
from .lexer import Lexer, heredoc_word
from .parser import Parser

if TYPE_CHECKING:
    from .shell import Shell


class PromptMixin:
    """Prompt expansion for :class:`~.shell.Shell`."""

    def expand_prompt_text(self: Shell, text: str) -> str:
        """Parameter, command and arithmetic expansion of a prompt-like string."""
        try:
            lexer = Lexer(text, bash=self.bash)
            Parser(lexer)  # installs the command-substitution parser on the lexer
            return self.expand_str(heredoc_word(text, lexer))
        except ShellError:
            return text

    def prompt(self: Shell, name: str) -> str:
        """The expanded value of ``PS1`` or ``PS2``."""
        raw = self.get_var(name)
        if raw is None:
            return ""
        return self.expand_prompt_text(self._prompt_escapes(raw)) if "$" in raw or "`" in raw else self._prompt_escapes(raw)

    def _prompt_escapes(self: Shell, raw: str) -> str:
        out: list[str] = []
        i, n = 0, len(raw)
        while i < n:
            c = raw[i]
            if c != "\\" or i + 1 >= n:
                out.append(c)
                i += 1
                continue
            e = raw[i + 1]
            i += 2
            if e == "w":
                out.append(self._tilde_dir(self.get_var("PWD") or self.proc.cwd))
            elif e == "W":
                pwd = self.get_var("PWD") or self.proc.cwd
                out.append(pwd if pwd == "/" else os.path.basename(pwd.rstrip("/")))
            elif e == "u":
                out.append(self.kernel.user_name(self.proc.creds.uid) or str(self.proc.creds.uid))
            elif e == "h":
                out.append(self.kernel.hostname.split(".")[0])
            elif e == "H":
                out.append(self.kernel.hostname)
            elif e == "$":
                out.append("#" if self.proc.creds.uid == 0 else "$")
            elif e == "n":
                out.append("\n")
            elif e == "s":
                out.append(os.path.basename(self.arg0))
            elif e == "t":
                out.append(time.strftime("%H:%M:%S"))
            elif e == "d":
                out.append(time.strftime("%a %b %d"))
            elif e == "\\":
                out.append("\\")
            elif e in "[]":
                pass  # non-printing markers
            elif e == "e":
                out.append("\x1b")
            else:
                out.append("\\" + e)
        return "".join(out)

    def _tilde_dir(self: Shell, path: str) -> str:
        home = self.get_var("HOME")
        if home and home != "/" and (path == home or path.startswith(home.rstrip("/") + "/")):
            return "~" + path[len(home.rstrip("/")):]
        return path
