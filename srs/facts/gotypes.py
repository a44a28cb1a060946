"""Go type syntax in lesson code: declarations, type expressions, and the types of the
operands of `unsafe.Sizeof`/`Alignof`/`Offsetof`.

Parsing is tolerant (snippets are not whole files); resolution is strict: a name that is
not declared in the lesson, not predeclared and not one of a few library types with a
known layout makes the type unresolvable, and the caller reports it instead of guessing.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from srs.facts.golex import (
    CHAR,
    FLOAT,
    IDENT,
    IMAG,
    INT,
    STRING,
    Token,
    go_int,
    go_text,
    tokenize,
)
from srs.facts.layout import (
    BASIC_NAMES,
    Array,
    Basic,
    Field,
    GoType,
    Named,
    Opaque,
    Struct,
    Words,
    underlying,
)


class Unresolved(Exception):
    """A type or expression whose layout cannot be known from the lesson."""


class SyntaxIssue(Exception):
    """Tokens that do not form what was expected."""


# Library types with a layout stable across Go releases: (size, align) on 64/32-bit.
LIBRARY_TYPES: dict[str, tuple[tuple[int, int], tuple[int, int], str]] = {
    "sync.Mutex": ((8, 4), (8, 4), "two 32-bit words (state, semaphore)"),
    "sync.RWMutex": ((24, 4), (24, 4), "a Mutex and four 32-bit counters"),
    "sync.Once": ((12, 4), (12, 4), "a 32-bit done flag and a Mutex"),
    "atomic.Int32": ((4, 4), (4, 4), "an int32"),
    "atomic.Uint32": ((4, 4), (4, 4), "a uint32"),
    "atomic.Bool": ((4, 4), (4, 4), "a uint32 holding 0 or 1"),
    "atomic.Int64": ((8, 8), (8, 8), "an int64 forced to 8-byte alignment on every target"),
    "atomic.Uint64": ((8, 8), (8, 8), "a uint64 forced to 8-byte alignment on every target"),
    "atomic.Uintptr": ((8, 8), (4, 4), "a uintptr"),
    "atomic.Value": ((16, 8), (8, 4), "an interface value (two words)"),
    "atomic.Pointer": ((8, 8), (4, 4), "an unsafe.Pointer"),
    "time.Time": ((24, 8), (20, 4), "wall uint64, ext int64 and a *Location"),
    "time.Duration": ((8, 8), (8, 4), "an int64 count of nanoseconds"),
    "reflect.SliceHeader": ((24, 8), (12, 4), "Data uintptr, Len int, Cap int"),
    "reflect.StringHeader": ((16, 8), (8, 4), "Data uintptr, Len int"),
    **dict.fromkeys(
        ("io.Reader", "io.Writer", "io.Closer", "io.ReadWriter", "io.ReadCloser",
         "io.WriteCloser", "io.ReadWriteCloser", "fmt.Stringer", "context.Context",
         "net.Conn", "net.Listener", "http.Handler", "sort.Interface", "reflect.Type"),
        ((16, 8), (8, 4), "an interface value: type and data words")),
    "http.HandlerFunc": ((8, 8), (4, 4), "a func value: one pointer"),
}
PACKAGE_PATHS = {"sync": "sync", "atomic": "sync/atomic", "time": "time",
                 "reflect": "reflect", "unsafe": "unsafe"}
STD_IMPORTS = {**PACKAGE_PATHS, "os": "os", "io": "io", "net": "net", "http": "net/http",
               "bufio": "bufio", "bytes": "bytes", "strings": "strings", "log": "log",
               "context": "context", "json": "encoding/json", "syscall": "syscall",
               "fmt": "fmt", "sort": "sort"}


# ---- syntax -------------------------------------------------------------------------

class TExpr(NamedTuple):
    """A type expression as written: `kind` is name/pointer/slice/array/map/chan/func/
    interface/struct; `parts` the sub-expressions; `name` for names; `length` the array
    length tokens; `fields` the struct fields (names, type, embedded). A named tuple: every
    type in every block is read on each lesson load."""

    kind: str
    text: str
    name: str = ""
    parts: tuple[TExpr, ...] = ()
    length: tuple[Token, ...] = ()
    fields: tuple[tuple[tuple[str, ...], TExpr, bool], ...] = ()


class Parser:
    def __init__(self, tokens: list[Token], pos: int = 0, end: int | None = None):
        self.toks = tokens
        self.pos = pos
        self.end = len(tokens) if end is None else end

    def peek(self, k: int = 0) -> Token | None:
        i = self.pos + k
        return self.toks[i] if i < self.end else None

    def at(self, *texts: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.text in texts and t.kind not in (STRING, CHAR)

    def next(self) -> Token:
        t = self.peek()
        if t is None:
            raise SyntaxIssue("unexpected end")
        self.pos += 1
        return t

    def expect(self, text: str) -> Token:
        t = self.next()
        if t.text != text:
            raise SyntaxIssue(f"expected {text!r}, found {t.text!r}")
        return t

    def skip_balanced(self) -> None:
        """Skip one bracketed group starting at the current token."""
        pairs = {"(": ")", "[": "]", "{": "}"}
        stack: list[str] = []
        while True:
            t = self.next()
            if t.kind not in (STRING, CHAR):
                if t.text in pairs:
                    stack.append(pairs[t.text])
                elif stack and t.text == stack[-1]:
                    stack.pop()
            if not stack:
                return

    def done(self, texpr: TExpr, start: int) -> TExpr:
        kind, _, name, parts, length, fields = texpr
        return TExpr(kind, self.text_from(start), name, parts, length, fields)

    def text_from(self, start: int) -> str:
        return go_text(self.toks[start:self.pos], type_only=True)

    def type_expr(self) -> TExpr:
        start = self.pos
        t = self.next()
        if t.kind == IDENT and t.text not in ("map", "chan", "func", "interface", "struct"):
            name = t.text
            if self.at(".") and (n := self.peek(1)) is not None and n.kind == IDENT:
                self.pos += 2
                name = f"{t.text}.{n.text}"
            args: tuple[TExpr, ...] = ()
            if self.at("["):
                self.next()
                items = [self.type_expr()]
                while self.at(","):
                    self.next()
                    items.append(self.type_expr())
                self.expect("]")
                args = tuple(items)
            return TExpr("name", self.text_from(start), name=name, parts=args)
        if t.text == "*":
            return self.done(TExpr("pointer", "", parts=(self.type_expr(),)), start)
        if t.text == "(":
            inner = self.type_expr()
            self.expect(")")
            return inner
        if t.text == "[":
            if self.at("]"):
                self.next()
                return self.done(TExpr("slice", "", parts=(self.type_expr(),)), start)
            depth = 0
            length: list[Token] = []
            while True:
                tok = self.next()
                if tok.text in ("[", "(", "{"):
                    depth += 1
                elif tok.text in (")", "}"):
                    depth -= 1
                elif tok.text == "]":
                    if depth == 0:
                        break
                    depth -= 1
                length.append(tok)
            elem = self.type_expr()
            return self.done(TExpr("array", "", parts=(elem,), length=tuple(length)), start)
        if t.text == "map":
            self.expect("[")
            key = self.type_expr()
            self.expect("]")
            return self.done(TExpr("map", "", parts=(key, self.type_expr())), start)
        if t.text == "chan" or t.text == "<-":
            if t.text == "<-":
                self.expect("chan")
            elif self.at("<-"):
                self.next()
            return self.done(TExpr("chan", "", parts=(self.type_expr(),)), start)
        if t.text == "func":
            parts = self.signature()
            return self.done(TExpr("func", "", parts=parts), start)
        if t.text == "interface":
            methods, embedded = self.interface_body()
            return self.done(TExpr("interface", "", parts=methods, fields=embedded), start)
        if t.text == "struct":
            return self.done(TExpr("struct", "", fields=self.struct_body()), start)
        raise SyntaxIssue(f"not a type: {t.text!r}")

    def params(self) -> list[TExpr]:
        """A parenthesised parameter list: the types it names."""
        groups, named = self._param_entries()
        types: list[TExpr] = []
        for a, b in groups:
            if named and b - a == 1:
                continue  # a name whose type follows in a later entry
            types.append(self._entry_type(a + 1 if named else a, b))
        return types

    def named_params(self) -> list[tuple[str, TExpr]]:
        """A parenthesised parameter list: (name, type) of each named parameter, `...T` as
        `[]T`; nothing for a list of bare types."""
        groups, named = self._param_entries()
        if not named:
            return []
        found: list[tuple[str, TExpr]] = []
        waiting: list[str] = []  # `a, b int`: names whose type comes with the last of them
        for a, b in groups:
            waiting.append(self.toks[a].text)
            if b - a == 1:
                continue
            texpr = self._entry_type(a + 1, b)
            if self.toks[a + 1].text == "...":
                texpr = TExpr("slice", f"[]{texpr.text}", parts=(texpr,))
            found += [(name, texpr) for name in waiting]
            waiting = []
        return found

    def _entry_type(self, a: int, b: int) -> TExpr:
        sub = Parser(self.toks, a, b)
        if sub.at("..."):
            sub.next()
        texpr = sub.type_expr()
        if sub.pos != b:
            raise SyntaxIssue("unexpected tokens in parameter list")
        return texpr

    def _param_entries(self) -> tuple[list[list[int]], bool]:
        """The comma-separated entries of the parameter list here, as token ranges, and
        whether they name their parameters."""
        self.expect("(")
        groups: list[list[int]] = []
        starts: list[int] = []
        while not self.at(")"):
            starts.append(self.pos)
            entry_start = self.pos
            depth = 0
            while True:
                t = self.peek()
                if t is None:
                    raise SyntaxIssue("unterminated parameters")
                if depth == 0 and t.text in (",", ")"):
                    break
                if t.text in ("(", "[", "{"):
                    depth += 1
                elif t.text in (")", "]", "}"):
                    depth -= 1
                self.pos += 1
            groups.append([entry_start, self.pos])
            if self.at(","):
                self.next()
        self.expect(")")
        return groups, any(self._named_entry(a, b) for a, b in groups)

    def _named_entry(self, a: int, b: int) -> bool:
        """`name T` rather than a bare type; `Name[X]` alone is a generic type."""
        if self.toks[a].kind != IDENT or b - a < 2 or self.toks[a + 1].text == ".":
            return False
        if self.toks[a + 1].text != "[":
            return True
        depth = 0
        for i in range(a + 1, b):
            text = self.toks[i].text
            if text in ("[", "(", "{"):
                depth += 1
            elif text in ("]", ")", "}"):
                depth -= 1
                if depth == 0:
                    return i + 1 < b
        return False

    def signature(self) -> tuple[TExpr, ...]:
        parts = self.params()
        if self.at("("):
            parts += self.params()
        elif (t := self.peek()) is not None and (
                t.kind == IDENT and t.text != "struct" or t.text in ("*", "[", "map", "chan",
                                                                      "func", "struct")):
            parts.append(self.type_expr())
        return tuple(parts)

    def interface_body(self) -> tuple[tuple[TExpr, ...], tuple[tuple[tuple[str, ...], TExpr,
                                                                       bool], ...]]:
        """(the types in its methods' signatures, its embedded interfaces as embedded
        fields). A union or `~T` makes a constraint, which is no value type."""
        self.expect("{")
        parts: list[TExpr] = []
        embedded: list[tuple[tuple[str, ...], TExpr, bool]] = []
        while not self.at("}"):
            if self.at(";"):
                self.next()
                continue
            t = self.peek()
            if t is not None and t.kind == IDENT and self.at("(", k=1):
                self.next()
                parts.extend(self.signature())
                continue
            element = self.type_expr() if t is not None and t.kind == IDENT else None
            if element is None or element.kind != "name" or not self.at(";", "}"):
                raise SyntaxIssue("type constraints are not value types")
            embedded.append(((element.name.split(".")[-1],), element, True))
        self.expect("}")
        return tuple(parts), tuple(embedded)

    def struct_body(self) -> tuple[tuple[tuple[str, ...], TExpr, bool], ...]:
        self.expect("{")
        fields: list[tuple[tuple[str, ...], TExpr, bool]] = []
        while not self.at("}"):
            if self.at(";"):
                self.next()
                continue
            first = self.peek()
            embedded = (first is not None and (
                first.text == "*"
                or (first.kind == IDENT and (self.at(";", "}", k=1) or self.at(".", k=1)
                                             or (self.peek(1) or first).kind == STRING))))
            if embedded:
                texpr = self.type_expr()
                base = texpr.parts[0] if texpr.kind == "pointer" else texpr
                if base.kind != "name":
                    raise SyntaxIssue("embedded field must be a type name")
                fields.append(((base.name.split(".")[-1],), texpr, True))
            else:
                names = [self.next().text]
                while self.at(","):
                    self.next()
                    names.append(self.next().text)
                fields.append((tuple(names), self.type_expr(), False))
            if (t := self.peek()) is not None and t.kind == STRING:
                self.next()  # tag
            if not self.at("}"):
                self.expect(";")
        self.expect("}")
        return tuple(fields)


# ---- declarations -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TypeDecl:
    name: str
    texpr: TExpr | None  # None: generic or unparsable
    alias: bool
    block: int
    line: int  # line in the lesson file
    source: str  # the spec as written (`Name struct {...}`)
    problem: str = ""
    local: bool = False  # declared inside a function body
    at: int = -1  # a local's offset in the block text

    @property
    def signature(self) -> str:
        return " ".join(self.source.split())


@dataclass(frozen=True, slots=True)
class VarDecl:
    name: str
    block: int
    line: int
    texpr: TExpr | None = None  # declared type
    init: tuple[Token, ...] = ()  # initialiser expression tokens
    local: bool = False  # declared inside a function body
    at: int = -1  # a local's offset in the block text


@dataclass(frozen=True, slots=True)
class ConstDecl:
    name: str
    block: int
    value: tuple[Token, ...]


@dataclass(frozen=True, slots=True)
class FuncScope:
    """The named parameters and results of a function with a body, visible between the
    body's braces (`start` .. `end`, offsets into the block text; `lines`, the lesson lines
    the body spans)."""

    params: tuple[VarDecl, ...]
    start: int
    end: int
    lines: range
    generic: bool = False  # has type parameters, or is a method of a generic type


@dataclass
class BlockDecls:
    index: int
    text: str
    line: int  # lesson line of the block's first content line
    headings: tuple[str, ...]
    tokens: list[Token]
    types: list[TypeDecl] = field(default_factory=list)
    vars: list[VarDecl] = field(default_factory=list)
    consts: list[ConstDecl] = field(default_factory=list)
    imports: dict[str, str] = field(default_factory=dict)
    funcs: list[FuncScope] = field(default_factory=list)
    # Where the statement declaring locals at each offset scopes them: worked out when asked.
    _local_scopes: dict[int, tuple[int, int]] = field(default_factory=dict, repr=False)

    def lesson_line(self, tok: Token) -> int:
        return self.line + tok.line

    def params_at(self, offset: int) -> dict[str, VarDecl | str]:
        """The parameters and local variables visible at `offset` in the block text, inner
        functions' last. A local is visible from the end of the statement declaring it to
        the end of the braces around it. A name its function declares twice (a parameter
        declared again, a local declared twice differently) is a reason, not a type: which
        of the two a use means depends on nested blocks this reading does not follow."""
        found: dict[str, VarDecl | str] = {}
        for scope in self.funcs:  # in source order: an enclosing function comes first
            if not scope.start <= offset < scope.end:
                continue
            mine = [v for v in self.vars if v.local and self._owner(v.at) is scope]
            for d in scope.params:
                again = any(v.name == d.name for v in mine)
                found[d.name] = (f"{d.name} is a parameter and is declared again in its "
                                 "function" if again else d)
            by_name: dict[str, list[VarDecl]] = {}
            for v in mine:
                begin, end = self._local_scope(v)
                if begin <= offset < end:
                    by_name.setdefault(v.name, []).append(v)
            for name, decls in by_name.items():
                if name in {d.name for d in scope.params}:
                    continue
                found[name] = (decls[0] if len({_decl_sig(v) for v in decls}) == 1 else
                               f"{name} is declared more than once in its function")
        return found

    def generic_at(self, offset: int) -> bool:
        """True inside the body of a generic function (closures in it too): there a size
        can depend on the type arguments, whatever the names around say."""
        return any(scope.generic and scope.start <= offset < scope.end for scope in self.funcs)

    def _local_scope(self, v: VarDecl) -> tuple[int, int]:
        """The offsets between which the local `v` is in scope: from the end of the
        statement declaring it to the `}` closing the braces around it. A name bound in a
        `for`, `if`, `switch` or `case` header (recorded without a type) is taken as visible
        from where it is written, over the statement's body and on to the end of the
        enclosing braces: longer than Go's scope, and as it carries no type, a use there
        gives no card rather than the type of another variable of that name."""
        known = self._local_scopes.get(v.at)
        if known is None:
            known = self._local_scopes[v.at] = self._statement_scope(v.at)
        begin, end = known
        return (v.at if v.texpr is None and not v.init else begin), end

    def _statement_scope(self, at: int) -> tuple[int, int]:
        """From the end of the statement at offset `at` to the `}` closing the braces
        around it."""
        toks = self.tokens
        stop = _statement_end(Parser(toks, bisect.bisect_left(toks, at, key=_start)))
        close = stop
        depth = 0
        while close < len(toks):
            text = toks[close].text  # a string or rune token keeps its quotes: never a brace
            if text == "{":
                depth += 1
            elif text == "}":
                if depth == 0:
                    break
                depth -= 1
            close += 1
        begin, end = (toks[k].start if k < len(toks) else len(self.text) for k in (stop, close))
        return begin, end

    def _owner(self, at: int) -> FuncScope | None:
        """The innermost function whose body holds offset `at`."""
        owner = None
        for scope in self.funcs:  # an enclosing function comes before the ones inside it
            if scope.start <= at < scope.end:
                owner = scope
        return owner


def _start(tok: Token) -> int:
    return tok.start


def _statement_end(p: Parser) -> int:
    """Index of the `;` ending the statement at p.pos (depth 0), or p.end."""
    depth = 0
    i = p.pos
    while i < p.end:
        t = p.toks[i]
        if t.kind not in (STRING, CHAR):
            if t.text in ("(", "[", "{"):
                depth += 1
            elif t.text in (")", "]", "}"):
                if depth == 0:
                    return i
                depth -= 1
            elif t.text == ";" and depth == 0:
                return i
        i += 1
    return i


def scan_block(index: int, text: str, line: int, headings: tuple[str, ...]) -> BlockDecls:
    toks = tokenize(text)
    blk = BlockDecls(index, text, line, headings, toks)
    depth = _brace_depths(toks)
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == IDENT and t.text in ("type", "var", "const") and (
                i == 0 or toks[i - 1].text in (";", "{", ")", "(", "}")):
            if depth[i]:
                types_before, vars_before = len(blk.types), len(blk.vars)
            p = Parser(toks, i + 1)
            grouped = p.at("(")
            if grouped:
                p.next()
            while True:
                while p.at(";"):
                    p.next()
                if p.peek() is None or (grouped and p.at(")")):
                    break
                spec_start = p.pos
                try:
                    _spec(blk, t.text, p)
                except (SyntaxIssue, RecursionError) as exc:
                    p.pos = spec_start
                    first = toks[spec_start] if spec_start < len(toks) else None
                    if t.text == "type" and first is not None and first.kind == IDENT:
                        end = _statement_end(Parser(toks, spec_start))
                        last = toks[max(spec_start, end - 1)]
                        why = str(exc) if isinstance(exc, SyntaxIssue) else "nested too deeply"
                        blk.types.append(TypeDecl(
                            first.text, None, False, index, blk.lesson_line(first),
                            text[first.start:last.end],
                            f"cannot read the declaration of {first.text}: {why}"))
                p.pos = max(p.pos, spec_start + 1)
                p.pos = _statement_end(p) if not p.at(";", ")") else p.pos
                if not grouped:
                    break
            if depth[i]:  # inside a function: visible there only
                blk.types[types_before:] = [replace(d, local=True, at=t.start)
                                            for d in blk.types[types_before:]]
                blk.vars[vars_before:] = [replace(d, local=True, at=t.start)
                                          for d in blk.vars[vars_before:]]
            i = max(p.pos, i + 1)
            continue
        if t.kind == IDENT and t.text == "import":
            i = _imports(blk, toks, i + 1)
            continue
        if (t.kind == IDENT and i + 1 < len(toks) and toks[i + 1].text == ":="
                and (i == 0 or toks[i - 1].text in (";", "{", "}"))):
            p = Parser(toks, i + 2)
            end = _statement_end(p)
            # Lessons write statements outside functions too: those are the block's.
            blk.vars.append(VarDecl(t.text, index, blk.lesson_line(t), None,
                                    tuple(toks[i + 2:end]), local=depth[i] > 0, at=t.start))
            i += 2  # the value may be a function literal with declarations of its own
            continue
        i += 1
    _header_bindings(blk, depth)
    for i, t in enumerate(toks):
        if t.kind == IDENT and t.text == "func":
            scope = _func_scope(blk, i)
            if scope is not None:
                blk.funcs.append(scope)
    blk.types = [replace(d, texpr=None, problem=f"{d.name} is declared in a generic function: "
                         "its layout depends on the type arguments")
                 if d.local and blk.generic_at(d.at) else d for d in blk.types]
    return blk


def _brace_depths(toks: list[Token]) -> list[int]:
    """How many `{` enclose each token."""
    depths = []
    depth = 0
    for t in toks:
        if t.text == "}" and t.kind not in (STRING, CHAR):
            depth = max(depth - 1, 0)
        depths.append(depth)
        if t.text == "{" and t.kind not in (STRING, CHAR):
            depth += 1
    return depths


def _header_bindings(blk: BlockDecls, depth: list[int]) -> None:
    """Names a `:=` binds where this reading cannot follow their scope or type: several
    names at once, or in a `for`/`range`, `if`, `switch` (type switches too) or `case`
    header. Each is recorded without a type, so that a use of the name gives no card rather
    than the type of another variable of that name."""
    toks = blk.tokens
    for j, t in enumerate(toks):
        if t.text != ":=":
            continue
        names: list[Token] = []
        k = j - 1
        while k >= 0 and toks[k].kind == IDENT:
            names.append(toks[k])
            if k >= 1 and toks[k - 1].text == ",":
                k -= 2
            else:
                break
        starts_statement = k <= 0 or toks[k - 1].text in (";", "{", "}")
        if len(names) == 1 and starts_statement:
            continue  # `x := value`: read by `scan_block` with its value
        for name in names:
            if name.text != "_":
                blk.vars.append(VarDecl(name.text, blk.index, blk.lesson_line(name), None,
                                        local=depth[j] > 0, at=name.start))


def _func_scope(blk: BlockDecls, func_index: int) -> FuncScope | None:
    """The scope of the function declared or written as a literal at `func_index`; None
    for a function type (no body) or a signature this parser does not follow."""
    toks = blk.tokens
    p = Parser(toks, func_index + 1)
    line = blk.lesson_line(toks[func_index])
    try:
        named: list[tuple[str, TExpr]] = []
        generic = False
        if p.at("("):  # a method's receiver, or a function literal's parameters
            named += p.named_params()
            if (t := p.peek()) is not None and t.kind == IDENT and p.at("(", k=1):
                # A method: a receiver such as `*Stack[T]` has type parameters.
                generic = any("[" in texpr.text for _, texpr in named)
                p.next()  # the method's name
                named += p.named_params()
        elif (t := p.peek()) is not None and t.kind == IDENT:  # the function's name
            p.next()
            if p.at("["):
                p.skip_balanced()  # type parameters
                generic = True
            named += p.named_params()
        else:
            return None
        if p.at("("):
            named += p.named_params()  # named results
        elif not p.at("{") and p.peek() is not None:
            p.type_expr()  # one unnamed result
        if not p.at("{"):
            return None
        body = p.pos
        p.skip_balanced()
    except (SyntaxIssue, RecursionError):
        return None
    # In a generic function a parameter's size depends on the instantiation: no type.
    params = tuple(VarDecl(name, blk.index, line, None if generic else texpr)
                   for name, texpr in named if name != "_")
    last = toks[p.pos - 1]
    return FuncScope(params, toks[body].start, last.end,
                     range(blk.lesson_line(toks[body]), blk.lesson_line(last) + 1), generic)


def _imports(blk: BlockDecls, toks: list[Token], i: int) -> int:
    grouped = i < len(toks) and toks[i].text == "("
    if grouped:
        i += 1
    while i < len(toks):
        t = toks[i]
        if t.text == ")" and grouped:
            return i + 1
        if t.kind == STRING:
            path = t.text.strip('"`')
            name = path.rsplit("/", 1)[-1]
            if i > 0 and toks[i - 1].kind == IDENT and toks[i - 1].text != "import":
                name = toks[i - 1].text
            if name not in ("_", "."):
                blk.imports[name] = path
            if not grouped:
                return i + 1
        i += 1
    return i


def _spec(blk: BlockDecls, keyword: str, p: Parser) -> None:
    first = p.next()
    if first.kind != IDENT:
        raise SyntaxIssue("expected a name")
    line = blk.lesson_line(first)
    if keyword == "type":
        n, n2 = p.peek(1), p.peek(2)
        generic = (p.at("[") and n is not None and n.kind == IDENT and n2 is not None
                   and (n2.kind == IDENT or n2.text in (",", "~")))
        if generic:
            p.skip_balanced()
            end = _statement_end(p)
            src = blk.text[first.start:p.toks[end - 1].end]
            blk.types.append(TypeDecl(first.text, None, False, blk.index, line, src,
                                      f"{first.text} is generic"))
            p.pos = end
            return
        alias = p.at("=")
        if alias:
            p.next()
        spec_type = p.type_expr()
        src = blk.text[first.start:p.toks[p.pos - 1].end]
        blk.types.append(TypeDecl(first.text, spec_type, alias, blk.index, line, src))
        return
    names = [first.text]
    while p.at(","):
        p.next()
        names.append(p.next().text)
    texpr: TExpr | None = None
    if not p.at("=", ";", ")"):
        texpr = p.type_expr()
    init: tuple[Token, ...] = ()
    if p.at("="):
        p.next()
        end = _statement_end(p)
        init = tuple(p.toks[p.pos:end])
        p.pos = end
    if keyword == "const":
        if len(names) == 1 and init:
            blk.consts.append(ConstDecl(names[0], blk.index, init))
        return
    for name in names:
        blk.vars.append(VarDecl(name, blk.index, line, texpr, init if len(names) == 1 else ()))


# ---- resolution ---------------------------------------------------------------------

_AMBIGUOUS = object()


@dataclass
class Env:
    """The names visible from one code block: its own declarations first, then those of
    the lesson's other blocks where every declaration of the name agrees."""

    types: dict[str, TypeDecl | str]  # str: why the name cannot be used
    consts: dict[str, ConstDecl | str]
    vars: dict[str, VarDecl | str]
    imports: dict[str, str] = field(default_factory=dict)  # package name -> import path
    refs: set[str] = field(default_factory=set)  # library names seen through indirection
    _memo: dict[str, GoType | Unresolved] = field(default_factory=dict)
    _busy: set[str] = field(default_factory=set)
    _var_busy: set[str] = field(default_factory=set)
    # Declared types seen through a pointer while a named type is being worked out: they
    # are checked once the outermost one is done, so `type A struct{ p *B }` with
    # `type B struct{ a A }` is not taken for a type containing itself.
    _deferred: list[TExpr] | None = None
    # Without the locals `with_locals` added: where a package-level variable's value is typed.
    _package: Env | None = None

    @property
    def signature(self) -> tuple[str, ...]:
        return tuple(sorted(f"{n}={d.signature}" for n, d in self.types.items()
                            if isinstance(d, TypeDecl)))

    # types

    def named(self, name: str) -> GoType:
        decl = self.types.get(name)
        if decl is None:
            raise Unresolved(f"unknown type {name}")
        if isinstance(decl, str):
            raise Unresolved(decl)
        if decl.texpr is None:
            raise Unresolved(decl.problem or f"cannot read the declaration of {name}")
        if name in self._memo:
            hit = self._memo[name]
            if isinstance(hit, Unresolved):
                raise hit
            return hit
        if name in self._busy:
            raise Unresolved(f"{name} contains itself")
        deferred: list[TExpr] | None = None
        if self._deferred is None:  # the outermost named type being worked out
            deferred = self._deferred = []
        self._busy.add(name)
        try:
            under = self.resolve(decl.texpr)
            result: GoType = under if decl.alias else Named(name, under)
        except Unresolved as exc:
            self._memo[name] = exc
            raise
        finally:
            self._busy.discard(name)
            if deferred is not None:
                self._deferred = None
        self._memo[name] = result
        if deferred is not None:
            self._check_deferred(name, deferred)
        return result

    def _check_deferred(self, name: str, deferred: list[TExpr]) -> None:
        """Resolve the pointer targets put off while `name` was worked out. If one fails,
        so do `name` and every type worked out since."""
        before = set(self._memo) - {name}
        try:
            for texpr in deferred:
                self.resolve(texpr)
        except Unresolved as exc:
            for key in set(self._memo) - before:
                self._memo[key] = exc
            raise

    def check_ref(self, texpr: TExpr) -> None:
        """A type seen through a pointer-like indirection: only needs to exist. A library
        type from a package the lesson imports qualifies without a known layout."""
        if texpr.kind == "name" and texpr.name in self._busy:
            return
        if self._deferred is not None and texpr.kind == "name" and texpr.name in self.types:
            self._deferred.append(texpr)
            return
        if texpr.kind == "name" and "." in texpr.name and not texpr.parts:
            alias = texpr.name.split(".")[0]
            if texpr.name not in LIBRARY_TYPES and alias in self.imports:
                self.refs.add(texpr.name)
                return
        if texpr.kind == "pointer":
            self.check_ref(texpr.parts[0])
            return
        self.resolve(texpr)

    def resolve(self, texpr: TExpr) -> GoType:
        kind = texpr.kind
        if kind == "name":
            name = texpr.name
            if "." in name:
                return self._library(texpr)
            if texpr.parts:
                raise Unresolved(f"generic type {texpr.text}")
            if name in self.types:
                return self.named(name)
            if name in BASIC_NAMES:
                return Basic(name)
            if name in ("any", "error"):
                return Words(name, "interface", 2)
            raise Unresolved(f"unknown type {name}")
        if kind == "pointer":
            target = texpr.parts[0]
            self.check_ref(target)
            return Words(texpr.text, "pointer", 1, elem=self._lazy(target))
        if kind == "slice":
            self.check_ref(texpr.parts[0])
            return Words(texpr.text, "slice", 3, elem=self._lazy(texpr.parts[0]))
        if kind == "map":
            for part in texpr.parts:
                self.check_ref(part)
            return Words(texpr.text, "map", 1, elem=self._lazy(texpr.parts[1]))
        if kind == "chan":
            self.check_ref(texpr.parts[0])
            return Words(texpr.text, "chan", 1)
        if kind == "func":
            for part in texpr.parts:
                self.check_ref(part)
            return Words(texpr.text, "func", 1)
        if kind == "interface":
            for part in texpr.parts:
                self.check_ref(part)
            for _names, element, _embedded in texpr.fields:
                self._embedded_interface(element)
            return Words(texpr.text, "interface", 2)
        if kind == "array":
            return Array(self.resolve(texpr.parts[0]), self.array_length(texpr.length))
        if kind == "struct":
            fields: list[Field] = []
            for names, ftexpr, embedded in texpr.fields:
                ftype = self.resolve(ftexpr)
                fields.extend(Field(n, ftype, embedded) for n in names)
            return Struct(tuple(fields))
        raise Unresolved(f"unsupported type {texpr.text}")

    def _lazy(self, texpr: TExpr) -> Callable[[], GoType]:
        return lambda: self.resolve(texpr)

    def _embedded_interface(self, texpr: TExpr) -> None:
        """A type embedded in an interface must be an interface too: embedding `int` or a
        struct type makes the interface a constraint, which is no value type."""
        name = texpr.name
        if name in ("any", "error"):
            return
        if "." in name:
            # Another package's interface (were it a constraint, `srs verify` would fail).
            package = name.split(".")[0]
            if package not in self.imports and package not in STD_IMPORTS:
                raise Unresolved(f"the package of {name} is not imported")
            self.refs.add(name)
            return
        constraint = f"an interface embedding {texpr.text} is a type constraint, not a value type"
        if texpr.parts or name not in self.types:
            known = texpr.parts or name in BASIC_NAMES or name == "comparable"
            raise Unresolved(constraint if known else f"unknown type {name}")
        named = self.named(name)
        under = named.under if isinstance(named, Named) else named
        if not (isinstance(under, Words) and under.what == "interface"):
            raise Unresolved(constraint)

    def _library(self, texpr: TExpr) -> GoType:
        name = texpr.name
        package = name.split(".")[0]
        standard = STD_IMPORTS.get(package)
        if standard is not None and self.imports.get(package, standard) != standard:
            # `import "go.uber.org/atomic"`: another package's types of the same names.
            raise Unresolved(f"{name} comes from {self.imports[package]}, whose layouts are "
                             "not known here")
        known = LIBRARY_TYPES.get(name)
        if known is None:
            if name == "unsafe.Pointer":
                return Words(name, "pointer", 1)
            raise Unresolved(f"the layout of {name} is not known here")
        if name == "atomic.Pointer":
            if len(texpr.parts) != 1:
                raise Unresolved("atomic.Pointer needs one type argument")
            self.check_ref(texpr.parts[0])
        elif texpr.parts:
            raise Unresolved(f"{name} takes no type arguments")
        if name.split(".")[0] not in PACKAGE_PATHS:
            self.refs.add(name)
        on64, on32, note = known
        return Opaque(texpr.text, on64, on32, note)

    def const_value(self, toks: tuple[Token, ...]) -> int:
        """The value of an integer constant expression (an array length, a constant)."""
        return _ConstEval(self, list(toks)).run()

    def array_length(self, toks: tuple[Token, ...]) -> int:
        value = self.const_value(toks)
        if value < 0:
            raise Unresolved("negative array length")
        return value

    # variables

    def with_locals(self, decls: dict[str, VarDecl | str]) -> Env:
        """This environment with `decls` (a function's parameters) over its variables."""
        if not decls:
            return self
        return Env(types=self.types, consts=self.consts, vars={**self.vars, **decls},
                   imports=self.imports, refs=self.refs, _memo=self._memo,
                   _package=self._package or self)

    def var_type(self, name: str) -> GoType:
        decl = self.vars.get(name)
        if decl is None:
            raise Unresolved(f"unknown variable {name}")
        if isinstance(decl, str):
            raise Unresolved(decl)
        if decl.texpr is not None:
            return self.resolve(decl.texpr)
        if not decl.init or name in self._var_busy:
            raise Unresolved(f"cannot tell the type of {name}")
        # A package-level variable's value names what the package sees, not a function's
        # locals of the same names.
        scope = self._package if self._package is not None and not decl.local else self
        self._var_busy.add(name)
        try:
            return type_of(list(decl.init), scope)
        finally:
            self._var_busy.discard(name)


