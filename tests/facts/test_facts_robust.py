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
