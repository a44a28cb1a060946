"""srs.schedule against py-fsrs itself, with fixed clocks."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import fsrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srs.model import DeckOptions
from srs.schedule import (
    CardSchedule,
    Rating,
    Scheduler,
    State,
    format_interval,
    fsrs_card_id,
    new_schedule,
    retrievability,
)

CARD = "0123456789abcdef"
T0 = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


def _run_ours(options: DeckOptions, answers: list[tuple[timedelta, Rating]],
              fuzz: bool = False) -> list[CardSchedule]:
    scheduler = Scheduler(options, fuzz=fuzz, tz=UTC)
    sched = new_schedule(T0)
    seen = []
    for offset, rating in answers:
        sched = scheduler.answer(CARD, sched, rating, T0 + offset)
        seen.append(sched)
    return seen


def _run_fsrs(options: DeckOptions, answers: list[tuple[timedelta, Rating]]) -> list[fsrs.Card]:
    reference = fsrs.Scheduler(
        desired_retention=options.desired_retention,
        learning_steps=(timedelta(minutes=1), timedelta(minutes=10)),
        relearning_steps=(timedelta(minutes=10),),
        maximum_interval=options.maximum_interval,
        enable_fuzzing=False,
    )
    card = fsrs.Card(card_id=fsrs_card_id(CARD), due=T0)
    seen = []
    for offset, rating in answers:
        card, _ = reference.review_card(card, fsrs.Rating(int(rating)), T0 + offset)
        seen.append(card)
    return seen


# Each review a whole number of 24-hour periods after the last one, where py-fsrs's count of
# days and the study days Anki counts agree.
HISTORY = [
    (timedelta(0), Rating.GOOD),
    (timedelta(minutes=10), Rating.GOOD),
    (timedelta(days=3, minutes=10), Rating.GOOD),
    (timedelta(days=12, minutes=10), Rating.AGAIN),
    (timedelta(days=12, minutes=20), Rating.HARD),
    (timedelta(days=15, minutes=20), Rating.EASY),
    (timedelta(days=60, minutes=20), Rating.GOOD),
]


@pytest.mark.parametrize("options", [
    DeckOptions(),
    DeckOptions(desired_retention=0.8),
    DeckOptions(desired_retention=0.95, maximum_interval=20),
])
def test_fuzz_off_numbers_equal_py_fsrs(options: DeckOptions) -> None:
    ours = _run_ours(options, HISTORY)
    theirs = _run_fsrs(options, HISTORY)
    for mine, ref in zip(ours, theirs, strict=True):
        assert int(mine.state) == int(ref.state)
        assert mine.step == ref.step
        assert mine.stability == ref.stability
        assert mine.difficulty == ref.difficulty
        assert mine.due == ref.due
        assert mine.last_review == ref.last_review
    # The deck options reach the scheduler: the maximum interval caps every review interval.
    if options.maximum_interval == 20:
        assert all(s.due - s.last_review <= timedelta(days=20)
                   for s in ours if s.last_review is not None)


def test_learning_steps_and_relearning_step() -> None:
    scheduler = Scheduler(DeckOptions(), fuzz=False)
    new = new_schedule(T0)
    assert new.state is State.NEW and new.stability is None
    preview = scheduler.preview(CARD, new, T0)
    assert preview[Rating.AGAIN] == timedelta(minutes=1)
    assert preview[Rating.HARD] == timedelta(minutes=5, seconds=30)
    assert preview[Rating.GOOD] == timedelta(minutes=10)
    first = scheduler.answer(CARD, new, Rating.GOOD, T0)
    assert (first.state, first.step) == (State.LEARNING, 1)
    graduated = scheduler.answer(CARD, first, Rating.GOOD, first.due)
    assert graduated.state is State.REVIEW
    lapse = scheduler.answer(CARD, graduated, Rating.AGAIN, graduated.due)
    assert (lapse.state, lapse.step) == (State.RELEARNING, 0)
    assert lapse.due - lapse.last_review == timedelta(minutes=10)  # type: ignore[operator]


def _py_fsrs_fuzz_outcomes(sched: CardSchedule, rating: Rating, now: datetime) -> set[datetime]:
    """Every due py-fsrs itself gives with fuzz on, over many seeds of its global generator."""
    reference = fsrs.Scheduler(enable_fuzzing=True)
    card = fsrs.Card(card_id=1, state=fsrs.State(int(sched.state)), step=sched.step,
                     stability=sched.stability, difficulty=sched.difficulty, due=sched.due,
                     last_review=sched.last_review)
    state = random.getstate()
    try:
        outcomes = set()
        for seed in range(1500):
            random.seed(seed)
            outcomes.add(reference.review_card(card, fsrs.Rating(int(rating)), now)[0].due)
        return outcomes
    finally:
        random.setstate(state)


def test_fuzz_is_deterministic_per_card_and_review_and_within_py_fsrs_outcomes() -> None:
    plain = _run_ours(DeckOptions(), HISTORY, fuzz=False)
    fuzzed = _run_ours(DeckOptions(), HISTORY, fuzz=True)
    again = _run_ours(DeckOptions(), HISTORY, fuzz=True)
    assert fuzzed == again
    scheduler = Scheduler(DeckOptions())
    for stability, elapsed in [(3.0, 3), (11.0, 11), (40.0, 40), (400.0, 380)]:
        review = CardSchedule(State.REVIEW, None, stability, 5.0, T0, T0 - timedelta(days=elapsed))
        possible = _py_fsrs_fuzz_outcomes(review, Rating.GOOD, T0)
        assert len(possible) > 1
        ours = {scheduler.answer(f"{i:016x}", review, Rating.GOOD, T0).due for i in range(60)}
        assert ours <= possible
        assert len(ours) > 1  # different cards get different fuzz
    # Short intervals are never fuzzed.
    for base, fuzz in zip(plain, fuzzed, strict=True):
        assert fuzz.stability == base.stability
        if (base.due - base.last_review).days < 3:  # type: ignore[operator]
            assert fuzz.due == base.due


@settings(max_examples=300, deadline=None)
@given(stability=st.floats(0.05, 400), elapsed=st.integers(0, 400), fuzz=st.booleans(),
       retention=st.sampled_from([0.8, 0.9, 0.95]), state=st.sampled_from(
           [State.REVIEW, State.LEARNING, State.RELEARNING]),
       maximum=st.sampled_from([36500, 30, 3]))
def test_passing_ratings_that_schedule_reviews_are_a_day_apart(
        stability: float, elapsed: int, fuzz: bool, retention: float, state: State,
        maximum: int) -> None:
    scheduler = Scheduler(DeckOptions(desired_retention=retention, maximum_interval=maximum),
                          fuzz=fuzz)
    step = None if state is State.REVIEW else (1 if state is State.LEARNING else 0)
    sched = CardSchedule(state, step, stability, 5.0, T0, T0 - timedelta(days=elapsed))
    outcomes = {rating: scheduler.answer(CARD, sched, rating, T0) for rating in Rating}
    reviews = [(outcomes[r].due - T0).days for r in (Rating.HARD, Rating.GOOD, Rating.EASY)
               if outcomes[r].state is State.REVIEW]
    # A day apart, up to the deck's maximum interval, which caps them all.
    assert reviews == sorted(reviews)
    assert all(low < high or high == maximum for low, high in itertools.pairwise(reviews))
    for rating, after in outcomes.items():
        # Only the interval moves, and only later: the memory state is py-fsrs's own.
        plain = scheduler._fsrs_answer(CARD, sched, rating, T0)
        assert (after.state, after.stability, after.difficulty) == (
            plain.state, plain.stability, plain.difficulty)
        assert plain.due <= after.due <= T0 + timedelta(days=scheduler.options.maximum_interval)


def test_preview_matches_the_answer_it_previews() -> None:
    scheduler = Scheduler(DeckOptions())
    review = CardSchedule(State.REVIEW, None, 12.0, 5.0, T0, T0 - timedelta(days=12))
    preview = scheduler.preview(CARD, review, T0)
    for rating in Rating:
        assert scheduler.answer(CARD, review, rating, T0).due - T0 == preview[rating]


def test_the_fuzz_shown_before_an_answer_is_the_one_it_gets_later() -> None:
    # The back is shown, then the learner thinks for a while: the fuzzed day stays the same.
    scheduler = Scheduler(DeckOptions())
    for i in range(40):
        card = f"{i:016x}"
        for sched in (new_schedule(T0), CardSchedule(State.REVIEW, None, 30.0, 5.0, T0,
                                                     T0 - timedelta(days=30))):
            shown = scheduler.preview(card, sched, T0)
            for rating in (Rating.GOOD, Rating.EASY):
                later = T0 + timedelta(seconds=17 + i)
                got = scheduler.answer(card, sched, rating, later).due - later
                assert got.days == shown[rating].days


def test_retrievability_equals_py_fsrs() -> None:
    reference = fsrs.Scheduler()
    for stability, days in [(1.0, 0), (2.3, 2), (10.0, 30), (150.0, 3)]:
        last = T0 - timedelta(days=days, hours=5)
        card = fsrs.Card(card_id=1, state=fsrs.State.Review, stability=stability,
                         difficulty=5.0, due=T0, last_review=last)
        expected = reference.get_card_retrievability(card, T0)
        ours = Scheduler(DeckOptions(), tz=UTC).retrievability(
            CardSchedule(State.REVIEW, None, stability, 5.0, T0, last), T0)
        assert ours == pytest.approx(expected, rel=1e-12)
        assert retrievability(stability, days) == pytest.approx(expected, rel=1e-12)
    assert Scheduler(DeckOptions()).retrievability(new_schedule(T0), T0) == 0.0


def test_elapsed_time_is_counted_in_study_days_as_anki_does() -> None:
    """An evening review and the next morning's are a day apart (the day rolls over at 04:00),
    so the morning answer grows stability as after a day, not as on the same day; and two
    answers on one study day give the same result whatever their hour."""
    scheduler = Scheduler(DeckOptions(), fuzz=False, tz=UTC)
    evening = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    card = CardSchedule(State.REVIEW, None, 1.2, 5.0, evening + timedelta(days=1), evening)
    morning = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)
    late = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    night = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # before the rollover: still March 2nd
    assert [scheduler.elapsed_days(card, t) for t in (night, morning, late)] == [0, 1, 1]
    reference = fsrs.Scheduler(learning_steps=(timedelta(minutes=1), timedelta(minutes=10)),
                               relearning_steps=(timedelta(minutes=10),), enable_fuzzing=False)
    for now, days in [(morning, 1), (late, 1), (night, 0)]:
        ours = scheduler.answer(CARD, card, Rating.GOOD, now)
        theirs, _ = reference.review_card(
            fsrs.Card(card_id=fsrs_card_id(CARD), state=fsrs.State.Review, stability=1.2,
                      difficulty=5.0, due=card.due, last_review=now - timedelta(days=days)),
            fsrs.Rating.Good, now)
        assert (ours.stability, ours.difficulty) == (theirs.stability, theirs.difficulty)
    at_morning = scheduler.answer(CARD, card, Rating.GOOD, morning)
    at_late = scheduler.answer(CARD, card, Rating.GOOD, late)
    assert at_morning.stability == at_late.stability
    assert at_morning.due - morning == at_late.due - late
    assert scheduler.answer(CARD, card, Rating.GOOD, night).stability != at_morning.stability
    assert scheduler.retrievability(card, morning) == retrievability(1.2, 1)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        Scheduler(DeckOptions()).answer(CARD, new_schedule(T0), Rating.GOOD,
                                        datetime(2026, 3, 1, 15, 0))


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(seconds=20), "1m"),
    (timedelta(minutes=1), "1m"),
    (timedelta(minutes=10), "10m"),
    (timedelta(hours=3), "3h"),
    (timedelta(days=1), "1d"),
    (timedelta(days=3), "3d"),
    (timedelta(days=63), "2.1mo"),
    (timedelta(days=90), "3mo"),
    (timedelta(days=475), "1.3y"),
])
def test_format_interval(delta: timedelta, text: str) -> None:
    assert format_interval(delta) == text
