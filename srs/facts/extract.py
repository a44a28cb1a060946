"""From a lesson's Go code to fact cards: numeric layout facts and API semantics.

`analyze` does the work once and keeps, beside the cards, every numeric fact with the Go
expression that computes it, so `srs verify` can ask the compiler the same questions.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

from srs.facts import api
from srs.facts.golex import IDENT, OP, STRING, Token, go_text
from srs.facts.gotypes import (
    BlockDecls,
    Env,
    Parser,
    SyntaxIssue,
    TypeDecl,
    Unresolved,
    VarDecl,
    build_envs,
    scan_block,
    selection_of,
    type_of,
)
from srs.facts.layout import (
    AMD64,
    ARCHES,
    I386,
    Arch,
    Array,
    Basic,
    GoType,
    Named,
    Opaque,
    Struct,
    Words,
    minimal_order,
    offset_of,
    plural,
    underlying,
)
from srs.model import Card, CardKind, Diagnostic, Lesson, Severity, SourcePos, card_id

AddFn = Callable[[str, str, str, int, tuple[str, ...]], None]
WarnFn = Callable[[int, str], None]
GO_LANGS = frozenset({"go", "golang"})
ORDINAL_BASE = 10_000
UNSAFE_FUNCS = ("Sizeof", "Alignof", "Offsetof")


@dataclass(frozen=True, slots=True)
class NumericFact:
    """One number the compiler can confirm: `expr` is a Go expression of type uintptr,
    meaningful in the package built from `env_key`, with `locals` declared first."""

    key: str
    expr: str
    values: dict[str, int]
    pos: SourcePos
    env_key: int
    locals: tuple[tuple[str, str], ...] = ()


@dataclass
class Analysis:
    lesson: Lesson
    cards: list[Card] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    facts: list[NumericFact] = field(default_factory=list)
    envs: list[Env] = field(default_factory=list)
    layouts: dict[str, list[str]] = field(default_factory=dict)


def analyze(lesson: Lesson) -> Analysis:
    out = Analysis(lesson)
    code = [b for b in lesson.code_blocks if b.lang.strip().lower() in GO_LANGS]
    blocks = [scan_block(i, b.text, b.line, b.headings) for i, b in enumerate(code)]
    envs = build_envs(blocks)
    out.envs = envs
    seen: set[str] = set()
    # (line, sequence, key, front, back, headings), put in reading order at the end
    pending: list[tuple[int, int, str, str, str, tuple[str, ...]]] = []

    def add(key: str, front: str, back: str, line: int, headings: tuple[str, ...]) -> None:
        if key not in seen:
            seen.add(key)
            pending.append((line, len(pending), key, front, back, headings))

    def warn(line: int, message: str) -> None:
        out.diagnostics.append(Diagnostic(SourcePos(lesson.path, line), Severity.WARNING,
                                          message))

    for blk, env in zip(blocks, envs, strict=True):
        lines = blk.text.splitlines()
        for decl in blk.types:
            if decl.texpr is not None and decl.texpr.kind != "struct":
                continue
            if decl.texpr is None and "struct" not in decl.source.split("]", 1)[-1][:12]:
                continue
            try:
                _layout(decl, env, blk.index, lesson, out, add, warn, blk.headings)
            except RecursionError:
                warn(decl.line, f"no layout card for {decl.name}: types nested too deeply")
        for name, arg_toks, line, last in _unsafe_calls(blk.tokens):
            lesson_line = blk.line + line
            snippet = _snippet(lines, line, last)
            here = env.with_locals(blk.params_at(arg_toks[0].start)) if arg_toks else env
            try:
                if arg_toks and blk.generic_at(arg_toks[0].start):
                    raise Unresolved("it is in a generic function, where sizes depend on the "
                                     "type arguments")
                expr, values = _numeric(name, arg_toks, here, blk.index, lesson, out, add,
                                        lesson_line, snippet, blk.headings)
                for n in sorted({line, last}):  # where a comment may say the value
                    if n < len(lines) and "//" in lines[n]:
                        for arch, said in _comment_claims(lines[n]):
                            if values.get(arch) != said:
                                warn(lesson_line, f"the comment says {said} on {arch}, but "
                                                  f"{expr} is {values[arch]} there")
            except (Unresolved, SyntaxIssue) as exc:
                warn(lesson_line, f"no fact card for unsafe.{name}({go_text(arg_toks)}): {exc}")
            except RecursionError:
                warn(lesson_line, f"no fact card for unsafe.{name}({go_text(arg_toks)}): "
                                  "types nested too deeply")
        for call, line, last in _api_calls(blk, env):
            text = api.describe(call)
            if text is None:
                continue
            lesson_line = blk.line + line
            snippet = _snippet(lines, line, last)
            front = f"{api.question(call)}\n\n```go\n{snippet}\n```"
            add(f"api:{call.api}", front, text, lesson_line, blk.headings)
    pending.sort(key=lambda item: (item[0], item[1]))
    for n, (line, _, key, front, back, headings) in enumerate(pending):
        out.cards.append(Card(
            id=card_id(lesson.root, CardKind.FACT, key),
            kind=CardKind.FACT,
            lesson=lesson.slug,
            key=key,
            front=front,
            back=back,
            source=SourcePos(lesson.path, line),
            section="facts:" + "/".join(headings),
            ordinal=ORDINAL_BASE + n,
            tags=lesson.tags,
            deck=lesson.deck,
            lesson_title=lesson.title,
        ))
    return out


def _uncomment(line: str) -> str:
    """The line without a trailing `//` comment (answers often hide there)."""
    if "//" not in line:
        return line
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote != "`":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif line.startswith("//", i):
            return line[:i].rstrip()
        i += 1
    return line


# What a trailing comment claims a value is: "8", "= 24 bytes", "32 on amd64, 20 on 386",
# "386: 4", "16 (64-bit)". A bare number is read as amd64's, the arch the card asks about.
_ARCH_WORDS = {"amd64": ("amd64",), "arm64": ("arm64",), "386": ("386",), "arm": ("arm",),
               "64-bit": ("amd64", "arm64"), "32-bit": ("386", "arm")}
_ARCH = r"(amd64|arm64|386|arm|64-bit|32-bit)"
_CLAIMS = re.compile(rf"(\d+)\s*(?:bytes?\s*)?(?:on\s+|\(\s*){_ARCH}\b"
                     rf"|\b{_ARCH}\s*[:=]\s*(\d+)\b")
_BARE_CLAIM = re.compile(r"\s*(?:=|==|->|→)?\s*(\d+)\s*(?:bytes?)?\s*(?:[.;,]\s*)?$")


# A line whose value is one unsafe call: `n := unsafe.Sizeof(x)`, `fmt.Println(unsafe.
# Alignof(x))`, `return unsafe.Offsetof(s.f)`. On any other line a comment's number may be
# the value of more than the call (`2*unsafe.Sizeof(x) // 16`).
_SOLE_CALL = re.compile(r"\s*(?:(?:var\s+)?[\w.]+(?:\s+[\w.\[\]*]+)?\s*:?=\s*|return\s+"
                        r"|fmt\.Print(?:ln)?\()?unsafe\.\w+\(.*\)\)?\s*;?\s*")


def _comment_claims(line: str) -> list[tuple[str, int]]:
    """(arch, value) for each value the trailing `//` comment gives for the line's one
    unsafe call, when the line's value is that call."""
    code = _uncomment(line)
    if code.count("unsafe.") != 1:
        return []
    comment = line[len(code):].strip()[2:]
    if not comment or not _SOLE_CALL.fullmatch(code):
        return []
    claims: list[tuple[str, int]] = []
    for before, arch_after, arch_before, after in _CLAIMS.findall(comment):
        arch, number = (arch_after, before) if before else (arch_before, after)
        claims.extend((name, int(number)) for name in _ARCH_WORDS[arch])
    if not claims:
        bare = _BARE_CLAIM.match(comment)
        if bare:
            claims.append(("amd64", int(bare.group(1))))
    return claims