class _ConstEval:
    """Integer constant expressions in array lengths: literals, constants, + - * / % << >>
    & | and parentheses."""

    BINARY = {"|": 1, "+": 1, "-": 1, "^": 1, "*": 2, "/": 2, "%": 2, "<<": 2, ">>": 2,
              "&": 2}

    def __init__(self, env: Env, toks: list[Token]):
        self.env = env
        self.toks = toks
        self.pos = 0

    def run(self) -> int:
        value = self.expr(0)
        if self.pos != len(self.toks):
            raise Unresolved("array length is not a constant this model evaluates")
        return value

    def expr(self, min_prec: int) -> int:
        left = self.unary()
        while self.pos < len(self.toks):
            op = self.toks[self.pos].text
            prec = self.BINARY.get(op)
            if prec is None or prec < min_prec or self.toks[self.pos].kind != "op":
                break
            self.pos += 1
            right = self.expr(prec + 1)
            left = _apply(op, left, right)
        return left

    def unary(self) -> int:
        if self.pos >= len(self.toks):
            raise Unresolved("empty array length")
        t = self.toks[self.pos]
        self.pos += 1
        if t.kind == INT:
            try:
                return go_int(t.text)
            except ValueError:
                raise Unresolved(f"{t.text} is not an integer Go reads") from None
        if t.text == "(" and t.kind == "op":
            v = self.expr(0)
            if self.pos >= len(self.toks) or self.toks[self.pos].text != ")":
                raise Unresolved("unbalanced array length")
            self.pos += 1
            return v
        if t.text == "-" and t.kind == "op":
            return -self.unary()
        if t.text == "+" and t.kind == "op":
            return self.unary()
        if t.kind == IDENT:
            decl = self.env.consts.get(t.text)
            if decl is None:
                raise Unresolved(f"unknown constant {t.text}")
            if isinstance(decl, str):
                raise Unresolved(decl)
            if t.text in self.env._busy:
                raise Unresolved(f"constant {t.text} refers to itself")
            self.env._busy.add(t.text)
            try:
                return self.env.const_value(decl.value)
            finally:
                self.env._busy.discard(t.text)
        raise Unresolved(f"array length uses {t.text!r}")


