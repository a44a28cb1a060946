"""Differential test: random struct declarations, our layout model against the gc compiler.

Each Hypothesis example is a lesson of 100 generated structs (nested named and anonymous
structs, arrays, zero-size fields, every basic and pointer-shaped type); every Sizeof,
Alignof and Offsetof of them goes through `verify` in one batch, so the compiler runs a
handful of times for 300 structs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from srs.facts.extract import analyze
from srs.facts.verify import verify
from srs.model import CodeBlock, Lesson

pytestmark = pytest.mark.skipif(shutil.which("go") is None,
                                reason="go (the Go toolchain) is not on PATH")

STRUCTS_PER_EXAMPLE = 100
EXAMPLES = 4  # the first is Hypothesis's minimal example (empty structs); 3 random ones follow

LEAVES = ["bool", "int8", "uint8", "byte", "int16", "uint16", "int32", "uint32", "rune",
          "int64", "uint64", "int", "uint", "uintptr", "float32", "float64", "complex64",
          "complex128", "string", "*int", "[]byte", "map[string]int", "chan int", "func()",
          "any", "error", "interface{ M() }", "unsafe.Pointer", "struct{}", "atomic.Int64",
          "atomic.Int32", "atomic.Value", "sync.Mutex", "time.Time", "time.Duration"]


@st.composite
def field_type(draw: st.DrawFn, names: tuple[str, ...], depth: int) -> str:
    choice = draw(st.integers(0, 9))
    if choice <= 4 or depth >= 2:
        return draw(st.sampled_from(LEAVES))
    if choice <= 6:
        return f"[{draw(st.integers(0, 3))}]{draw(field_type(names, depth + 1))}"
    if choice == 7 and names:
        return draw(st.sampled_from(names))
    inner = draw(st.lists(field_type(names, depth + 1), min_size=0, max_size=3))
    return "struct { " + "; ".join(f"g{i} {t}" for i, t in enumerate(inner)) + " }"


@st.composite
def struct_decl(draw: st.DrawFn, index: int, names: tuple[str, ...]) -> tuple[str, list[str]]:
    """`type S<index> struct {...}` and the unsafe expressions to ask about it; fields may
    use the earlier named types, and embed earlier structs."""
    types = draw(st.lists(field_type(names, 0), min_size=0, max_size=7))
    structs = [n for n in names if n.startswith("S")]
    embedded = draw(st.lists(st.sampled_from(structs), max_size=2, unique=True)) if structs else []
    name = f"S{index}"
    lines, exprs = [f"type {name} struct {{"], [f"unsafe.Sizeof({name}{{}})",
                                                f"unsafe.Alignof({name}{{}})"]
    fields = [(f"f{i}", t) for i, t in enumerate(types)]
    for emb in embedded:
        at = draw(st.integers(0, len(fields)))
        fields.insert(at, (emb, "*" + emb if draw(st.booleans()) else ""))
    for fname, t in fields:
        if not t:  # embedded by value
            lines.append(f"    {fname}")
        elif t.startswith("*S"):  # embedded pointer
            lines.append(f"    {t}")
        elif draw(st.integers(0, 9)) == 0:
            lines.append(f"    _ {t}")
            continue
        else:
            lines.append(f"    {fname} {t}")
        exprs.append(f"unsafe.Offsetof({name}{{}}.{fname})")
        exprs.append(f"unsafe.Sizeof({name}{{}}.{fname})")
        exprs.append(f"unsafe.Alignof({name}{{}}.{fname})")
        if t.startswith("struct {") and "g0 " in t:
            exprs.append(f"unsafe.Offsetof({name}{{}}.{fname}.g0)")
    lines.append("}")
    return "\n".join(lines), exprs


@st.composite
def named_decl(draw: st.DrawFn, index: int, names: tuple[str, ...]) -> tuple[str, str]:
    """A named type built on earlier ones: defined (`type N3 [2]S1`) or alias (`= S1`)."""
    base = draw(field_type(names, 1))
    alias = draw(st.booleans()) and not base.startswith("struct")
    return f"N{index}", f"type N{index} {'= ' if alias else ''}{base}"


@st.composite
def lesson_source(draw: st.DrawFn) -> tuple[str, int]:
    decls: list[str] = []
    uses: list[str] = []
    names: tuple[str, ...] = ()
    for i in range(STRUCTS_PER_EXAMPLE):
        if draw(st.integers(0, 3)) == 0:
            nname, ndecl = draw(named_decl(i, names))
            decls.append(ndecl)
            uses.append(f"_ = unsafe.Sizeof(*new({nname}))")
            names += (nname,)
        decl, exprs = draw(struct_decl(i, names))
        decls.append(decl)
        uses.extend(f"_ = {e}" for e in exprs)
        names += (f"S{i}",)
    return "\n\n".join(decls) + "\n\nfunc probe() {\n" + "\n".join(
        f"    {u}" for u in uses) + "\n}\n", len(uses)


def _context(text: str, lines: list[int]) -> str:
    """The declarations around the first reported lines, for the failure message."""
    src = text.splitlines()
    return "".join("\n---\n" + "\n".join(src[max(0, n - 12):n + 10]) for n in lines[:3])


def lesson(text: str) -> Lesson:
    return Lesson(Path("generated.md"), "Generated", "generated", None, "", (), (), None,
                  code_blocks=(CodeBlock("go", text, 1, ("Generated",)),))


# No shrinking: every step would run the compiler again; a failure prints the mismatches
# and their declarations instead.
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(lesson_source())
def test_random_structs_match_the_compiler(source: tuple[str, int]) -> None:
    text, asked = source
    analysis = analyze(lesson(text))
    assert analysis.diagnostics == [], _context(text,
                                                [d.pos.line for d in analysis.diagnostics])
    layouts = [f for f in analysis.facts if f.key.startswith("layout:S") and ":min" not in f.key]
    assert len(layouts) == STRUCTS_PER_EXAMPLE
    report = verify([analysis], None)
    assert report.mismatches == [], "\n".join(map(str, report.mismatches[:20])) + _context(
        text, [m.pos.line for m in report.mismatches])
    assert report.facts >= STRUCTS_PER_EXAMPLE
