"""Scheduling: the only user of py-fsrs. No I/O; `now` is always passed in, timezone-aware UTC.

A card's schedule is plain data (`CardSchedule`); `Scheduler.answer` returns the next one.
Fuzz is seeded from the card id and its last review, so one answer always gives one interval
(a preview shows what the answer will really give, and tests can repeat a session). As in
Anki, passing ratings that schedule reviews stay apart: Good at least a day past Hard, Easy at
least a day past Good.
The study day rolls over at 04:00 local time, as in Anki, and the time since a card's last
review is counted in study days, as Anki counts it for FSRS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import IntEnum

import fsrs
from fsrs.scheduler import FUZZ_RANGES

from srs.model import DeckOptions, stable_digest

ROLLOVER_HOUR = 4
LEARNING_STEPS = (timedelta(minutes=1), timedelta(minutes=10))
RELEARNING_STEPS = (timedelta(minutes=10),)
LEARN_AHEAD = timedelta(minutes=20)

_DECAY = -float(fsrs.scheduler.DEFAULT_PARAMETERS[20])
_FACTOR = 0.9 ** (1 / _DECAY) - 1
# The FSRS forgetting curve R(t) = (1 + FACTOR * t / S) ** DECAY, t in whole days (for SQL).
CURVE_FACTOR = _FACTOR
CURVE_DECAY = _DECAY


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


class State(IntEnum):
    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


@dataclass(frozen=True, slots=True)
class CardSchedule:
    """Where a card stands. A NEW card has never been answered (no stability, no last review)."""

    state: State
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None


def new_schedule(now: datetime) -> CardSchedule:
    """A never-seen card, due now."""
    return CardSchedule(State.NEW, None, None, None, _utc(now), None)


def fsrs_card_id(card_id: str) -> int:
    """py-fsrs wants an int id; derive it from the card's hex id (any other text is hashed)."""
    try:
        return int(card_id[:12], 16)
    except ValueError:
        return int(stable_digest(card_id)[:12], 16)


class _SeededFsrs(fsrs.Scheduler):
    """py-fsrs with fuzz drawn from a seed we set per answer, not from the global generator,
    so that the interval a rating shows before the answer is the one the answer gives. It
    replaces py-fsrs 6.3's `_get_fuzzed_interval` (same bands, same rounding; pinned in
    pyproject.toml, and tests/schedule compares both)."""

    seed: str = ""

    def _get_fuzzed_interval(self, *, interval: timedelta) -> timedelta:
        days = interval.days
        if days < 2.5:
            return interval
        # A uniform draw in [0, 1) read from a hash of the seed: seeding a `random.Random`
        # with the text cost 7 us, a third of the answer, paid once per rating shown.
        draw = int(stable_digest(self.seed), 16) / 2**64
        spread = 1.0
        for band in FUZZ_RANGES:
            spread += band["factor"] * max(min(float(days), band["end"]) - band["start"], 0.0)
        low = max(2, round(days - spread))
        high = min(round(days + spread), self.maximum_interval)
        low = min(low, high)
        chosen = min(round(draw * (high - low + 1) + low), self.maximum_interval)
        return timedelta(days=chosen)


