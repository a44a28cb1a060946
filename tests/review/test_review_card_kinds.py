"""Card kinds on the review screen: cloze, code, and an MCQ that cannot grade itself."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from review_support import Clock, MemorySink, new_cards, schedulers
from rich.console import Console

from srs.model import CardKind
from srs.parse import parse_lesson_text
from srs.review import ReviewSession
from srs.schedule import Rating
from srs.ui.review import draw

LESSON = """---
title: "Kinds"
slug: "kinds"
canonical_id: "kinds-01"
---

# Kinds

## Cards

C: A Go slice header holds a {{c1::pointer}}, a {{c2::length::how many}} and a capacity.

Q: Which keyword starts a goroutine? {#go}
A: `go`, as in:

```go
go worker(jobs)
```
"""


def cards_of(text: str) -> list:  # type: ignore[type-arg]
    lesson = parse_lesson_text(text, Path("kinds.md"))
    assert not [d for d in lesson.diagnostics if d.severity == "error"]
    return [dataclasses.replace(c, deck="srs") for c in lesson.cards]


def screen(session: ReviewSession) -> str:
    console = Console(file=io.StringIO(), width=70, color_system=None)
    showing = session.current()
    assert showing is not None
    draw(console, session, showing, "Kinds")
    return str(console.file.getvalue())  # type: ignore[attr-defined]


def test_cloze_front_hides_only_its_own_deletion() -> None:
    cards = cards_of(LESSON)
    cloze = [c for c in cards if c.kind is CardKind.CLOZE]
    assert [c.cloze for c in cloze] == [1, 2]
    queued = new_cards(cloze)
    session = ReviewSession(queued, schedulers(), MemorySink({c.id: c.schedule for c in queued}),
                            Clock())
    front = screen(session)
    assert "[...]" in front and "pointer" not in front and "length" in front
    session.reveal()
    back = screen(session)
    assert "pointer" in back
    session.answer(Rating.EASY)
    assert session.current() is None            # the other deletion is a new sibling: buried
    second = ReviewSession(queued[1:], schedulers(),
                           MemorySink({c.id: c.schedule for c in queued}), Clock())
    front = screen(second)
    assert "[how many]" in front and "pointer" in front


def test_code_in_answers_is_shown_as_a_block() -> None:
    qa = [c for c in cards_of(LESSON) if c.kind is CardKind.QA]
    queued = new_cards(qa)
    session = ReviewSession(queued, schedulers(), MemorySink({c.id: c.schedule for c in queued}),
                            Clock())
    assert "Which keyword starts a goroutine?" in screen(session)
    session.reveal()
    back = screen(session)
    assert "  go worker(jobs)" in back and "```" not in back


def test_mcq_stored_without_its_question_is_rated_by_hand() -> None:
    from review_support import fixture_cards

    mcq = next(c for c in fixture_cards() if c.kind is CardKind.MCQ)
    edited = dataclasses.replace(mcq, front=mcq.front.replace("**A)**", "**A.**"))
    queued = [dataclasses.replace(q, content={k: v for k, v in q.content.items()
                                              if k != "question"})
              for q in new_cards([edited])]
    sink = MemorySink({c.id: c.schedule for c in queued})
    session = ReviewSession(queued, schedulers(), sink, Clock())
    showing = session.current()
    assert showing is not None and not showing.self_grading
    assert "**A.**" not in screen(session) and "A. 2 2" in screen(session)
    session.reveal()
    session.answer(Rating.HARD)
    assert [r for _, r, _, _ in sink.log.values()] == [Rating.HARD]