def _snippet(lines: list[str], first: int, last: int) -> str:
    """The code lines a card shows for a call, without their comments: a call over several
    lines (an anonymous struct literal, one argument a line) is shown whole."""
    if first == last:
        return _uncomment(lines[first]).strip() if first < len(lines) else ""
    return textwrap.dedent("\n".join(_uncomment(text).rstrip()
                                     for text in lines[first:last + 1])).strip()


def _uncomment_block(text: str) -> str:
    kept = [_uncomment(line) for line in text.splitlines()]
    return "\n".join(line for line in kept if line.strip() or not kept)


# ---- finding calls ------------------------------------------------------------------

def _call_args(toks: list[Token], open_index: int) -> tuple[list[Token], int]:
    """Tokens inside the parentheses opening at `open_index`, and the index after them."""
    p = Parser(toks, open_index)
    p.skip_balanced()
    args = []
    braces = 0
    for t in toks[open_index + 1:p.pos - 1]:
        if t.kind == OP:
            braces += (t.text == "{") - (t.text == "}")
        # a line end inside braces separates struct fields; elsewhere in a call it is noise
        if braces or not (t.text == ";" and t.start == t.end):
            args.append(t)
    return args, p.pos


def _unsafe_calls(toks: list[Token]) -> list[tuple[str, list[Token], int, int]]:
    """(function, argument tokens, first line, last line) of each `unsafe.F(...)` call."""
    found = []
    for i in range(len(toks) - 3):
        if (toks[i].kind == IDENT and toks[i].text == "unsafe" and toks[i + 1].text == "."
                and toks[i + 2].text in UNSAFE_FUNCS and toks[i + 3].text == "("
                and (i == 0 or toks[i - 1].text != ".")):
            try:
                args, end = _call_args(toks, i + 3)
            except SyntaxIssue:  # a call left unclosed
                continue
            found.append((toks[i + 2].text, args, toks[i].line, toks[end - 1].line))
    return found


