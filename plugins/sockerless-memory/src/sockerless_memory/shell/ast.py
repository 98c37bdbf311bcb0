"""The syntax tree of shell programs: word parts and commands, as small slotted dataclasses.

Words are sequences of parts; a word made only of plain unquoted text with no pattern
or tilde characters is kept as a bare ``str`` in command nodes, which lets expansion
skip it cheaply (the common case: command names, options, constants).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# -- word parts ------------------------------------------------------------------------


@dataclass(slots=True)
class Lit:
    """Unquoted literal text: subject to pathname expansion, not to field splitting."""

    text: str


@dataclass(slots=True)
class Quoted:
    """Quoted literal text (single quotes, backslash escapes, ``$'...'``, text inside double quotes)."""

    text: str


@dataclass(slots=True)
class DQuote:
    """A double-quoted section: its expansions are neither split nor globbed."""

    parts: list[Part]


@dataclass(slots=True)
class Tilde:
    """An unquoted tilde prefix (``~`` or ``~user``)."""

    user: str


@dataclass(slots=True)
class Param:
    """A parameter expansion ``$x`` / ``${...}``.

    ``op`` is ``None`` for a plain expansion, else one of ``- = ? +`` (with ``colon``),
    ``# ## % %%`` (``arg`` is the pattern), ``/ // /# /%`` (``arg`` pattern, ``arg2``
    replacement), ``:`` (substring: ``arg`` offset, ``arg2`` length), ``^ ^^ , ,,``,
    ``len`` (``${#x}``), ``keys`` (``${!a[@]}``), ``names`` (``${!prefix*}``).
    ``index`` is the subscript of an array element (a word, or ``"@"``/``"*"``);
    ``indirect`` is set for ``${!x}``.
    """

    name: str
    op: str | None = None
    arg: Word | None = None
    arg2: Word | None = None
    colon: bool = False
    index: Word | str | None = None
    indirect: bool = False


@dataclass(slots=True)
class CmdSub:
    """Command substitution ``$(...)`` or backquotes."""

    body: Node | None
    text: str = ""


@dataclass(slots=True)
class Arith:
    """Arithmetic expansion ``$((...))``: the expression is expanded, then evaluated."""

    expr: Word


@dataclass(slots=True)
class ProcSub:
    """Process substitution ``<(...)`` / ``>(...)``: ``text`` is the whole construct."""

    direction: str
    text: str


Part = Lit | Quoted | DQuote | Tilde | Param | CmdSub | Arith | ProcSub


@dataclass(slots=True)
class Word:
    """A word that needs expansion; ``raw`` is its source text (for messages and ``case``)."""

    parts: list[Part]
    raw: str = ""
    brace: bool = False  # may contain brace expansion (bash)


WordLike = str | Word

# -- commands --------------------------------------------------------------------------


@dataclass(slots=True)
class HereDoc:
    """A here-document body; ``body`` is literal text (quoted delimiter) or a word to expand."""

    delim: str
    strip_tabs: bool
    quoted: bool
    body: Word | str = ""


@dataclass(slots=True)
class Redir:
    """A redirection ``[n]op target``; ``fd`` is ``None`` for the operator's default."""

    op: str
    target: WordLike | HereDoc
    fd: int | None = None


@dataclass(slots=True)
class Assign:
    """``name=value``, ``name+=value``, ``name[index]=value`` or ``name=(elements)``."""

    name: str
    value: WordLike | None
    append: bool = False
    index: WordLike | None = None
    array: list[WordLike] | None = None
    raw: str = ""


@dataclass(slots=True)
class Simple:
    """A simple command: prefix assignments, words, redirections."""

    assigns: list[Assign]
    words: list[WordLike]
    redirs: list[Redir]
    line: int = 0


@dataclass(slots=True)
class Pipeline:
    """``[!] cmd | cmd ...``; ``pipe_err`` marks ``|&`` joints (bash) per stage."""

    cmds: list[Node]
    negate: bool = False
    line: int = 0


@dataclass(slots=True)
class AndOr:
    """``first && p || p ...``: ``rest`` holds (operator, pipeline) pairs."""

    first: Node
    rest: list[tuple[str, Node]]


@dataclass(slots=True)
class ListNode:
    """A sequence of and-or lists; ``background`` flags those ended by ``&``."""

    items: list[Node]
    background: list[bool]


@dataclass(slots=True)
class Subshell:
    """``( list )``."""

    body: Node
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class Group:
    """``{ list; }``."""

    body: Node
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class If:
    """``if c; then b; elif c; then b; else b; fi``."""

    branches: list[tuple[Node, Node]]
    orelse: Node | None
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class Loop:
    """``while``/``until`` loops."""

    cond: Node
    body: Node
    until: bool = False
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class For:
    """``for name [in words]; do body; done`` (``words`` ``None``: the positional parameters)."""

    var: str
    words: list[WordLike] | None
    body: Node
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class ForArith:
    """``for ((init; cond; step)); do body; done`` (bash)."""

    init: Word
    cond: Word
    step: Word
    body: Node
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class CaseItem:
    """One ``pattern | pattern) body ;;`` arm; ``fallthrough`` for ``;&``, ``test_next`` for ``;;&``."""

    patterns: list[WordLike]
    body: Node | None
    fallthrough: bool = False
    test_next: bool = False


@dataclass(slots=True)
class Case:
    """``case word in ... esac``."""

    word: WordLike
    items: list[CaseItem]
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class FuncDef:
    """``name() compound-command``."""

    name: str
    body: Node
    line: int = 0
    text: str = ""


@dataclass(slots=True)
class CondWord:
    """An operand of ``[[ ]]``; ``regex`` for the right side of ``=~``, ``pattern`` of ``==``."""

    word: WordLike
    kind: str = "str"


@dataclass(slots=True)
class CondUnary:
    """``[[ -op word ]]``."""

    op: str
    operand: CondWord


@dataclass(slots=True)
class CondBinary:
    """``[[ a op b ]]``."""

    op: str
    left: CondWord
    right: CondWord


@dataclass(slots=True)
class CondLogic:
    """``&&``, ``||`` and ``!`` inside ``[[ ]]`` (``right`` is None for ``!``)."""

    op: str
    left: CondExpr
    right: CondExpr | None = None


CondExpr = CondWord | CondUnary | CondBinary | CondLogic


@dataclass(slots=True)
class CondCmd:
    """``[[ expression ]]``."""

    expr: CondExpr
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class ArithCmd:
    """``(( expression ))`` (bash)."""

    expr: Word
    redirs: list[Redir] = field(default_factory=list)
    line: int = 0


Node = Simple | Pipeline | AndOr | ListNode | Subshell | Group | If | Loop | For | ForArith | Case | FuncDef | CondCmd | ArithCmd
