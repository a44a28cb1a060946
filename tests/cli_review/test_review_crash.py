"""kill -9 during a review: every acknowledged answer is in the database, nothing more."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from review_pty import BACK, FRONT, MCQ_BACK, MCQ_FRONT, Review, copy_lessons, read_db

from srs.store import Store


@pytest.mark.parametrize("answers", [1, 2, 4, 7])
def test_kill_9_after_n_answers_keeps_exactly_n(tmp_path: Path, answers: int) -> None:
    lessons = copy_lessons(tmp_path)
    db = tmp_path / "review.sqlite3"
    run = Review(lessons, db)
    ratings = "3142"
    for n in range(answers):
        answer_one_acknowledged(run, ratings[n % len(ratings)])
    run.kill9()

    with read_db(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute(
            "SELECT card, state_after, step_after, stability_after, difficulty_after, due_after, "
            "last_review_after FROM review_log ORDER BY id").fetchall()
        assert len(rows) == answers
        latest = {row[0]: row[1:] for row in rows}
        for card, *state in conn.execute(
                "SELECT id, state, step, stability, difficulty, due, last_review FROM cards"):
            if card in latest:
                assert tuple(state) == latest[card]
            else:
                assert state[0] == 0 and state[5] is None  # still new, never reviewed
        assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (1,)
    # the lock died with the process: the file opens again as its single writer
    with Store.open(db, now=datetime(2026, 3, 2, 9, 5, tzinfo=UTC)) as store:
        assert store.integrity_check() == "ok"
        assert store.scalar("SELECT count(*) FROM review_log") == answers


def answer_one_acknowledged(run: Review, rating: str) -> None:
    """Answer the card on screen and wait for the screen that proves it was saved: the MCQ
    verdict, or the next card's hints after a rated card."""
    index = run.child.expect_exact([FRONT, MCQ_FRONT])
    if index == 0:
        run.send(" ")
        run.child.expect_exact(BACK)
        run.send(rating)
    else:
        run.send("a")
        run.child.expect_exact(MCQ_BACK)
        run.send(rating)
    # The next screen starts with a clear; its panel top proves the answer was committed.
    run.child.expect_exact("╭")


def _child_of(parent: int) -> int:
    """The pid of `parent`'s one child process (Linux /proc)."""
    for _ in range(200):
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                return int(stat.parent.name)
        time.sleep(0.05)
    raise AssertionError(f"no child of {parent}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_terminating_signal_restores_the_terminal_and_ends_the_session(
        tmp_path: Path, signum: int) -> None:
    lessons = copy_lessons(tmp_path)
    db = tmp_path / "review.sqlite3"
    # A shell runs the review, then prints the terminal's settings once srs has gone.
    script = f"{sys.executable} -m srs review {lessons}; echo STATUS $?; stty -a"
    run = Review(lessons, db, program="/bin/sh", argv=["-c", script])
    answer_one_acknowledged(run, "3")
    run.child.expect_exact([FRONT, MCQ_FRONT])
    os.kill(_child_of(run.child.pid), signum)
    run.wait(f"STATUS {128 + signum}")
    settings, status = run.finish()
    assert status == 0
    assert re.search(r"(?<!-)icanon\b", settings) and re.search(r"(?<!-)echo\b", settings)
    assert re.search(r"(?<!-)isig\b", settings) and re.search(r"(?<!-)opost\b", settings)
    with read_db(db) as conn:
        assert conn.execute("SELECT count(*) FROM review_log").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM sessions WHERE ended IS NOT NULL"
                            ).fetchone() == (1,)
