"""Helpers for the store tests: lessons and cards built directly as model objects."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from srs.model import Card, CardKind, Lesson, SourcePos, card_id

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def qa(root: str, key: str, front: str, *, ordinal: int = 0, section: str = "s",
       deck: str = "deck", back: str = "back") -> Card:
    return Card(
        id=card_id(root, CardKind.QA, key), kind=CardKind.QA, lesson=root, key=key,
        front=front, back=back, source=SourcePos(Path(f"{root}.md"), ordinal + 1),
        section=section, ordinal=ordinal, deck=deck,
    )


def lesson(root: str, cards: list[Card], *, number: int | None = 1,
           prerequisites: tuple[str, ...] = (), title: str = "") -> Lesson:
    return Lesson(
        path=Path(f"/lessons/{root}.md"), title=title or root.title(), slug=root, number=number,
        level="", tags=(), prerequisites=prerequisites, canonical_id=None, cards=tuple(cards),
    )


def questions(root: str, fronts: list[str], **kwargs: str) -> list[Card]:
    return [qa(root, f"quiz-{i + 1}", front, ordinal=i, **kwargs)
            for i, front in enumerate(fronts)]
