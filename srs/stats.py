"""`srs stats`: plain numbers about the review database, computed with SQL aggregates.

Days are study days: they start at 04:00 local time (see srs.schedule), so a day around a
DST change is 23 or 25 hours long and every bucket edge below comes from `day_start_after`.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from srs.schedule import CURVE_DECAY, CURVE_FACTOR, day_start_after, study_day
from srs.store import Store, to_us

FORECAST_DAYS = 30
HEATMAP_DAYS = 84  # 12 weeks


@dataclass(frozen=True, slots=True)
class Retention:
    answers: int  # answers given to cards in the review state
    passed: int  # of those, not Again
    rate: float | None  # passed / answers, None without answers


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True, slots=True)
class LessonMastery:
    path: str
    slug: str
    title: str
    cards: int
    introduced: int
    mean_retrievability: float | None  # over introduced cards


@dataclass(frozen=True, slots=True)
class Leech:
    card: str
    lesson: str  # its title, else its slug
    lapses: int


@dataclass
class Stats:
    now: datetime
    today: date
    counts: dict[str, int]
    due_today: int  # including overdue
    due_tomorrow: int
    due_next_7_days: int  # today (with overdue) and the six days after
    forecast: list[DayCount]  # due per day from today (with overdue), FORECAST_DAYS days
    retention_7d: Retention
    retention_30d: Retention
    reviews_per_day: list[DayCount]  # the last HEATMAP_DAYS study days, oldest first
    reviews_today: int
    mean_retrievability: float | None
    streak: int  # consecutive study days with an answer, up to today (or yesterday)
    mastery: list[LessonMastery] = field(default_factory=list)
    leeches: list[Leech] = field(default_factory=list)  # suspended, most lapses first

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["now"] = self.now.isoformat()
        data["today"] = self.today.isoformat()
        for key in ("forecast", "reviews_per_day"):
            data[key] = [{"day": d.day.isoformat(), "count": d.count} for d in getattr(self, key)]
        return data


def compute_stats(store: Store, now: datetime, tz: tzinfo | None = None) -> Stats:
    today = study_day(now, tz)
    edges = [day_start_after(now, offset, tz) for offset in range(-HEATMAP_DAYS, FORECAST_DAYS + 1)]
    # edges[HEATMAP_DAYS + k] is the start of study day today + k.

    def edge(offset: int) -> datetime:
        return edges[HEATMAP_DAYS + offset]

    dues = store.due_times(edge(FORECAST_DAYS))
    forecast = []
    for offset in range(FORECAST_DAYS):
        low = 0 if offset == 0 else bisect_left(dues, to_us(edge(offset)))
        high = bisect_left(dues, to_us(edge(offset + 1)))
        forecast.append(DayCount(today + timedelta(days=offset), high - low))
    heat = [DayCount(today + timedelta(days=offset),
                     store.count_answers(edge(offset), edge(offset + 1)))
            for offset in range(-HEATMAP_DAYS + 1, 1)]
    summary = store.card_summary(now, edge(0), CURVE_FACTOR, CURVE_DECAY)
    counts = dict.fromkeys(
        ("new", "learning", "review", "relearning", "suspended", "buried", "orphaned"), 0)
    recall = 0.0
    for entry in summary.values():
        for key in counts:
            counts[key] += int(entry[key])
        recall += entry["recall"]
    counts["total"] = sum(int(e[k]) for e in summary.values()
                          for k in ("new", "learning", "review", "relearning", "suspended",
                                    "orphaned"))
    seen = counts["learning"] + counts["review"] + counts["relearning"]
    mastery = []
    lessons = store.lessons()
    for row in lessons:
        entry = summary.get(row.path, {})
        introduced = sum(int(entry.get(k, 0)) for k in ("learning", "review", "relearning"))
        cards = introduced + int(entry.get("new", 0))
        if not cards:
            continue  # a lesson whose cards are all gone or suspended
        mastery.append(LessonMastery(
            row.path, row.slug, row.title, cards, introduced,
            entry["recall"] / introduced if introduced else None))
    titles = {row.path: row.title or row.slug for row in lessons}
    return Stats(
        now=now,
        today=today,
        counts=counts,
        due_today=forecast[0].count,
        due_tomorrow=forecast[1].count,
        due_next_7_days=sum(d.count for d in forecast[:7]),
        forecast=forecast,
        retention_7d=_retention(store, now - timedelta(days=7), now),
        retention_30d=_retention(store, now - timedelta(days=30), now),
        reviews_per_day=heat,
        reviews_today=heat[-1].count,
        mean_retrievability=recall / seen if seen else None,
        streak=_streak(store, now, heat, tz),
        mastery=mastery,
        leeches=[Leech(card, titles.get(lesson, lesson), lapses)
                 for card, lesson, lapses in store.leeches()],
    )


def _retention(store: Store, start: datetime, end: datetime) -> Retention:
    answers, passed = store.review_answers(start, end)
    return Retention(answers, passed, passed / answers if answers else None)


def _streak(store: Store, now: datetime, heat: list[DayCount], tz: tzinfo | None) -> int:
    """Days in a row with at least one answer, ending today, or yesterday if today has none."""
    days = [d.count for d in heat]
    if days[-1] == 0:
        days.pop()
    streak = 0
    for count in reversed(days):
        if not count:
            return streak
        streak += 1
    # Every day of the heatmap had answers: keep walking back one study day at a time.
    first = store.first_answer_time()
    offset = -HEATMAP_DAYS
    while first is not None:
        low, high = day_start_after(now, offset, tz), day_start_after(now, offset + 1, tz)
        if high <= first or not store.has_answers(low, high):
            break
        streak += 1
        offset -= 1
    return streak
