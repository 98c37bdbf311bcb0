"""Shell options (``set -e``, ``set -o pipefail``...) and their single-letter flags."""

from __future__ import annotations

# (long name, letter or "") in the order busybox lists them with ``set -o``
OPTION_TABLE: tuple[tuple[str, str], ...] = (
    ("errexit", "e"),
    ("noglob", "f"),
    ("ignoreeof", "I"),
    ("monitor", "m"),
    ("noexec", "n"),
    ("xtrace", "x"),
    ("verbose", "v"),
    ("noclobber", "C"),
    ("allexport", "a"),
    ("notify", "b"),
    ("nounset", "u"),
    ("errtrace", "E"),
    ("vi", ""),
    ("emacs", ""),
    ("pipefail", ""),
    ("hashall", "h"),
)
LONG_NAMES = {name for name, _ in OPTION_TABLE}
LETTERS = {letter: name for name, letter in OPTION_TABLE if letter}
_SHOWN = ("errexit", "noglob", "ignoreeof", "monitor", "noexec", "xtrace", "verbose", "noclobber", "allexport",
          "notify", "nounset", "errtrace", "vi", "pipefail")
# the order in which busybox spells $-
_DASH_ORDER = "ubaCvxcsnmiIfe"


class Options:
    """The option flags of one shell (copied into subshells)."""

    __slots__ = (*LONG_NAMES, "cmdstr", "interactive", "stdin")

    def __init__(self) -> None:
        for name in LONG_NAMES:
            setattr(self, name, False)
        self.cmdstr = False
        self.interactive = False
        self.stdin = False

    def copy(self) -> Options:
        """An independent copy (for a subshell)."""
        other = Options.__new__(Options)
        for name in self.__slots__:
            setattr(other, name, getattr(self, name))
        return other

    def set_letter(self, letter: str, value: bool) -> bool:
        """Set the option of a flag letter; False when the letter is unknown."""
        name = LETTERS.get(letter)
        if name is None:
            return False
        setattr(self, name, value)
        return True

    def set_long(self, name: str, value: bool) -> bool:
        """Set an option by its long name; False when unknown."""
        if name not in LONG_NAMES:
            return False
        setattr(self, name, value)
        return True

    def dash(self) -> str:
        """The value of ``$-``."""
        out = []
        for letter in _DASH_ORDER:
            if letter == "c":
                on = self.cmdstr
            elif letter == "s":
                on = self.stdin
            elif letter == "i":
                on = self.interactive
            else:
                on = getattr(self, LETTERS[letter])
            if on:
                out.append(letter)
        return "".join(out)

    def listing(self, reusable: bool) -> str:
        """``set -o`` (``reusable`` False) or ``set +o`` output."""
        lines = []
        for name in _SHOWN:
            on = getattr(self, name)
            if reusable:
                lines.append(f"set {'-' if on else '+'}o {name}")
            else:
                lines.append(f"{name:<15} {'on' if on else 'off'}")
        return "\n".join(lines) + "\n"
