"""Dockerfile parsing: directives, comments, line continuations, heredocs, flags, JSON forms.

The result is a list of :class:`Instruction`; arguments are kept raw (variables are
expanded later, when the builder knows the values) except for the exec (JSON) forms,
which are decoded here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ...api.errors import InvalidParameter

INSTRUCTIONS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
JSON_FORMS = frozenset({"ADD", "CMD", "COPY", "ENTRYPOINT", "RUN", "SHELL", "VOLUME"})
HEREDOC_FORMS = frozenset({"ADD", "COPY", "RUN"})
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_FLAG = re.compile(r"^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(.*))?$")
_HEREDOC = re.compile(r"<<(-?)(['\"]?)([a-zA-Z_][a-zA-Z0-9_]*)\2")


@dataclass
class Heredoc:
    """``<<NAME`` ... ``NAME``: an inline file (COPY/ADD) or script (RUN)."""

    name: str
    content: str
    expand: bool
    """False when the delimiter was quoted: no variable expansion in the content."""


@dataclass
class Instruction:
    """One instruction of a Dockerfile."""

    command: str
    """Upper case: ``RUN``, ``COPY``, ..."""
    args: str
    """The text after the command and its flags (continuations joined)."""
    original: str
    """The instruction as written (continuations joined), as ``Step i/n :`` shows it."""
    line: int
    flags: dict[str, str] = field(default_factory=dict)
    json: list[str] | None = None
    """The decoded exec form, when the arguments are a JSON array of strings."""
    heredocs: list[Heredoc] = field(default_factory=list)


@dataclass
class Dockerfile:
    """A parsed Dockerfile."""

    instructions: list[Instruction]
    escape: str = "\\"


def _directives(lines: list[str]) -> tuple[dict[str, str], int]:
    """Parser directives at the top; returns them and the index of the first other line."""
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line.strip())
        if not match:
            return found, index
        key = match.group(1).lower()
        if key in found:
            raise InvalidParameter(f"only one {key} parser directive can be used")
        found[key] = match.group(2)
    return found, len(lines)


def parse(text: str) -> Dockerfile:
    """Parse Dockerfile text; malformed input is a 400 naming the line."""
    text = text.removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").split("\n")
    directives, start = _directives(lines)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise InvalidParameter(f"invalid ESCAPE '{escape}'. Must be ` or \\")
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    instructions: list[Instruction] = []
    index = start
    while index < len(lines):
        raw = lines[index]
        lineno = index + 1
        index += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        logical = raw.lstrip()
        while continuation.search(logical) and index < len(lines):
            logical = continuation.sub("", logical)
            while index < len(lines) and (not lines[index].strip() or lines[index].strip().startswith("#")):
                index += 1  # comment and empty lines inside a continuation are dropped
            if index < len(lines):
                logical += lines[index]
                index += 1
        logical = continuation.sub("", logical) if continuation.search(logical) else logical
        instruction = _instruction(logical.rstrip(), lineno)
        if instruction.command in HEREDOC_FORMS and instruction.json is None:
            index = _read_heredocs(instruction, lines, index)
        instructions.append(instruction)
    if not instructions:
        raise InvalidParameter("the Dockerfile (Dockerfile) cannot be empty")
    return Dockerfile(instructions, escape)


def _instruction(text: str, lineno: int) -> Instruction:
    parts = text.split(None, 1)
    command = parts[0].upper()
    rest = parts[1] if len(parts) > 1 else ""
    if command not in INSTRUCTIONS:
        raise InvalidParameter(f"Dockerfile parse error line {lineno}: unknown instruction: {parts[0].upper()}")
    flags: dict[str, str] = {}
    if command not in ("ONBUILD",):
        while rest.startswith("--"):
            word, _, remainder = rest.partition(" ")
            match = _FLAG.match(word)
            if not match:
                break
            flags[match.group(1)] = match.group(2) if match.group(2) is not None else "true"
            rest = remainder.lstrip()
    decoded = None
    if command in JSON_FORMS and rest.startswith("["):
        try:
            value = json.loads(rest)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            decoded = value
    return Instruction(command=command, args=rest, original=text, line=lineno, flags=flags, json=decoded)


def _read_heredocs(instruction: Instruction, lines: list[str], index: int) -> int:
    """Consume the bodies of the heredocs the instruction opens; returns the next line index."""
    for match in _HEREDOC.finditer(instruction.args):
        strip_tabs, quote, name = match.group(1) == "-", match.group(2), match.group(3)
        body: list[str] = []
        while True:
            if index >= len(lines):
                raise InvalidParameter(f"Dockerfile parse error line {instruction.line}: unterminated heredoc {name}")
            line = lines[index]
            index += 1
            check = line.lstrip("\t") if strip_tabs else line
            if check == name:
                break
            body.append(check)
        content = "\n".join(body) + "\n" if body else ""
        instruction.heredocs.append(Heredoc(name=name, content=content, expand=not quote))
    return index


def split_stages(dockerfile: Dockerfile) -> tuple[list[Instruction], list[list[Instruction]]]:
    """The ARGs before the first FROM, and the instructions of each stage (each starting with FROM)."""
    meta: list[Instruction] = []
    stages: list[list[Instruction]] = []
    for instruction in dockerfile.instructions:
        if instruction.command == "FROM":
            stages.append([instruction])
        elif not stages:
            if instruction.command != "ARG":
                raise InvalidParameter("no build stage in current context: "
                                       f"{instruction.command} cannot come before the first FROM")
            meta.append(instruction)
        else:
            stages[-1].append(instruction)
    if not stages:
        raise InvalidParameter("no build stage in current context")
    return meta, stages