def _split_args(args: list[Token]) -> tuple[str, ...]:
    """Each argument of a call, written on one line as gofmt spaces it."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in args:
        if tok.kind == OP:
            depth += (tok.text in "([{") - (tok.text in ")]}")
            if tok.text == "," and depth == 0:
                parts.append([])
                continue
        parts[-1].append(tok)
    return tuple(go_text(part) for part in parts if part)


def _api_calls(blk: BlockDecls, env: Env) -> list[tuple[api.Call, int, int]]:
    """The calls the registry explains, with the first and last lines they span."""
    toks = blk.tokens
    found: list[tuple[api.Call, int, int]] = []
    explained_in_calls: set[str] = set()
    flags: list[tuple[str, str, int]] = []  # (package, flag, line)
    # Every pattern below is `name . name`: only the tokens before a dot are looked at.
    for i in [k - 1 for k, t in enumerate(toks) if t.text == "." and 0 < k < len(toks) - 1]:
        a, b = toks[i], toks[i + 2]
        if a.kind == IDENT and a.text in ("syscall", "unix") and b.text in api.FLAGS:
            flags.append((a.text, b.text, a.line))
        if i + 3 >= len(toks):
            continue
        paren = toks[i + 3]
        if a.kind != IDENT or b.kind != IDENT or paren.text != "(":
            continue
        # Decide whether the call is one the registry explains before reading its arguments:
        # most calls in a lesson's code are not.
        qualified = i == 0 or toks[i - 1].text != "."
        receiver: str | None = None
        if a.text in ("atomic", "unsafe", "syscall", "unix") and qualified:
            name = f"{a.text}.{b.text}"
        elif (held := api.atomic_receiver(blk, env, i)) is not None:
            kind, receiver = held
            name = f"atomic.{kind}.{b.text}"
        else:
            continue
        if name not in api.REGISTRY:
            continue
        try:
            arg_toks, end = _call_args(toks, i + 3)
        except SyntaxIssue:  # a call left unclosed
            continue
        args = _split_args(arg_toks)
        last = toks[end - 1].line
        if receiver is None:
            found.append((api.Call(name, args), a.line, last))
            if b.text == "Mmap":
                explained_in_calls.update(re.findall(r"\b(?:PROT|MAP)_\w+", " ".join(args)))
        else:
            found.append((api.Call(name, args, receiver), a.line, last))
    for package, flag, line in flags:
        if flag not in explained_in_calls:
            found.append((api.Call(f"{package}.{flag}", ()), line, line))
    return found


# ---- numeric facts ------------------------------------------------------------------

def _values(fn: Callable[[Arch], int | None]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, arch in ARCHES.items():
        value = fn(arch)
        if value is None:
            raise Unresolved("no such field")
        if value >= 1 << (8 * arch.ptr - 1):
            raise Unresolved(f"too large for {name}, where it does not compile")
        out[name] = value
    return out


def _others(values: dict[str, int]) -> str:
    """`(arm64 too; 386: 4, arm: 4)`-style note of the values off amd64."""
    amd = values["amd64"]
    bits = []
    if values["386"] != amd:
        bits.append(f"386: {values['386']}")
    if values["arm64"] != amd:
        bits.append(f"arm64: {values['arm64']}")
    return f" (same on arm64; {', '.join(bits)})" if bits else " (the same on arm64 and 386)"


def _numeric(name: str, arg_toks: list[Token], env: Env, env_key: int, lesson: Lesson,
             out: Analysis, add: AddFn, line: int, snippet: str,
             headings: tuple[str, ...]) -> tuple[str, dict[str, int]]:
    """Add the fact card of one unsafe call; its expression and values per arch."""
    arg = _compact_go(arg_toks)  # the card's key: its spacing must never change
    expr = f"unsafe.{name}({go_text(arg_toks)})"
    locals_ = _locals(arg_toks, env)
    decls = _decl_text(env, [t.text for t in arg_toks if t.kind == IDENT])
    declared = _declared(snippet) if locals_ else set()
    var_lines = [f"var {n} {t}" for n, t in locals_ if n not in declared]
    code = "\n".join([*decls, *var_lines, snippet])
    front = f"On amd64, what does `{expr}` return?\n\n```go\n{code}\n```"
    if name == "Offsetof":
        sel = selection_of(arg_toks, env)
        values = _values(lambda a: offset_of(sel.struct, sel.name, a))
        base = sel.base.go if isinstance(sel.base, Named) else arg.rsplit(".", 1)[0]
        key = f"offsetof:{base}.{sel.name}"
        reason = _offset_reason(sel.struct, sel.name, AMD64)
        size = _values(sel.struct.size)
        holder = sel.base
        pointer = underlying(holder)
        if isinstance(pointer, Words) and pointer.what == "pointer" and pointer.elem is not None:
            holder = pointer.elem()
        whole = holder.go if isinstance(holder, Named) else "The struct"
        tail = (f" {whole} is {plural(size['amd64'])} in all"
                + (f" (386: {size['386']})." if size["386"] != size["amd64"] else "."))
        back = f"**{values['amd64']}**{_others(values)}\n\n{reason}{tail}"
    else:
        t = type_of(arg_toks, env)
        if name == "Sizeof":
            values = _values(t.size)
            reason = _size_reason(t, AMD64)
            key = f"sizeof:{arg}"
        else:
            values = _values(t.align)
            reason = _align_reason(t, AMD64)
            key = f"alignof:{arg}"
        back = f"**{values['amd64']}**{_others(values)}\n\n{_cap(reason)}"
        if values["386"] != values["amd64"]:
            struct = underlying(t)
            if name == "Sizeof" and isinstance(struct, Struct):
                why = _struct_difference(struct, I386)
            else:
                why = _size_reason(t, I386) if name == "Sizeof" else _align_reason(t, I386)
            back += f" On 386: {why}"
    same = [f for f in out.facts if f.key == key or f.key.startswith(f"{key}#")]
    if any(f.values == values for f in same):
        return expr, values  # the same expression with the same answer: one card
    if same:
        key = f"{key}#{len(same) + 1}"  # the same text means another thing here (a parameter)
    out.facts.append(NumericFact(key, expr, values, SourcePos(lesson.path, line), env_key,
                                 locals_))
    add(key, front, back, line, headings)
    return expr, values


_DECLARED = re.compile(r"\bvar\s+(\w+(?:\s*,\s*\w+)*)|(?<![\w.])(\w+(?:\s*,\s*\w+)*)\s*:=")


def _declared(line: str) -> set[str]:
    """The names `line` declares (`var a, b T`, `a, b := ...`)."""
    return {name.strip() for match in _DECLARED.finditer(line) for group in match.groups()
            if group for name in group.split(",")}


def _compact_go(toks: list[Token]) -> str:
    """The tokens with a space only between two words: the form fact card keys were made
    with (`sizeof:Pair[int8,int64]{}`), kept so that no card changes its id."""
    out = ""
    prev: Token | None = None
    for t in toks:
        if t.text == ";" and t.start == t.end:
            continue
        if prev is not None and (prev.kind in (IDENT, STRING, "int", "float") and
                                 t.kind in (IDENT, STRING, "int", "float")):
            out += " "
        out += t.text
        prev = t
    return out


def _locals(arg_toks: list[Token], env: Env) -> tuple[tuple[str, str], ...]:
    locals_: list[tuple[str, str]] = []
    for i, t in enumerate(arg_toks):
        if t.kind != IDENT or (i > 0 and arg_toks[i - 1].text == "."):
            continue
        if t.text not in env.vars:
            continue
        nxt = arg_toks[i + 1].text if i + 1 < len(arg_toks) else ""
        if t.text in env.types and nxt in ("{", "("):
            continue
        go = env.var_type(t.text).go
        if (t.text, go) not in locals_:
            locals_.append((t.text, go))
    return tuple(locals_)


def _decl_text(env: Env, names: list[str]) -> list[str]:
    """`type` declarations of the named types, of the types of the named variables, and of
    the types those are built from, as written (comments dropped)."""
    words = re.compile(r"\b\w+\b")
    todo = list(names)
    for name in names:
        var = env.vars.get(name)
        if isinstance(var, VarDecl):
            todo.extend(words.findall(var.texpr.text if var.texpr else
                                      " ".join(t.text for t in var.init)))
    order: list[TypeDecl] = []
    seen: set[str] = set()
    while todo:
        name = todo.pop(0)
        decl = env.types.get(name)
        if name in seen or not isinstance(decl, TypeDecl) or decl.texpr is None:
            continue
        seen.add(name)
        order.append(decl)
        todo.extend(words.findall(decl.source.split(None, 1)[-1]))
    return [_uncomment_block(f"type {_dedent(decl)}") for decl in order]


def _dedent(decl: TypeDecl) -> str:
    lines = decl.source.splitlines()
    if len(lines) <= 1:
        return decl.source
    rest = lines[1:]
    indents = [len(x) - len(x.lstrip()) for x in rest[-1:] if x.strip()]
    cut = indents[0] if indents else 0
    return "\n".join([lines[0], *(x[cut:] if x[:cut].isspace() else x for x in rest)])


# ---- explanations -------------------------------------------------------------------

_WORD_WHAT = {
    "pointer": "a pointer is one machine word",
    "map": "a map value is one pointer to the runtime's hash table",
    "chan": "a channel value is one pointer to the runtime's channel structure",
    "func": "a func value is one pointer (to the code, or to a closure record)",
    "interface": "an interface value is two words: the type (or itab) pointer and the data "
                 "pointer",
    "slice": "a slice header is three words: data pointer, length and capacity",
}


def _size_reason(t: GoType, arch: Arch) -> str:
    if isinstance(t, Named):
        struct = underlying(t)
        if isinstance(struct, Struct):  # its fields follow, so its Go text is not repeated
            what = "a struct" if t.under is struct else f"defined as `{t.under.go}`, a struct"
            return f"`{t.go}` is {what}. " + _size_reason(struct, arch)
        return f"`{t.go}` is defined as `{_short(t.under)}`: " + _size_reason(t.under, arch)
    if isinstance(t, Basic):
        if t.go in ("int", "uint", "uintptr"):
            return f"`{t.go}` is one machine word: {arch.ptr} bytes on {arch.name}."
        if t.go == "string":
            return (f"a string header is a data pointer and a length: two {arch.ptr}-byte "
                    f"words on {arch.name}.")
        return f"`{t.go}` is {plural(t.size(arch))} on every target."
    if isinstance(t, Words):
        return f"{_WORD_WHAT[t.what]}: {plural(t.size(arch))} on {arch.name}."
    if isinstance(t, Opaque):
        return f"`{t.go}` holds {t.note}: {plural(t.size(arch))} on {arch.name}."
    if isinstance(t, Array):
        return (f"{t.length} elements of {_short(t.elem)} at {plural(t.elem.size(arch))} each, "
                "with no gaps between them.")
    if isinstance(t, Struct):
        return _struct_reason(t, arch)
    return ""


def _align_reason(t: GoType, arch: Arch) -> str:
    u = underlying(t)
    a = t.align(arch)
    if isinstance(u, Struct):
        if not u.fields:
            return "an empty struct has alignment 1."
        top = max(u.fields, key=lambda f: f.type.align(arch))
        return (f"a struct is as aligned as its most aligned field, here {top.name} "
                f"({_short(top.type)}, alignment {top.type.align(arch)}).")
    if isinstance(u, Array):
        return f"an array is aligned like its element type {_short(u.elem)}: {a}."
    if isinstance(u, Basic) and u.go in ("int64", "uint64", "float64", "complex128"):
        return (f"`{u.go}` is aligned to {a} on {arch.name}"
                + ("; 32-bit targets align 64-bit values to only 4 bytes." if a == 4 else "."))
    if isinstance(u, Basic | Words) and a == arch.ptr and u.go != "complex64":
        return f"`{_short(u)}` is word-aligned: {a} on {arch.name}."
    return f"`{_short(u)}` is aligned to {plural(a)} on {arch.name}."


def _cap(text: str) -> str:
    """A sentence's first letter in capitals; a sentence that opens with Go code as it is."""
    return text if text.startswith("`") else text[:1].upper() + text[1:]


