"""Fact extraction never crashes on malformed lesson code: it makes cards or warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srs.facts import fact_cards
from srs.model import CodeBlock, Lesson, Severity

PIECES = ["type", "struct", "{", "}", "(", ")", "[", "]", "*", ".", ",", ";", "\n", "=", ":=",
          "var", "const", "unsafe", "Sizeof", "Alignof", "Offsetof", "atomic", "AddInt64",
          "Int64", "syscall", "Mmap", "T", "S", "x", "f", "int", "string", "[]byte", "map",
          "chan", "func", "interface", "0", "1<<3", "\"s\"", "`raw`", "'c'", "//", "/*", "*/",
          "&", "<-", "any", "[N]", "N", "import", "\"sync/atomic\"", "...", " "]


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(PIECES), max_size=80))
def test_any_token_soup_gives_cards_or_warnings(pieces: list[str]) -> None:
    text = " ".join(pieces)
    lesson = Lesson(Path("soup.md"), "Soup", "soup", None, "", (), (), None,
                    code_blocks=(CodeBlock("go", text, 3, ("Soup",)),))
    cards, diagnostics = fact_cards(lesson)
    assert all(d.severity is Severity.WARNING for d in diagnostics)
    assert len({c.id for c in cards}) == len(cards)


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=300))
def test_any_text_gives_cards_or_warnings(text: str) -> None:
    lesson = Lesson(Path("text.md"), "Text", "text", None, "", (), (), None,
                    code_blocks=(CodeBlock("go", text, 1, ()),))
    cards, _ = fact_cards(lesson)
    assert all(c.source.line >= 1 for c in cards)


def test_deeply_nested_types_do_not_overflow() -> None:
    text = "type D " + "[1]" * 400 + "struct{ a int }\nx := unsafe.Sizeof(D{})\n"
    lesson = Lesson(Path("deep.md"), "Deep", "deep", None, "", (), (), None,
                    code_blocks=(CodeBlock("go", text, 1, ()),))
    cards, _ = fact_cards(lesson)
    assert any(c.key == "sizeof:D{}" for c in cards)


BROKEN = [
    "var x int\ny := unsafe.Sizeof(new())",
    "var x int\ny := unsafe.Sizeof(x.)",
    "y := unsafe.Sizeof(make(",
    "type T struct{a int}\ny := unsafe.Offsetof(T{}.)",
    "y := unsafe.Sizeof((int)",
    "var x [N]int\nconst N = N\ny := unsafe.Sizeof(x)",
    "type A = A\nz := unsafe.Sizeof(A{})",
    "type A struct { A }\nz := unsafe.Sizeof(A{})",
    "var c atomic.Pointer[\nc.Load()",
    "type D " + "[1]" * 3000 + "int\nx := unsafe.Sizeof(D{})",
    "type E " + "struct { a " * 3000 + "int" + " }" * 3000 + "\n",
]


@pytest.mark.parametrize("text", BROKEN, ids=range(len(BROKEN)))
def test_broken_code_warns_instead_of_crashing(text: str) -> None:
    lesson = Lesson(Path("broken.md"), "Broken", "broken", None, "", (), (), None,
                    code_blocks=(CodeBlock("go", text, 5, ()),))
    cards, diagnostics = fact_cards(lesson)
    assert not [c for c in cards if c.key.startswith(("sizeof:", "offsetof:", "layout:E"))]
    assert all(d.severity is Severity.WARNING and d.pos.line >= 5 for d in diagnostics)


def test_an_unreadable_struct_declaration_is_reported() -> None:
    text = "type Bad struct {\n    a int\n    b [}\n}\n"
    lesson = Lesson(Path("bad.md"), "Bad", "bad", None, "", (), (), None,
                    code_blocks=(CodeBlock("go", text, 7, ()),))
    cards, diagnostics = fact_cards(lesson)
    assert not cards
    assert [(d.pos.line, d.message.split(":")[0]) for d in diagnostics] == [
        (7, "no layout card for Bad")]


def _facts_and_warnings(text: str) -> tuple[dict[str, str], list[str]]:
    lesson = Lesson(Path("iface.md"), "Iface", "iface", None, "", (), (), None,
                    code_blocks=(CodeBlock("go", text, 1, ()),))
    cards, diagnostics = fact_cards(lesson)
    return {c.key: c.back for c in cards}, [d.message for d in diagnostics]


@pytest.mark.parametrize("body", [
    "io.Reader\n\tClose() error", "Stringer\n\tM()", "error; Stringer", "any", "Wrapped",
])
def test_an_interface_embedding_interfaces_is_a_value_type(body: str) -> None:
    text = ("type Stringer interface{ String() string }\ntype Wrapped = Stringer\n"
            f"type X interface {{\n\t{body}\n}}\nn := unsafe.Sizeof(X(nil))\n")
    facts, warnings = _facts_and_warnings(text)
    assert facts["sizeof:X(nil)"].startswith("**16**") and "386: 8" in facts["sizeof:X(nil)"]
    assert warnings == []


@pytest.mark.parametrize(("body", "why"), [
    ("int", "an interface embedding int is a type constraint, not a value type"),
    ("comparable", "an interface embedding comparable is a type constraint, not a value type"),
    ("S", "an interface embedding S is a type constraint, not a value type"),  # a struct type
    ("~int | ~int64", "cannot read the declaration of X: type constraints are not value types"),
    ("Missing", "unknown type Missing"),
    ("nopkg.Reader", "the package of nopkg.Reader is not imported"),
])
def test_an_interface_embedding_a_non_interface_is_a_constraint_and_gets_no_card(
        body: str, why: str) -> None:
    text = (f"type S struct{{ a int }}\ntype X interface {{\n\t{body}\n}}\n"
            "n := unsafe.Sizeof(X(nil))\n")
    facts, warnings = _facts_and_warnings(text)
    assert "sizeof:X(nil)" not in facts
    assert warnings == [f"no fact card for unsafe.Sizeof(X(nil)): {why}"]


def test_a_field_behind_an_embedded_pointer_is_told_so_for_offsetof() -> None:
    text = ("type Inner struct{ A int32; B int64 }\ntype Outer struct {\n\t*Inner\n\tN int\n}\n"
            "b := unsafe.Offsetof(Outer{}.B)\nn := unsafe.Offsetof(Outer{}.N)\n")
    facts, warnings = _facts_and_warnings(text)
    assert facts["offsetof:Outer.N"].startswith("**8**")
    assert warnings == ["no fact card for unsafe.Offsetof(Outer{}.B): B is reached through the "
                        "embedded pointer Inner: it is not in the struct's own memory "
                        "(unsafe.Offsetof does not take it)"]
