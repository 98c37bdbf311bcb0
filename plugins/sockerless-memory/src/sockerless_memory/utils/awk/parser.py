"""AWK's grammar, compiled straight into Python closures.

Every expression becomes a function of no arguments returning a value and every
statement a function returning nothing; control flow (``next``, ``exit``, ``return``,
``break``, ``continue``) travels as exceptions. The closures capture the
:class:`~.interp.Interp` they will run on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..regex import RegexError
from .lexer import AwkSyntaxError, Lexer, Token
from .values import UNINIT, StrNum, awk_regex, compare, to_num, truth

if TYPE_CHECKING:
    from .interp import Interp

Expr = Callable[[], object]
Stmt = Callable[[], None]


class Next(Exception):
    """``next``."""


class NextFile(Exception):
    """``nextfile``."""


class ExitProgram(Exception):
    """``exit [status]``."""

    def __init__(self, status: int | None) -> None:
        super().__init__(status)
        self.status = status


class Return(Exception):
    """``return [value]``."""

    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value


class Break(Exception):
    """``break``."""


class Continue(Exception):
    """``continue``."""


class AwkRuntimeError(Exception):
    """A fatal error while running (``awk: cmd. line:N: MESSAGE``)."""


@dataclass
class LValue:
    """Something assignable: its getter and setter, plus what it names (for array arguments)."""

    get: Expr
    set: Callable[[object], object]
    name: str | None = None
    local: int | None = None


@dataclass
class Function:
    """A user-defined function."""

    name: str
    params: list[str]
    body: Stmt | None = None
    array_params: set[int] = field(default_factory=set)
    line: int = 0


@dataclass
class Program:
    """A parsed program: BEGIN and END actions, pattern-action items, functions."""

    begin: list[Stmt] = field(default_factory=list)
    end: list[Stmt] = field(default_factory=list)
    items: list[tuple[object, Stmt]] = field(default_factory=list)
    functions: dict[str, Function] = field(default_factory=dict)


_ASSIGN_OPS = {"=", "+=", "-=", "*=", "/=", "%=", "^=", "**="}
_STARTS_OPERAND = {"NUMBER", "STRING", "ERE", "NAME", "FUNC_NAME", "BUILTIN", "$", "!", "(", "-", "+", "++", "--", "/", "/="}
_CONCAT_START = _STARTS_OPERAND - {"-", "+", "/", "/="}


class Parser:
    """Recursive descent over the token stream, producing closures bound to ``interp``."""

    def __init__(self, text: str, interp: Interp) -> None:
        self.lexer = Lexer(text)
        self.interp = interp
        self.buffer: list[Token] = []
        self.tok = self._read()
        self.program = Program()
        self.locals: dict[str, int] | None = None
        self.function: Function | None = None
        self.calls: list[tuple[str, int]] = []
        self.print_depth = 0  # inside print's expression list: a bare '>' redirects

    # -- token stream ---------------------------------------------------------------
    def _read(self) -> Token:
        return self.buffer.pop(0) if self.buffer else self.lexer.next()

    def advance(self) -> Token:
        token = self.tok
        self.tok = self._read()
        return token

    def peek(self, n: int = 1) -> Token:
        while len(self.buffer) < n:
            self.buffer.append(self.lexer.next())
        return self.buffer[n - 1]

    def error(self, message: str = "Unexpected token", token: Token | None = None) -> AwkSyntaxError:
        return AwkSyntaxError(message, (token or self.tok).line)

    def expect(self, kind: str) -> Token:
        if self.tok.kind != kind:
            raise self.error()
        return self.advance()

    def newlines(self) -> None:
        while self.tok.kind == "NEWLINE":
            self.advance()

    def next_significant(self) -> str:
        """The kind of the first token that is not a newline or ``;`` (without consuming)."""
        if self.tok.kind not in ("NEWLINE", ";"):
            return self.tok.kind
        n = 1
        while self.peek(n).kind in ("NEWLINE", ";"):
            n += 1
        return self.peek(n).kind

    def nested(self, parse: Callable[[], Expr]) -> Expr:
        """Parse inside brackets: a '>' there compares, even within print's arguments."""
        depth, self.print_depth = self.print_depth, 0
        try:
            return parse()
        finally:
            self.print_depth = depth

    def terminators(self) -> None:
        while self.tok.kind in ("NEWLINE", ";"):
            self.advance()

    # -- program --------------------------------------------------------------------
    def parse(self) -> Program:
        program = self.program
        while True:
            self.terminators()
            kind = self.tok.kind
            if kind == "EOF":
                break
            if kind == "BEGIN":
                self.advance()
                self.newlines()
                program.begin.append(self.block())
            elif kind == "END":
                self.advance()
                self.newlines()
                program.end.append(self.block())
            elif kind == "func":
                self.function_definition()
            elif kind == "{":
                program.items.append((None, self.block()))
            else:
                pattern: object = self.expr()
                if self.tok.kind == ",":
                    self.advance()
                    self.newlines()
                    pattern = (pattern, self.expr())
                if self.tok.kind == "{":
                    action = self.block()
                else:
                    action = self.interp.print_record
                program.items.append((pattern, action))
        for name, line in self.calls:
            if name not in program.functions:
                raise AwkSyntaxError(f"Call to undefined function {name}", line)
        return program

    def function_definition(self) -> None:
        self.advance()
        token = self.tok
        if token.kind not in ("NAME", "FUNC_NAME"):
            raise self.error()
        self.advance()
        name = str(token.value)
        if name in self.program.functions:
            raise self.error(f"Function {name} redefined", token)
        self.expect("(")
        params: list[str] = []
        while self.tok.kind != ")":
            params.append(str(self.expect("NAME").value))
            if self.tok.kind == ",":
                self.advance()
                self.newlines()
            elif self.tok.kind != ")":
                raise self.error()
        self.advance()
        self.newlines()
        function = Function(name, params, line=token.line)
        self.program.functions[name] = function
        self.locals = {p: i for i, p in enumerate(params)}
        self.function = function
        try:
            function.body = self.block()
        finally:
            self.locals = None
            self.function = None

    # -- statements -----------------------------------------------------------------
    def block(self) -> Stmt:
        self.expect("{")
        statements = []
        while True:
            self.terminators()
            if self.tok.kind == "}":
                self.advance()
                break
            if self.tok.kind == "EOF":
                raise self.error()
            statements.append(self.statement())
        return _sequence(statements)

    def simple_end(self) -> None:
        if self.tok.kind in ("NEWLINE", ";"):
            self.advance()
        elif self.tok.kind not in ("}", "EOF"):
            raise self.error()

    def body(self) -> Stmt:
        """The statement controlled by if/while/for (``;`` alone is an empty one)."""
        self.newlines()
        if self.tok.kind == ";":
            self.advance()
            return _nothing
        return self.statement()

    def statement(self) -> Stmt:
        kind = self.tok.kind
        line = self.tok.line
        interp = self.interp
        if kind == "{":
            return self.block()
        if kind == "if":
            self.advance()
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            then = self.body()
            if self.next_significant() == "else":  # "else" may follow newlines or a semicolon
                self.terminators()
                self.advance()
                otherwise = self.body()

                def if_else() -> None:
                    if truth(cond()):
                        then()
                    else:
                        otherwise()

                return if_else

            def if_only() -> None:
                if truth(cond()):
                    then()

            return if_only
        if kind == "while":
            self.advance()
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            if self.tok.kind == ";":
                self.advance()
                loop_body = _nothing
            else:
                loop_body = self.body()
            return _while(cond, loop_body, interp)
        if kind == "do":
            self.advance()
            loop_body = self.body()
            self.terminators()
            self.expect("while")
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            self.simple_end()
            return _do(cond, loop_body, interp)
        if kind == "for":
            return self.for_statement()
        if kind == ";":
            self.advance()
            return _nothing
        stmt = self.simple_statement()
        self.simple_end()
        return _located(stmt, line, interp)

    def for_statement(self) -> Stmt:
        interp = self.interp
        self.advance()
        self.expect("(")
        if self.tok.kind == "NAME" and self.peek().kind == "in" and self.peek(2).kind == "NAME" and self.peek(3).kind == ")":
            var = self.lvalue_name(str(self.advance().value))
            self.advance()
            array = self.array_ref(str(self.advance().value))
            self.expect(")")
            loop_body = self.body()

            def for_in() -> None:
                for key in list(array()):
                    var.set(StrNum(key))
                    try:
                        loop_body()
                    except Break:
                        break
                    except Continue:
                        continue

            return for_in
        init = self.simple_statement() if self.tok.kind != ";" else _nothing
        self.expect(";")
        self.newlines()
        cond = self.expr() if self.tok.kind != ";" else (lambda: 1.0)
        self.expect(";")
        self.newlines()
        step = self.simple_statement() if self.tok.kind != ")" else _nothing
        self.expect(")")
        if self.tok.kind == ";":
            self.advance()
            loop_body = _nothing
        else:
            loop_body = self.body()

        def for_loop() -> None:
            init()
            check = interp.check
            while truth(cond()):
                check()
                try:
                    loop_body()
                except Break:
                    break
                except Continue:
                    pass
                step()

        return for_loop

    def simple_statement(self) -> Stmt:
        kind = self.tok.kind
        if kind in ("print", "printf"):
            return self.print_statement()
        if kind in _JUMPS:
            self.advance()
            return _jump(_JUMPS[kind])
        if kind == "exit":
            self.advance()
            value = self.optional_expr()

            def do_exit() -> None:
                raise ExitProgram(None if value is None else int(to_num(value())))

            return do_exit
        if kind == "return":
            if self.function is None:
                raise self.error("return outside function")
            self.advance()
            value = self.optional_expr()

            def do_return() -> None:
                raise Return(UNINIT if value is None else value())

            return do_return
        if kind == "delete":
            self.advance()
            name = str(self.expect("NAME").value)
            array = self.array_ref(name)
            if self.tok.kind == "[":
                self.advance()
                subscript = self.subscript()
                self.expect("]")

                def delete_one() -> None:
                    array().pop(subscript(), None)

                return delete_one

            def delete_all() -> None:
                array().clear()

            return delete_all
        expr = self.expr()

        def evaluate() -> None:
            expr()

        return evaluate

    def optional_expr(self) -> Expr | None:
        """The expression of ``exit``/``return``, if the statement does not end here."""
        return self.expr() if self.tok.kind not in ("NEWLINE", ";", "}", "EOF") else None

    def print_statement(self) -> Stmt:
        interp = self.interp
        is_printf = self.advance().kind == "printf"
        args: list[Expr] = []
        self.print_depth += 1
        try:
            if self.tok.kind not in ("NEWLINE", ";", "}", ">", ">>", "|", "EOF"):
                first = self.expr(allow_group=True)
                if isinstance(first, _Group):
                    args = first.items
                else:
                    args = [first]
                    while self.tok.kind == ",":
                        self.advance()
                        self.newlines()
                        args.append(self.expr())
        finally:
            self.print_depth -= 1
        redirect = None
        if self.tok.kind in (">", ">>", "|"):
            mode = self.advance().kind
            self.print_depth += 1  # busybox: the target is a whole expression (print 1 > c ? "a" : "b")
            try:
                target = self.ternary()
            finally:
                self.print_depth -= 1
            redirect = (mode, target)
        if is_printf:
            if not args:
                raise self.error()
            return interp.make_printf(args, redirect)
        return interp.make_print(args, redirect)

    # -- lvalues ----------------------------------------------------------------------
    def lvalue_name(self, name: str) -> LValue:
        interp = self.interp
        if self.locals is not None and name in self.locals:
            index = self.locals[name]

            def get_local():
                value = interp.frames[-1][index]
                if isinstance(value, dict):
                    raise AwkRuntimeError(f"Can't use array {name} in scalar context")
                return value

            def set_local(value):
                frame = interp.frames[-1]
                if isinstance(frame[index], dict):
                    raise AwkRuntimeError(f"Can't use array {name} in scalar context")
                frame[index] = value
                return value

            return LValue(get_local, set_local, name, index)
        special = interp.special_variable(name)
        if special is not None:
            return LValue(special[0], special[1], name)
        variables = interp.variables

        def get_global():
            value = variables.get(name, UNINIT)
            if isinstance(value, dict):
                raise AwkRuntimeError(f"Can't use array {name} in scalar context")
            return value

        def set_global(value):
            if isinstance(variables.get(name), dict):
                raise AwkRuntimeError(f"Can't use array {name} in scalar context")
            variables[name] = value
            return value

        return LValue(get_global, set_global, name)

    def array_ref(self, name: str) -> Callable[[], dict]:
        """A function giving the array ``name`` (created on first use)."""
        interp = self.interp
        if self.locals is not None and name in self.locals:
            index = self.locals[name]
            if self.function is not None:
                self.function.array_params.add(index)

            def local_array() -> dict:
                frame = interp.frames[-1]
                value = frame[index]
                if not isinstance(value, dict):
                    if value is not UNINIT:
                        raise AwkRuntimeError(f"Can't use scalar {name} as array")
                    value = frame[index] = {}
                return value

            return local_array
        variables = interp.variables

        def global_array() -> dict:
            value = variables.get(name)
            if not isinstance(value, dict):
                if value is not None and value is not UNINIT:
                    raise AwkRuntimeError(f"Can't use scalar {name} as array")
                value = variables[name] = {}
            return value

        return global_array

    def raw_ref(self, name: str) -> Expr:
        """The stored value of ``name`` as it is (an array stays a dict; nothing is created)."""
        interp = self.interp
        if self.locals is not None and name in self.locals:
            index = self.locals[name]
            return lambda: interp.frames[-1][index]
        special = interp.special_variable(name)
        if special is not None:
            return special[0]
        return lambda: interp.variables.get(name, UNINIT)

    def subscript(self) -> Expr:
        interp = self.interp
        parts = [self.nested(self.expr)]
        while self.tok.kind == ",":
            self.advance()
            self.newlines()
            parts.append(self.nested(self.expr))
        if len(parts) == 1:
            only = parts[0]
            return lambda: interp.key(only())
        return lambda: interp.str_value(interp.variables.get("SUBSEP", "\x1c")).join(interp.key(p()) for p in parts)

    def element(self, name: str) -> LValue:
        array = self.array_ref(name)
        self.expect("[")
        key = self.subscript()
        self.expect("]")

        def get():
            container = array()
            k = key()
            value = container.get(k)
            if value is None:
                value = container[k] = UNINIT
            return value

        def set_(value):
            array()[key()] = value
            return value

        return LValue(get, set_)

    def field_ref(self) -> LValue:
        interp = self.interp
        self.expect("$")
        index = self.field_index()
        record = interp.record

        def get():
            return record.get(int(to_num(index())))

        def set_(value):
            record.set(int(to_num(index())), value)
            return value

        return LValue(get, set_)

    def field_index(self) -> Expr:
        kind = self.tok.kind
        if kind in ("++", "--"):
            return self.prefix_increment()
        if kind == "-":
            self.advance()
            inner = self.field_index()
            return lambda: -to_num(inner())
        if kind == "$":
            return self.field_ref().get
        return self.primary(postfix=False)

    def lvalue(self) -> LValue | None:
        """An lvalue if the current token starts one (NAME, NAME[...], $...)."""
        if self.tok.kind == "$":
            return self.field_ref()
        if self.tok.kind == "NAME":
            name = str(self.advance().value)
            if self.tok.kind == "[":
                return self.element(name)
            return self.lvalue_name(name)
        return None

    # -- expressions ------------------------------------------------------------------
    def expr(self, allow_group: bool = False) -> Expr:
        return self.ternary(allow_group)

    def ternary(self, allow_group: bool = False) -> Expr:
        cond = self.or_expr(allow_group)
        if isinstance(cond, _Group):
            return cond
        if self.tok.kind == "?":
            self.advance()
            self.newlines()
            yes = self.ternary()
            self.newlines()
            self.expect(":")
            self.newlines()
            no = self.ternary()
            return lambda: yes() if truth(cond()) else no()
        return cond

    def or_expr(self, allow_group: bool = False) -> Expr:
        left = self.and_expr(allow_group)
        while self.tok.kind == "||":
            self.advance()
            self.newlines()
            right = self.and_expr()
            left = (lambda a, b: lambda: 1.0 if truth(a()) or truth(b()) else 0.0)(left, right)
        return left

    def and_expr(self, allow_group: bool = False) -> Expr:
        left = self.in_expr(allow_group)
        while self.tok.kind == "&&":
            self.advance()
            self.newlines()
            right = self.in_expr()
            left = (lambda a, b: lambda: 1.0 if truth(a()) and truth(b()) else 0.0)(left, right)
        return left

    def in_expr(self, allow_group: bool = False) -> Expr:
        left = self.match_expr(allow_group)
        interp = self.interp
        while self.tok.kind == "in":
            self.advance()
            array = self.array_ref(str(self.expect("NAME").value))
            if isinstance(left, _Group):
                parts = left.items

                def key_of_group(parts=parts) -> str:
                    return interp.str_value(interp.variables.get("SUBSEP", "\x1c")).join(interp.key(p()) for p in parts)

                key: Expr = key_of_group
            else:
                single = left
                key = (lambda s: lambda: interp.key(s()))(single)
            left = (lambda k, a: lambda: 1.0 if k() in a() else 0.0)(key, array)
        return left

    def match_expr(self, allow_group: bool = False) -> Expr:
        left = self.compare_expr(allow_group)
        interp = self.interp
        while self.tok.kind in ("~", "!~"):
            negate = self.advance().kind == "!~"
            self.newlines()
            right = self.compare_expr()
            left = (lambda a, b, n: lambda: 1.0 if (interp.regex(b).search(interp.str_value(a())) is not None) != n else 0.0)(left, right, negate)
        return left

    def compare_expr(self, allow_group: bool = False) -> Expr:
        left = self.pipe_getline(self.concatenation(allow_group))
        if isinstance(left, _Group):
            return left
        kind = self.tok.kind
        if kind in ("<", "<=", "==", "!=", ">=") or (kind == ">" and self.print_depth == 0):
            self.advance()
            self.newlines()
            right = self.pipe_getline(self.concatenation())
            test = {
                "<": lambda c: c < 0, "<=": lambda c: c <= 0, "==": lambda c: c == 0, "!=": lambda c: c != 0,
                ">": lambda c: c > 0, ">=": lambda c: c >= 0,
            }[kind]
            return (lambda a, b, t: lambda: 1.0 if t(compare(a(), b())) else 0.0)(left, right, test)
        return left

    def pipe_getline(self, left: Expr) -> Expr:
        while self.tok.kind == "|" and self.peek().kind == "getline":
            self.advance()
            self.advance()
            target = self.lvalue() if self.tok.kind in ("NAME", "$") else None
            left = self.interp.make_getline("cmd", left, target)
        return left

    def concatenation(self, allow_group: bool = False) -> Expr:
        left = self.additive(allow_group)
        if isinstance(left, _Group):
            return left
        parts = [left]
        while self.tok.kind in _CONCAT_START:
            parts.append(self.additive())
        if len(parts) == 1:
            return left
        interp = self.interp
        return lambda: "".join(interp.str_value(p()) for p in parts)

    def additive(self, allow_group: bool = False) -> Expr:
        left = self.multiplicative(allow_group)
        if isinstance(left, _Group):
            return left
        while self.tok.kind in ("+", "-"):
            op = self.advance().kind
            self.newlines()  # busybox lets an expression go on after a binary operator
            right = self.multiplicative()
            if op == "+":
                left = (lambda a, b: lambda: to_num(a()) + to_num(b()))(left, right)
            else:
                left = (lambda a, b: lambda: to_num(a()) - to_num(b()))(left, right)
        return left

    def multiplicative(self, allow_group: bool = False) -> Expr:
        left = self.unary(allow_group)
        if isinstance(left, _Group):
            return left
        while self.tok.kind in ("*", "/", "%"):
            op = self.advance().kind
            self.newlines()
            right = self.unary()
            if op == "*":
                left = (lambda a, b: lambda: to_num(a()) * to_num(b()))(left, right)
            elif op == "/":
                left = (lambda a, b: lambda: _divide(to_num(a()), to_num(b())))(left, right)
            else:
                left = (lambda a, b: lambda: _modulo(to_num(a()), to_num(b())))(left, right)
        return left

    def unary(self, allow_group: bool = False) -> Expr:
        kind = self.tok.kind
        if kind == "!":
            self.advance()
            inner = self.unary()
            return lambda: 0.0 if truth(inner()) else 1.0
        if kind == "-":
            self.advance()
            inner = self.unary()
            return lambda: -to_num(inner())
        if kind == "+":
            self.advance()
            inner = self.unary()
            return lambda: to_num(inner())
        return self.power(allow_group)

    def power(self, allow_group: bool = False) -> Expr:
        base = self.postfix(allow_group)
        if isinstance(base, _Group):
            return base
        if self.tok.kind in ("^", "**"):
            self.advance()
            exponent = self.power_operand()
            return lambda: _power(to_num(base()), to_num(exponent()))
        return base

    def power_operand(self) -> Expr:
        # the right operand of ^ may carry a sign and is itself a power (right associative)
        if self.tok.kind in ("-", "+", "!"):
            return self.unary()
        return self.power()

    def postfix(self, allow_group: bool = False) -> Expr:
        if self.tok.kind in ("NAME", "$"):
            target = self.lvalue()
            assert target is not None
            kind = self.tok.kind
            if kind in ("++", "--"):
                self.advance()
                delta = 1.0 if kind == "++" else -1.0

                def post(t=target, d=delta):
                    old = to_num(t.get())
                    t.set(old + d)
                    return old

                return post
            if kind in _ASSIGN_OPS:
                return self.assignment(target)
            return target.get
        return self.primary(allow_group=allow_group)

    def assignment(self, target: LValue) -> Expr:
        op = self.advance().kind
        self.newlines()
        value = self.ternary()
        if op == "=":
            def assign(t=target, v=value):
                result = v()
                if isinstance(result, dict):
                    raise AwkRuntimeError("Can't assign an array")
                return t.set(result)

            return assign
        operations = {
            "+=": lambda a, b: a + b, "-=": lambda a, b: a - b, "*=": lambda a, b: a * b, "/=": _divide,
            "%=": _modulo, "^=": _power, "**=": _power,
        }
        operation = operations[op]
        return lambda t=target, v=value: t.set(operation(to_num(t.get()), to_num(v())))

    def prefix_increment(self) -> Expr:
        delta = 1.0 if self.advance().kind == "++" else -1.0
        target = self.lvalue()
        if target is None:
            raise self.error()

        def pre(t=target, d=delta):
            return t.set(to_num(t.get()) + d)

        return pre

    def primary(self, postfix: bool = True, allow_group: bool = False) -> Expr:
        token = self.tok
        kind = token.kind
        interp = self.interp
        if kind == "NUMBER":
            self.advance()
            value = token.value
            return lambda: value
        if kind == "STRING":
            self.advance()
            text = token.value
            return lambda: text
        if kind in ("/", "/="):
            regex_token = self.lexer.regex(token)
            self.buffer.clear()
            self.tok = self.lexer.next()
            source = str(regex_token.value)
            regex = self.compile_regex(source, token)
            record = interp.record
            return _RegexLiteral(lambda: 1.0 if regex.search(record.get(0)) is not None else 0.0, source)
        if kind in ("++", "--"):
            return self.prefix_increment()
        if kind in ("$", "NAME"):
            target = self.lvalue()
            assert target is not None
            return target.get
        if kind == "(":
            self.advance()
            self.newlines()
            first = self.nested(self.expr)
            if self.tok.kind == ",":
                items = [first]
                while self.tok.kind == ",":
                    self.advance()
                    self.newlines()
                    items.append(self.nested(self.expr))
                self.newlines()
                self.expect(")")
                if self.tok.kind != "in" and not allow_group:
                    raise self.error()
                return _Group(items)
            self.newlines()
            self.expect(")")
            return first
        if kind == "-":
            return self.unary()
        if kind == "!":
            return self.unary()
        if kind == "FUNC_NAME":
            return self.call()
        if kind == "BUILTIN":
            return self.builtin()
        if kind == "getline":
            self.advance()
            target = self.lvalue() if self.tok.kind in ("NAME", "$") else None
            if self.tok.kind == "<":
                self.advance()
                source = self.primary_for_redirect()
                return interp.make_getline("file", source, target)
            return interp.make_getline("main", None, target)
        raise self.error()

    def primary_for_redirect(self) -> Expr:
        if self.tok.kind == "$":
            return self.field_ref().get
        return self.primary()

    def compile_regex(self, source: str, token: Token):
        try:
            return awk_regex(source)
        except RegexError as exc:
            raise self.error(f"bad regex '{source}': {exc}", token) from None

    def call(self) -> Expr:
        token = self.advance()
        name = str(token.value)
        self.expect("(")
        args: list[tuple[Expr, LValue | None]] = []
        while self.tok.kind != ")":
            self.newlines()
            if self.tok.kind == "NAME" and self.peek().kind in (",", ")"):
                lv = self.lvalue()
                assert lv is not None
                args.append((lv.get, lv))
            else:
                args.append((self.nested(self.expr), None))
            self.newlines()
            if self.tok.kind == ",":
                self.advance()
            elif self.tok.kind != ")":
                raise self.error()
        self.advance()
        self.calls.append((name, token.line))
        return self.interp.make_call(name, args, self)

    def builtin(self) -> Expr:
        token = self.advance()
        name = str(token.value)
        args: list = []
        if self.tok.kind == "(":
            self.advance()
            self.newlines()
            index = 0
            while self.tok.kind != ")":
                if name == "split" and index == 1:
                    args.append(("array", self.array_ref(str(self.expect("NAME").value))))
                elif name == "length" and self.tok.kind == "NAME" and self.peek().kind == ")":
                    args.append(("raw", self.raw_ref(str(self.advance().value))))
                elif name in ("sub", "gsub") and index == 2:
                    target = self.nested(self.lvalue) if self.tok.kind in ("NAME", "$") else None
                    if target is None:
                        target = LValue(self.nested(self.expr), lambda v: v)
                    args.append(("lvalue", target))
                else:
                    args.append(("value", self.nested(self.expr)))
                index += 1
                self.newlines()
                if self.tok.kind == ",":
                    self.advance()
                    self.newlines()
                elif self.tok.kind != ")":
                    raise self.error()
            self.advance()
        elif name != "length":
            raise self.error()
        return self.interp.make_builtin(name, args, token.line, self)