def _short(t: GoType) -> str:
    go = t.go
    return go if len(go) <= 40 else go[:37] + "..."


def _struct_reason(s: Struct, arch: Arch) -> str:
    lay = s.layout(arch)
    if not lay.fields:
        return "an empty struct occupies no memory."
    parts = []
    for pl in lay.fields:
        pad = f"{plural(pl.padding_before)} of padding, then " if pl.padding_before else ""
        parts.append(f"{pad}{pl.field.name} {_short(pl.field.type)} at {pl.offset} "
                     f"({plural(pl.size)})")
    text = "Fields: " + "; ".join(parts) + "."
    if lay.zero_size_final_byte:
        text += (" The last field has size 0, so one byte is added after it to keep its "
                 "address inside the struct.")
    if lay.tail_padding:
        text += (f" Then {plural(lay.tail_padding)} of trailing padding rounds the size up to a "
                 f"multiple of the alignment, {lay.align}.")
    else:
        text += " No trailing padding is needed."
    return text


def _struct_difference(s: Struct, arch: Arch) -> str:
    """How the layout on `arch` differs from amd64's (whose explanation comes first): the
    fields placed differently, the alignment and the trailing padding."""
    lay, base = s.layout(arch), s.layout(AMD64)
    moved = [
        f"{pl.field.name} at {pl.offset} ({plural(pl.size)})"
        + (f" after {plural(pl.padding_before)} of padding" if pl.padding_before else "")
        for pl, was in zip(lay.fields, base.fields, strict=True)
        if (pl.offset, pl.size, pl.padding_before) != (was.offset, was.size, was.padding_before)
    ]
    text = ("; ".join(moved) + "; " if moved else "") + f"alignment {lay.align}, "
    if lay.zero_size_final_byte:
        text += "1 byte after the zero-size last field, "
    if lay.tail_padding:
        text += f"{plural(lay.tail_padding)} of trailing padding, "
    return text + f"{plural(lay.size)} in all."


