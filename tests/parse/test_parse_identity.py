"""Card ids come from where a card lives, never from its wording."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from srs.model import CardKind
from srs.parse import parse_lesson_file, parse_lesson_text


def _cards(text: str) -> dict[str, tuple[str, str]]:
    lesson = parse_lesson_text(text, Path("lesson.md"))
    return {c.key: (c.id, c.content_hash) for c in lesson.cards}


EDITS = [
    ("When should you use the unsafe package?", "When is the unsafe package appropriate?"),
    ("**B)** Never", "**B)** Never, under any circumstances"),
    ("bypasses Go's type safety.", "bypasses the type system."),
    ("size := unsafe.Sizeof(int(0))", "size := unsafe.Sizeof(int64(0))"),
    ("return atomic.AddInt64(&c.value, 1)", "return atomic.AddInt64(&c.value, 2)"),
    ("Implement a memory-mapped file reader", "Write a memory-mapped file reader"),
]


@pytest.mark.parametrize(("old", "new"), EDITS)
def test_edit_keeps_id_and_changes_hash(seed_text: str, old: str, new: str) -> None:
    before = _cards(seed_text)
    assert old in seed_text
    after = _cards(seed_text.replace(old, new))
    assert before.keys() == after.keys()
    changed = [k for k in before if before[k][1] != after[k][1]]
    assert len(changed) == 1
    assert all(before[k][0] == after[k][0] for k in before)


def test_ids_depend_on_canonical_id(seed_text: str) -> None:
    before = _cards(seed_text)
    after = _cards(seed_text.replace('"golang-advanced-06"', '"golang-advanced-07"'))
    assert {v[0] for v in before.values()}.isdisjoint({v[0] for v in after.values()})


def test_renaming_lesson_title_keeps_ids(seed_text: str) -> None:
    renamed = seed_text.replace("# Systems Programming in Go", "# Go, Close to the Metal")
    assert {k: v[0] for k, v in _cards(seed_text).items()} == {
        k: v[0] for k, v in _cards(renamed).items()}


def test_without_canonical_id_slug_is_the_root(seed_text: str) -> None:
    text = seed_text.replace('canonical_id: "golang-advanced-06"\n', "")
    lesson = parse_lesson_text(text, Path("x.md"))
    assert lesson.root == "systems-programming-in-go"
    assert any("canonical_id" in d.message for d in lesson.diagnostics)


def test_without_front_matter_path_is_the_root(write_lesson: Callable[..., Path]) -> None:
    path = write_lesson("# Bare\n\n## Cards\n\nQ: one?\nA: two\n", name="07. Bare Lesson.md")
    lesson = parse_lesson_file(path)
    assert lesson.slug == "bare-lesson" and lesson.number == 7
    assert lesson.cards[0].kind is CardKind.QA


def test_explicit_ids_survive_reordering() -> None:
    text = ("# T\n\n## Cards\n\nQ: first? {#first}\nA: 1\n\nQ: second? {#second}\nA: 2\n\n"
            "Q: anonymous?\nA: 3\n")
    swapped = ("# T\n\n## Cards\n\nQ: second, reworded? {#second}\nA: 2\n\n"
               "Q: first? {#first}\nA: 1\n\nQ: anonymous?\nA: 3\n")
    before, after = _cards(text), _cards(swapped)
    assert before["qa/first"][0] == after["qa/first"][0]
    assert before["qa/second"][0] == after["qa/second"][0]
    assert before["qa/second"][1] != after["qa/second"][1]
