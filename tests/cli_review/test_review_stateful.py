"""A Hypothesis state machine over a review session on a real store file: answer, undo, bury,
suspend, time passing, new sessions and lesson edits synced in between.

Invariants after every step: log rows = answers - undone answers; no card is due before its
last review; the database passes `PRAGMA integrity_check`. Undo takes back the session's acts
latest first: an answer, a burial or a suspension.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from review_pty import LESSONS

from srs.corpus import resolve_sources
from srs.review import ReviewSession, SessionError, Showing
from srs.schedule import Rating, Scheduler, day_start, day_start_after
from srs.store import Store
from srs.sync import sync_lessons

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

EDITS = [
    # (file, old, new): reword an answer; drop a quiz question; bring it back; add a card
    ("01. Slices.md", "has length and capacity zero", "has zero length and zero capacity"),
    ("01. Slices.md", "### Question 2\n", "### Dropped\n"),
    ("01. Slices.md", "### Dropped\n", "### Question 2\n"),
    ("02. Maps.md", "## Quiz\n",
     "Q: Is map iteration order specified? {#order}\nA: No; it varies between runs.\n\n## Quiz\n"),
]


class ReviewMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="srs-stateful-"))
        self.lessons = self.tmp / "lessons"
        shutil.copytree(LESSONS, self.lessons)
        self.now = START
        self.store = Store.open(self.tmp / "db.sqlite3", now=self.now)
        self.answers = 0
        self.undos = 0
        self.done: list[tuple[str, str]] = []  # (act, card id) the session can undo
        self.session: ReviewSession | None = None
        self.session_id = 0
        self._sync()
        self._new_session()

    # -- helpers -------------------------------------------------------------------------------

    def _clock(self) -> datetime:
        return self.now

    def _sync(self) -> None:
        sources = resolve_sources([self.lessons])
        report = sync_lessons(self.store, sources, self.now)
        assert not report.errors
        self.limits = {s.deck.name: s.deck.options for s in sources}

    def _new_session(self) -> None:
        if self.session is not None:
            self.session.quit()
            self.store.end_session(self.session_id, self.now)
        cards = self.store.queue(self.now, day_start(self.now, UTC), self.limits,
                                 day_end=day_start_after(self.now, 1, UTC))
        self.session_id = self.store.start_session(self.now)
        schedulers = {deck: Scheduler(options) for deck, options in self.limits.items()}
        self.done = []
        self.session = ReviewSession(cards, schedulers, self.store, self._clock,
                                     session_id=self.session_id, tz=UTC)

    def _showing(self):  # type: ignore[no-untyped-def]
        assert self.session is not None
        return self.session.current()

    # -- rules ---------------------------------------------------------------------------------

    @precondition(lambda self: self._showing() is not None)
    @rule(rating=st.sampled_from(list(Rating)), reveal=st.booleans())
    def answer(self, rating: Rating, reveal: bool) -> None:
        assert self.session is not None
        showing = self.session.current()
        assert showing is not None
        if showing.graded is not None:
            self.session.answer(rating)      # override the MCQ's own grade: still one answer
            return
        if reveal:
            self.session.reveal()
        self.session.answer(rating)
        self.answers += 1
        self.done.append(("answer", showing.card.id))

    @precondition(lambda self: (s := self._showing()) is not None and s.self_grading
                  and s.chosen is None)
    @rule(data=st.data())
    def choose(self, data: st.DataObject) -> None:
        assert self.session is not None
        showing = self.session.current()
        assert showing is not None
        letter = data.draw(st.sampled_from([c.letter for c in showing.choices]))
        shown = self.session.choose(letter)
        correct = next(c for c in showing.choices if c.letter == letter).correct
        assert shown.graded is (Rating.GOOD if correct else Rating.AGAIN)
        self.answers += 1
        self.done.append(("answer", showing.card.id))

    @rule()
    def undo(self) -> None:
        assert self.session is not None
        assert self.session.can_undo == bool(self.done)
        if not self.done:
            assert self.session.undo() is None
            return
        act, card_id = self.done.pop()
        assert self.session.undoable == act
        shown = self.session.undo()
        assert shown is not None and shown.card.id == card_id
        if act == "answer":
            self.undos += 1
        hidden = {"bury": "buried_until IS NOT NULL", "suspend": "suspended = 1"}.get(act)
        if hidden is not None:
            assert self.store.scalar(f"SELECT {hidden} FROM cards WHERE id = ?",
                                     (card_id,)) == 0

    @precondition(lambda self: self._showing() is not None)
    @rule()
    def bury(self) -> None:
        assert self.session is not None
        card = self.session.current()
        assert card is not None
        if self._refused_when_graded(card, self.session.bury):
            return
        self.session.bury()
        until = self.store.scalar("SELECT buried_until FROM cards WHERE id = ?", (card.card.id,))
        assert until is not None
        self.done.append(("bury", card.card.id))

    @precondition(lambda self: self._showing() is not None)
    @rule()
    def suspend(self) -> None:
        assert self.session is not None
        card = self.session.current()
        assert card is not None
        if self._refused_when_graded(card, self.session.suspend):
            return
        self.session.suspend()
        assert self.store.scalar("SELECT suspended FROM cards WHERE id = ?",
                                 (card.card.id,)) == 1
        self.done.append(("suspend", card.card.id))

    def _refused_when_graded(self, card: Showing, hide: Callable[[], None]) -> bool:
        """A graded quiz is neither buried nor suspended: its answer is on record."""
        if card.graded is None:
            return False
        with pytest.raises(SessionError):
            hide()
        assert self.store.scalar("SELECT suspended FROM cards WHERE id = ?",
                                 (card.card.id,)) == 0
        return True

    @rule(minutes=st.integers(min_value=1, max_value=3 * 24 * 60), restart=st.booleans())
    def time_passes(self, minutes: int, restart: bool) -> None:
        self.now += timedelta(minutes=minutes)
        if restart:
            self._new_session()

    @rule(edit=st.sampled_from(EDITS))
    def edit_and_sync(self, edit: tuple[str, str, str]) -> None:
        name, old, new = edit
        path = self.lessons / name
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
        self.now += timedelta(seconds=1)
        self._sync()
        self._new_session()

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def log_rows_are_answers_minus_undos(self) -> None:
        assert self.store.scalar("SELECT count(*) FROM review_log") == self.answers - self.undos

    @invariant()
    def due_never_before_last_review(self) -> None:
        assert self.store.scalar(
            "SELECT count(*) FROM cards WHERE last_review IS NOT NULL AND due < last_review") == 0
        assert self.store.scalar(
            "SELECT count(*) FROM review_log WHERE last_review_after IS NOT NULL "
            "AND due_after < last_review_after") == 0

    @invariant()
    def integrity_holds(self) -> None:
        assert self.store.integrity_check() == "ok"

    def teardown(self) -> None:
        try:
            if self.session is not None:
                self.store.end_session(self.session_id, self.now)
            self.store.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


ReviewMachine.TestCase.settings = settings(
    max_examples=50, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestReviewStateful = ReviewMachine.TestCase