class Scheduler:
    """FSRS with a deck's options: learning steps 1m 10m, relearning 10m."""

    def __init__(self, options: DeckOptions, *, fuzz: bool = True,
                 tz: tzinfo | None = None) -> None:
        self.options = options
        self.fuzz = fuzz
        self.tz = tz  # whose 04:00 ends a study day; None: the system's local time
        self._fsrs = _SeededFsrs(
            desired_retention=options.desired_retention,
            learning_steps=LEARNING_STEPS,
            relearning_steps=RELEARNING_STEPS,
            maximum_interval=options.maximum_interval,
            enable_fuzzing=fuzz,
        )

    def is_leech(self, lapses: int) -> bool:
        """Whether a card forgotten `lapses` times in review is a leech now: at the deck's
        threshold, and at every half threshold more, as Anki tells a leech again."""
        threshold = self.options.leech_threshold
        return (threshold > 0 and lapses >= threshold
                and (lapses - threshold) % ((threshold + 1) // 2) == 0)  # half, rounded up

    def answer(
        self, card_id: str, sched: CardSchedule, rating: Rating, now: datetime
    ) -> CardSchedule:
        now = _utc(now)
        after = self._answer_in_days(card_id, sched, rating, now)
        if after.state is State.REVIEW:
            # An interval of N days ends N study days later, as Anki's day numbers do, at the
            # same local time: over a DST change 24-hour days would put a card answered just
            # after the rollover back into the day it was answered in, or skip a day.
            after = replace(after, due=days_later(now, (after.due - now).days, self.tz))
        return after

    def _answer_in_days(
        self, card_id: str, sched: CardSchedule, rating: Rating, now: datetime
    ) -> CardSchedule:
        """The next schedule, review intervals as whole 24-hour days from `now`."""
        after = self._fsrs_answer(card_id, sched, rating, now)
        if rating > Rating.HARD and after.state is State.REVIEW:
            # py-fsrs can give Hard, Good and Easy one interval (short stabilities, fuzz);
            # Anki keeps each passing rating a day past the one below when both schedule a
            # review, so the buttons always mean more time for an easier answer.
            below = self._answer_in_days(card_id, sched, Rating(rating - 1), now)
            if below.state is State.REVIEW:
                days = min((below.due - now).days + 1, self.options.maximum_interval)
                if (after.due - now).days < days:
                    after = replace(after, due=now + timedelta(days=days))
        return after

    def _fsrs_answer(self, card_id: str, sched: CardSchedule, rating: Rating,
                     now: datetime) -> CardSchedule:
        # Seeded by the card and its last review, not the time of the answer: the intervals
        # shown on the back are the ones the answer gives, however long the learner looked.
        last = sched.last_review.isoformat() if sched.last_review is not None else "new"
        self._fsrs.seed = f"{card_id}@{last}"
        card, _log = self._fsrs.review_card(
            _to_fsrs(card_id, sched, self.elapsed_days(sched, now), now),
            fsrs.Rating(int(rating)), now,
        )
        return CardSchedule(
            state=State(int(card.state)),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=card.due,
            last_review=card.last_review,
        )

    def preview(self, card_id: str, sched: CardSchedule, now: datetime) -> dict[Rating, timedelta]:
        """The interval each rating would give if answered at `now` (whole days for a review,
        even when a DST change makes them 23 or 25 hours)."""
        now = _utc(now)
        return {r: self._answer_in_days(card_id, sched, r, now).due - now for r in Rating}

    def elapsed_days(self, sched: CardSchedule, now: datetime) -> int | None:
        """Study days since the card's last review, as Anki counts them for FSRS: a review
        at 23:00 and one at 05:00 the next morning are a day apart, two on the same study
        day none, whatever the hours between (None for a card never reviewed)."""
        if sched.last_review is None:
            return None
        return elapsed_study_days(sched.last_review, now, self.tz)

    def retrievability(self, sched: CardSchedule, now: datetime) -> float:
        elapsed = self.elapsed_days(sched, now)
        if sched.state is State.NEW or sched.stability is None or elapsed is None:
            return 0.0
        return retrievability(sched.stability, elapsed)


def retrievability(stability: float, elapsed_days: float) -> float:
    """FSRS forgetting curve (default parameters), as py-fsrs computes it."""
    return float((1 + _FACTOR * max(0.0, elapsed_days) / stability) ** _DECAY)


def _to_fsrs(card_id: str, sched: CardSchedule, elapsed_days: int | None,
             now: datetime) -> fsrs.Card:
    if sched.state is State.NEW:
        return fsrs.Card(card_id=fsrs_card_id(card_id), state=fsrs.State.Learning, step=0,
                         due=_utc(sched.due))
    # py-fsrs counts whole 24-hour periods from the last review (its only use of that time);
    # it is given the last review that many study days before `now`, so it counts days
    # the way Anki does.
    last_review = None if elapsed_days is None else now - timedelta(days=max(0, elapsed_days))
    return fsrs.Card(
        card_id=fsrs_card_id(card_id),
        state=fsrs.State(int(sched.state)),
        step=sched.step,
        stability=sched.stability,
        difficulty=sched.difficulty,
        due=_utc(sched.due),
        last_review=last_review,
    )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def format_interval(delta: timedelta) -> str:
    """Short, Anki-like: `1m`, `10m`, `3h`, `1d`, `3d`, `2.1mo`, `1.3y`."""
    seconds = max(0.0, delta.total_seconds())
    minutes = seconds / 60
    if minutes < 60:
        return f"{max(1, round(minutes))}m"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}h"
    days = hours / 24
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{_one_decimal(days / 30)}mo"
    return f"{_one_decimal(days / 365)}y"


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _rollover_at(day: date, tz: tzinfo | None) -> datetime:
    """The UTC instant of 04:00 local time on `day`."""
    if tz is None:
        stamp = time.mktime((day.year, day.month, day.day, ROLLOVER_HOUR, 0, 0, 0, 0, -1))
        return datetime.fromtimestamp(stamp, UTC)
    local = datetime(day.year, day.month, day.day, ROLLOVER_HOUR, tzinfo=tz)
    return local.astimezone(UTC)


def days_later(moment: datetime, days: int, tz: tzinfo | None = None) -> datetime:
    """The UTC instant of `moment`'s local wall-clock time `days` calendar days later (`tz`
    None: the system's local time), so it falls `days` study days after `moment`'s."""
    if tz is None:
        local = time.localtime(moment.timestamp())
        stamp = time.mktime((local.tm_year, local.tm_mon, local.tm_mday + days, local.tm_hour,
                             local.tm_min, local.tm_sec, 0, 0, -1))
        return datetime.fromtimestamp(stamp, UTC).replace(microsecond=moment.microsecond)
    return (_utc(moment).astimezone(tz) + timedelta(days=days)).astimezone(UTC)


def study_day(now: datetime, tz: tzinfo | None = None) -> date:
    """The local date of the study day `now` falls in (before 04:00 counts as the day before)."""
    local = _utc(now).astimezone(tz) if tz is not None else _utc(now).astimezone()
    day = local.date()
    if _rollover_at(day, tz) > now:
        day -= timedelta(days=1)
    return day


def elapsed_study_days(since: datetime, now: datetime, tz: tzinfo | None = None) -> int:
    """Whole study days from the one `since` falls in to the one `now` falls in."""
    return (study_day(now, tz) - study_day(since, tz)).days


def day_start(now: datetime, tz: tzinfo | None = None) -> datetime:
    """UTC instant of the last 04:00 local time at or before `now` (`tz` None: the system's)."""
    return _rollover_at(study_day(now, tz), tz)


def day_start_after(now: datetime, days: int = 1, tz: tzinfo | None = None) -> datetime:
    """UTC instant of 04:00 local `days` study days after the one `now` falls in
    (`days=1`: tomorrow's rollover); a DST change makes that day 23 or 25 hours long."""
    return _rollover_at(study_day(now, tz) + timedelta(days=days), tz)