def _offset_reason(s: Struct, name: str, arch: Arch) -> str:
    hit = s.field(name)
    assert hit is not None
    index, f, path = hit
    inner = s
    prefix = ""
    for emb in path:
        off = inner.layout(arch).fields[inner.fields.index(emb)].offset
        prefix += f"{name} is promoted from the embedded {emb.name} at offset {off}. "
        u = underlying(emb.type)
        assert isinstance(u, Struct)
        inner = u
    lay = inner.layout(arch)
    before = lay.fields[:index]
    target = lay.fields[index]
    if before:
        listing = "; ".join(f"{p.field.name} {_short(p.field.type)} at {p.offset}"
                            + (f"-{p.offset + p.size - 1}" if p.size > 1 else "") if p.size else
                            f"{p.field.name} {_short(p.field.type)} (size 0) at {p.offset}"
                            for p in before)
        text = f"Before {name}: {listing}."
    else:
        text = f"{name} is the first field."
    align = target.field.type.align(arch)
    if target.padding_before:
        text += (f" {name} ({_short(target.field.type)}) needs {align}-byte alignment, so "
                 f"{plural(target.padding_before)} of padding come first.")
    elif before:
        text += " No padding is needed before it."
    return prefix + text


# ---- struct layout cards ------------------------------------------------------------

