"""The queue and next_due limited to the lessons being reviewed; burial in next_due;
unsuspend; opening failures that must surface as StoreError and leave nothing behind."""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from store_support import T0, lesson, qa, questions

from srs.errors import StoreError
from srs.model import DeckOptions
from srs.schedule import CardSchedule, Rating, State
from srs.store import Store


def _review(due_in: timedelta) -> CardSchedule:
    due = T0 + due_in
    return CardSchedule(State.REVIEW, None, 5.0, 5.0, due, T0 - timedelta(days=5))


def _schedule(store: Store, card_id: str, sched: CardSchedule) -> None:
    before = store.card(card_id).schedule
    store.record_answer(card_id, Rating.GOOD, before, sched, T0 - timedelta(days=1), 1000, None)


def _two_lessons(store: Store) -> dict[str, str]:
    store.apply_lesson("/l/a.md", 1, 1, "ha", lesson("a", questions("a", ["a1", "a2"])), 0, T0)
    store.apply_lesson("/l/b.md", 1, 1, "hb", lesson("b", questions("b", ["b1", "b2"])), 1, T0)
    return {c.content["front"]: c.id for c in store.queue(T0, T0, {"deck": DeckOptions()})}


def test_queue_keeps_only_the_named_lessons(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        ids = _two_lessons(store)
        _schedule(store, ids["a1"], _review(-timedelta(hours=2)))
        _schedule(store, ids["b1"], _review(-timedelta(hours=1)))
        limits = {"deck": DeckOptions()}
        everything = [c.content["front"] for c in store.queue(T0, T0, limits)]
        assert everything == ["a1", "b1", "a2", "b2"]
        only_b = [c.content["front"] for c in store.queue(T0, T0, limits, lessons={"/l/b.md"})]
        assert only_b == ["b1", "b2"]
        assert store.queue(T0, T0, limits, lessons=set()) == []


def test_new_cards_still_walk_the_lesson_rank_index(tmp_path: Path) -> None:
    db = tmp_path / "db"
    with Store.open(db, now=T0) as store:
        _two_lessons(store)
    conn = sqlite3.connect(db)
    try:
        plan = " | ".join(row[3] for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT c.id FROM lessons l INDEXED BY lessons_rank CROSS JOIN "
            "cards c INDEXED BY cards_new ON l.path = c.lesson JOIN card_content t "
            "ON t.card = c.id WHERE c.deck = ? AND c.state = 0 AND c.suspended = 0 "
            "AND c.orphaned = 0 AND (c.buried_until IS NULL OR c.buried_until <= ?) "
            "AND +l.path IN (?, ?) ORDER BY l.rank, l.path, c.ordinal, c.id LIMIT ?",
            ("deck", 0, "/l/a.md", "/l/b.md", 5)))
    finally:
        conn.close()
    assert "lessons_rank" in plan and "cards_new" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan  # at most the per-lesson ordinal tie-break
    with Store.open(db, now=T0) as store:
        fronts = [c.content["front"] for c in store.queue(
            T0, T0, {"deck": DeckOptions(new_per_day=3)}, lessons={"/l/a.md", "/l/b.md"})]
    assert fronts == ["a1", "a2", "b1"]


def test_next_due_honours_burial_and_the_reviewed_lessons(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        ids = _two_lessons(store)
        _schedule(store, ids["a1"], _review(-timedelta(hours=1)))
        _schedule(store, ids["b1"], _review(timedelta(hours=5)))
        assert store.next_due(T0).review == T0 - timedelta(hours=1)
        store.bury([ids["a1"]], T0 + timedelta(hours=10))
        assert store.next_due(T0).review == T0 + timedelta(hours=5)
        assert store.next_due(T0, lessons={"/l/a.md"}).review == T0 + timedelta(hours=10)
        assert store.next_due(T0, decks={"other"}) == (None, None)
        only_b = store.next_due(T0, decks={"deck"}, lessons={"/l/b.md"})
        assert only_b.review == T0 + timedelta(hours=5)
        # Once the burial is over the card is plainly due again.
        later = T0 + timedelta(hours=11)
        assert store.next_due(later, lessons={"/l/a.md"}).review == T0 - timedelta(hours=1)
        # Lifting a burial (an undone answer that buried siblings) makes it due at once.
        store.unbury([ids["a1"]])
        assert store.next_due(T0, lessons={"/l/a.md"}).review == T0 - timedelta(hours=1)
        assert ids["a1"] in {c.id for c in store.queue(T0, T0, {"deck": DeckOptions()})}


def test_unsuspend_brings_a_card_back_and_refuses_unknown_ids(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        ids = _two_lessons(store)
        store.suspend(ids["a1"])
        assert ids["a1"] not in {c.id for c in store.queue(T0, T0, {"deck": DeckOptions()})}
        assert store.unsuspend([ids["a1"]]) == [True]
        assert store.unsuspend([ids["a1"]]) == [False]
        assert ids["a1"] in {c.id for c in store.queue(T0, T0, {"deck": DeckOptions()})}
        # all or none: one unknown id among known ones changes nothing, and every one is named
        store.suspend(ids["a1"])
        with pytest.raises(StoreError, match="no card 0123456789abcdef, feedfacefeedface"):
            store.unsuspend([ids["a1"], "0123456789abcdef", "feedfacefeedface"])
        assert ids["a1"] not in {c.id for c in store.queue(T0, T0, {"deck": DeckOptions()})}


def test_read_only_open_of_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "sub" / "db"
    with pytest.raises(StoreError, match=r"no review database at .* yet; run `srs review`"):
        Store.open(missing, now=T0, read_only=True)
    assert not missing.parent.exists()


def test_read_only_open_of_a_non_database_closes_its_connection(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not an SQLite database, just some text " * 40)
    with pytest.raises(StoreError, match="cannot read the review database") as caught:
        Store.open(junk, now=T0, read_only=True)
    # The traceback (kept in `caught`) still references the opener's frame: a connection left
    # open there would still hold the file.
    assert caught.value.path == junk
    assert str(junk.resolve()) not in _open_files()


def _open_files() -> set[str]:
    folder = Path("/proc/self/fd")
    found = set()
    for entry in folder.iterdir():
        try:
            found.add(os.readlink(entry))
        except OSError:
            continue
    return found


def test_unusable_folders_are_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot create the database folder"):
        Store.open(Path("/proc/srs-test/db"), now=T0)
    (tmp_path / "notes.txt").write_text("a file", encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        Store.open(tmp_path / "notes.txt" / "srs" / "db", now=T0)
    assert str(caught.value).endswith(  # not "File exists", which reads as if all were well
        f"cannot create the database folder: {tmp_path / 'notes.txt'} is a file, not a folder")
    with Store.open(tmp_path / "db", now=T0) as store:
        store.apply_lesson("/l/a.md", 1, 1, "h", lesson("a", [qa("a", "k", "x")]), 0, T0)
    # The next day's backup cannot be written: a file stands where the backups folder was.
    backups = tmp_path / "db.backups"
    moved = tmp_path / "kept.backups"
    backups.rename(moved)
    backups.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot write beside the review database"):
        Store.open(tmp_path / "db", now=T0 + timedelta(days=1))
    backups.unlink()
    moved.rename(backups)
    with Store.open(tmp_path / "db", now=T0 + timedelta(days=1)) as store:
        assert len(store.queue(T0, T0, {"deck": DeckOptions()})) == 1
