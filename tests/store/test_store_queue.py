"""Today's queue: order, daily limits per deck, buried and suspended cards, the 04:00 rollover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from store_support import T0, lesson, qa, questions

from srs.model import DeckOptions
from srs.schedule import (
    LEARN_AHEAD,
    CardSchedule,
    Rating,
    Scheduler,
    State,
    day_start,
    day_start_after,
)
from srs.store import Store

NY = ZoneInfo("America/New_York")


def _review(due: datetime, stability: float = 5.0) -> CardSchedule:
    return CardSchedule(State.REVIEW, None, stability, 5.0, due, due - timedelta(days=5))


def _set(store: Store, card_id: str, sched: CardSchedule, now: datetime) -> int:
    """Give a card a schedule the way the review loop does: through a recorded answer."""
    before = store.card(card_id).schedule
    return store.record_answer(card_id, Rating.GOOD, before, sched, now, 1000, None)


def test_order_learning_then_reviews_then_new_in_rank_order(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        # Lesson "b" is ranked before "a" (a prerequisite order computed by sync).
        store.apply_lesson("/lessons/a.md", 1, 1, "h", lesson("a", questions("a", ["a1", "a2"])),
                           1, T0)
        store.apply_lesson("/lessons/b.md", 1, 1, "h", lesson("b", questions("b", ["b1", "b2"])),
                           0, T0)
        ids = {c.content["front"]: c.id for c in store.queue(T0, T0, {"deck": DeckOptions()})}
        earlier = T0 - timedelta(days=1)
        _set(store, ids["a1"], _review(T0 - timedelta(hours=2)), earlier)
        _set(store, ids["b2"], _review(T0 - timedelta(hours=5)), earlier)
        learning = CardSchedule(State.LEARNING, 1, 2.3, 5.0, T0 + timedelta(minutes=15), T0)
        _set(store, ids["a2"], learning, earlier)
        queue = store.queue(T0, day_start(T0, UTC), {"deck": DeckOptions()})
        assert [c.content["front"] for c in queue] == ["a2", "b2", "a1", "b1"]
        assert queue[0].schedule == learning
        assert queue[0].lesson == "/lessons/a.md"
        assert queue[0].lesson_title == "A"
        # A learning card due beyond the 20-minute learn-ahead window waits.
        later = T0 - timedelta(minutes=10)
        assert "a2" not in [c.content["front"] for c in store.queue(later, T0, {
            "deck": DeckOptions()})]


def test_daily_limits_count_what_was_done_today(tmp_path: Path) -> None:
    options = DeckOptions(new_per_day=3, reviews_per_day=2)
    start = day_start(T0, UTC)
    with Store.open(tmp_path / "db", now=T0) as store:
        fronts = [f"n{i}" for i in range(10)]
        store.apply_lesson("/lessons/a.md", 1, 1, "h", lesson("a", questions("a", fronts)), 0, T0)
        queue = store.queue(T0, start, {"deck": options})
        assert [c.content["front"] for c in queue] == ["n0", "n1", "n2"]
        scheduler = Scheduler(options, fuzz=False)
        # Introduce one new card today: two new cards are left for today.
        first = queue[0]
        _set(store, first.id, scheduler.answer(first.id, first.schedule, Rating.EASY, T0), T0)
        queue = store.queue(T0, start, {"deck": options})
        assert [c.content["front"] for c in queue] == ["n1", "n2"]
        # Tomorrow the limit is whole again.
        tomorrow = day_start_after(T0, 1, UTC)
        assert len([c for c in store.queue(tomorrow, tomorrow, {"deck": options})
                    if c.schedule.state is State.NEW]) == 3
        # Reviews: five due, limit two, one already done today -> one shown.
        ids = {c.content["front"]: c.id for c in store.queue(T0, start, {
            "deck": DeckOptions(new_per_day=100)})}
        for i in range(4, 9):
            _set(store, ids[f"n{i}"], _review(T0 - timedelta(hours=i)), T0 - timedelta(days=2))
        reviews = [c for c in store.queue(T0, start, {"deck": options})
                   if c.schedule.state is State.REVIEW]
        assert [c.content["front"] for c in reviews] == ["n8", "n7"]
        review = store.card(ids["n8"])
        answer = scheduler.answer(review.id, review.schedule, Rating.GOOD, T0)
        store.record_answer(review.id, Rating.GOOD, review.schedule, answer, T0, 1, None)
        reviews = [c for c in store.queue(T0, start, {"deck": options})
                   if c.schedule.state is State.REVIEW]
        assert [c.content["front"] for c in reviews] == ["n7"]


def test_limits_are_per_deck_and_only_named_decks_are_queued(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        cards = [qa("a", f"k{i}", f"x{i}", ordinal=i, deck="x") for i in range(5)]
        cards += [qa("a", f"j{i}", f"y{i}", ordinal=10 + i, deck="y") for i in range(5)]
        store.apply_lesson("/lessons/a.md", 1, 1, "h", lesson("a", cards), 0, T0)
        limits = {"x": DeckOptions(new_per_day=2), "y": DeckOptions(new_per_day=1)}
        fronts = [c.content["front"] for c in store.queue(T0, T0, limits)]
        assert fronts == ["x0", "x1", "y0"]
        fronts = [c.content["front"] for c in store.queue(T0, T0, {"y": DeckOptions()})]
        assert fronts == [f"y{i}" for i in range(5)]


def test_new_cards_follow_the_lesson_ranks_across_decks(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        # The manifest lists deck "advanced" first, but its lesson needs "basics" (rank 0).
        store.apply_lesson("/lessons/adv.md", 1, 1, "h",
                           lesson("adv", questions("adv", ["adv1", "adv2"], deck="advanced")),
                           1, T0)
        store.apply_lesson("/lessons/basics.md", 1, 1, "h",
                           lesson("basics", questions("basics", ["b1", "b2", "b3"],
                                                      deck="basics")), 0, T0)
        limits = {"advanced": DeckOptions(new_per_day=1), "basics": DeckOptions(new_per_day=2)}
        fronts = [c.content["front"] for c in store.queue(T0, T0, limits)]
        assert fronts == ["b1", "b2", "adv1"]  # each deck's limit, prerequisite order


def test_buried_suspended_and_orphaned_cards_are_left_out(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        store.apply_lesson("/lessons/a.md", 1, 1, "h",
                           lesson("a", questions("a", ["q1", "q2", "q3", "q4"])), 0, T0)
        ids = [c.id for c in store.queue(T0, T0, {"deck": DeckOptions()})]
        tomorrow = day_start_after(T0, 1, UTC)
        store.bury(ids[:2], tomorrow)
        store.suspend(ids[2])
        assert [c.id for c in store.queue(T0, T0, {"deck": DeckOptions()})] == [ids[3]]
        # Burying lasts until the next rollover.
        assert [c.id for c in store.queue(tomorrow, tomorrow, {"deck": DeckOptions()})] == [
            ids[0], ids[1], ids[3]]
        store.unsuspend([ids[2]])
        store.apply_lesson("/lessons/a.md", 1, 2, "h2",
                           lesson("a", questions("a", ["q1", "q2", "q3"])), 0, T0)
        assert [c.id for c in store.queue(tomorrow, tomorrow, {"deck": DeckOptions()})] == ids[:3]


def test_review_due_before_the_next_rollover_across_dst(tmp_path: Path) -> None:
    # Sunday 2026-03-08 in New York is 23 hours long: 04:00 EDT that day to 04:00 EDT Monday.
    now = datetime(2026, 3, 8, 12, 0, tzinfo=NY).astimezone(UTC)
    start, end = day_start(now, NY), day_start_after(now, 1, NY)
    assert end - start == timedelta(hours=24)  # both ends in EDT
    previous = day_start_after(now, -1, NY)
    assert start - previous == timedelta(hours=23)
    with Store.open(tmp_path / "db", now=now) as store:
        store.apply_lesson("/lessons/a.md", 1, 1, "h",
                           lesson("a", questions("a", ["early", "late", "next"])), 0, now)
        ids = {c.content["front"]: c.id for c in store.queue(now, start, {
            "deck": DeckOptions()})}
        _set(store, ids["early"], _review(start + timedelta(hours=1)), previous)
        _set(store, ids["late"], _review(end - timedelta(seconds=1)), previous)
        _set(store, ids["next"], _review(end), previous)
        due = [c.content["front"] for c in store.queue(now, start, {"deck": DeckOptions()},
                                                       day_end=end)]
        assert due == ["early", "late"]
        # The day before, 23 hours long: a card due at its end is not yet today's.
        sat = datetime(2026, 3, 7, 12, 0, tzinfo=NY).astimezone(UTC)
        due = [c.content["front"] for c in store.queue(
            sat, previous, {"deck": DeckOptions()}, day_end=start)]
        assert due == []


def test_next_due(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        assert store.next_due(T0) == (None, None)
        store.apply_lesson("/lessons/a.md", 1, 1, "h", lesson("a", questions("a", ["q1", "q2"])),
                           0, T0)
        assert store.next_due(T0) == (None, None)  # only new cards
        first, second = store.queue(T0, T0, {"deck": DeckOptions()})
        _set(store, second.id, _review(T0 + timedelta(days=3)), T0)
        assert store.next_due(T0) == (None, T0 + timedelta(days=3))
        # A learning card enters the queue the learn-ahead window before it is due, or when
        # its burial ends if that is later.
        learning = CardSchedule(State.LEARNING, 1, 1.0, 5.0, T0 + timedelta(hours=1), T0)
        _set(store, first.id, learning, T0)
        assert store.next_due(T0) == (T0 + timedelta(hours=1) - LEARN_AHEAD,
                                      T0 + timedelta(days=3))
        store.bury([first.id], T0 + timedelta(hours=13))
        assert store.next_due(T0).learning == T0 + timedelta(hours=13)
