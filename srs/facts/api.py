"""What library calls do and return, in our own words: `sync/atomic`, `unsafe`, and
`syscall.Mmap`/`Munmap` with their protection and mapping flags.

`describe(call)` turns one call found in a lesson into the answer of its card, using the
call's own arguments ("stores 20 and returns true only if counter is 10 ...").
`atomic_receiver` tells whether a method call such as `s.hits.Add(1)` is made on a
`sync/atomic` value at all: a method name alone says nothing (`big.Int` has `Add`,
`sync.Map` has `Store` and `Swap`), and a card that describes another type's method as an
atomic operation teaches something false, so only a receiver whose declared type leads to
an atomic type gets one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from srs.facts.golex import IDENT, Token
from srs.facts.gotypes import BlockDecls, Env, Parser, SyntaxIssue, TExpr, TypeDecl, VarDecl

SEQ_CST = ("Like every operation in sync/atomic it is sequentially consistent under the Go "
           "memory model: all goroutines observe atomic operations in one total order, and a "
           "load that sees a store also sees everything written before that store.")

ATOMIC_SCALARS = ("Int32", "Int64", "Uint32", "Uint64", "Uintptr")
ATOMIC_GO_TYPE = {"Int32": "int32", "Int64": "int64", "Uint32": "uint32", "Uint64": "uint64",
                  "Uintptr": "uintptr", "Pointer": "unsafe.Pointer", "Bool": "bool"}


@dataclass(frozen=True, slots=True)
class Call:
    """A call as written: `api` like `atomic.CompareAndSwapInt64` or `atomic.Int64.Add`;
    `receiver` the value a method is called on; `args` the argument texts."""

    api: str
    args: tuple[str, ...]
    receiver: str = ""


def _target(addr: str) -> str:
    """`&counter` reads as `counter`; any other address expression as `*addr`."""
    addr = addr.strip()
    if addr.startswith("&") and "(" not in addr:
        return addr[1:].strip()
    return f"*{addr}"


def _arg(call: Call, i: int, fallback: str) -> str:
    return call.args[i].strip() if i < len(call.args) else fallback


def _a(word: str) -> str:
    """`word` with its indefinite article: "an int64", "a uint32" (said "you-int")."""
    vowel = word[:1] in "aeiou" and not word.startswith("uint")
    return f"{'an' if vowel else 'a'} {word}"


def _bytes(count: str) -> str:
    """`count` (an argument as written) followed by "byte" or "bytes"."""
    return f"{count} byte" if count.strip() == "1" else f"{count} bytes"


def _package(call: Call) -> str:
    """The package the call is written with (`unix` for `unix.Munmap`), so a card names
    the functions of that package, not of another one with the same names."""
    return call.api.split(".", 1)[0]


def _atomic_function(op: str, kind: str) -> Callable[[Call], str]:
    go = ATOMIC_GO_TYPE[kind]

    def describe(call: Call) -> str:
        v = _target(_arg(call, 0, "addr"))
        if op == "Add":
            d = _arg(call, 1, "delta")
            text = (f"Atomically adds {d} to {v} ({_a(go)}, wrapping on overflow) and "
                    f"returns the new value, {v} after the addition.")
            if kind.startswith("Uint"):
                text += (f" To subtract c from an unsigned value, pass ^{go}(c-1) "
                         "(two's complement), since the delta is unsigned.")
        elif op == "Load":
            text = (f"Atomically reads {v} and returns its value; it never sees a torn, "
                    "half-written value.")
        elif op == "Store":
            text = (f"Atomically writes {_arg(call, 1, 'val')} into {v}; it returns nothing.")
        elif op == "Swap":
            text = (f"Atomically writes {_arg(call, 1, 'new')} into {v} and returns the "
                    "value it held just before.")
        elif op == "CompareAndSwap":
            old, new = _arg(call, 1, "old"), _arg(call, 2, "new")
            text = (f"Stores {new} into {v} and returns true only if {v} equals {old} at that "
                    f"instant; otherwise it changes nothing and returns false. "
                    "Loops retry it until it succeeds.")
        elif op == "And":
            text = (f"Atomically replaces {v} with {v} & {_arg(call, 1, 'mask')} and returns "
                    "the old value (Go 1.23 and later).")
        else:  # Or
            text = (f"Atomically replaces {v} with {v} | {_arg(call, 1, 'mask')} and returns "
                    "the old value (Go 1.23 and later).")
        if kind in ("Int64", "Uint64"):
            text += (f" On 386, 32-bit ARM and 32-bit MIPS the {go} it points to must be "
                     "8-byte aligned; the first word of a variable, or of an allocated struct, "
                     "array or slice, is.")
        return f"{text} {SEQ_CST}"

    return describe


def _atomic_method(kind: str, op: str) -> Callable[[Call], str]:
    go = ATOMIC_GO_TYPE.get(kind, "value")

    def describe(call: Call) -> str:
        r = call.receiver or "x"
        if op == "Add":
            text = (f"Atomically adds {_arg(call, 0, 'delta')} to {r} and returns the new "
                    "value.")
        elif op == "Load":
            text = f"Atomically reads {r} and returns the {go} it holds."
            if kind == "Value":
                text = (f"Returns the value most recently stored in {r}, as an any, or nil "
                        "if nothing was ever stored.")
            if kind == "Pointer":
                text = f"Atomically reads {r} and returns the *T it holds (nil at first)."
        elif op == "Store":
            text = f"Atomically sets {r} to {_arg(call, 0, 'val')}; it returns nothing."
            if kind == "Value":
                text += (" Storing nil panics, and every store must use the same concrete "
                         "type as the first, or it panics.")
        elif op == "Swap":
            text = (f"Atomically sets {r} to {_arg(call, 0, 'new')} and returns the value it "
                    "held before.")
            if kind == "Value":
                text += " The old value is nil if nothing was stored yet."
        elif op == "CompareAndSwap":
            old, new = _arg(call, 0, "old"), _arg(call, 1, "new")
            text = (f"Sets {r} to {new} and returns true only if it holds {old} at that "
                    "instant; otherwise it changes nothing and returns false.")
            if kind == "Value":
                text += " The comparison uses ==, so old must be of a comparable type."
        elif op == "And":
            text = (f"Atomically replaces {r} with {r} & {_arg(call, 0, 'mask')} and returns "
                    "the old value (Go 1.23 and later).")
        else:
            text = (f"Atomically replaces {r} with {r} | {_arg(call, 0, 'mask')} and returns "
                    "the old value (Go 1.23 and later).")
        if kind in ("Int64", "Uint64") and op != "And" and op != "Or":
            text += (f" atomic.{kind} is 8-byte aligned on every target, 386 included, so it "
                     "needs no manual alignment.")
        note = " It must not be copied after first use."
        return f"{text}{note} {SEQ_CST}"

    return describe


def _unsafe_pointer(call: Call) -> str:
    a = _arg(call, 0, "p")
    return (f"Converts {a} into an unsafe.Pointer, an untyped pointer the compiler no longer "
            "checks. The conversions Go promises to work: *T1 to Pointer to *T2 when T2 is no "
            "larger than T1 and the memory layouts are compatible; Pointer to uintptr, which "
            "is only a number (the garbage collector does not keep the object alive or update "
            "it); Pointer to uintptr, arithmetic and back to Pointer in one expression, "
            "staying inside the same object; uintptr arguments to syscall.Syscall written in "
            "the call itself; the result of reflect.Value.Pointer or UnsafeAddr converted "
            "immediately; and the Data field of reflect.SliceHeader/StringHeader. Storing a "
            "uintptr and converting it back later is invalid.")


def _unsafe_compile_time(name: str) -> Callable[[Call], str]:
    what = {
        "Sizeof": "the number of bytes a value of that type occupies, including padding, "
                  "but never the memory it refers to (a slice is its header, a string its "
                  "pointer and length)",
        "Alignof": "the alignment the type requires: addresses of such values are multiples "
                   "of it (for a struct field, the field's alignment)",
        "Offsetof": "the byte offset of the selected field from the start of the struct "
                    "the selector's operand denotes (itself or, for a pointer, what it points "
                    "to); a field promoted through embedding must be reachable without "
                    "passing through an embedded pointer",
    }[name]

    def describe(call: Call) -> str:
        a = _arg(call, 0, "x")
        return (f"unsafe.{name}({a}) returns {what}. It is a uintptr constant computed at "
                f"compile time from the static type of {a} (unless that type involves a type "
                "parameter of variable size); the expression is not evaluated, "
                "and the result can differ between GOARCH values (int and pointers are 8 "
                "bytes on amd64 and arm64, 4 on 386 and arm).")

    return describe


def _unsafe_add(call: Call) -> str:
    p, n = _arg(call, 0, "ptr"), _arg(call, 1, "len")
    return (f"Returns the unsafe.Pointer {p} advanced by {_bytes(n)}, like "
            f"Pointer(uintptr({p}) + uintptr({n})) but without leaving Pointer. The result "
            "must still point into the same allocated object (Go 1.17 and later).")


def _unsafe_slice(call: Call) -> str:
    p, n = _arg(call, 0, "ptr"), _arg(call, 1, "len")
    return (f"Returns a []T whose backing array starts at {p} (a *T) with length and capacity "
            f"{n}. If {p} is nil and {n} is zero it returns nil; a nil pointer with a non-zero "
            "length, or a negative length, panics (Go 1.17 and later).")


def _unsafe_string(call: Call) -> str:
    p, n = _arg(call, 0, "ptr"), _arg(call, 1, "len")
    return (f"Returns a string of {_bytes(n)} that shares the memory at {p} (a *byte) instead of "
            "copying it. Strings are immutable, so those bytes must not be modified while the "
            "string is in use (Go 1.20 and later).")


def _unsafe_string_data(call: Call) -> str:
    s = _arg(call, 0, "str")
    return (f"Returns a *byte pointing at the bytes of {s} without copying. For an empty "
            "string the result is unspecified and may be nil. The bytes must not be written "
            "through it (Go 1.20 and later).")


def _unsafe_slice_data(call: Call) -> str:
    s = _arg(call, 0, "slice")
    return (f"Returns a pointer to the first element of the backing array of {s}: "
            f"&{s}[:1][0] when its capacity is positive, nil when {s} is nil, and some non-nil "
            "pointer to an unspecified address for a non-nil empty slice (Go 1.20 and later).")


PROT_FLAGS = {
    "PROT_READ": "pages may be read",
    "PROT_WRITE": "pages may be written",
    "PROT_EXEC": "pages may be executed",
    "PROT_NONE": "pages may not be accessed at all",
}
MAP_FLAGS = {
    "MAP_SHARED": "writes go to the file and are seen by every process mapping it",
    "MAP_PRIVATE": "copy-on-write: writes stay private to this process and never reach the "
                   "file",
    "MAP_ANON": "no file behind it: zero-filled memory (fd is ignored, pass -1)",
    "MAP_ANONYMOUS": "no file behind it: zero-filled memory (fd is ignored, pass -1)",
    "MAP_FIXED": "place the mapping exactly at the requested address, replacing what was there",
    "MAP_POPULATE": "fault all pages in up front instead of on first touch (Linux)",
    "MAP_NORESERVE": "do not reserve swap space for the mapping",
}


FLAGS = {**PROT_FLAGS, **MAP_FLAGS}


def _flag(name: str) -> Callable[[Call], str]:
    where = "protection (prot)" if name.startswith("PROT_") else "flags"
    combine = ("Combine protections with |, e.g. PROT_READ|PROT_WRITE."
               if name.startswith("PROT_") else
               "Exactly one of MAP_SHARED and MAP_PRIVATE is required; others are or-ed in.")
    return lambda call: (f"In the {where} argument of {_package(call)}.Mmap, {name} means: "
                         f"{FLAGS[name]}. {combine}")


def _flags(expr: str, table: dict[str, str]) -> list[str]:
    out = []
    for name, meaning in table.items():
        if any(part.strip().split(".")[-1] == name for part in expr.replace("|", " ").split()):
            out.append(f"{name}: {meaning}")
    return out


def _mmap(call: Call) -> str:
    fd, off, n = _arg(call, 0, "fd"), _arg(call, 1, "offset"), _arg(call, 2, "length")
    prot, flags = _arg(call, 3, "prot"), _arg(call, 4, "flags")
    explained = _flags(prot, PROT_FLAGS) + _flags(flags, MAP_FLAGS)
    text = (f"Maps {_bytes(n)} of the file open as {fd}, starting at offset {off} (a multiple "
            "of the page size), into the process's memory and returns them as a []byte "
            "backed by the mapping, plus an error (a syscall.Errno) on failure. ")
    if explained:
        text += "Here: " + "; ".join(explained) + ". "
    text += ("Writing to a read-only mapping faults (SIGSEGV), and touching a page wholly past "
             "the end of the file raises SIGBUS (the rest of the last, partial page reads as "
             "zeros). The mapping stays valid after the file is closed and "
             f"is released only by {_package(call)}.Munmap on the returned slice.")
    return text


def _munmap(call: Call) -> str:
    b = _arg(call, 0, "b")
    pkg = _package(call)
    sync = ("unix.Msync forces it" if pkg == "unix" else
            "unix.Msync from golang.org/x/sys/unix forces it; package syscall has no Msync")
    return (f"Removes the mapping behind {b} (the exact slice {pkg}.Mmap returned) and "
            "returns an error or nil. A later access through the slice, or a string or "
            "pointer derived from it, usually faults (SIGSEGV, a fatal error); if the address "
            "range has been mapped again since, it silently reads or overwrites that memory. "
            f"With MAP_SHARED, dirty pages reach the file eventually ({sync}).")


def _registry() -> dict[str, Callable[[Call], str]]:
    reg: dict[str, Callable[[Call], str]] = {}
    for kind in (*ATOMIC_SCALARS, "Pointer"):
        ops = ["Load", "Store", "Swap", "CompareAndSwap"]
        if kind != "Pointer":
            ops += ["Add", "And", "Or"]
        for op in ops:
            reg[f"atomic.{op}{kind}"] = _atomic_function(op, kind)
    for kind in (*ATOMIC_SCALARS, "Bool", "Pointer", "Value"):
        ops = ["Load", "Store", "Swap", "CompareAndSwap"]
        if kind in ATOMIC_SCALARS:
            ops += ["Add", "And", "Or"]
        for op in ops:
            reg[f"atomic.{kind}.{op}"] = _atomic_method(kind, op)
    reg["unsafe.Pointer"] = _unsafe_pointer
    for name in ("Sizeof", "Alignof", "Offsetof"):
        reg[f"unsafe.{name}"] = _unsafe_compile_time(name)
    reg["unsafe.Add"] = _unsafe_add
    reg["unsafe.Slice"] = _unsafe_slice
    reg["unsafe.String"] = _unsafe_string
    reg["unsafe.StringData"] = _unsafe_string_data
    reg["unsafe.SliceData"] = _unsafe_slice_data
    reg["syscall.Mmap"] = _mmap
    reg["syscall.Munmap"] = _munmap
    reg["unix.Mmap"] = _mmap
    reg["unix.Munmap"] = _munmap
    for flag in FLAGS:
        reg[f"syscall.{flag}"] = reg[f"unix.{flag}"] = _flag(flag)
    return reg


REGISTRY = _registry()
ATOMIC_TYPES = frozenset({*ATOMIC_SCALARS, "Bool", "Pointer", "Value"})


def describe(call: Call) -> str | None:
    entry = REGISTRY.get(call.api)
    return entry(call) if entry else None


# A call longer than this is named by its function alone in the question.
_QUESTION_CALL_CHARS = 60


def question(call: Call) -> str:
    """The card's question. It names the call it asks about, as written: the line shown
    under it may hold other calls (`unsafe.Slice(unsafe.StringData(s), n)`)."""
    if call.api.split(".")[-1] in FLAGS:
        return f"What does `{call.api}` select when mapping memory?"
    if call.api.startswith("unsafe.") and call.api.split(".")[1] in ("Sizeof", "Alignof",
                                                                     "Offsetof"):
        return f"What does `{call.api}` compute, and when?"
    method = call.api.rsplit(".", 1)[1]
    name = f"{call.receiver}.{method}" if call.receiver else call.api
    written = f"{name}({', '.join(call.args)})"
    if len(written) > _QUESTION_CALL_CHARS or "`" in written:
        written = name
    about = f"`{written}`"
    if call.api == "unsafe.Pointer":
        return (f"What does the conversion {about} do, and which pointer conversions does Go "
                "promise to work?")
    if call.receiver:
        # The answer depends on the receiver's type, which the line shown may not say.
        atomic_type = "atomic." + call.api.split(".")[1]
        return (f"`{call.receiver}` is {_a(atomic_type)}. What does {about} do, and what "
                "does it return?")
    return f"What does {about} do, and what does it return?"


# ---- which method calls are made on sync/atomic values --------------------------------

_ATOMIC_METHODS = frozenset({"Load", "Store", "Swap", "CompareAndSwap", "Add", "And", "Or"})
# Chains of type names, embedded structs and selectors in lesson code are short; the
# bounds only stop a type that refers to itself (`type A B; type B A`).
_MAX_HOPS = 16
_MAX_EMBEDDING = 6


def atomic_receiver(blk: BlockDecls, env: Env, i: int) -> tuple[str, str] | None:
    """For the method call `x.f.g.Method(` whose receiver ends at token `i` of the block
    (`Method` is token i + 2): the sync/atomic type of the receiver (`Int64`, `Value`, ...)
    and the receiver as written (`x.f.g`). None unless the receiver provably has that
    type: `x` is a variable or parameter whose declaration gives its type, no other
    declaration of `x` in the block may hide it, and each selected field is declared in
    the struct type it is selected from."""
    toks = blk.tokens
    if i + 2 >= len(toks) or toks[i + 2].text not in _ATOMIC_METHODS:
        return None
    j = i
    while j >= 2 and toks[j - 1].text == "." and toks[j - 2].kind == IDENT:
        j -= 2
    if toks[j].kind != IDENT or (j > 0 and toks[j - 1].text == "."):
        return None  # `f().x`, `xs[0].x`: the root is an expression, not a name
    root = toks[j].text
    try:
        params = blk.params_at(toks[j].start)
        decl = env.with_locals(params).vars.get(root)
        if not isinstance(decl, VarDecl):
            return None
        texpr = decl.texpr if decl.texpr is not None else _literal_type(decl.init)
        for k in range(j + 2, i + 1, 2):
            if texpr is None:
                return None
            texpr = _field_type(texpr, toks[k].text, env)
        kind = _atomic_kind(texpr, env) if texpr is not None else None
        # Only now, for the few calls that look atomic: the block is read once more.
        if kind is None or _hidden(blk, root, toks[j].start):
            return None
    except (SyntaxIssue, RecursionError):
        return None
    if f"atomic.{kind}.{toks[i + 2].text}" not in REGISTRY:
        return None
    return kind, blk.text[toks[j].start:toks[i].end]


def _hidden(blk: BlockDecls, name: str, offset: int) -> bool:
    """Whether a declaration of `name` that `Env` and `params_at` do not follow may be the
    one in scope at `offset`, so the declaration they give is perhaps not the one meant:
    a `:=` or `var` of the name on a line where the block records no declaration of it
    (a form gotypes skips, such as one after `case x:`); a local declaration of it outside
    every function gotypes read (so visible nowhere); or a function around `offset` with
    the name in a signature gotypes did not read."""
    toks = blk.tokens
    recorded = {v.line - blk.line for v in blk.vars if v.name == name}
    if any(toks[k].line not in recorded for k in _declaration_sites(toks, name)):
        return True
    scopes = [(f.start, f.end) for f in blk.funcs]
    if any(v.local and not any(a <= v.at < b for a, b in scopes)
           for v in blk.vars if v.name == name):
        return True
    read = {a for a, _ in scopes}
    return any(name in names and start <= offset < end and start not in read
               for names, start, end in _functions(toks))


def _declaration_sites(toks: list[Token], name: str) -> list[int]:
    """Token indexes where `:=` or `var` declares `name`."""
    sites: list[int] = []
    for k, t in enumerate(toks):
        if t.kind != IDENT or (k > 0 and toks[k - 1].text == "."):
            continue
        if t.text == name:
            m = k + 1
            while m + 1 < len(toks) and toks[m].text == "," and toks[m + 1].kind == IDENT:
                m += 2
            if m < len(toks) and toks[m].text == ":=":
                sites.append(k)
        elif t.text == "var":
            sites += _var_names(toks, k + 1, name)
    return sites


def _var_names(toks: list[Token], k: int, name: str) -> list[int]:
    """Indexes of `name` among the names declared by the `var` declaration whose first
    token after `var` is `k` (one spec, or a parenthesised group of them)."""
    found: list[int] = []
    grouped = k < len(toks) and toks[k].text == "("
    depth = 0
    in_names = True  # at the start of a spec or after a comma between its names
    for m in range(k + 1 if grouped else k, len(toks)):
        tok = toks[m]
        if in_names and tok.kind == IDENT:
            if tok.text == name:
                found.append(m)
            in_names = m + 1 < len(toks) and toks[m + 1].text == ","
        elif tok.text in ("(", "[", "{"):
            depth += 1
        elif tok.text in (")", "]", "}"):
            if depth == 0:
                break
            depth -= 1
        elif tok.text == ";" and depth == 0:
            if not grouped:
                break
            in_names = True
    return found


def _functions(toks: list[Token]) -> list[tuple[set[str], int, int]]:
    """Each `func` of the block with a body: the names in its receiver, type parameter,
    parameter and result lists, and the text offsets of its body (from its `{`, as
    `FuncScope.start`). A signature that does not parse counts as enclosing everything.
    """
    found: list[tuple[set[str], int, int]] = []
    for k, t in enumerate(toks):
        if t.kind != IDENT or t.text != "func":
            continue
        names: set[str] = set()
        p = Parser(toks, k + 1)
        try:
            if p.at("("):  # a method's receiver or a literal's parameters
                names |= _list_names(p)
            if (nxt := p.peek()) is not None and nxt.kind == IDENT and p.at("(", "[", k=1):
                p.next()  # the function's name
            if p.at("["):
                names |= _list_names(p)
            if p.at("("):
                names |= _list_names(p)
            if p.at("("):
                names |= _list_names(p)
            elif not p.at("{") and p.peek() is not None and not p.at(";", ")", ",", "}"):
                p.type_expr()  # one unnamed result
            if not p.at("{"):
                continue  # a function type: its parameter names declare nothing
            body = p.pos
            p.skip_balanced()
            found.append((names, toks[body].start, toks[p.pos - 1].end))
        except SyntaxIssue:  # unbalanced: any name after it may be one of its parameters
            rest = {x.text for x in toks[k + 1:] if x.kind == IDENT}
            found.append((rest, -1, toks[-1].end + 1))
    return found


def _list_names(p: Parser) -> set[str]:
    start = p.pos
    p.skip_balanced()
    return {t.text for t in p.toks[start:p.pos] if t.kind == IDENT}


def _literal_type(init: tuple[Token, ...]) -> TExpr | None:
    """The type of an initialiser that names it: `T{...}`, `&T{...}` or `new(T)`."""
    if not init:
        return None
    p = Parser(list(init))
    pointer = p.at("&")
    if pointer:
        p.next()
    if not pointer and p.at("new") and p.at("(", k=1):
        p.next()
        p.next()
        texpr = p.type_expr()
        p.expect(")")
        pointer = True
    else:
        texpr = p.type_expr()
        if not p.at("{"):
            return None
        p.skip_balanced()
    if p.peek() is not None:
        return None  # `T{}.f`, `T{} + x`: something else is made of the literal
    return TExpr("pointer", f"*{texpr.text}", parts=(texpr,)) if pointer else texpr


def _struct_type(texpr: TExpr, env: Env) -> TExpr | None:
    """The struct a value of this type (or of a pointer to it) selects fields from."""
    t = texpr.parts[0] if texpr.kind == "pointer" else texpr
    for _ in range(_MAX_HOPS):
        if t.kind == "struct":
            return t
        if t.kind != "name" or t.parts or "." in t.name:
            return None
        decl = env.types.get(t.name)
        if not isinstance(decl, TypeDecl) or decl.texpr is None:
            return None
        t = decl.texpr
    return None


def _field_type(texpr: TExpr, name: str, env: Env) -> TExpr | None:
    """The declared type of field `name` selected from a value of type `texpr`, the
    shallowest of the embedded structs' fields included; None if there is no such field
    or two at the same depth (Go rejects that selector)."""
    level = [s for s in (_struct_type(texpr, env),) if s is not None]
    for _ in range(_MAX_EMBEDDING):
        hits: list[TExpr] = []
        deeper: list[TExpr] = []
        for struct in level:
            for names, ftexpr, embedded in struct.fields:
                if name in names:
                    hits.append(ftexpr)
                elif embedded and (inner := _struct_type(ftexpr, env)) is not None:
                    deeper.append(inner)
        if hits or not deeper:
            return hits[0] if len(hits) == 1 else None
        level = deeper
    return None


def _atomic_kind(texpr: TExpr, env: Env) -> str | None:
    """`Int64` for `atomic.Int64`, `*atomic.Int64` or an alias of either's element;
    None for anything else. A defined type (`type C atomic.Int64`) has none of the
    methods, and `atomic` must be sync/atomic, not a package imported under that name."""
    t = texpr.parts[0] if texpr.kind == "pointer" else texpr
    for _ in range(_MAX_HOPS):
        if t.kind != "name":
            return None
        if "." in t.name:
            package, _, kind = t.name.partition(".")
            if env.imports.get(package) != "sync/atomic" or kind not in ATOMIC_TYPES:
                return None
            return kind if (kind == "Pointer") == bool(t.parts) else None
        decl = env.types.get(t.name)
        if not isinstance(decl, TypeDecl) or not decl.alias or decl.texpr is None:
            return None
        t = decl.texpr
    return None
