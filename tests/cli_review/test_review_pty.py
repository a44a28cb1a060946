"""`srs review` driven through a real pseudo-terminal; assertions on the screen and the database."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from review_pty import (
    BACK,
    FRONT,
    MCQ_BACK,
    MCQ_FRONT,
    Review,
    card_row,
    copy_lessons,
    correct_letter,
    env,
    letters_on,
    log_rows,
    read_db,
)

from srs.corpus import load_corpus
from srs.model import Card
from srs.schedule import day_start
from srs.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")


def cards_by_key(lessons: Path) -> dict[tuple[str, str], Card]:
    return {(c.lesson, c.key): c for c in load_corpus([lessons]).cards}


@pytest.fixture
def lessons(tmp_path: Path) -> Path:
    return copy_lessons(tmp_path)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "review.sqlite3"


def test_reveal_rate_mcq_right_and_wrong_undo_bury_quit(lessons: Path, db: Path) -> None:
    ids = cards_by_key(lessons)
    run = Review(lessons, db)
    screen = run.wait(FRONT)
    assert "Slices in Go" in screen and "nil slice" in screen
    assert "a nil slice has length" not in screen
    run.send(" ")
    screen = run.wait(BACK)
    assert "a nil slice has length and capacity zero" in screen
    for label in ("1 Again", "2 Hard", "3 Good", "4 Easy"):
        assert label in screen
    assert "1m" in screen and "10m" in screen
    run.send("3")

    # An MCQ answered right: graded Good at once, the back explains.
    screen = run.wait(MCQ_FRONT)
    assert "What does this program print?" in screen and "make([]int, 2, 5)" in screen
    assert letters_on(screen) == ["A", "B", "C", "D"]
    right = correct_letter(screen, "2 5")
    run.send(right.lower())
    screen = run.wait(MCQ_BACK)
    assert f"Right: {right}" in screen
    assert "sets the length to 2 and the capacity to 5" in screen
    q1 = ids[("slices", "q1")]
    assert log_rows(db) == [(ids[("slices", "qa/nil-len")].id, 3), (q1.id, 3)]
    run.send(" ")

    # The lesson's second question is a note of its own: not buried, it comes next.
    screen = run.wait(MCQ_FRONT)
    assert "Which call grows a slice" in screen
    run.send(correct_letter(screen, "append").lower())
    run.wait(MCQ_BACK)
    q2 = ids[("slices", "q2")]
    assert log_rows(db)[-1] == (q2.id, 3)
    run.send(" ")

    # Undo: the Q/A card of the next lesson rated Again, then taken back.
    screen = run.wait(FRONT)
    assert "Maps in Go" in screen and "missing key" in screen
    maps_qa = ids[("maps", "qa/missing-key")]
    run.send("\r")
    run.wait(BACK)
    run.send("1")
    run.wait(MCQ_FRONT)
    assert len(log_rows(db)) == 4 and card_row(db, maps_qa.id)[0] == 1
    run.send("u")
    screen = run.wait(FRONT)
    assert "Last answer undone." in screen and "missing key" in screen
    assert len(log_rows(db)) == 3
    assert card_row(db, maps_qa.id)[0] == 0 and card_row(db, maps_qa.id)[4] is None
    run.send(" ")
    run.wait(BACK)
    run.send("4")

    # An MCQ answered wrong: graded Again, then overridden with Hard before moving on.
    screen = run.wait(MCQ_FRONT)
    assert "nil map" in screen
    right = correct_letter(screen, "A run-time panic")
    wrong = next(letter for letter in letters_on(screen) if letter != right)
    run.send(wrong.lower())
    screen = run.wait(MCQ_BACK)
    assert f"Wrong: you picked {wrong}, the answer is {right}" in screen
    maps_q1 = ids[("maps", "q1")]
    assert log_rows(db)[-1] == (maps_q1.id, 1)
    run.send("2")

    # Bury, then quit.
    screen = run.wait(FRONT)
    assert "closed, empty channel" in screen
    chan_qa = ids[("channels", "qa/closed-recv")]
    run.send("b")
    screen = run.wait(MCQ_FRONT)
    assert "Buried until tomorrow." in screen
    assert card_row(db, chan_qa.id)[2] is not None
    run.send("q")
    rest, status = run.finish()
    assert status == 0
    assert "Reviewed 5 cards" in rest and "again 0%" in rest
    # Tomorrow's queue: the bury ends, and new cards come up to the deck's 20 a day.
    with read_db(db) as conn:
        new_left, decks = conn.execute(
            "SELECT count(*), count(DISTINCT deck) FROM cards WHERE state = 0").fetchone()
    assert decks == 1
    assert f" to review, {min(new_left, 20)} new" in rest
    assert "Traceback" not in run.seen
    assert log_rows(db) == [
        (ids[("slices", "qa/nil-len")].id, 3), (q1.id, 3), (q2.id, 3), (maps_qa.id, 4),
        (maps_q1.id, 2),
    ]
    with read_db(db) as conn:
        ended = conn.execute("SELECT count(*) FROM sessions WHERE ended IS NOT NULL").fetchone()
        assert ended == (1,)
        # only the card buried by hand is buried
        buried = conn.execute("SELECT id FROM cards WHERE buried_until IS NOT NULL").fetchall()
        assert buried == [(chan_qa.id,)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_suspend_and_ctrl_c_end_cleanly_and_restore_the_terminal(lessons: Path, db: Path) -> None:
    ids = cards_by_key(lessons)
    script = (f"{sys.executable} -m srs review {lessons}; echo EXIT=$?; "
              "stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo|isig)$' | tr '\\n' ' '; echo END")
    run = Review(lessons, db, program="/bin/sh", argv=["-c", script])
    run.wait(FRONT)
    run.send("s")
    screen = run.wait(MCQ_FRONT)
    assert f"srs unsuspend {ids[('slices', 'qa/nil-len')].id}" in screen.replace("\n", "")
    assert card_row(db, ids[("slices", "qa/nil-len")].id)[1] == 1
    run.send("\x03")
    screen = run.wait("END")
    assert "Reviewed 0 cards" in screen and "EXIT=130" in screen
    assert "icanon" in screen.split() and "echo" in screen.split() and "isig" in screen.split()
    assert "Traceback" not in run.seen


def test_sigint_while_waiting_for_a_key_ends_the_session(lessons: Path, db: Path) -> None:
    run = Review(lessons, db)
    run.wait(FRONT)
    run.send(" ")
    run.wait(BACK)
    run.send("4")
    run.wait(MCQ_FRONT)
    os.kill(run.child.pid, signal.SIGINT)
    rest, status = run.finish()
    assert status == 130 and "Reviewed 1 card " in rest
    assert "Traceback" not in run.seen
    assert len(log_rows(db)) == 1


def test_narrow_terminal_still_works(lessons: Path, db: Path) -> None:
    run = Review(lessons, db, cols=40)
    screen = run.wait(FRONT.split("/")[0])
    assert max(len(line) for line in screen.splitlines()) <= 40
    assert "Slices in" in screen
    run.send(" ")
    screen = run.wait("rate")
    assert "1 Again" in screen and "4 Easy" in screen
    assert max(len(line) for line in screen.splitlines()) <= 40
    run.send("3")
    screen = run.wait("choose")
    assert max(len(line) for line in screen.splitlines()) <= 40
    run.send("q")
    _, status = run.finish()
    assert status == 0 and len(log_rows(db)) == 1


def test_learning_cards_come_back_and_nothing_due_says_when(lessons: Path, db: Path) -> None:
    run = Review(lessons, db)
    answered = 0
    undone = False
    while True:
        index = run.child.expect_exact([FRONT, MCQ_FRONT, "any other key to finish"])
        if index == 2:
            if undone:
                run.send("\r")
                run.wait("Reviewed")
                break
            # The end screen still takes back the last answer: the card comes back.
            run.send("u")
            undone = True
            answered -= 1
            continue
        if index == 0:
            run.send(" ")
            run.child.expect_exact(BACK)
            run.send("4")
        else:
            run.send("a")
            run.child.expect_exact(MCQ_BACK)
            run.send("4")
        answered += 1
    rest, status = run.finish()
    assert status == 0
    # 7 new cards, MCQs graded then overridden with Easy: no learning step left
    assert answered == 7
    assert len(log_rows(db)) == 7
    again = subprocess.run([sys.executable, "-m", "srs", "review", str(lessons)],
                           env=env(db), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                           timeout=30, check=False)
    assert again.returncode == 0, again.stderr
    assert "Nothing due. The next card comes up on " in again.stdout
    # The earliest review: every card was rated Easy, days away (the clock's zone is UTC); it
    # comes up at the start of the study day it is due on.
    with read_db(db) as conn:
        earliest = conn.execute("SELECT min(due) FROM cards").fetchone()[0]
    when = datetime.fromtimestamp(earliest / 1e6, UTC)
    assert when - datetime(2026, 3, 2, 9, tzinfo=UTC) > timedelta(days=3)
    start = day_start(when, UTC)
    assert start.hour == 4
    assert f"on {start:%Y-%m-%d} at 04:00." in again.stdout


def test_again_brings_a_card_back_in_the_same_session(lessons: Path, db: Path) -> None:
    run = Review(lessons, db)
    run.wait(FRONT)
    run.send(" ")
    run.wait(BACK)
    run.send("1")
    for _ in range(6):   # the other six cards, answered Easy
        index = run.child.expect_exact([FRONT, MCQ_FRONT])
        if index == 0:
            run.send(" ")
            run.child.expect_exact(BACK)
        else:
            run.send("a")
            run.child.expect_exact(MCQ_BACK)
        run.send("4")
    screen = run.wait(FRONT)
    assert "nil slice" in screen            # due in 1 minute: within the learn-ahead window
    run.send("q")
    rest, _ = run.finish()
    assert "Reviewed 7 cards" in rest and "again 14%" in rest


def test_second_review_on_the_same_database_is_refused(lessons: Path, db: Path) -> None:
    with Store.open(db, now=datetime(2026, 3, 2, 9, tzinfo=UTC)):
        result = subprocess.run([sys.executable, "-m", "srs", "review", str(lessons)],
                                env=env(db), capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=30, check=False)
    assert result.returncode == 1
    assert "another srs is using" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_srs_now_and_missing_path_are_clear_errors(lessons: Path, db: Path) -> None:
    bad = subprocess.run([sys.executable, "-m", "srs", "review", str(lessons)],
                         env=env(db, now="yesterday"), capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=30, check=False)
    assert bad.returncode == 2 and "SRS_NOW" in bad.stderr
    missing = subprocess.run([sys.executable, "-m", "srs", "review", str(lessons / "nope.md")],
                             env=env(db), capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=30, check=False)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_a_card_taller_than_the_terminal_scrolls_and_follows_a_resize(tmp_path: Path,
                                                                      db: Path) -> None:
    lessons = tmp_path / "tall"
    lessons.mkdir()
    steps = "\n".join(f"{n}. Step {n} of the checklist." for n in range(1, 31))
    (lessons / "checklist.md").write_text(
        f'---\ntitle: "Checklist"\nslug: "checklist"\n---\n\n# Checklist\n\n## Cards\n\n'
        f"Q: What are the thirty steps, in order? {{#steps}}\nA: {steps}\n", encoding="utf-8")
    run = Review(lessons, db, rows=16, cols=70)
    run.wait(FRONT)
    run.send(" ")
    screen = run.wait(BACK)
    assert "↑↓ PgUp PgDn scroll" in screen and "Step 1 of" in screen
    assert "Step 30 of" not in screen
    run.send("\x1b[F")  # End
    screen = run.wait("of 32")
    assert "Step 30 of" in screen and "Step 1 of" not in screen
    run.send("\x1b[A")  # one line up: the last step leaves the screen
    screen = run.wait("of 32")
    assert "Step 29 of" in screen and "Step 30 of" not in screen
    run.wait("q quit")
    run.child.setwinsize(40, 70)  # the terminal grows: redrawn at once, no key pressed
    screen = run.wait("q quit")
    assert "Step 1 of" in screen and "Step 30 of" in screen and " of 32" not in screen
    assert "↑↓" not in screen
    run.send("3")
    run.wait(FRONT)
    run.send("q")
    _, status = run.finish()
    assert status == 0
    assert [rating for _, rating in log_rows(db)] == [3]


def test_a_card_forgotten_an_eighth_time_is_suspended_as_a_leech(lessons: Path,
                                                                  db: Path) -> None:
    nil_len = cards_by_key(lessons)[("slices", "qa/nil-len")].id
    run = Review(lessons, db)
    assert "nil slice" in run.wait(FRONT)
    run.send(" ")
    run.wait(BACK)
    run.send("4")  # Easy: a review card, days away
    run.wait(MCQ_FRONT)
    run.send("q")
    run.finish()
    with sqlite3.connect(db) as conn:  # seven earlier lapses on its record
        conn.executemany(
            "INSERT INTO review_log (card, time, rating, duration_ms, state_before, due_before, "
            "state_after, due_after) VALUES (?, 0, 1, 0, 2, 0, 3, 0)", [(nil_len,)] * 7)
    # Only that card due: no new cards a day in the deck the lessons' manifest names.
    (lessons.parent / "decks").mkdir()
    (lessons.parent / "decks" / "go.toml").write_text(
        'name = "Go"\nlessons = ["../lessons/*.md"]\n[options]\nnew_per_day = 0\n',
        encoding="utf-8")
    run = Review(lessons, db, now="2026-03-30T09:00:00+00:00")
    assert "nil slice" in run.wait(FRONT)
    run.send(" ")
    run.wait(BACK)
    run.send("1")
    screen = run.wait("any other key to finish")
    assert (f"Leech: forgotten 8 times, so suspended (u undoes). Reword it in its lesson; "
            f"after this session, srs unsuspend {nil_len} brings it back."
            ) in " ".join(screen.split())
    assert card_row(db, nil_len)[1] == 1
    run.send("u")  # taken back: not suspended, and shown again
    assert "nil slice" in run.wait(FRONT)
    assert card_row(db, nil_len)[1] == 0
    run.send(" ")
    run.wait(BACK)
    run.send("1")
    run.wait("any other key to finish")
    run.send("\r")
    rest, status = run.finish()
    assert status == 0 and "1 leech suspended" in run.seen
    assert card_row(db, nil_len)[1] == 1
    assert log_rows(db).count((nil_len, 1)) == 8
    again = subprocess.run([sys.executable, "-m", "srs", "review", str(lessons)],
                           env=env(db, "2026-03-30T09:00:00+00:00"), capture_output=True,
                           text=True, stdin=subprocess.DEVNULL, timeout=30, check=False)
    assert again.returncode == 0, again.stderr
    assert ("Nothing to review, and nothing comes up as things stand; 1 card is suspended in "
            "these lessons") in again.stdout
