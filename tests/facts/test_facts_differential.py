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
from hypothesis import HealthCheck, given, settings
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
def field_type(draw: st.DrawFn, earlier: int, depth: int) -> str:
    choice = draw(st.integers(0, 9))
    if choice <= 4 or depth >= 2:
        return draw(st.sampled_from(LEAVES))
    if choice <= 6:
        return f"[{draw(st.integers(0, 3))}]{draw(field_type(earlier, depth + 1))}"
    if choice == 7 and earlier:
        return f"S{draw(st.integers(0, earlier - 1))}"
    inner = draw(st.lists(field_type(earlier, depth + 1), min_size=0, max_size=3))
    return "struct { " + "; ".join(f"g{i} {t}" for i, t in enumerate(inner)) + " }"


@st.composite
def struct_decl(draw: st.DrawFn, index: int) -> tuple[str, list[str]]:
    """`type S<index> struct {...}` and the unsafe expressions to ask about it."""
    types = draw(st.lists(field_type(index, 0), min_size=0, max_size=7))
    name = f"S{index}"
    lines, exprs = [f"type {name} struct {{"], [f"unsafe.Sizeof({name}{{}})",
                                                f"unsafe.Alignof({name}{{}})"]
    for i, t in enumerate(types):
        blank = draw(st.integers(0, 9)) == 0
        fname = "_" if blank else f"f{i}"
        lines.append(f"    {fname} {t}")
        if not blank:
            exprs.append(f"unsafe.Offsetof({name}{{}}.{fname})")
            exprs.append(f"unsafe.Sizeof({name}{{}}.{fname})")
            exprs.append(f"unsafe.Alignof({name}{{}}.{fname})")
            if t.startswith("struct {") and "g0 " in t:
                exprs.append(f"unsafe.Offsetof({name}{{}}.{fname}.g0)")
    lines.append("}")
    return "\n".join(lines), exprs


@st.composite
def lesson_source(draw: st.DrawFn) -> tuple[str, int]:
    decls, uses = [], []
    for i in range(STRUCTS_PER_EXAMPLE):
        decl, exprs = draw(struct_decl(i))
        decls.append(decl)
        uses.extend(f"_ = {e}" for e in exprs)
    return "\n\n".join(decls) + "\n\nfunc probe() {\n" + "\n".join(
        f"    {u}" for u in uses) + "\n}\n", len(uses)


def lesson(text: str) -> Lesson:
    return Lesson(Path("generated.md"), "Generated", "generated", None, "", (), (), None,
                  code_blocks=(CodeBlock("go", text, 1, ("Generated",)),))


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(lesson_source())
def test_random_structs_match_the_compiler(source: tuple[str, int]) -> None:
    text, asked = source
    analysis = analyze(lesson(text))
    assert analysis.diagnostics == []
    layouts = [f for f in analysis.facts if f.key.startswith("layout:") and ":min" not in f.key]
    assert len(layouts) == STRUCTS_PER_EXAMPLE
    report = verify([analysis], None)
    assert report.mismatches == [], "\n".join(map(str, report.mismatches[:20]))
    assert report.facts >= STRUCTS_PER_EXAMPLE