def _apply(op: str, a: int, b: int) -> int:
    if op in ("/", "%") and b == 0:
        raise Unresolved("division by zero in an array length")
    if op in ("<<", ">>") and (b < 0 or b > 64):
        raise Unresolved("shift out of range in an array length")
    # Go's integer division truncates toward zero; Python's `//` floors, and `a / b`
    # would round through a float.
    quotient = (abs(a) // abs(b) if (a >= 0) == (b >= 0) else -(abs(a) // abs(b))) if b else 0
    return {
        "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
        "/": lambda: quotient, "%": lambda: a - quotient * b, "<<": lambda: a << b,
        ">>": lambda: a >> b, "&": lambda: a & b, "|": lambda: a | b, "^": lambda: a ^ b,
    }[op]()


def build_envs(blocks: list[BlockDecls]) -> list[Env]:
    """One environment per block."""
    def merge(kind: str, what: str) -> list[dict[str, object]]:
        lesson_wide: dict[str, list[object]] = {}
        per_block: list[dict[str, list[object]]] = []
        for blk in blocks:
            own: dict[str, list[object]] = {}
            for d in getattr(blk, kind):
                if kind == "vars" and d.local:
                    continue  # seen only inside its function: `BlockDecls.params_at`
                own.setdefault(d.name, []).append(d)
                lesson_wide.setdefault(d.name, []).append(d)
            per_block.append(own)

        def pick(name: str, decls: list[object]) -> object:
            if len(decls) == 1:
                return decls[0]
            sigs = {_decl_sig(d) for d in decls}
            if len(sigs) == 1:
                return decls[0]
            return f"{what} {name} is declared differently in several places"

        shared = {n: pick(n, ds) for n, ds in lesson_wide.items()}
        # A name declared inside a function and differently elsewhere: a block's own
        # declaration must not stand for every use in the block, as it may be another
        # function's.
        scoped = {n: f"{what} {n} is declared inside a function and differently elsewhere"
                  for n, ds in lesson_wide.items()
                  if any(getattr(d, "local", False) for d in ds)
                  and len({_decl_sig(d) for d in ds}) > 1}
        envs = []
        for own in per_block:
            visible = dict(shared)
            visible.update({n: pick(n, ds) for n, ds in own.items()})
            visible.update(scoped)
            envs.append(visible)
        return envs

    types = merge("types", "type")
    consts = merge("consts", "constant")
    vars_ = merge("vars", "variable")
    imports = dict(STD_IMPORTS)
    for blk in blocks:
        imports.update(blk.imports)
    return [Env(types=t, consts=c, vars=v, imports=dict(imports))  # type: ignore[arg-type]
            for t, c, v in zip(types, consts, vars_, strict=True)]


def _decl_sig(d: object) -> str:
    if isinstance(d, TypeDecl):
        return d.signature
    if isinstance(d, ConstDecl):
        return " ".join(t.text for t in d.value)
    assert isinstance(d, VarDecl)
    return (d.texpr.text if d.texpr else "") + "=" + " ".join(t.text for t in d.init)


# ---- expressions --------------------------------------------------------------------

def type_of(toks: list[Token], env: Env) -> GoType:
    """The type of an operand expression (defaults for untyped constants)."""
    p = Parser(toks)
    t = _Expr(p, env).primary()
    if p.pos != p.end:
        raise Unresolved("only single operands are understood, not operators")
    return t


@dataclass
class Selection:
    """`base.field` resolved: the struct holding the field and the field's name."""

    struct: Struct
    name: str
    base_text: str
    base: GoType


# The type an untyped constant takes when nothing else decides it.
_LITERAL_DEFAULT_TYPE = {INT: "int", FLOAT: "float64", IMAG: "complex128", CHAR: "rune",
                         STRING: "string"}


class _Expr:
    def __init__(self, p: Parser, env: Env):
        self.p = p
        self.env = env
        self.last_selection: Selection | None = None

    def primary(self) -> GoType:
        p = self.p
        start = p.pos
        t = p.peek()
        if t is None:
            raise Unresolved("empty expression")
        result: GoType
        if t.kind in _LITERAL_DEFAULT_TYPE:
            p.next()
            result = Basic(_LITERAL_DEFAULT_TYPE[t.kind])
        elif t.text == "&":
            p.next()
            inner = self.primary()
            result = Words("*" + inner.go, "pointer", 1, elem=lambda: inner)
            return result
        elif t.text == "*":
            p.next()
            inner = self.primary()
            return _deref(inner)
        elif t.text == "(":
            result = self._paren()
        elif t.kind == IDENT and t.text in ("true", "false"):
            p.next()
            result = Basic("bool")
        elif t.kind == IDENT and t.text in ("new", "make") and p.at("(", k=1):
            p.next()
            p.next()
            texpr = p.type_expr()
            resolved = self.env.resolve(texpr)
            p.pos = start + 1
            p.skip_balanced()
            result = (Words("*" + resolved.go, "pointer", 1, elem=lambda: resolved)
                      if t.text == "new" else resolved)
        elif t.kind == IDENT and t.text in ("len", "cap") and p.at("(", k=1):
            p.next()
            p.skip_balanced()
            result = Basic("int")
        elif (t.kind == IDENT and t.text in ("complex", "real", "imag") and p.at("(", k=1)
              and t.text not in self.env.vars):
            result = self._complex_builtin(t.text)
        elif t.kind == IDENT and t.text in self.env.vars and not self._type_use():
            p.next()
            result = self.env.var_type(t.text)
        elif t.kind == IDENT or t.text == "[":
            result = self._typed_operand()
        else:
            raise Unresolved(f"cannot type an operand starting with {t.text!r}")
        return self.postfix(result, start)

    def _complex_builtin(self, name: str) -> GoType:
        """`complex(re, im)`: complex64 from float32 parts, else complex128 (untyped
        constants default to it); `real(c)`, `imag(c)`: float32 from a complex64, else
        float64."""
        p = self.p
        p.next()
        p.expect("(")
        args = [self.primary()]
        while p.at(","):
            p.next()
            args.append(self.primary())
        p.expect(")")
        if len(args) != (2 if name == "complex" else 1):
            raise Unresolved(f"{name} takes {'two arguments' if name == 'complex' else 'one'}")
        gos = {arg.go for arg in args}
        if name == "complex":
            return Basic("complex64" if "float32" in gos else "complex128")
        return Basic("float32" if "complex64" in gos else "float64")

    def _type_use(self) -> bool:
        """`Name{` or `Name(`, with Name a declared type, is a literal or conversion."""
        p = self.p
        t = p.peek()
        assert t is not None
        return t.text in self.env.types and p.at("{", "(", k=1)

    def _paren(self) -> GoType:
        p = self.p
        save = p.pos
        p.next()
        try:
            texpr = p.type_expr()
            if p.at(")") and p.at("(", k=1):
                p.next()
                p.skip_balanced()
                return self.env.resolve(texpr)
        except SyntaxIssue:
            pass
        p.pos = save + 1
        inner = self.primary()
        p.expect(")")
        return inner

    def _typed_operand(self) -> GoType:
        p = self.p
        try:
            texpr = p.type_expr()
        except SyntaxIssue as exc:
            raise Unresolved(str(exc)) from None
        if texpr.name in ("unsafe.Sizeof", "unsafe.Alignof", "unsafe.Offsetof") and p.at("("):
            p.skip_balanced()
            return Basic("uintptr")
        if not p.at("{", "("):
            raise Unresolved(f"{texpr.text} is neither a known variable nor a literal")
        p.skip_balanced()
        return self.env.resolve(texpr)

    def postfix(self, current: GoType, start: int) -> GoType:
        p = self.p
        while True:
            if p.at("."):
                p.next()
                name = p.next().text
                base = current
                target = underlying(current)
                if isinstance(target, Words) and target.what == "pointer" and target.elem:
                    target = underlying(target.elem())
                if not isinstance(target, Struct):
                    raise Unresolved(f"{name} is selected from a non-struct")
                hit = target.field(name)
                if hit is None:
                    raise Unresolved(_no_field(target, name))
                self.last_selection = Selection(target, name, p.text_from(start), base)
                current = hit[1].type
            elif p.at("["):
                self.last_selection = None
                opened = p.pos
                p.skip_balanced()
                if _has_top_level_colon(p.toks[opened + 1:p.pos - 1]):
                    raise Unresolved("slice expressions are not typed here")
                target = underlying(current)
                if isinstance(target, Array):
                    current = target.elem
                elif isinstance(target, Words) and target.what in ("slice", "map") and target.elem:
                    current = target.elem()
                elif isinstance(target, Basic) and target.go == "string":
                    current = Basic("byte")
                else:
                    raise Unresolved("cannot index this operand")
            elif p.at("("):
                raise Unresolved("function results are not typed here")
            else:
                return current


def _no_field(struct: Struct, name: str) -> str:
    """Why `name` cannot be selected from `struct`'s own memory."""
    for f in struct.fields:
        inner = underlying(f.type)
        if f.embedded and isinstance(inner, Words) and inner.what == "pointer" and inner.elem:
            target = underlying(inner.elem())
            if isinstance(target, Struct) and target.field(name) is not None:
                return (f"{name} is reached through the embedded pointer {f.name}: it is not "
                        "in the struct's own memory (unsafe.Offsetof does not take it)")
    return f"no field {name}"


def _has_top_level_colon(toks: list[Token]) -> bool:
    depth = 0
    for t in toks:
        if t.kind in (STRING, CHAR):
            continue
        if t.text in ("(", "[", "{"):
            depth += 1
        elif t.text in (")", "]", "}"):
            depth -= 1
        elif t.text == ":" and depth == 0:
            return True
    return False


def _deref(t: GoType) -> GoType:
    target = underlying(t)
    if isinstance(target, Words) and target.what == "pointer" and target.elem:
        return target.elem()
    raise Unresolved("cannot dereference this operand")


def selection_of(toks: list[Token], env: Env) -> Selection:
    """The field selection of an `Offsetof` argument such as `T{}.F` or `x.a.F`."""
    p = Parser(toks)
    e = _Expr(p, env)
    e.primary()
    if p.pos != p.end or e.last_selection is None:
        raise Unresolved("Offsetof needs a field selector such as T{}.F")
    return e.last_selection
