"""Shared pieces for the review session tests: real cards from the fixture lessons, a clock,
and an in-memory sink that keeps what the session writes (tests only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from srs.corpus import load_corpus
from srs.model import Card, DeckOptions
from srs.schedule import CardSchedule, Rating, Scheduler, State, new_schedule

FIXTURES = Path(__file__).resolve().parents[1] / "cli_review" / "fixtures" / "lessons"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class QCard:
    id: str
    deck: str
    lesson: str
    section: str
    kind: str
    content: dict[str, Any]
    schedule: CardSchedule


def queued(card: Card, schedule: CardSchedule) -> QCard:
    return QCard(card.id, card.deck, card.lesson, card.section, card.kind.value,
                 card.to_json(), schedule)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class MemorySink:
    """Keeps schedules and a log the way the store would, without SQL."""

    schedules: dict[str, CardSchedule]
    log: dict[int, tuple[str, Rating, CardSchedule, CardSchedule]] = field(default_factory=dict)
    buried: dict[str, datetime] = field(default_factory=dict)
    suspended: set[str] = field(default_factory=set)
    times: dict[int, tuple[datetime, int]] = field(default_factory=dict)
    next_id: int = 1

    def lapses(self, card_id: str) -> int:
        return sum(1 for card, rating, before, _ in self.log.values()
                   if card == card_id and rating is Rating.AGAIN and before.state is State.REVIEW)

    def record_answer(self, card_id: str, rating: Rating, before: CardSchedule,
                      after: CardSchedule, now: datetime, duration_ms: int,
                      session_id: int | None, *, suspend: bool = False,
                      replaces: int | None = None, replaced_leech: bool = False) -> int:
        if replaces is not None:
            assert self.log[replaces][0] == card_id
            self.undo_answer(replaces, unsuspend=replaced_leech)
        assert self.schedules[card_id] == before
        assert duration_ms >= 0
        log_id = self.next_id
        self.next_id += 1
        self.log[log_id] = (card_id, rating, before, after)
        self.times[log_id] = (now, duration_ms)
        self.schedules[card_id] = after
        if suspend:
            self.suspended.add(card_id)
        return log_id

    def undo_answer(self, log_id: int, *, unsuspend: bool = False) -> CardSchedule:
        card_id, _, before, _ = self.log.pop(log_id)
        del self.times[log_id]
        self.schedules[card_id] = before
        if unsuspend:
            self.suspended.discard(card_id)
        return before

    def bury(self, card_ids: Sequence[str], until: datetime) -> None:
        for card_id in card_ids:
            self.buried[card_id] = until

    def unbury(self, card_ids: Sequence[str]) -> None:
        for card_id in card_ids:
            del self.buried[card_id]

    def suspend(self, card_id: str) -> None:
        self.suspended.add(card_id)

    def unsuspend(self, card_ids: Sequence[str]) -> list[bool]:
        back = [card_id in self.suspended for card_id in card_ids]
        self.suspended.difference_update(card_ids)
        return back


def fixture_cards() -> list[Card]:
    corpus = load_corpus([FIXTURES])
    assert not corpus.has_errors
    return corpus.cards


def schedulers() -> dict[str, Scheduler]:
    return {"srs": Scheduler(DeckOptions(), fuzz=False)}


def new_cards(cards: list[Card]) -> list[QCard]:
    return [queued(c, new_schedule(T0)) for c in cards]
