"""The study day rolls over at 04:00 local time, also across DST changes, and an interval of
N days ends N study days later."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from srs.model import DeckOptions
from srs.schedule import (
    CardSchedule,
    Rating,
    Scheduler,
    State,
    day_start,
    day_start_after,
    days_later,
    study_day,
)

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def _local(*args: int, tz: ZoneInfo = NY) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)


def test_rollover_at_four_local() -> None:
    before = _local(2026, 6, 10, 3, 59)
    after = _local(2026, 6, 10, 4, 0)
    assert study_day(before, NY) == date(2026, 6, 9)
    assert study_day(after, NY) == date(2026, 6, 10)
    assert day_start(before, NY) == _local(2026, 6, 9, 4, 0)
    assert day_start(after, NY) == after
    assert day_start(after, NY).tzinfo is UTC
    assert day_start_after(before, 1, NY) == after
    # EDT is UTC-4: 04:00 local is 08:00 UTC.
    assert day_start(after, NY) == datetime(2026, 6, 10, 8, 0, tzinfo=UTC)


def test_spring_forward_day_is_23_hours() -> None:
    # 2026-03-08 02:00 EST jumps to 03:00 EDT in New York.
    now = _local(2026, 3, 8, 12, 0)
    start = day_start(now, NY)
    assert start == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)  # 04:00 EDT
    previous = day_start_after(now, -1, NY)
    assert previous == datetime(2026, 3, 7, 9, 0, tzinfo=UTC)  # 04:00 EST
    assert start - previous == timedelta(hours=23)
    # 03:30 EDT on that morning is still the previous study day.
    early = datetime(2026, 3, 8, 3, 30, tzinfo=NY).astimezone(UTC)
    assert study_day(early, NY) == date(2026, 3, 7)
    assert day_start_after(early, 1, NY) == start


def test_fall_back_day_is_25_hours() -> None:
    # 2026-11-01 02:00 EDT falls back to 01:00 EST.
    now = _local(2026, 11, 1, 12, 0)
    start = day_start(now, NY)
    assert start == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # 04:00 EST
    previous = day_start_after(now, -1, NY)
    assert previous == datetime(2026, 10, 31, 8, 0, tzinfo=UTC)  # 04:00 EDT
    assert start - previous == timedelta(hours=25)
    # Both 01:30s of that night belong to October 31.
    for fold in (0, 1):
        ambiguous = datetime(2026, 11, 1, 1, 30, fold=fold, tzinfo=NY).astimezone(UTC)
        assert study_day(ambiguous, NY) == date(2026, 10, 31)


@pytest.mark.parametrize("tz", [NY, BERLIN, ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata")])
def test_every_instant_of_a_year_falls_in_exactly_one_day(tz: ZoneInfo) -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment < datetime(2027, 1, 1, tzinfo=UTC):
        start = day_start(moment, tz)
        end = day_start_after(moment, 1, tz)
        assert start <= moment < end
        assert timedelta(hours=23) <= end - start <= timedelta(hours=25)
        assert start.astimezone(tz).hour == 4
        moment += timedelta(hours=7, minutes=13)


def test_system_zone_is_used_without_tz() -> None:
    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    start = day_start(now)
    assert start <= now < day_start_after(now)
    assert start.astimezone().hour == 4


@pytest.mark.parametrize(("answered", "days"), [
    (_local(2026, 10, 31, 4, 30), 1),  # just after the rollover, the day before clocks go back
    (_local(2026, 10, 25, 23, 0), 7),
    (_local(2026, 3, 7, 3, 30), 1),  # before the rollover, the night before clocks go forward
    (_local(2026, 3, 8, 4, 5), 1),  # the first minutes of the 23-hour day
    (_local(2026, 6, 10, 12, 0), 400),
])
def test_an_interval_of_n_days_ends_n_study_days_later_across_dst(
        answered: datetime, days: int) -> None:
    due = days_later(answered, days, NY)
    assert study_day(due, NY) - study_day(answered, NY) == timedelta(days=days)
    assert due.astimezone(NY).time() == answered.astimezone(NY).time()


def test_a_review_answered_after_the_rollover_before_clocks_go_back_is_due_tomorrow() -> None:
    # 04:30 EDT on October 31; 24 hours later is 03:30 EST on November 1, still October 31's
    # study day: the card would come back the day it was answered.
    answered = _local(2026, 10, 31, 4, 30)
    scheduler = Scheduler(DeckOptions(), fuzz=False, tz=NY)
    learning = CardSchedule(State.LEARNING, 1, 1.0, 5.0, answered - timedelta(minutes=10),
                            answered - timedelta(minutes=10))
    after = scheduler.answer("00000000000000aa", learning, Rating.GOOD, answered)
    shown = scheduler.preview("00000000000000aa", learning, answered)[Rating.GOOD]
    assert after.state is State.REVIEW and shown == timedelta(days=1)
    assert study_day(after.due, NY) == date(2026, 11, 1)
    assert after.due >= day_start_after(answered, 1, NY)


def test_the_system_zone_gives_the_same_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        for answered, days in ((_local(2026, 10, 31, 4, 30), 1), (_local(2026, 3, 7, 3, 30), 1),
                               (_local(2026, 3, 7, 3, 30, 0, 250), 30)):
            assert days_later(answered, days) == days_later(answered, days, NY)
    finally:
        monkeypatch.undo()
        time.tzset()