class _Group:
    """``(a, b)``: only meaningful before ``in`` or as print's argument list."""

    def __init__(self, items: list[Expr]) -> None:
        self.items = items

    def __call__(self):
        raise AwkRuntimeError("Unexpected grouping")


class _RegexLiteral:
    """``/re/``: matches $0 as an expression, stays a regex where one is expected (``~``, ``split``...)."""

    def __init__(self, match: Expr, source: str) -> None:
        self.match = match
        self.source = source

    def __call__(self):
        return self.match()


def _sequence(statements: list[Stmt]) -> Stmt:
    if not statements:
        return _nothing
    if len(statements) == 1:
        return statements[0]

    def run() -> None:
        for statement in statements:
            statement()

    return run


_JUMPS: dict[str, type[Exception]] = {"next": Next, "nextfile": NextFile, "break": Break, "continue": Continue}
"""The statements that only jump (as the exception they raise)."""


def _jump(exception: type[Exception]) -> Stmt:
    """A statement that raises ``exception``."""

    def jump() -> None:
        raise exception

    return jump


def _nothing() -> None:
    return None


def _located(stmt: Stmt, line: int, interp: Interp) -> Stmt:
    def run() -> None:
        interp.line = line
        stmt()

    return run


def _while(cond: Expr, body: Stmt, interp: Interp) -> Stmt:
    def loop() -> None:
        check = interp.check
        while truth(cond()):
            check()
            try:
                body()
            except Break:
                break
            except Continue:
                continue

    return loop


def _do(cond: Expr, body: Stmt, interp: Interp) -> Stmt:
    def loop() -> None:
        check = interp.check
        while True:
            check()
            try:
                body()
            except Break:
                break
            except Continue:
                pass
            if not truth(cond()):
                break

    return loop


def _divide(a: float, b: float) -> float:
    if b == 0:
        raise AwkRuntimeError("Division by zero")
    return a / b


def _modulo(a: float, b: float) -> float:
    if b == 0:
        raise AwkRuntimeError("Division by zero")
    return math.fmod(a, b)


def _power(a: float, b: float) -> float:
    try:
        result = a ** b
    except (OverflowError, ZeroDivisionError):
        return math.inf
    return result.real if isinstance(result, complex) else float(result)

