"""The review session: which card shows next, and what each key does to it.

No terminal and no SQL here. A `ReviewSession` is fed the cards the store queued, one
`Scheduler` per deck, a sink that persists every change (the `Store` satisfies `ReviewSink`),
and a clock. Each answer is handed to the sink at once, so quitting at any moment loses
nothing that was acknowledged.

Order within a session: learning cards that are due now come first, then the queue as the
store ordered it (reviews, then new cards), then learning cards due within the learn-ahead
window (20 minutes), earliest first. A learning card answered in the session comes back when
it is due again, as long as that falls within the learn-ahead window once the queue is empty.

New siblings: once a new card of a cloze note is answered, the note's other new cards still
waiting in the session, or brought later by a refill, are buried until the next day start, as
Anki buries the new siblings of a note; undoing that answer lifts the burial. (Every other card
is a note of its own.)

MCQ cards grade themselves: the choices are shown in an order shuffled with a seed made of the
card id, its last review and how many times the card was shown in this session (stable within
one showing);
picking a letter records Good if it is right and Again if not, and reveals the back; a rating
key pressed on the back replaces that grade before the next card shows.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from srs.model import LETTERS, CardKind, DeckOptions, choice_order
from srs.schedule import (
    LEARN_AHEAD,
    CardSchedule,
    Rating,
    Scheduler,
    State,
    day_start,
    day_start_after,
    format_interval,
)

_LEARNING = (State.LEARNING, State.RELEARNING)
_NO_PREVIEWS: Mapping[Rating, str] = MappingProxyType({})


# The protocols are for the type checker only: creating Protocol classes at import time costs
# more than a millisecond, and this module is on the path to the first card.
if TYPE_CHECKING:
    from typing import Protocol

    class QueuedCardLike(Protocol):
        """What the session needs of a queued card (the store's `QueuedCard` has these)."""

        @property
        def id(self) -> str: ...
        @property
        def deck(self) -> str: ...
        @property
        def lesson(self) -> str: ...
        @property
        def section(self) -> str: ...
        @property
        def kind(self) -> str: ...
        @property
        def content(self) -> Mapping[str, Any]: ...
        @property
        def schedule(self) -> CardSchedule: ...

    class ReviewSink(Protocol):
        """Where the session writes; each call is one committed transaction."""

        def lapses(self, card_id: str) -> int: ...
        def record_answer(self, card_id: str, rating: Rating, before: CardSchedule,
                          after: CardSchedule, now: datetime, duration_ms: int,
                          session_id: int | None, *, suspend: bool = False,
                          replaces: int | None = None, replaced_leech: bool = False) -> int: ...
        def undo_answer(self, log_id: int, *, unsuspend: bool = False) -> CardSchedule: ...
        def bury(self, card_ids: Sequence[str], until: datetime) -> None: ...
        def unbury(self, card_ids: Sequence[str]) -> None: ...
        def suspend(self, card_id: str) -> None: ...
        def unsuspend(self, card_ids: Sequence[str]) -> list[bool]: ...

    class QueueSource(Protocol):
        """Where today's queue is read from (the `Store` has these)."""

        def queue(self, now: datetime, day_start: datetime, limits: dict[str, DeckOptions],
                  *, day_end: datetime | None = None,
                  lessons: Collection[str] | None = None) -> Sequence[QueuedCardLike]: ...
        def next_due(self, now: datetime, decks: Collection[str] | None = None,
                     lessons: Collection[str] | None = None
                     ) -> tuple[datetime | None, datetime | None]: ...
        def count_suspended(self, lessons: Collection[str] | None = None) -> int: ...
        def count_new(self, lessons: Collection[str] | None = None) -> int: ...

    # A card waiting in the session, with the schedule it is waiting under.
    Waiting = tuple[QueuedCardLike, CardSchedule]


class SessionError(Exception):
    """A session method was called when the current showing does not allow it."""


class Choice(NamedTuple):
    """One MCQ option as displayed: `letter` is what the learner presses."""

    letter: str
    text: str
    correct: bool


class Showing(NamedTuple):
    """The card on screen and where it stands; replaced, never mutated."""

    card: QueuedCardLike
    schedule: CardSchedule
    number: int                      # 1 for the first showing of this card in the session
    revealed: bool = False
    prompt: str = ""                 # the front without its choices, for a self-grading MCQ
    choices: tuple[Choice, ...] = ()  # displayed order; empty unless the card self-grades
    chosen: str | None = None        # displayed letter picked
    graded: Rating | None = None     # grade already recorded for this showing
    previews: Mapping[Rating, str] = _NO_PREVIEWS
    previewed_at: datetime | None = None  # the time the previews were worked out for

    @property
    def self_grading(self) -> bool:
        return bool(self.choices)

    @property
    def correct_letter(self) -> str | None:
        return next((c.letter for c in self.choices if c.correct), None)


class Summary(NamedTuple):
    reviewed: int
    again: int
    elapsed: timedelta
    buried: int
    suspended: int
    learning_left: int               # learning cards still pending, due beyond the window
    leeches: int = 0                 # cards suspended as leeches by this session's answers

    @property
    def again_rate(self) -> float:
        return self.again / self.reviewed if self.reviewed else 0.0


class _Answer(NamedTuple):
    card: QueuedCardLike
    before: CardSchedule
    after: CardSchedule
    rating: Rating
    log_id: int
    at: datetime
    duration_ms: int
    # New siblings this answer buried, as they were queued: undoing the answer restores them.
    buried: tuple[Waiting, ...] = ()
    # The card's lapses when this answer made it a leech (and suspended it); else 0.
    leech: int = 0


class _Hidden(NamedTuple):
    """A card buried or suspended from the screen, as it was showing: undoing it shows it
    again just so."""

    showing: Showing
    suspended: bool  # else buried


def next_card_time(learning: datetime | None, review: datetime | None, now: datetime,
                   tz: tzinfo | None = None) -> datetime | None:
    """When a review with nothing to show now will have a card (None: never, as things
    stand), from `Store.next_due`: a learning card when it enters the queue, a review card
    from the start of the day it is due, as the queue takes it. A time not after `now` is
    a card today's review limit holds back: it comes up when the next day starts."""
    if review is not None:
        review = day_start(review, tz)
    times = [t for t in (learning, review) if t is not None]
    if not times:
        return None
    first = min(times)
    return first if first > now else day_start_after(now, 1, tz)


class Idle(NamedTuple):
    """Why a review has nothing to show now: the first of these that holds (the others are
    left at their zero)."""

    upcoming: datetime | None = None  # when the next card comes up
    suspended: int = 0  # else: nothing comes up, and this many cards are suspended
    new_waiting: int = 0  # else: this many new cards wait, held back by the decks in
    paused_decks: tuple[str, ...] = ()  # with `new_per_day` 0


class DailyQueue:
    """The queue of some lessons under their decks' options, as the store keeps it: the cards
    a review shows at a given time, what the next day starts with, and why nothing shows."""

    def __init__(self, source: QueueSource, options: Mapping[str, DeckOptions],
                 lessons: Collection[str], tz: tzinfo | None = None) -> None:
        self._source = source
        self._options = dict(options)
        self._lessons = lessons
        self._tz = tz

    def cards(self, at: datetime) -> list[QueuedCardLike]:
        """Today's cards at `at`, in the order the store queues them."""
        return self._on_day(at, day_start(at, self._tz))

    def next_day(self, now: datetime) -> tuple[int, int]:
        """(cards seen before, new cards) in the queue the day after `now`'s starts with."""
        start = day_start_after(now, 1, self._tz)
        queue = self._on_day(start, start)
        new = sum(1 for card in queue if card.schedule.state == State.NEW)
        return len(queue) - new, new

    def idle(self, now: datetime) -> Idle:
        """Why `cards(now)` is empty."""
        upcoming = next_card_time(*self._source.next_due(now, self._options, self._lessons),
                                  now, self._tz)
        tomorrow = day_start_after(now, 1, self._tz)
        if any(self.next_day(now)) and (upcoming is None or tomorrow < upcoming):
            upcoming = tomorrow
        if upcoming is not None:
            return Idle(upcoming=upcoming)
        if suspended := self._source.count_suspended(self._lessons):
            return Idle(suspended=suspended)
        # Nothing else holds every new card back day after day.
        paused = tuple(sorted(name for name, options in self._options.items()
                              if options.new_per_day == 0))
        return Idle(new_waiting=self._source.count_new(self._lessons), paused_decks=paused)

    def _on_day(self, at: datetime, start: datetime) -> list[QueuedCardLike]:
        return list(self._source.queue(at, start, self._options,
                                       day_end=day_start_after(start, 1, self._tz),
                                       lessons=self._lessons))


def mcq_layout(card_id: str, content: Mapping[str, Any], showing: int,
               last_review: datetime | None = None) -> tuple[str, tuple[Choice, ...]]:
    """The prompt (the card's `question`: its front without the choice listing) and the
    shuffled choices of a self-grading MCQ, or ("", ()) if it cannot grade itself (no valid
    answer letter, fewer than two choices, or no `question` in its content). The order
    changes with each review of the card (`last_review`) and each showing in a session, so
    that no position can be learnt in place of the answer."""
    raw = content.get("choices")
    answer = content.get("answer")
    prompt = content.get("question")
    if not isinstance(raw, list) or len(raw) < 2 or len(raw) > len(LETTERS):
        return "", ()
    texts = [str(t) for t in raw]
    if not isinstance(answer, str) or len(answer) != 1 or not isinstance(prompt, str):
        return "", ()
    if answer.upper() not in LETTERS[: len(texts)]:
        return "", ()
    right = LETTERS.index(answer.upper())
    reviewed = last_review.isoformat() if last_review is not None else ""
    explanation = content.get("explanation")
    order = choice_order(f"{card_id}:{reviewed}:{showing}", texts,
                         explanation if isinstance(explanation, str) else "")
    choices = tuple(Choice(LETTERS[shown], texts[orig], orig == right)
                    for shown, orig in enumerate(order))
    return prompt, choices



def _siblings(one: QueuedCardLike, other: QueuedCardLike) -> bool:
    """Two cards of one cloze note: they share its section (`cards/<key>`), as nothing else
    does."""
    return (one.id != other.id and one.kind == other.kind and one.lesson == other.lesson
            and one.section == other.section)

class ReviewSession:
    """One sitting of reviews. Call `current()` for the card to show; act on it with
    `reveal`, `choose`, `answer`, `bury`, `suspend`; `undo` takes back the last answer,
    burial or suspension."""

    def __init__(
        self,
        cards: Sequence[QueuedCardLike],
        schedulers: Mapping[str, Scheduler],
        sink: ReviewSink,
        clock: Callable[[], datetime],
        *,
        session_id: int | None = None,
        begin: Callable[[], int] | None = None,
        tz: tzinfo | None = None,
        timer: Callable[[], float] = time.monotonic,
        refill: Callable[[], Sequence[QueuedCardLike]] | None = None,
    ) -> None:
        """`refill` gives today's queue as it now stands: after cards are buried or
        suspended, the session takes from it the cards that then fit the day's limits, as
        Anki fills its queue up again."""
        self._schedulers = schedulers
        self._refill = refill
        self._hidden_since_refill = False
        self._sink = sink
        self._clock = clock
        self._timer = timer
        self._session_id = session_id
        self._begin = begin
        self._tz = tz
        self._queue: deque[Waiting] = deque()
        self._learning: list[Waiting] = []
        for card in cards:
            self._place(card, card.schedule, front=False)
        self._current: Showing | None = None
        self._shown_at = 0.0
        self._showings: dict[str, int] = {}
        self._done: list[_Answer | _Hidden] = []  # what `undo` takes back, latest last
        self._again = 0
        self._buried = 0
        self._suspended = 0
        self._leeches = 0
        self._started = clock()
        self._finished = False

    # -- reading ---------------------------------------------------------------------------

    def current(self) -> Showing | None:
        """The card on screen, choosing the next one if none is; None when the session is done."""
        if self._current is None and not self._finished:
            picked = self._pick()
            if picked is not None:
                self._show(*picked)
        return self._current

    @property
    def finished(self) -> bool:
        return self._finished or self.current() is None

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def undoable(self) -> str | None:
        """What `undo` would take back: "answer", "bury", "suspend", or None."""
        if not self._done:
            return None
        last = self._done[-1]
        if isinstance(last, _Answer):
            return "answer"
        return "suspend" if last.suspended else "bury"

    @property
    def remaining(self) -> int:
        """Cards waiting after the current one (learning cards included)."""
        return len(self._queue) + len(self._learning)

    def summary(self) -> Summary:
        now = self._clock()
        return Summary(
            reviewed=sum(isinstance(done, _Answer) for done in self._done),
            again=self._again,
            elapsed=max(now - self._started, timedelta(0)),
            buried=self._buried,
            suspended=self._suspended,
            learning_left=len(self._learning) + self._current_learning() + sum(
                1 for _, s in self._queue if s.state in _LEARNING),
            leeches=self._leeches,
        )

    def _current_learning(self) -> int:
        """1 if the card on screen is left learning: as it stood, or as its grade (a picked
        choice) made it."""
        showing = self._current
        if showing is None:
            return 0
        last = self._done[-1] if showing.graded is not None and self._done else None
        state = last.after.state if isinstance(last, _Answer) else showing.schedule.state
        return 1 if state in _LEARNING else 0

    @property
    def last_leech(self) -> tuple[str, int] | None:
        """When the latest act was an answer that made its card a leech (forgotten in review
        as often as the deck's leech threshold, or every half threshold more): the card's id
        and lapses. It is suspended, as Anki does, until it is unsuspended."""
        last = self._done[-1] if self._done else None
        if isinstance(last, _Answer) and last.leech:
            return last.card.id, last.leech
        return None

    # -- acting ----------------------------------------------------------------------------

    def reveal(self) -> Showing:
        showing = self._require()
        if not showing.revealed:
            now = self._clock()
            showing = showing._replace(revealed=True, previews=self._previews(showing, now),
                                       previewed_at=now)
            self._current = showing
        return showing

    def choose(self, letter: str) -> Showing:
        """Pick a choice of a self-grading MCQ: records Good or Again and reveals the back."""
        showing = self._require()
        if not showing.self_grading:
            raise SessionError("this card has no choices to pick from")
        if showing.chosen is not None:
            raise SessionError("a choice was already picked")
        letter = letter.upper()
        pick = next((c for c in showing.choices if c.letter == letter), None)
        if pick is None:
            raise SessionError(f"no choice {letter}")
        rating = Rating.GOOD if pick.correct else Rating.AGAIN
        if showing.previewed_at is None:
            now = self._clock()
            showing = showing._replace(previews=self._previews(showing, now), previewed_at=now)
        showing = showing._replace(revealed=True, chosen=letter)
        self._current = showing
        self._record(showing, rating)
        self._current = showing._replace(graded=rating)
        return self._current

    def answer(self, rating: Rating | None = None) -> None:
        """Rate the card on screen and move on. On a graded MCQ, None keeps the grade and any
        other rating replaces it. A card whose front is still showing is revealed first."""
        showing = self._require()
        if showing.graded is not None:
            if rating is not None and rating != showing.graded:
                last = self._done.pop()
                assert isinstance(last, _Answer)  # the grade on screen is the latest act
                self._uncount(last)
                self._record(showing, Rating(rating), replacing=last)
            self._advance()
            return
        if rating is None:
            raise SessionError("a rating is needed")
        if not showing.revealed:
            showing = self.reveal()
        self._record(showing, Rating(rating))
        self._advance()

    def undo(self) -> Showing | None:
        """Take back the last answer, burial or suspension. An answer's card has its schedule
        and log row restored by the sink and shows again, front first; a hidden card is
        brought back and shows as it was. Returns the new showing (None if nothing to undo)."""
        if not self._done:
            return None
        last = self._done.pop()
        self.flush()
        if isinstance(last, _Hidden):
            card_id = last.showing.card.id
            if last.suspended:
                self._sink.unsuspend([card_id])
                self._suspended -= 1
            else:
                self._sink.unbury([card_id])
                self._buried -= 1
            self._put_back_current(card_id)
            self._current = last.showing
            self._shown_at = self._timer()
            self._keep_new_within_limit()
            return self._current
        self._uncount(last)
        restored = self._sink.undo_answer(last.log_id, unsuspend=bool(last.leech))
        if last.buried:
            self._sink.unbury([card.id for card, _ in last.buried])
            self._buried -= len(last.buried)
            for card, sched in reversed(last.buried):
                self._queue.appendleft((card, sched))
        card_id = last.card.id
        self._learning = [(c, s) for c, s in self._learning if c.id != card_id]
        self._queue = deque((c, s) for c, s in self._queue if c.id != card_id)
        self._put_back_current(card_id)
        self._show(last.card, restored)
        if last.buried:
            self._keep_new_within_limit()
        return self._current

    def _keep_new_within_limit(self) -> None:
        """After an undo brings hidden cards back, the new cards a refill took in for them
        may pass the day's new-card limit: keep only the new cards today's queue still has."""
        if self._refill is None:
            return
        today = {card.id for card in self._refill()}
        self._queue = deque((c, s) for c, s in self._queue
                            if s.state is not State.NEW or c.id in today)

    def bury(self) -> None:
        """Hide the card on screen until the next day start (not a graded quiz: its answer
        is on record, as after any answer in Anki)."""
        showing = self._require_ungraded()
        self.flush()
        self._sink.bury([showing.card.id], day_start_after(self._clock(), 1, self._tz))
        self._buried += 1
        self._hidden_since_refill = True
        self._done.append(_Hidden(showing, suspended=False))
        self._current = None

    def suspend(self) -> None:
        """Take the card on screen out of reviews until it is unsuspended (not a graded
        quiz)."""
        showing = self._require_ungraded()
        self.flush()
        self._sink.suspend(showing.card.id)
        self._suspended += 1
        self._hidden_since_refill = True
        self._done.append(_Hidden(showing, suspended=True))
        self._current = None

    def flush(self) -> None:
        """Write what the session keeps pending: its start (`begin`). The screen calls this
        right after drawing a card, so that write never delays it; every other write flushes
        first."""
        if self._begin is not None:
            begin, self._begin = self._begin, None
            self._session_id = begin()

    @property
    def session_id(self) -> int | None:
        return self._session_id

    def quit(self) -> Summary:
        """End the session now. Everything answered is already saved."""
        self.flush()
        self._finished = True
        return self.summary()

    def preview_text(self, showing: Showing) -> str:
        """`10m  1d  3d  8d`: what Again, Hard, Good, Easy would give, in that order."""
        previews = showing.previews or self._previews(showing, self._clock())
        return "  ".join(previews[r] for r in Rating)

    # -- internals -------------------------------------------------------------------------

    def _require(self) -> Showing:
        showing = self.current()
        if showing is None:
            raise SessionError("no card is showing")
        return showing

    def _require_ungraded(self) -> Showing:
        showing = self._require()
        if showing.graded is not None:
            raise SessionError("the card on show is graded: undo the grade first")
        return showing

    def _scheduler(self, card: QueuedCardLike) -> Scheduler:
        try:
            return self._schedulers[card.deck]
        except KeyError:
            raise SessionError(f"no scheduler for deck {card.deck!r}") from None

    def _previews(self, showing: Showing, now: datetime) -> dict[Rating, str]:
        raw = self._scheduler(showing.card).preview(showing.card.id, showing.schedule, now)
        return {rating: format_interval(raw[rating]) for rating in Rating}

    def _place(self, card: QueuedCardLike, sched: CardSchedule, *, front: bool) -> None:
        if sched.state in _LEARNING:
            self._learning.append((card, sched))
        elif front:
            self._queue.appendleft((card, sched))
        else:
            self._queue.append((card, sched))

    def _pick(self) -> Waiting | None:
        now = self._clock()
        if self._learning:
            index = min(range(len(self._learning)), key=lambda i: self._learning[i][1].due)
            if self._learning[index][1].due <= now:
                return self._learning.pop(index)
        # Each pass that buries a late sibling frees room in the day's new cards: fill again.
        while not self._queue and self._hidden_since_refill and self._refill is not None:
            self._hidden_since_refill = False
            # Cards this session answered are learning here, or due another day; a card
            # shown and put back (or left out by an undo) may come again.
            known = {c.id for c, _ in self._learning} | {
                done.card.id for done in self._done if isinstance(done, _Answer)}
            for card in self._refill():
                if card.id in known:
                    continue
                answered = self._answered_new_sibling(card)
                if answered is None:
                    self._place(card, card.schedule, front=False)
                else:
                    self._bury_late_sibling(answered, card)
        if self._queue:
            return self._queue.popleft()
        if self._learning:
            index = min(range(len(self._learning)), key=lambda i: self._learning[i][1].due)
            if self._learning[index][1].due <= now + LEARN_AHEAD:
                return self._learning.pop(index)
        return None

    def _show(self, card: QueuedCardLike, sched: CardSchedule) -> None:
        number = self._showings.get(card.id, 0) + 1
        self._showings[card.id] = number
        prompt = ""
        choices: tuple[Choice, ...] = ()
        if card.kind == CardKind.MCQ.value:
            prompt, choices = mcq_layout(card.id, card.content, number, sched.last_review)
        self._current = Showing(card=card, schedule=sched, number=number,
                                prompt=prompt, choices=choices)
        self._shown_at = self._timer()

    def _put_back_current(self, undone_id: str) -> None:
        """Before an undone card shows again: the card on screen, unless it is that card or
        already answered, goes back to the front of its queue."""
        current = self._current
        if current is not None and current.card.id != undone_id and current.graded is None:
            self._place(current.card, current.schedule, front=True)
        self._current = None
        self._finished = False

    def _bury_new_siblings(self, card: QueuedCardLike) -> tuple[Waiting, ...]:
        """Bury the new cards still queued of the cloze note `card` belongs to, as Anki does
        when a new card is answered; returns them as they were queued."""
        siblings = tuple((c, s) for c, s in self._queue
                         if s.state is State.NEW and _siblings(c, card))
        if siblings:
            gone = {c.id for c, _ in siblings}
            self._queue = deque((c, s) for c, s in self._queue if c.id not in gone)
            self._sink.bury(list(gone), day_start_after(self._clock(), 1, self._tz))
            self._buried += len(siblings)
            self._hidden_since_refill = True
        return siblings

    def _answered_new_sibling(self, card: QueuedCardLike) -> int | None:
        """The index in `_done` of the answer to a new card of the cloze note that `card`, a
        new card, belongs to; None if there is none."""
        if card.kind != CardKind.CLOZE.value or card.schedule.state is not State.NEW:
            return None
        for index, done in enumerate(self._done):
            if (isinstance(done, _Answer) and done.before.state is State.NEW
                    and _siblings(done.card, card)):
                return index
        return None

    def _bury_late_sibling(self, index: int, card: QueuedCardLike) -> None:
        """Bury a new sibling the refill brings after its note's new card was answered (it
        was not queued then: the day's new-card limit held it back), as that answer buried
        the queued ones; undoing the answer brings it back with them."""
        answer = self._done[index]
        assert isinstance(answer, _Answer)
        self._sink.bury([card.id], day_start_after(self._clock(), 1, self._tz))
        self._buried += 1
        self._done[index] = answer._replace(buried=(*answer.buried, (card, card.schedule)))
        self._hidden_since_refill = True

    def _record(self, showing: Showing, rating: Rating,
                replacing: _Answer | None = None) -> None:
        """Answer the card on show; `replacing` is a grade being replaced, whose time and
        duration the new answer keeps."""
        if replacing is not None:
            now, duration_ms = replacing.at, replacing.duration_ms
        else:
            now = self._clock()
            duration_ms = max(0, int((self._timer() - self._shown_at) * 1000))
        before = showing.schedule
        # Scheduled as of the time the back's intervals were worked out, as Anki answers
        # with the states it showed: the interval given is the interval shown, even when a
        # day boundary of the scheduler passes while the back is read.
        scheduled_at = showing.previewed_at or now
        scheduler = self._scheduler(showing.card)
        after = scheduler.answer(showing.card.id, before, rating, scheduled_at)
        self.flush()
        leech = 0
        if rating is Rating.AGAIN and before.state is State.REVIEW:
            # The grade being replaced is still on record until this answer is written.
            lapses = self._sink.lapses(showing.card.id) + 1 - bool(
                replacing is not None and replacing.rating is Rating.AGAIN)
            leech = lapses if scheduler.is_leech(lapses) else 0
        log_id = self._sink.record_answer(
            showing.card.id, rating, before, after, now, duration_ms, self._session_id,
            suspend=bool(leech), replaces=replacing.log_id if replacing is not None else None,
            replaced_leech=bool(replacing is not None and replacing.leech))
        if replacing is not None:
            buried = replacing.buried
        elif before.state is State.NEW and showing.card.kind == CardKind.CLOZE.value:
            buried = self._bury_new_siblings(showing.card)
        else:
            buried = ()
        self._done.append(_Answer(showing.card, before, after, rating, log_id, now,
                                  duration_ms, buried, leech))
        if rating is Rating.AGAIN:
            self._again += 1
        if leech:
            self._leeches += 1

    def _uncount(self, answer: _Answer) -> None:
        """Take an answer being undone or replaced out of the session's counts."""
        if answer.rating is Rating.AGAIN:
            self._again -= 1
        if answer.leech:
            self._leeches -= 1

    def _advance(self) -> None:
        last = self._done[-1]
        assert isinstance(last, _Answer)
        if last.after.state in _LEARNING and not last.leech:  # a leech is suspended
            self._learning.append((last.card, last.after))
        self._current = None
