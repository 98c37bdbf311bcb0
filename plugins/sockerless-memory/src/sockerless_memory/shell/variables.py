"""Shell variables: scalars and bash arrays, attributes, function-local scopes, the environment."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from . import arith
from .errors import ArithError, ShellError

if TYPE_CHECKING:
    from .shell import Shell


class Array(dict):
    """A bash indexed array: sparse ``int -> str``."""

    def values_in_order(self) -> list[str]:
        """Element values by ascending index."""
        return [self[k] for k in sorted(self)]


class Assoc(dict):
    """A bash associative array: ``str -> str``."""

    def values_in_order(self) -> list[str]:
        """Element values in insertion order."""
        return list(self.values())


_UNSET = object()
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DYNAMIC = frozenset({"LINENO", "RANDOM", "SECONDS", "FUNCNAME"})
_HOOKED = frozenset({"PATH", "IFS", "RANDOM", "OPTIND", "SECONDS", "LINENO"})


def valid_name(name: str) -> bool:
    """True for a valid variable name."""
    return _NAME.match(name) is not None


class VarsMixin:
    """Variable storage of :class:`~.shell.Shell`."""

    def _init_vars(self: Shell, env: dict[str, str]) -> None:
        self.vars: dict[str, str | Array | Assoc] = {}
        self.exported: set[str] = set()
        self.readonly: set[str] = set()
        self.integer: set[str] = set()
        self.frames: list[dict[str, tuple[object, bool, bool]]] = []
        self._env_cache: dict[str, str] | None = None
        self.ifs = " \t\n"
        self._update_ifs()
        for name, value in env.items():
            if valid_name(name):
                self.vars[name] = value
                self.exported.add(name)
        self._seconds_base = time.monotonic()

    # -- reading -----------------------------------------------------------------------
    def get_var(self: Shell, name: str) -> str | None:
        """The value of a variable (``None`` when unset); an array gives its element 0."""
        value = self.vars.get(name)
        if value is None:
            if name in _DYNAMIC:
                return self._dynamic(name)
            return None
        if type(value) is str:
            return value
        return value.get(0 if type(value) is Array else "0")  # type: ignore[union-attr]

    def _dynamic(self: Shell, name: str) -> str | None:
        if name == "LINENO":
            return str(self.lineno + self.line_offset)
        if name == "RANDOM":
            return str(self.random.randrange(32768))
        if name == "SECONDS" and self.bash:
            return str(int(time.monotonic() - self._seconds_base))
        if name == "FUNCNAME":
            return self.func_names[-1] if self.func_names else None
        return None

    def is_set(self: Shell, name: str) -> bool:
        """True when the variable exists (even empty)."""
        return name in self.vars or (name in _DYNAMIC and self._dynamic(name) is not None)

    # -- writing -----------------------------------------------------------------------
    def set_var(self: Shell, name: str, value: str, *, export: bool = False) -> None:
        """Assign a scalar (element 0 of an array); fatal error for a read-only variable."""
        if name in self.readonly:
            raise ShellError(f"{name}: readonly variable" if self.bash else f"{name}: is read only", 1 if self.bash else 2)
        if name in _HOOKED and self._hook(name, value):
            return
        if self.integer and name in self.integer:
            value = str(self.arith_eval(value))
        old = self.vars.get(name)
        if old is not None and type(old) is not str:
            old[0 if type(old) is Array else "0"] = value  # type: ignore[index]
        else:
            self.vars[name] = value
        if export or self.opts.allexport:
            self.exported.add(name)
            self._env_cache = None
        elif self._env_cache is not None and name in self.exported:
            self._env_cache = None

    def _hook(self: Shell, name: str, value: str | None) -> bool:
        """Side effects of special variables; True when the value must not be stored."""
        if name == "PATH":
            self.cmd_hash.clear()
        elif name == "IFS":
            self.ifs = value if value is not None else " \t\n"
            self._update_ifs()
        elif name == "RANDOM":
            if value is not None:
                try:
                    self.random.seed(int(value))
                except ValueError:
                    self.random.seed(value)
            return True
        elif name == "OPTIND":
            self.getopts_state = None
        elif name == "SECONDS" and self.bash:
            try:
                self._seconds_base = time.monotonic() - int(value or 0)
            except ValueError:
                self._seconds_base = time.monotonic()
            return True
        elif name == "LINENO":
            return True
        return False

    def _update_ifs(self: Shell) -> None:
        ifs = self.ifs
        self.ifs_ws = frozenset(c for c in ifs if c in " \t\n")
        if ifs:
            self.ifs_split = re.compile("([" + re.escape(ifs) + "])")
            self.ifs_safe = re.compile(r"[^" + re.escape(ifs) + r"*?\[]+\Z")
        else:
            self.ifs_split = None
            self.ifs_safe = re.compile(r"[^*?\[]+\Z")

    def unset_var(self: Shell, name: str) -> None:
        """``unset name``: fatal error for a read-only variable."""
        if name in self.readonly:
            raise ShellError(f"{name}: is read only", builtin="unset")
        if name in _HOOKED:
            self._hook(name, None)
        self.vars.pop(name, None)
        if name in self.exported:
            self.exported.discard(name)
            self._env_cache = None
        self.integer.discard(name)

    def export(self: Shell, name: str, value: str | None = None) -> None:
        """Mark a variable for the environment of commands (optionally assigning it)."""
        if value is not None:
            self.set_var(name, value)
        self.exported.add(name)
        self._env_cache = None

    def env(self: Shell) -> dict[str, str]:
        """The environment for commands: every exported, set variable."""
        cached = self._env_cache
        if cached is None:
            cached = {}
            for name in self.exported:
                value = self.get_var(name)
                if value is not None:
                    cached[name] = value
            self._env_cache = cached
        return cached

    # -- arrays (bash) -----------------------------------------------------------------
    def _funcname_array(self: Shell) -> Array | None:
        """bash's ``FUNCNAME``: the running functions, innermost first."""
        if not self.bash or not self.func_names:
            return None
        return Array(enumerate(reversed(self.func_names)))

    def array_values(self: Shell, name: str) -> list[str]:
        """``${a[@]}``: every element value in order (a scalar is a one-element array)."""
        value = self.vars.get(name)
        if value is None and name == "FUNCNAME":
            value = self._funcname_array()
        if value is None:
            scalar = self.get_var(name)
            return [] if scalar is None else [scalar]
        if type(value) is str:
            return [value]
        return value.values_in_order()  # type: ignore[union-attr]

    def array_keys(self: Shell, name: str) -> list[str]:
        """``${!a[@]}``."""
        value = self.vars.get(name)
        if value is None:
            return []
        if type(value) is str:
            return ["0"]
        if type(value) is Array:
            return [str(k) for k in sorted(value)]
        return list(value)  # type: ignore[arg-type]

    def array_get(self: Shell, name: str, index: int | str) -> str | None:
        """``${a[i]}``."""
        value = self.vars.get(name)
        if value is None and name == "FUNCNAME":
            value = self._funcname_array()
        if value is None:
            return None
        if type(value) is str:
            return value if index in (0, "0") else None
        if type(value) is Array and isinstance(index, int) and index < 0:
            keys = sorted(value)
            if not keys:
                return None
            index = keys[-1] + 1 + index
        return value.get(index)  # type: ignore[union-attr]

    def array_set(self: Shell, name: str, index: int | str, value: str) -> None:
        """``a[i]=v``."""
        if name in self.readonly:
            raise ShellError(f"{name}: is read only")
        current = self.vars.get(name)
        if current is None or type(current) is str:
            arr = Array()
            if current is not None:
                arr[0] = current
            self.vars[name] = arr
            current = arr
        if type(current) is Array:
            if not isinstance(index, int):
                index = self.arith_eval(index)
            if index < 0:
                keys = sorted(current)
                index = (keys[-1] + 1 if keys else 0) + index
                if index < 0:
                    raise ShellError(f"{name}[{index}]: bad array subscript", 1)
        current[index] = value  # type: ignore[index]
        if name in self.exported:
            self._env_cache = None

    def array_assign(self: Shell, name: str, values: list[str], *, append: bool = False) -> None:
        """``a=(x y z)`` / ``a+=(...)``."""
        if name in self.readonly:
            raise ShellError(f"{name}: is read only")
        current = self.vars.get(name)
        if append and current is not None:
            if type(current) is str:
                arr = Array({0: current})
            else:
                arr = current  # type: ignore[assignment]
            start = max(arr, default=-1) + 1 if type(arr) is Array else len(arr)
            for i, v in enumerate(values):
                arr[start + i] = v
            self.vars[name] = arr
        elif type(current) is Assoc:
            current.clear()
        else:
            self.vars[name] = Array(enumerate(values))
        if name in self.exported:
            self._env_cache = None

    def array_unset(self: Shell, name: str, index: int | str) -> None:
        """``unset 'a[i]'``."""
        if name in self.readonly:
            raise ShellError(f"{name}: is read only", builtin="unset")
        current = self.vars.get(name)
        if current is None:
            return
        if type(current) is str:
            if index in (0, "0"):
                self.vars.pop(name)
            return
        current.pop(index, None)  # type: ignore[union-attr]

    # -- arithmetic access -------------------------------------------------------------
    def arith_var(self: Shell, name: str, index: int | None) -> int:
        """A variable's numeric value for arithmetic."""
        text = self.get_var(name) if index is None else self.array_get(name, index)
        if text is None:
            if self.opts.nounset and self.bash:  # busybox does not apply set -u inside $(( ))
                raise ShellError(f"{name}: unbound variable", 127)
            return 0
        if text.isdigit() and (text[0] != "0" or len(text) == 1):
            return int(text) if len(text) < 19 else arith.wrap(int(text))
        self.arith_depth += 1
        try:
            if self.arith_depth > 64:
                raise ArithError("expression recursion level exceeded")
            return arith.value_of(self, text)
        finally:
            self.arith_depth -= 1

    def arith_assign(self: Shell, name: str, index: int | None, value: int) -> None:
        """Assignment from arithmetic."""
        if index is None:
            self.set_var(name, str(value))
        else:
            self.array_set(name, index, str(value))

    def arith_eval(self: Shell, text: str) -> int:
        """Evaluate an arithmetic expression text (errors: status 2, or 1 as bash has it)."""
        try:
            return arith.compile_expr(text)(self)
        except ArithError as exc:
            if self.bash:
                exc.status = 1
            raise

    # -- function scopes ---------------------------------------------------------------
    def make_local(self: Shell, name: str) -> None:
        """``local name``: save the current value, restored when the function returns."""
        if not self.frames:
            raise ShellError("not in a function", builtin="local")
        frame = self.frames[-1]
        if name in frame:
            return
        old = self.vars.get(name, _UNSET)
        if type(old) is Array or type(old) is Assoc:
            old = old.copy()  # type: ignore[union-attr]
        frame[name] = (old, name in self.exported, name in self.readonly)

    def push_frame(self: Shell) -> None:
        """Enter a function call."""
        self.frames.append({})

    def pop_frame(self: Shell) -> None:
        """Leave a function call, restoring the variables it made local."""
        frame = self.frames.pop()
        for name, (old, exported, readonly) in frame.items():
            if readonly:
                self.readonly.add(name)
            else:
                self.readonly.discard(name)
            if old is _UNSET:
                self.vars.pop(name, None)
            else:
                self.vars[name] = old  # type: ignore[assignment]
            if exported:
                self.exported.add(name)
            else:
                self.exported.discard(name)
            if name in _HOOKED:
                self._hook(name, None if old is _UNSET else self.get_var(name))
        if frame:
            self._env_cache = None
