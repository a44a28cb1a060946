"""With unchanged lessons, `srs review` reaches the first card without the heavy modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from review_pty import copy_lessons, env

HEAVY = ("genanki", "markdown_it", "frontmatter", "yaml", "pygments", "pydantic")


def imported(lessons: Path, db: Path) -> set[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "srs", "review",
                             str(lessons)], env=env(db), stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Reviewed 0 cards" in result.stdout   # the first card was shown, then input ended
    return {line.rsplit("|", 1)[-1].strip().split(".")[0]
            for line in result.stderr.splitlines() if line.startswith("import time:")}


def test_unchanged_lessons_keep_heavy_modules_off_the_review_path(tmp_path: Path) -> None:
    lessons = copy_lessons(tmp_path)
    db = tmp_path / "review.sqlite3"
    first = imported(lessons, db)                # new lessons: parsed, so the parser loads
    assert "markdown_it" in first
    second = imported(lessons, db)
    assert not second & set(HEAVY), sorted(second & set(HEAVY))
    assert {"typer", "rich", "fsrs", "sqlite3", "srs"} <= second
    (lessons / "02. Maps.md").write_text(
        (lessons / "02. Maps.md").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert "markdown_it" in imported(lessons, db)   # one lesson changed: parsed again
