"""Helpers for driving `srs review` in a real pseudo-terminal and reading its database."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pexpect

REPO = Path(__file__).resolve().parents[2]
LESSONS = Path(__file__).resolve().parent / "fixtures" / "lessons"
NOW = "2026-03-02T09:00:00+00:00"
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]")

FRONT = "Space/Enter show answer"
MCQ_FRONT = "choose ·"
BACK = "1-4 rate"
MCQ_BACK = "Space keep grade"


def plain(text: str) -> str:
    return ANSI.sub("", text)


def copy_lessons(tmp: Path) -> Path:
    target = tmp / "lessons"
    shutil.copytree(LESSONS, target)
    return target


def env(db: Path, now: str = NOW, **extra: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith(("SRS_", "COLUMNS", "LINES"))}
    values.update(PYTHONPATH=str(REPO), SRS_DB=str(db), SRS_NOW=now, TERM="xterm-256color",
                  TZ="UTC", PYTHONDONTWRITEBYTECODE="1")
    values.pop("NO_COLOR", None)
    values.update(extra)
    return values


class Review:
    """One `srs review` process in a pty; `screen` is everything printed, without escapes."""

    def __init__(self, lessons: Path, db: Path, *, cols: int = 100, rows: int = 40,
                 now: str = NOW, program: str = sys.executable,
                 argv: list[str] | None = None) -> None:
        args = argv if argv is not None else ["-m", "srs", "review", str(lessons)]
        self.child = pexpect.spawn(program, args, cwd=str(lessons.parent),
                                   env=env(db, now), dimensions=(rows, cols), encoding="utf-8",
                                   timeout=20)
        self.db = db
        self.seen = ""

    def wait(self, text: str) -> str:
        """Wait until `text` appears in the output after what was already consumed."""
        self.child.expect_exact(text)
        chunk = plain(self.child.before + self.child.after)
        self.seen += chunk
        return chunk

    def screen_until(self, text: str) -> str:
        return self.wait(text)

    def send(self, key: str) -> None:
        self.child.send(key)

    def finish(self) -> tuple[str, int]:
        self.child.expect(pexpect.EOF)
        rest = plain(self.child.before)
        self.seen += rest
        self.child.close()
        return rest, self.child.exitstatus

    def kill9(self) -> None:
        self.child.kill(9)
        self.child.expect(pexpect.EOF)
        self.child.close()


@contextmanager
def read_db(db: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def log_rows(db: Path) -> list[tuple[Any, ...]]:
    with read_db(db) as conn:
        return conn.execute("SELECT card, rating FROM review_log ORDER BY id").fetchall()


def card_row(db: Path, card_id: str) -> tuple[Any, ...]:
    with read_db(db) as conn:
        row = conn.execute("SELECT state, suspended, buried_until, due, last_review FROM cards "
                           "WHERE id = ?", (card_id,)).fetchone()
    assert row is not None, card_id
    return tuple(row)


def correct_letter(screen: str, answer_text: str) -> str:
    match = re.search(rf"([A-Z])\) {re.escape(answer_text)}\s*(?:│|$)", screen, re.MULTILINE)
    assert match, f"choice {answer_text!r} not on screen:\n{screen}"
    return match.group(1)


def letters_on(screen: str) -> list[str]:
    return re.findall(r"^│\s+([A-Z])\) ", screen, re.MULTILINE)
