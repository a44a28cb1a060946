"""Lesson sync: history survives edits, vanishing, reappearing and renumbering; unchanged
lessons are not opened."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from store_support import T0, lesson, qa, questions

import srs.corpus
import srs.sync
from srs.corpus import LessonSource, resolve_sources
from srs.model import DeckOptions, Lesson
from srs.schedule import Rating, Scheduler, State
from srs.store import Store
from srs.sync import sync_lessons

PATH = "/lessons/a.md"


def _answer(store: Store, card_id: str, rating: Rating = Rating.GOOD) -> int:
    card = store.card(card_id)
    after = Scheduler(DeckOptions(), fuzz=False).answer(card_id, card.schedule, rating, T0)
    return store.record_answer(card_id, rating, card.schedule, after, T0, 1000, None)


def _history(store: Store, card_id: str) -> list[tuple[object, ...]]:
    return store.rows("SELECT id, rating FROM review_log WHERE card = ? ORDER BY id", (card_id,))


def test_edited_card_keeps_schedule_and_history(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        first = lesson("a", questions("a", ["What is 2+2?", "Other"]))
        store.apply_lesson(PATH, 1, 1, "h1", first, 0, T0)
        card = first.cards[0]
        _answer(store, card.id)
        schedule = store.card(card.id).schedule
        edited = lesson("a", questions("a", ["What is two plus two?", "Other"]))
        assert edited.cards[0].id == card.id
        assert edited.cards[0].content_hash != card.content_hash
        later = T0 + timedelta(days=1)
        report = store.apply_lesson(PATH, 2, 2, "h2", edited, 0, later)
        assert (report.changed, report.added, report.orphaned) == (1, 0, 0)
        stored = store.card(card.id)
        assert stored.schedule == schedule
        assert stored.content["front"] == "What is two plus two?"
        assert len(_history(store, card.id)) == 1
        changed = store.rows("SELECT id, content_changed FROM cards ORDER BY ordinal")
        assert changed[0][1] > changed[1][1]  # only the edited card's change time moved


def test_vanished_card_is_orphaned_and_comes_back_with_history(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        full = lesson("a", questions("a", ["q1", "q2", "q3"]))
        store.apply_lesson(PATH, 1, 1, "h1", full, 0, T0)
        gone = full.cards[2]
        _answer(store, gone.id)
        schedule = store.card(gone.id).schedule
        report = store.apply_lesson(PATH, 1, 2, "h2", lesson("a", questions("a", ["q1", "q2"])),
                                    0, T0)
        assert report.orphaned == 1
        assert store.scalar("SELECT orphaned FROM cards WHERE id = ?", (gone.id,)) == 1
        assert gone.id not in {c.id for c in store.queue(T0, T0, {"deck": DeckOptions()})}
        assert len(_history(store, gone.id)) == 1
        report = store.apply_lesson(PATH, 1, 3, "h3", full, 0, T0)
        assert report.restored == 1
        assert store.scalar("SELECT orphaned FROM cards WHERE id = ?", (gone.id,)) == 0
        assert store.card(gone.id).schedule == schedule
        assert len(_history(store, gone.id)) == 1


def test_renumbered_question_takes_over_history(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        before = lesson("a", [qa("a", "quiz-1", "alpha", ordinal=0),
                              qa("a", "quiz-2", "beta", ordinal=1),
                              qa("a", "quiz-3", "gamma", ordinal=2)])
        store.apply_lesson(PATH, 1, 1, "h1", before, 0, T0)
        gamma_old = before.cards[2]
        logs = [_answer(store, gamma_old.id), _answer(store, gamma_old.id, Rating.HARD)]
        schedule = store.card(gamma_old.id).schedule
        # Question 3 is renumbered 4: the old id vanishes, a new id arrives with the same text.
        after = lesson("a", [qa("a", "quiz-1", "alpha", ordinal=0),
                             qa("a", "quiz-2", "beta", ordinal=1),
                             qa("a", "quiz-4", "gamma", ordinal=2)])
        gamma_new = after.cards[2]
        assert gamma_new.id != gamma_old.id
        assert gamma_new.content_hash == gamma_old.content_hash
        report = store.apply_lesson(PATH, 1, 2, "h2", after, 0, T0 + timedelta(days=1))
        assert (report.taken_over, report.added, report.orphaned) == (1, 0, 1)
        assert store.card(gamma_new.id).schedule == schedule
        assert [row[0] for row in _history(store, gamma_new.id)] == logs
        assert store.scalar("SELECT count(*) FROM cards WHERE id = ?", (gamma_old.id,)) == 0
        assert store.integrity_check() == "ok"
        assert store.rows("PRAGMA foreign_key_check") == []
        # An undo after the takeover still restores the card it now belongs to.
        store.undo_answer(logs[-1])
        assert store.card(gamma_new.id).schedule.state is State.LEARNING


def _two_questions(store: Store, first: str, second: str) -> Lesson:
    """A lesson of two quiz questions, synced at T0."""
    two = lesson("a", [qa("a", "quiz-1", first, ordinal=0), qa("a", "quiz-2", second, ordinal=1)])
    store.apply_lesson(PATH, 1, 1, "h1", two, 0, T0)
    return two


def test_deleting_question_1_and_renumbering_2_keeps_each_history_with_its_text(
        tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        before = _two_questions(store, "first", "second")
        one, two = before.cards
        lapse = _answer(store, one.id, Rating.AGAIN)
        easy = _answer(store, two.id, Rating.EASY)
        first_schedule, second_schedule = (store.card(c.id).schedule for c in before.cards)
        # Question 1 deleted, Question 2 renumbered as 1: its id is the old first's.
        after = lesson("a", [qa("a", "quiz-1", "second", ordinal=0)])
        assert after.cards[0].id == one.id and after.cards[0].content_hash == two.content_hash
        report = store.apply_lesson(PATH, 1, 2, "h2", after, 0, T0 + timedelta(hours=1))
        assert (report.taken_over, report.changed, report.orphaned) == (1, 0, 1)
        kept = store.card(one.id)
        assert kept.schedule == second_schedule and kept.content["front"] == "second"
        assert [row[0] for row in _history(store, one.id)] == [easy]
        # What was the first question, with its lapse, is the orphan now.
        assert store.scalar("SELECT orphaned FROM cards WHERE id = ?", (two.id,)) == 1
        assert store.card(two.id).schedule == first_schedule
        assert store.card(two.id).content["front"] == "first"
        assert [row[0] for row in _history(store, two.id)] == [lapse]
        assert store.integrity_check() == "ok" and store.rows("PRAGMA foreign_key_check") == []
        # Both questions back as they were: each history returns to its own id.
        report = store.apply_lesson(PATH, 1, 3, "h3", before, 0, T0 + timedelta(hours=2))
        assert store.card(one.id).schedule == first_schedule
        assert store.card(two.id).schedule == second_schedule
        assert [row[0] for row in _history(store, two.id)] == [easy]


def test_inserting_a_question_above_others_keeps_each_history_with_its_text(
        tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        before = _two_questions(store, "France", "Italy")
        one, two = before.cards
        france = [_answer(store, one.id, Rating.EASY)]
        italy = [_answer(store, two.id, Rating.AGAIN), _answer(store, two.id, Rating.GOOD)]
        schedules = {c.id: store.card(c.id).schedule for c in before.cards}
        # A new question 1 above them; France becomes 2 and Italy 3.
        after = lesson("a", [qa("a", "quiz-1", "Spain", ordinal=0),
                             qa("a", "quiz-2", "France", ordinal=1),
                             qa("a", "quiz-3", "Italy", ordinal=2)])
        spain, france_now, italy_now = after.cards
        report = store.apply_lesson(PATH, 1, 2, "h2", after, 0, T0 + timedelta(hours=1))
        assert (report.taken_over, report.added, report.changed, report.orphaned) == (2, 1, 0, 0)
        assert store.card(spain.id).schedule.state is State.NEW
        assert _history(store, spain.id) == []
        assert store.card(france_now.id).schedule == schedules[one.id]
        assert [row[0] for row in _history(store, france_now.id)] == france
        assert store.card(italy_now.id).schedule == schedules[two.id]
        assert [row[0] for row in _history(store, italy_now.id)] == italy
        assert store.card(italy_now.id).content["front"] == "Italy"
        assert store.integrity_check() == "ok" and store.rows("PRAGMA foreign_key_check") == []
        # Swapping two questions swaps their histories back to their texts.
        swapped = lesson("a", [qa("a", "quiz-1", "Spain", ordinal=0),
                               qa("a", "quiz-2", "Italy", ordinal=1),
                               qa("a", "quiz-3", "France", ordinal=2)])
        report = store.apply_lesson(PATH, 1, 3, "h3", swapped, 0, T0 + timedelta(hours=2))
        assert (report.taken_over, report.added, report.changed) == (2, 0, 0)
        assert [row[0] for row in _history(store, swapped.cards[1].id)] == italy
        assert [row[0] for row in _history(store, swapped.cards[2].id)] == france
        # An edit in place still keeps the history where it is.
        edited = lesson("a", [qa("a", "quiz-1", "Spain", ordinal=0),
                              qa("a", "quiz-2", "Italy!", ordinal=1),
                              qa("a", "quiz-3", "France", ordinal=2)])
        report = store.apply_lesson(PATH, 1, 4, "h4", edited, 0, T0 + timedelta(hours=3))
        assert (report.taken_over, report.changed) == (0, 1)
        assert [row[0] for row in _history(store, edited.cards[1].id)] == italy


QUESTIONS = {
    "size": ("What does unsafe.Sizeof(int32(0)) return on amd64?", "4"),
    "align": ("Why does a struct with a bool and an int64 take 16 bytes?",
              "The int64 must start at a multiple of 8, so 7 bytes of padding follow the bool."),
    "cas": ("What does atomic.CompareAndSwapInt64 return when the value differs?",
            "false, and nothing is stored"),
}


def _quiz(*texts: tuple[str, str]) -> Lesson:
    return lesson("a", [qa("a", f"quiz-{n + 1}", front, back=back, ordinal=n)
                        for n, (front, back) in enumerate(texts)])


def _synced(store: Store, *texts: tuple[str, str]) -> list[str]:
    """The quiz of these questions synced at T0; its card ids."""
    quiz = _quiz(*texts)
    store.apply_lesson(PATH, 1, 1, "h1", quiz, 0, T0)
    return [card.id for card in quiz.cards]


def test_a_question_deleted_above_one_whose_typo_is_fixed_leaves_each_history_with_its_text(
        tmp_path: Path) -> None:
    size, align, cas = QUESTIONS["size"], QUESTIONS["align"], QUESTIONS["cas"]
    with Store.open(tmp_path / "db", now=T0) as store:
        one, two, three = _synced(store, size, align, cas)
        lapse = _answer(store, one, Rating.AGAIN)
        easy = _answer(store, two, Rating.EASY)
        good = _answer(store, three)
        schedules = {card_id: store.card(card_id).schedule for card_id in (one, two, three)}
        # Question 1 deleted; the old question 2, now 1, gets a typo fixed in the same save.
        fixed = (align[0].replace("take 16", "occupy 16"), align[1])
        after = _quiz(fixed, cas)
        report = store.apply_lesson(PATH, 1, 2, "h2", after, 0, T0 + timedelta(hours=1))
        assert (report.taken_over, report.changed, report.orphaned) == (2, 1, 1)
        assert [row[0] for row in _history(store, one)] == [easy]
        assert store.card(one).schedule == schedules[two]
        assert store.card(one).content["front"] == fixed[0]
        assert [row[0] for row in _history(store, two)] == [good]
        # The deleted question's lapse stays with its orphan, under its own text.
        assert store.scalar("SELECT orphaned FROM cards WHERE id = ?", (three,)) == 1
        assert [row[0] for row in _history(store, three)] == [lapse]
        assert store.card(three).content["front"] == size[0]
        assert store.integrity_check() == "ok" and store.rows("PRAGMA foreign_key_check") == []


def test_a_question_reworded_in_place_keeps_its_history_when_another_is_deleted(
        tmp_path: Path) -> None:
    size, align, cas = QUESTIONS["size"], QUESTIONS["align"], QUESTIONS["cas"]
    with Store.open(tmp_path / "db", now=T0) as store:
        one, two, three = _synced(store, size, align, cas)
        logs = {card_id: _answer(store, card_id) for card_id in (one, two, three)}
        # Question 1 reworded where it stands, question 3 deleted.
        reworded = ("On amd64, how many bytes does unsafe.Sizeof(int32(0)) give?", "4")
        report = store.apply_lesson(PATH, 1, 2, "h2", _quiz(reworded, align), 0, T0)
        assert (report.taken_over, report.changed, report.orphaned) == (0, 1, 1)
        assert [row[0] for row in _history(store, one)] == [logs[one]]
        assert [row[0] for row in _history(store, two)] == [logs[two]]
        assert [row[0] for row in _history(store, three)] == [logs[three]]


def _orphan_of(store: Store, log: int) -> str:
    """The orphan row holding the answer `log`."""
    holder = store.scalar("SELECT card FROM review_log WHERE id = ?", (log,))
    assert store.scalar("SELECT orphaned FROM cards WHERE id = ?", (holder,)) == 1
    return str(holder)


@pytest.mark.parametrize("where", ["first", "last"])
def test_a_question_added_after_one_was_deleted_is_new_and_the_deleted_past_stays_orphaned(
        tmp_path: Path, where: str) -> None:
    size, align, cas = QUESTIONS["size"], QUESTIONS["align"], QUESTIONS["cas"]
    added = ("What does atomic.AddInt64 return?", "The new value.")
    with Store.open(tmp_path / "db", now=T0) as store:
        one, two, three = _synced(store, size, align, cas)
        logs = {card_id: _answer(store, card_id, rating) for card_id, rating in
                ((one, Rating.EASY), (two, Rating.GOOD), (three, Rating.AGAIN))}
        store.apply_lesson(PATH, 1, 2, "h2", _quiz(align, cas), 0, T0 + timedelta(hours=1))
        # The deleted question's past waits on the orphan at the third place.
        assert _orphan_of(store, logs[one]) == three
        later = T0 + timedelta(hours=2)
        texts = (added, align, cas) if where == "first" else (align, cas, added)
        after = _quiz(*texts)
        report = store.apply_lesson(PATH, 1, 3, "h3", after, 0, later)
        assert (report.added, report.changed) == (1, 0)
        new = after.cards[texts.index(added)]
        assert store.card(new.id).schedule.state is State.NEW
        assert _history(store, new.id) == []
        assert store.card(new.id).content["front"] == added[0]
        for text, log in ((align, logs[two]), (cas, logs[three])):
            assert [row[0] for row in _history(store, after.cards[texts.index(text)].id)] == [log]
        parked = _orphan_of(store, logs[one])
        assert parked not in {card.id for card in after.cards}
        assert store.card(parked).content["front"] == size[0]
        assert store.integrity_check() == "ok" and store.rows("PRAGMA foreign_key_check") == []
        # The deleted question written back finds its past by its text.
        back = _quiz(size, *texts)
        store.apply_lesson(PATH, 1, 4, "h4", back, 0, later + timedelta(hours=1))
        assert [row[0] for row in _history(store, back.cards[0].id)] == [logs[one]]
        assert store.card(back.cards[0].id).schedule.state is State.REVIEW


def test_an_orphan_back_with_a_small_rewording_keeps_its_past(tmp_path: Path) -> None:
    size, align, cas = QUESTIONS["size"], QUESTIONS["align"], QUESTIONS["cas"]
    with Store.open(tmp_path / "db", now=T0) as store:
        one, two, three = _synced(store, size, align, cas)
        log = _answer(store, three)
        store.apply_lesson(PATH, 1, 2, "h2", _quiz(size, align), 0, T0)
        fixed = (cas[0].replace("differs", "is different"), cas[1])
        report = store.apply_lesson(PATH, 1, 3, "h3", _quiz(size, align, fixed), 0, T0)
        assert (report.added, report.changed, report.restored) == (0, 1, 1)
        assert [row[0] for row in _history(store, three)] == [log]


def _fruit_quiz(*fruits: tuple[str, str, str, str]) -> Lesson:
    """A quiz of short questions alike in all but their words: "<Fruit> colour?"."""
    from srs.parse import parse_lesson_text

    body = "".join(f"### Question {n}\n{name} colour?\n\n**A)** {right}  \n**B)** {wrong}\n\n"
                   f"**Answer: A** - {why}.\n\n"
                   for n, (name, right, wrong, why) in enumerate(fruits, 1))
    text = f'---\ntitle: "Fruit"\nslug: "fruit"\ncanonical_id: "fruit"\n---\n\n## Quiz\n\n{body}'
    return parse_lesson_text(text, Path(PATH))


def test_a_short_question_added_where_a_deleted_one_stood_starts_new(tmp_path: Path) -> None:
    banana = ("Banana", "yellow", "blue", "ripe")
    apple = ("Apple", "red", "purple", "usually")
    kiwi = ("Kiwi", "green", "orange", "inside")
    with Store.open(tmp_path / "db", now=T0) as store:
        first = _fruit_quiz(banana, apple)
        store.apply_lesson(PATH, 1, 1, "h1", first, 0, T0)
        logs = [_answer(store, card.id) for card in first.cards]
        store.apply_lesson(PATH, 1, 2, "h2", _fruit_quiz(banana), 0, T0 + timedelta(hours=1))
        # Same place, same id, same scaffolding: only the words differ, and they all do.
        after = _fruit_quiz(banana, kiwi)
        assert after.cards[1].id == first.cards[1].id
        report = store.apply_lesson(PATH, 1, 3, "h3", after, 0, T0 + timedelta(hours=2))
        assert (report.added, report.restored) == (1, 0)
        assert store.card(after.cards[1].id).schedule.state is State.NEW
        assert _history(store, after.cards[1].id) == []
        assert store.card(_orphan_of(store, logs[1])).content["question"] == "Apple colour?"


def test_a_short_question_appended_after_the_first_was_deleted_starts_new(
        tmp_path: Path) -> None:
    banana = ("Banana", "yellow", "blue", "ripe")
    apple = ("Apple", "red", "purple", "usually")
    cherry = ("Cherry", "red", "white", "dark")
    kiwi = ("Kiwi", "green", "orange", "inside")
    with Store.open(tmp_path / "db", now=T0) as store:
        first = _fruit_quiz(banana, apple, cherry)
        store.apply_lesson(PATH, 1, 1, "h1", first, 0, T0)
        logs = [_answer(store, card.id) for card in first.cards]
        store.apply_lesson(PATH, 1, 2, "h2", _fruit_quiz(apple, cherry), 0,
                           T0 + timedelta(hours=1))
        after = _fruit_quiz(apple, cherry, kiwi)
        store.apply_lesson(PATH, 1, 3, "h3", after, 0, T0 + timedelta(hours=2))
        assert [[row[0] for row in _history(store, card.id)] for card in after.cards] == [
            [logs[1]], [logs[2]], []]
        # Banana written back finds its past by its text.
        back = _fruit_quiz(banana, apple, cherry, kiwi)
        store.apply_lesson(PATH, 1, 4, "h4", back, 0, T0 + timedelta(hours=3))
        assert [row[0] for row in _history(store, back.cards[0].id)] == [logs[0]]


def _size_quiz(*types: tuple[str, str]) -> Lesson:
    """Questions from one template, "What does `unsafe.Sizeof(<value>)` return on amd64?",
    over the same four choices; each asks for its own one."""
    from srs.parse import parse_lesson_text

    body = "".join(f"### Question {n}\nWhat does `unsafe.Sizeof({value})` return on amd64?\n\n"
                   "**A)** 1  \n**B)** 4  \n**C)** 8  \n**D)** 16\n\n"
                   f"**Answer: {letter}** - that is the size of the value on amd64.\n\n"
                   for n, (value, letter) in enumerate(types, 1))
    text = f'---\ntitle: "Sizes"\nslug: "sizes"\ncanonical_id: "sizes"\n---\n\n## Quiz\n\n{body}'
    return parse_lesson_text(text, Path(PATH))


def test_a_question_asking_for_another_answer_is_not_a_rewording(tmp_path: Path) -> None:
    int32, text, flag, int64 = ("int32(0)", "B"), ('""', "D"), ("true", "A"), ("int64(0)", "C")
    with Store.open(tmp_path / "db", now=T0) as store:
        first = _size_quiz(int32, text, flag)
        store.apply_lesson(PATH, 1, 1, "h1", first, 0, T0)
        logs = [_answer(store, card.id) for card in first.cards]
        # The first deleted and one appended that differs in a word and in its answer.
        after = _size_quiz(text, flag, int64)
        store.apply_lesson(PATH, 1, 2, "h2", after, 0, T0 + timedelta(hours=1))
        assert [[row[0] for row in _history(store, card.id)] for card in after.cards] == [
            [logs[1]], [logs[2]], []]
        assert store.card(after.cards[2].id).schedule.state is State.NEW
        back = _size_quiz(int32, text, flag, int64)
        store.apply_lesson(PATH, 1, 3, "h3", back, 0, T0 + timedelta(hours=2))
        assert [row[0] for row in _history(store, back.cards[0].id)] == [logs[0]]


def test_takeover_only_within_the_same_lesson(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=T0) as store:
        a = lesson("a", questions("a", ["shared text"]))
        store.apply_lesson(PATH, 1, 1, "h", a, 0, T0)
        _answer(store, a.cards[0].id)
        store.apply_lesson(PATH, 1, 2, "h2", lesson("a", []), 0, T0)
        b = lesson("b", questions("b", ["shared text"]))
        report = store.apply_lesson("/lessons/b.md", 1, 1, "h", b, 1, T0)
        assert (report.taken_over, report.added) == (0, 1)
        assert store.card(b.cards[0].id).schedule.state is State.NEW


# -- over real lesson files ---------------------------------------------------------------------

LESSON = """---
number: {number}
title: "{title}"
slug: "{slug}"
prerequisites: {prereqs}
---

