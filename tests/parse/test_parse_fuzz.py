"""No input makes the parser raise, but for the one `LessonError` of a lesson whose identity
cannot be read: generated lessons and mutations of the seed."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srs.errors import LessonError
from srs.model import Lesson
from srs.parse import parse_lesson_text
from tests.conftest import SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")


def _parse(text: str, path: Path) -> Lesson | None:
    try:
        return parse_lesson_text(text, path)
    except LessonError as error:
        assert "every card id of the lesson derives from" in error.message
        assert error.line is not None and error.line >= 1
        return None
PIECES = [
    "---\n", "title: x\n", "slug: [\n", "tags: [a, b]\n", "number: 3\n", "# T\n", "## Quiz\n",
    "### Question 1\n", "### Question\n", "**A)** a  \n", "B) b\n", "**Answer: A** - e\n",
    "Answer: z\n", "```go\n", "```\n", "~~~\n", "// Sizeof\n", "x := 1\n", "\n", "## Cards\n",
    "Q: q {#id}\n", "A: a\n", "C: {{c1::x}} {{c2::y::h}}\n", "C: {{c1::\n",
    "## Real Code Examples\n",
    "### Example: E\n", "## Hard Use-Case: H\n", "### Solution\n", "<script>alert(1)</script>\n",
    "> quote\n", "- item\n", "    indented code\n", "\r\n", "\ufeff", "é✓\n", "&a *a\n",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=20), max_size=40))
def test_generated_lessons_never_raise(pieces: list[str]) -> None:
    lesson = _parse("".join(pieces), Path("gen.md"))
    if lesson is None:
        return
    for card in lesson.cards:
        assert card.source.line >= 1
    for diagnostic in lesson.diagnostics:
        assert diagnostic.pos.line >= 1


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_seed_never_raises(data: st.DataObject) -> None:
    text = SEED_TEXT
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if action == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 200)):]
        elif action == "insert":
            text = text[:at] + data.draw(st.sampled_from(PIECES) | st.text(max_size=10)) + text[at:]
        else:
            end = min(len(text), at + data.draw(st.integers(1, 400)))
            text = text[:end] + text[at:end] + text[end:]
    lesson = _parse(text, Path("mut.md"))
    if lesson is None:
        return
    ids = [card.id for card in lesson.cards]
    assert len(ids) == len(set(ids))
