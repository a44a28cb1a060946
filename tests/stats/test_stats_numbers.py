"""`srs stats` numbers on a review log written by hand, where every expected value can be
counted off the table below."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import fsrs
import pytest
from rich.console import Console
from typer.testing import CliRunner

from srs.cli import app
from srs.model import Card, CardKind, DeckOptions, Lesson, SourcePos, card_id
from srs.schedule import CardSchedule, Rating, State, elapsed_study_days
from srs.stats import compute_stats
from srs.store import Store
from srs.ui.stats import print_stats

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def _at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _lesson(root: str, n: int, rank_title: str) -> Lesson:
    cards = tuple(
        Card(id=card_id(root, CardKind.QA, f"q{i}"), kind=CardKind.QA, lesson=root, key=f"q{i}",
             front=f"{root}{i}", back="b", source=SourcePos(Path(f"{root}.md"), i),
             ordinal=i, deck="d")
        for i in range(1, n + 1)
    )
    return Lesson(path=Path(f"/l/{root}.md"), title=rank_title, slug=root, number=1, level="",
                  tags=(), prerequisites=(), canonical_id=None, cards=cards)


def _s(state: State, stability: float | None, last: datetime | None, due: datetime) -> CardSchedule:
    step = None if state in (State.NEW, State.REVIEW) else 0
    return CardSchedule(state, step, stability, None if stability is None else 5.0, due, last)


NEW, LRN, REV, RELRN = State.NEW, State.LEARNING, State.REVIEW, State.RELEARNING

# (card, time, rating, before, after); the last row of each card is its current schedule.
LOG = [
    ("a3", _at(2, 20), Rating.GOOD, _s(NEW, None, None, _at(2, 20)),
     _s(REV, 20.0, _at(2, 20), _at(3, 10))),
    ("b2", _at(3, 1), Rating.AGAIN, _s(REV, 5.0, _at(2, 25), _at(3, 1)),
     _s(RELRN, 2.0, _at(3, 1), _at(3, 1, 12, 10))),
    ("b2", _at(3, 1, 12, 10), Rating.GOOD, _s(RELRN, 2.0, _at(3, 1), _at(3, 1, 12, 10)),
     _s(REV, 3.0, _at(3, 1, 12, 10), _at(3, 5))),
    ("a1", _at(3, 5), Rating.GOOD, _s(REV, 4.0, _at(3, 1), _at(3, 5)),
     _s(REV, 7.0, _at(3, 5), _at(3, 15))),
    ("a1", _at(3, 15), Rating.GOOD, _s(REV, 7.0, _at(3, 5), _at(3, 15)),
     _s(REV, 10.0, _at(3, 15), _at(3, 20, 20))),
    ("b2", _at(3, 18), Rating.AGAIN, _s(REV, 3.0, _at(3, 1, 12, 10), _at(3, 18)),
     _s(RELRN, 1.5, _at(3, 18), _at(3, 18, 12, 10))),
    ("b2", _at(3, 18, 12, 10), Rating.HARD, _s(RELRN, 1.5, _at(3, 18), _at(3, 18, 12, 10)),
     _s(REV, 8.0, _at(3, 18, 12, 10), _at(3, 25, 10))),
    ("a2", _at(3, 19), Rating.HARD, _s(REV, 2.0, _at(3, 16), _at(3, 19)),
     _s(REV, 4.0, _at(3, 19), _at(3, 21, 10))),
    ("b1", _at(3, 20, 11, 50), Rating.GOOD, _s(NEW, None, None, _at(3, 20)),
     _s(LRN, 2.3, _at(3, 20, 11, 50), _at(3, 20, 12))),
    # 03:00 UTC on the 20th is before the 04:00 rollover: study day March 19.
    ("b3", _at(3, 20, 3), Rating.EASY, _s(REV, 9.0, _at(3, 10), _at(3, 20, 3)),
     _s(REV, 20.0, _at(3, 20, 3), _at(3, 21, 6))),
]


def _build(path: Path) -> dict[str, str]:
    a, b = _lesson("a", 4, "Alpha"), _lesson("b", 3, "Beta")
    ids = {f"{lesson.slug}{i + 1}": c.id for lesson in (a, b) for i, c in enumerate(lesson.cards)}
    with Store.open(path, now=_at(2, 1)) as store:
        store.apply_lesson("/l/b.md", 1, 1, "h", b, 1, _at(2, 1))
        store.apply_lesson("/l/a.md", 1, 1, "h", a, 0, _at(2, 1))
        for name, when, rating, before, after in LOG:
            store.record_answer(ids[name], rating, before, after, when, 5000, None)
        store.suspend(ids["b3"])
    return ids


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "srs.sqlite3"
    _build(path)
    return path


def _expected_r(stability: float, last: datetime) -> float:
    """py-fsrs's retrievability with the time since `last` counted in study days, as the
    scheduler counts it (b2, last seen 47 hours 50 minutes before NOW, is two days back)."""
    days = elapsed_study_days(last, NOW, UTC)
    card = fsrs.Card(card_id=1, state=fsrs.State.Review, stability=stability, difficulty=5.0,
                     due=NOW, last_review=NOW - timedelta(days=days))
    return fsrs.Scheduler().get_card_retrievability(card, NOW)


def test_numbers_on_a_known_log(db: Path) -> None:
    with Store.open(db, now=NOW, read_only=True) as store:
        stats = compute_stats(store, NOW, UTC)
    assert stats.today == date(2026, 3, 20)
    assert stats.counts == {"total": 7, "new": 1, "learning": 1, "review": 4, "relearning": 0,
                            "suspended": 1, "buried": 0, "orphaned": 0}
    # Today: a1 (20:00), a3 (overdue since March 10), b1 (learning, 12:00); b3 is suspended.
    assert stats.due_today == 3
    assert stats.due_tomorrow == 1  # a2
    assert stats.due_next_7_days == 5  # + b2 on March 25
    assert len(stats.forecast) == 30
    assert [(d.day, d.count) for d in stats.forecast if d.count] == [
        (date(2026, 3, 20), 3), (date(2026, 3, 21), 1), (date(2026, 3, 25), 1)]
    # Review-state answers since March 13 12:00: GOOD, AGAIN, HARD, EASY.
    assert (stats.retention_7d.answers, stats.retention_7d.passed) == (4, 3)
    assert stats.retention_7d.rate == 0.75
    # Since February 18 12:00 also the AGAIN and GOOD of early March (a3's first answer was new).
    assert (stats.retention_30d.answers, stats.retention_30d.passed) == (6, 4)
    heat = {d.day: d.count for d in stats.reviews_per_day if d.count}
    assert heat == {date(2026, 2, 20): 1, date(2026, 3, 1): 2, date(2026, 3, 5): 1,
                    date(2026, 3, 15): 1, date(2026, 3, 18): 2, date(2026, 3, 19): 2,
                    date(2026, 3, 20): 1}
    assert len(stats.reviews_per_day) == 84
    assert stats.reviews_per_day[0].day == date(2025, 12, 27)
    assert stats.reviews_per_day[-1].day == date(2026, 3, 20)
    assert stats.reviews_today == 1
    assert stats.streak == 3  # March 18, 19, 20
    r = {
        "a1": _expected_r(10.0, _at(3, 15)), "a2": _expected_r(4.0, _at(3, 19)),
        "a3": _expected_r(20.0, _at(2, 20)), "b1": _expected_r(2.3, _at(3, 20, 11, 50)),
        "b2": _expected_r(8.0, _at(3, 18, 12, 10)),
    }
    assert stats.mean_retrievability == pytest.approx(sum(r.values()) / 5, rel=1e-12)
    alpha, beta = stats.mastery
    assert (alpha.title, alpha.cards, alpha.introduced) == ("Alpha", 4, 3)
    assert alpha.mean_retrievability == pytest.approx((r["a1"] + r["a2"] + r["a3"]) / 3)
    assert (beta.title, beta.cards, beta.introduced) == ("Beta", 2, 2)
    assert beta.mean_retrievability == pytest.approx((r["b1"] + r["b2"]) / 2)


def test_a_buried_card_is_due_when_its_burial_ends(db: Path) -> None:
    ids = {f"{r}{i}": card_id(r, CardKind.QA, f"q{i}") for r in "ab" for i in range(1, 5)}
    with Store.open(db, now=NOW) as store:
        store.bury([ids["a3"]], _at(3, 21, 4))  # overdue since March 10, buried until tomorrow
    with Store.open(db, now=NOW, read_only=True) as store:
        stats = compute_stats(store, NOW, UTC)
    assert stats.counts["buried"] == 1
    assert (stats.due_today, stats.due_tomorrow) == (2, 2)  # a1 and b1; a2 and a3


def test_streak_counts_from_yesterday_until_today_has_answers(db: Path) -> None:
    with Store.open(db, now=NOW, read_only=True) as store:
        assert compute_stats(store, NOW + timedelta(days=1), UTC).streak == 3
        assert compute_stats(store, NOW + timedelta(days=2), UTC).streak == 0
        # At 03:59 on March 21 it is still the study day of March 20.
        early = _at(3, 21, 3, 59)
        stats = compute_stats(store, early, UTC)
        assert (stats.today, stats.reviews_today, stats.streak) == (date(2026, 3, 20), 1, 3)


def test_long_streak_beyond_the_heatmap(tmp_path: Path) -> None:
    lesson = _lesson("a", 1, "Alpha")
    cid = lesson.cards[0].id
    start = _at(1, 1)
    with Store.open(tmp_path / "db", now=start) as store:
        store.apply_lesson("/l/a.md", 1, 1, "h", lesson, 0, start)
        sched = _s(NEW, None, None, start)
        for day in range(100):
            when = start + timedelta(days=day)
            after = _s(REV, 5.0, when, when + timedelta(days=1))
            store.record_answer(cid, Rating.GOOD, sched, after, when, 1, None)
            sched = after
        last = start + timedelta(days=99)
        assert compute_stats(store, last, UTC).streak == 100


def test_days_follow_local_time_across_dst(tmp_path: Path) -> None:
    ny = ZoneInfo("America/New_York")
    lesson = _lesson("a", 1, "Alpha")
    cid = lesson.cards[0].id
    times = [
        datetime(2026, 3, 8, 3, 30, tzinfo=ny),  # before the rollover: March 7
        datetime(2026, 3, 8, 4, 10, tzinfo=ny),  # March 8, in EDT
        datetime(2026, 3, 9, 3, 50, tzinfo=ny),  # still March 8
        datetime(2026, 3, 9, 4, 0, tzinfo=ny),  # March 9
    ]
    with Store.open(tmp_path / "db", now=times[0]) as store:
        store.apply_lesson("/l/a.md", 1, 1, "h", lesson, 0, times[0])
        sched = _s(NEW, None, None, times[0])
        for when in times:
            after = _s(REV, 5.0, when.astimezone(UTC), when.astimezone(UTC) + timedelta(days=3))
            store.record_answer(cid, Rating.GOOD, sched, after, when.astimezone(UTC), 1, None)
            sched = after
        now = datetime(2026, 3, 9, 12, 0, tzinfo=ny).astimezone(UTC)
        stats = compute_stats(store, now, ny)
    heat = {d.day: d.count for d in stats.reviews_per_day if d.count}
    assert heat == {date(2026, 3, 7): 1, date(2026, 3, 8): 2, date(2026, 3, 9): 1}
    # Without colour the shades are glyphs: Saturday and Monday half as busy as Sunday.
    out = StringIO()
    print_stats(stats, Console(file=out, width=100, color_system=None))
    lines = out.getvalue().splitlines()
    top = lines.index(next(line for line in lines if line.startswith("answers per day"))) + 1
    monday, saturday, sunday = (lines[top + row].split() for row in (0, 5, 6))
    assert [monday[-1], saturday[-1], sunday[-1]] == ["▒", "▒", "█"]
    assert {*monday[1:-1], *saturday[1:-1], *sunday[1:-1]} == {"·"}
    assert stats.streak == 3
    # Due March 12 04:00 EDT + 0:00 -> the forecast bucket of March 12.
    assert [(d.day, d.count) for d in stats.forecast if d.count] == [(date(2026, 3, 12), 1)]


def test_empty_store(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db", now=NOW) as store:
        stats = compute_stats(store, NOW, UTC)
    assert stats.counts["total"] == 0
    assert stats.retention_7d.rate is None
    assert stats.mean_retrievability is None
    assert stats.streak == 0 and stats.mastery == []
    out = StringIO()
    print_stats(stats, Console(file=out, width=50))
    assert "due today" in out.getvalue()


def test_leeches_are_the_suspended_cards_with_their_decks_threshold_of_lapses(
        tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    ids = _build(path)
    lapse = (_s(REV, 5.0, _at(2, 25), _at(3, 1)), _s(RELRN, 2.0, _at(3, 1), _at(3, 1, 12, 10)))
    with Store.open(path, now=NOW) as store:
        for name, lapses in (("a1", 8), ("a2", 13), ("a3", 8), ("a4", 7), ("b1", 9)):
            for _ in range(lapses):
                store.record_answer(ids[name], Rating.AGAIN, *lapse, _at(3, 1), 1000, None)
        for name in ("a1", "a2", "a4", "b1"):  # a3 was unsuspended; a4 is 7 lapses, by hand
            store.suspend(ids[name])
        store.set_deck_options({"d": DeckOptions(leech_threshold=9)})
        assert [(c, n) for c, _, n in store.leeches()] == [(ids["a2"], 13), (ids["b1"], 9)]
        store.set_deck_options({"d": DeckOptions()})
        stats = compute_stats(store, NOW, UTC)
    assert [(leech.card, leech.lesson, leech.lapses) for leech in stats.leeches] == [
        (ids["a2"], "Alpha", 13), (ids["b1"], "Beta", 9), (ids["a1"], "Alpha", 8)]
    out = StringIO()
    print_stats(stats, Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    assert "Reword each in its lesson, then srs unsuspend ID." in text
    assert f"{ids['a2']} │ Alpha" in text and "of them leeches" in text
    out = StringIO()
    print_stats(dataclasses.replace(stats, leeches=stats.leeches * 4),
                Console(file=out, width=100, color_system=None))
    assert "And 2 more (--json lists them all)." in out.getvalue()


def test_cli_json_and_rendering(db: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["stats", "--json", "--db", str(db), "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    with Store.open(db, now=NOW, read_only=True) as store:
        direct = compute_stats(store, NOW)
    assert data == json.loads(json.dumps(direct.to_json()))
    assert data["counts"]["review"] == 4
    assert data["retention_30d"] == {"answers": 6, "passed": 4, "rate": 4 / 6}
    assert [m["title"] for m in data["mastery"]] == ["Alpha", "Beta"]
    out = StringIO()
    print_stats(direct, Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    for expected in ("due today", "retention 30 days", "66.7% (4/6)", "Alpha", "Beta", "3/4",
                     "due per day, next 30 days", "answers per day, last 84 days"):
        assert expected in text
    result = runner.invoke(app, ["stats", "--db", str(db), "--now", "yesterday"])
    assert result.exit_code == 2
    assert "--now is not an ISO-8601 time: 'yesterday'" in result.output


def test_now_without_offset_is_refused_like_srs_now(db: Path) -> None:
    runner = CliRunner()
    naive = "2026-03-20T12:00:00"
    result = runner.invoke(app, ["stats", "--db", str(db), "--now", naive])
    assert result.exit_code == 2
    assert "--now needs a UTC offset" in result.output
    result = runner.invoke(app, ["review", "--db", str(db)], env={"SRS_NOW": naive})
    assert result.exit_code == 2
    assert "SRS_NOW needs a UTC offset" in result.output
    for far in ("9999-12-31T23:00:00+00:00", "0001-01-01T00:00:00+00:00"):
        result = runner.invoke(app, ["stats", "--db", str(db), "--now", far])
        assert result.exit_code == 2, result.output
        assert f"--now must fall between the years 1970 and 9000: '{far}'" in result.output
        result = runner.invoke(app, ["review", "--db", str(db)], env={"SRS_NOW": far})
        assert result.exit_code == 2, result.output


def test_stats_on_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "srs.sqlite3"
    result = CliRunner().invoke(app, ["stats", "--db", str(missing), "--now", NOW.isoformat()])
    assert result.exit_code == 1
    assert f"no review database at {missing} yet; run `srs review` first" in result.output
    assert not missing.parent.exists()
    (tmp_path / "here").mkdir()
    result = CliRunner().invoke(app, ["stats", "--db", str(tmp_path / "here" / "db")])
    assert result.exit_code == 1
    assert list((tmp_path / "here").iterdir()) == []