# {title}

## Quiz

### Question 1

{q1}

**A)** one{br}
**B)** two{br}
**C)** three{br}

**Answer: B** - because.

### Question 2

Which is the second letter?

**A)** a{br}
**B)** b{br}

**Answer: B** - it is.
"""


def _write(path: Path, *, q1: str = "How many?", number: int = 1, slug: str = "first",
           prereqs: str = "[]", title: str = "First") -> Path:
    text = LESSON.format(br="  ", number=number, slug=slug, prereqs=prereqs, title=title, q1=q1)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Path]]:
    """Counts every lesson parsed and every lesson file hashed during sync."""
    seen: dict[str, list[Path]] = {"parsed": [], "hashed": []}
    real_load: Callable[[LessonSource], Lesson] = srs.corpus.load_lesson
    real_digest: Callable[[Path], str] = srs.sync.file_digest

    def load(source: LessonSource) -> Lesson:
        seen["parsed"].append(source.path)
        return real_load(source)

    def digest(path: Path) -> str:
        seen["hashed"].append(path)
        return real_digest(path)

    monkeypatch.setattr(srs.corpus, "load_lesson", load)
    monkeypatch.setattr(srs.sync, "file_digest", digest)
    return seen


def test_sync_over_real_files(tmp_path: Path, counted: dict[str, list[Path]]) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    first = _write(lessons / "01.md")
    _write(lessons / "02.md", number=0, slug="second", prereqs='["first"]',
                    title="Second", q1="What now?")
    db = tmp_path / "db"
    with Store.open(db, now=T0) as store:
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert (report.parsed, report.added, report.errors) == (2, 4, [])
        assert len(counted["parsed"]) == 2
        ranks = {row.slug: row.rank for row in store.lessons()}
        # "second" has the lower number but needs "first": prerequisite order wins.
        assert ranks == {"first": 0, "second": 1}
        queue = store.queue(T0, T0, {"srs": DeckOptions()})
        assert [c.lesson for c in queue][:2] == [str(first.resolve())] * 2
        assert store.deck_options() == {"srs": DeckOptions()}
        answered = queue[0]
        _answer(store, answered.id)

    # Unchanged: neither file is opened (not hashed, not parsed).
    counted["parsed"].clear()
    counted["hashed"].clear()
    with Store.open(db, now=T0) as store:
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert report.unchanged == 2
        assert counted == {"parsed": [], "hashed": []}

    # Same bytes, new mtime: hashed, not parsed.
    stat = first.stat()
    os.utime(first, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    with Store.open(db, now=T0) as store:
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert (report.touched, report.parsed) == (1, 0)
        assert counted["hashed"] == [first] and counted["parsed"] == []
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert report.unchanged == 2

    # Edited question: parsed again, the card keeps its id, schedule and history.
    counted["hashed"].clear()
    _write(first, q1="How many, exactly?")
    with Store.open(db, now=T0) as store:
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert (report.parsed, report.changed, report.added) == (1, 1, 0)
        assert counted["parsed"] == [first]
        card = store.card(answered.id)
        assert "How many, exactly?" in card.content["front"]
        assert card.schedule.state is State.LEARNING
        assert len(_history(store, answered.id)) == 1

    # The file is deleted: its cards are orphaned, with their history.
    moved = first.read_bytes()
    first.unlink()
    with Store.open(db, now=T0) as store:
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert report.gone == 1 and report.orphaned == 2
        assert answered.id not in {c.id for c in store.queue(T0, T0, {"srs": DeckOptions()})}
    # It comes back under another name: same slug, same ids, history restored.
    (lessons / "01-renamed.md").write_bytes(moved)
    with Store.open(db, now=T0) as store:
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert report.restored == 2
        card = store.card(answered.id)
        assert card.lesson == str((lessons / "01-renamed.md").resolve())
        assert card.schedule.state is State.LEARNING
        assert len(_history(store, answered.id)) == 1
        # The old file's lesson row stays until the next sync notices it has no cards left.
        sync_lessons(store, resolve_sources([lessons]), T0)
        assert sorted(Path(row.path).name for row in store.lessons()) == ["01-renamed.md",
                                                                          "02.md"]
        assert store.rows("PRAGMA foreign_key_check") == []


def test_a_lesson_without_cards_keeps_its_deck_and_a_second_sync_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty.md").write_text("---\ntitle: Empty\nslug: empty\n---\n# Empty\n",
                                       encoding="utf-8")
    moves: list[tuple[str, str]] = []
    with Store.open(tmp_path / "db", now=T0) as store:
        assert sync_lessons(store, resolve_sources([tmp_path]), T0).parsed == 1
        assert [row.deck for row in store.lessons()] == ["srs"]
        monkeypatch.setattr(store, "set_lesson_deck", lambda *move: moves.append(move))
        assert sync_lessons(store, resolve_sources([tmp_path]), T0).unchanged == 1
    assert moves == []


def test_a_lesson_whose_canonical_id_breaks_keeps_its_cards_as_they_were(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    text = ('---\ntitle: A\ncanonical_id: "c-1"\n---\n\n## Cards\n\n'
            "Q: One? {#one}\nA: 1\n\nQ: Two? {#two}\nA: 2\n")
    path.write_text(text, encoding="utf-8")
    with Store.open(tmp_path / "db", now=T0) as store:
        assert sync_lessons(store, resolve_sources([path]), T0).added == 2
        before = store.rows("SELECT id, orphaned FROM cards ORDER BY id")
        path.write_text(text.replace('"c-1"', '"c-1'), encoding="utf-8")
        report = sync_lessons(store, resolve_sources([path]), T0)
        assert [str(error) for error in report.errors] == [
            f"{path}:3: invalid front matter: found unexpected end of stream; `canonical_id` "
            "ignored; every card id of the lesson derives from `canonical_id` (line 3): the "
            "lesson is left out until it reads"]
        assert (report.added, report.orphaned) == (0, 0)
        assert store.rows("SELECT id, orphaned FROM cards ORDER BY id") == before


def test_broken_lesson_is_reported_and_skipped(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.md")
    missing = tmp_path / "missing.md"
    from srs.decks import default_deck

    sources = [LessonSource(good, default_deck()), LessonSource(missing, default_deck())]
    with Store.open(tmp_path / "db", now=T0) as store:
        report = sync_lessons(store, sources, T0)
        assert report.added == 2
        assert len(report.errors) == 1 and report.errors[0].path == missing


def test_duplicate_ids_in_one_lesson_keep_the_first(tmp_path: Path) -> None:
    twin = qa("a", "quiz-1", "first")
    other = dataclasses.replace(twin, front="second")
    with Store.open(tmp_path / "db", now=T0) as store:
        from srs.sync import _unique_cards

        store.apply_lesson(PATH, 1, 1, "h", _unique_cards(lesson("a", [twin, other])), 0, T0)
        assert store.card(twin.id).content["front"] == "first"


def _errors(report: srs.sync.SyncReport) -> list[str]:
    return [f"{d.pos.path.name}:{d.pos.line}: {d.message}" for d in report.diagnostics
            if d.severity == "error"]


def test_a_lessons_errors_are_told_by_every_sync_while_it_is_unchanged(
        tmp_path: Path, counted: dict[str, list[Path]]) -> None:
    lesson_file = _write(tmp_path / "01.md")
    text = lesson_file.read_text(encoding="utf-8")
    lesson_file.write_text(text.replace("**Answer: B** - it is.", "**Answer: E** - it is."),
                           encoding="utf-8")
    told = ["01.md:29: question 2: answer E matches no choice (A-B)"]
    with Store.open(tmp_path / "db", now=T0) as store:
        assert _errors(sync_lessons(store, resolve_sources([lesson_file]), T0)) == told
        # Not parsed again, and its error is told again.
        again = sync_lessons(store, resolve_sources([lesson_file]), T0)
        assert (again.unchanged, _errors(again)) == (1, told)
        stat = lesson_file.stat()
        os.utime(lesson_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
        touched = sync_lessons(store, resolve_sources([lesson_file]), T0)
        assert (touched.touched, _errors(touched)) == (1, told)
        assert len(counted["parsed"]) == 1
        lesson_file.write_text(text, encoding="utf-8")  # fixed: nothing more to tell
        assert _errors(sync_lessons(store, resolve_sources([lesson_file]), T0)) == []
        assert _errors(sync_lessons(store, resolve_sources([lesson_file]), T0)) == []


def test_a_lesson_copied_without_a_new_canonical_id_leaves_the_first_lessons_cards_alone(
        tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    first = _write(lessons / "01.md")
    copy = lessons / "02.md"
    copy.write_text(first.read_text(encoding="utf-8").replace("How many?", "How few?"),
                    encoding="utf-8")
    with Store.open(tmp_path / "db", now=T0) as store:
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert report.added == 2
        assert _errors(report) == [
            f"02.md:{line}: card {key!r} has the id of a card of {first.resolve()} "
            "(the same canonical_id?); left out" for line, key in [(12, "q1"), (22, "q2")]]
        owners = {row[0] for row in store.rows("SELECT DISTINCT lesson FROM cards")}
        assert owners == {str(first.resolve())}
        # The copy changed on its own: still left out, first's cards stay where they are.
        copy.write_text(copy.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        report = sync_lessons(store, resolve_sources([copy]), T0)
        assert len(_errors(report)) == 2
        assert {row[0] for row in store.rows("SELECT DISTINCT lesson FROM cards")} == owners
        # The first file deleted, the copy unchanged: the copy takes the cards at once.
        kept = first.read_text(encoding="utf-8")
        first.unlink()
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert _errors(report) == []
        assert {row[0] for row in store.rows("SELECT DISTINCT lesson FROM cards")} == {
            str(copy.resolve())}
        assert sync_lessons(store, resolve_sources([lessons]), T0).unchanged == 1
        first.write_text(kept, encoding="utf-8")
        copy.unlink()
        sync_lessons(store, resolve_sources([lessons]), T0)
        assert {row[0] for row in store.rows("SELECT DISTINCT lesson FROM cards")} == owners
        # A lesson renamed (its old file gone) still takes its cards with it.
        renamed = first.rename(lessons / "01-renamed.md")
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert (_errors(report), report.orphaned) == ([], 0)
        assert {row[0] for row in store.rows("SELECT DISTINCT lesson FROM cards")} == {
            str(renamed.resolve())}


def _quiz_file(path: Path, questions: list[str], *, number: int = 1, slug: str = "geo",
          prereqs: str = "[]") -> Path:
    body = "".join(f"### Question {n}\n\n{q}\n\n**A)** Paris  \n**B)** Rome\n\n**Answer: A**\n\n"
                   for n, q in enumerate(questions, 1))
    path.write_text(f"---\ntitle: {slug}\nslug: {slug}\nnumber: {number}\ncanonical_id: "
                    f"qa-{slug}\nprerequisites: {prereqs}\n---\n# {slug}\n\n## Quiz\n\n{body}",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("edit", ["delete the first", "insert one first"])
def test_a_lesson_renamed_in_the_same_change_as_an_edit_keeps_each_history_with_its_text(
        tmp_path: Path, edit: str) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    old = _quiz_file(lessons / "geo.md", ["Capital of France?", "Capital of Italy?"])
    with Store.open(tmp_path / "db", now=T0) as store:
        sync_lessons(store, resolve_sources([lessons]), T0)
        france, italy = (card.id for card in store.queue(T0, T0, {"srs": DeckOptions()}))
        lapse, easy = _answer(store, france, Rating.AGAIN), _answer(store, italy, Rating.EASY)
        italy_schedule = store.card(italy).schedule
    old.unlink()
    after = (["Capital of Italy?"] if edit == "delete the first"
             else ["Capital of Spain?", "Capital of France?", "Capital of Italy?"])
    _quiz_file(lessons / "01-geo.md", after)
    with Store.open(tmp_path / "db", now=T0) as store:
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert report.errors == []
        rows = {store.card(card_id).content["front"]: card_id
                for (card_id,) in store.rows("SELECT id FROM cards")}
        italy_now = next(card_id for text, card_id in rows.items() if "Italy" in text)
        assert [row[0] for row in _history(store, italy_now)] == [easy]
        assert store.card(italy_now).schedule == italy_schedule
        france_now = next(card_id for text, card_id in rows.items() if "France" in text)
        assert [row[0] for row in _history(store, france_now)] == [lapse]
        if edit == "insert one first":
            spain = next(card_id for text, card_id in rows.items() if "Spain" in text)
            assert _history(store, spain) == []
        # Every card is the new file's now, and the old file is forgotten.
        assert {row.path for row in store.lessons()} == {str((lessons / "01-geo.md").resolve())}
        assert store.rows("PRAGMA foreign_key_check") == []


def test_a_lesson_renamed_and_renumbered_no_longer_ranks_under_its_old_name(
        tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    _quiz_file(lessons / "1-alpha.md", ["A?"], number=1, slug="alpha", prereqs='["gamma"]')
    beta = _quiz_file(lessons / "2-beta.md", ["B?"], number=2, slug="beta")
    _quiz_file(lessons / "3-gamma.md", ["C?"], number=3, slug="gamma", prereqs='["beta"]')
    with Store.open(tmp_path / "db", now=T0) as store:
        sync_lessons(store, resolve_sources([lessons]), T0)
        beta.unlink()
        _quiz_file(lessons / "0-beta.md", ["B?"], number=9, slug="beta")
        sync_lessons(store, resolve_sources([lessons]), T0)
        ranked = sorted(store.lessons(), key=lambda row: row.rank)
        assert [row.slug for row in ranked] == ["beta", "gamma", "alpha"]