def _layout(decl: TypeDecl, env: Env, env_key: int, lesson: Lesson, out: Analysis,
            add: AddFn, warn: WarnFn, headings: tuple[str, ...]) -> None:
    try:
        t = env.named(decl.name)
    except (Unresolved, SyntaxIssue) as exc:
        warn(decl.line, f"no layout card for {decl.name}: {exc}")
        return
    except RecursionError:
        warn(decl.line, f"no layout card for {decl.name}: types nested too deeply")
        return
    s = underlying(t)
    if not isinstance(s, Struct):
        return
    signatures = out.layouts.setdefault(decl.name, [])
    if decl.signature in signatures:
        return
    try:
        sizes = _values(s.size)
    except Unresolved as exc:
        warn(decl.line, f"no layout card for {decl.name}: {exc}")
        return
    signatures.append(decl.signature)
    key = f"layout:{decl.name}" + (f"#{len(signatures)}" if len(signatures) > 1 else "")
    literal = f"{decl.name}{{}}"
    out.facts.append(NumericFact(key, f"unsafe.Sizeof({literal})", sizes,
                                 SourcePos(lesson.path, decl.line), env_key))
    best = minimal_order(s)
    best_struct = Struct(best)
    order = "ordered by falling alignment" + (
        ", zero-size fields first" if any(f.type.size(AMD64) == 0 for f in best) else "")
    best_size = best_struct.size(AMD64)
    front = (f"How many bytes does a value of type `{decl.name}` occupy on amd64, and could "
             "another field order make it smaller?"
             f"\n\n```go\n{_uncomment_block('type ' + _dedent(decl))}\n```")
    back = f"**{sizes['amd64']}**{_others(sizes)}\n\n{_struct_reason(s, AMD64)}"
    if best_size < sizes["amd64"]:
        out.facts.append(NumericFact(f"{key}:min", f"unsafe.Sizeof({best_struct.go}{{}})",
                                     _values(best_struct.size),
                                     SourcePos(lesson.path, decl.line), env_key))
        body = "\n".join(f"    {f.go}" for f in best)
        back += (f"\n\n{order[0].upper()}{order[1:]}, it takes {best_size} bytes, saving "
                 f"{sizes['amd64'] - best_size}:\n\n```go\ntype {decl.name} struct {{\n{body}\n}}"
                 "\n```")
    else:
        back += (f"\n\nNo field order is smaller: {order}, the fields "
                 f"also take {sizes['amd64']} bytes.")
    add(key, front, back, decl.line, headings)
