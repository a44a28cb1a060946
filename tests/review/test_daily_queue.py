"""`DailyQueue`: today's cards, the next day's, and why a review has nothing to show, read
from a real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from srs.model import DeckOptions
from srs.review import DailyQueue, Idle
from srs.schedule import CardSchedule, Rating, State, day_start_after
from srs.store import Store
from srs.ui.review import idle_message
from tests.store.store_support import lesson, questions

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LESSON = "/lessons/a.md"


def _store(tmp_path: Path, fronts: list[str]) -> Store:
    store = Store.open(tmp_path / "db", now=NOW)
    store.apply_lesson(LESSON, 1, 1, "h", lesson("a", questions("a", fronts)), 0, NOW)
    return store


def _review_due(store: Store, card_id: str, due: datetime) -> None:
    after = CardSchedule(State.REVIEW, None, 5.0, 5.0, due, NOW - timedelta(days=1))
    store.record_answer(card_id, Rating.GOOD, store.card(card_id).schedule, after,
                        NOW - timedelta(days=1), 1000, None)


def test_new_cards_today_and_tomorrow_within_the_daily_limit(tmp_path: Path) -> None:
    with _store(tmp_path, ["q1", "q2", "q3"]) as store:
        daily = DailyQueue(store, {"deck": DeckOptions(new_per_day=2)}, {LESSON}, UTC)
        assert [c.content["front"] for c in daily.cards(NOW)] == ["q1", "q2"]
        assert daily.next_day(NOW) == (0, 2)
        # Another lesson's cards are not in this queue.
        assert DailyQueue(store, {"deck": DeckOptions()}, {"/lessons/b.md"}, UTC).cards(NOW) == []


def test_idle_says_when_the_next_card_comes_up(tmp_path: Path) -> None:
    with _store(tmp_path, ["q1"]) as store:
        [card] = DailyQueue(store, {"deck": DeckOptions()}, {LESSON}, UTC).cards(NOW)
        due = NOW + timedelta(days=3)
        _review_due(store, card.id, due)
        daily = DailyQueue(store, {"deck": DeckOptions()}, {LESSON}, UTC)
        assert daily.cards(NOW) == []
        idle = daily.idle(NOW)
        # A review card comes up when the day it is due in starts (04:00).
        assert idle == Idle(upcoming=day_start_after(due, 0, UTC))
        assert idle_message(idle, NOW, lesson_files=True).startswith(
            "Nothing due. The next card comes up on 2026-03-05 at ")


def test_idle_counts_suspended_then_held_back_new_cards(tmp_path: Path) -> None:
    with _store(tmp_path, ["q1", "q2"]) as store:
        paused = {"deck": DeckOptions(new_per_day=0), "other": DeckOptions()}
        daily = DailyQueue(store, paused, {LESSON}, UTC)
        assert daily.cards(NOW) == [] and daily.next_day(NOW) == (0, 0)
        assert daily.idle(NOW) == Idle(new_waiting=2, paused_decks=("deck",))
        assert idle_message(daily.idle(NOW), NOW, lesson_files=True) == (
            "Nothing to review: 2 new cards wait, as new_per_day is 0 in deck 'deck'.")
        for card in DailyQueue(store, {"deck": DeckOptions()}, {LESSON}, UTC).cards(NOW):
            store.suspend(card.id)
        assert daily.idle(NOW) == Idle(suspended=2)
        assert "2 cards are suspended in these lessons" in idle_message(
            daily.idle(NOW), NOW, lesson_files=True)


def test_idle_without_cards_or_lesson_files(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=NOW) as store:
        idle = DailyQueue(store, {}, set(), UTC).idle(NOW)
        assert idle == Idle()
        assert idle_message(idle, NOW, lesson_files=False, where=" in empty/") == (
            "Nothing to review: no lesson files in empty/.")
        assert idle_message(idle, NOW, lesson_files=True) == (
            "Nothing to review: no cards in these lessons.")
