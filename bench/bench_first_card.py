"""Time to the first card of `srs review` with 10,000 cards and unchanged lessons.

Builds 100 lessons of 100 hand-written Q/A cards each in a temporary folder, syncs them once
(the parse is not timed), turns half of the cards into review cards with due dates spread over
two months, then times, in a pseudo-terminal, from process start until the first card's key
hints are on screen, against `python -c "import typer, rich.console, fsrs, sqlite3"` measured in
the same run (interleaved, medians). Target: at most 1.2x. Then checks with `python -X importtime`
that genanki, markdown_it, frontmatter, yaml and pygments are not imported on that path.

Run: PYTHONPATH=. /work/venv/bin/python bench/bench_first_card.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pexpect

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LESSONS, PER_LESSON = 100, 100
HEAVY = ("genanki", "markdown_it", "frontmatter", "yaml", "pygments")
FIRST_CARD = "show answer"


def write_lessons(folder: Path) -> None:
    folder.mkdir(parents=True)
    for n in range(1, LESSONS + 1):
        lines = [
            "---", f"number: {n}", f'title: "Lesson {n}"', f'slug: "lesson-{n}"',
            f'canonical_id: "bench-{n:03d}"',
            *([f'prerequisites: ["lesson-{n - 1}"]'] if n > 1 else []),
            "---", "", f"# Lesson {n}", "", "## Cards", "",
        ]
        for q in range(PER_LESSON):
            lines += [
                f"Q: What does `f{q}(x)` return when x is {q} in lesson {n}? {{#c{q}}}",
                f"A: It returns **{q * n}**; see:", "",
                "```go", f"func f{q}(x int) int {{ return x * {n} }}", "```", "",
            ]
        (folder / f"{n:03d}. Lesson {n}.md").write_text("\n".join(lines), encoding="utf-8")


def environment(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRS_")}
    env.update(PYTHONPATH=str(REPO), SRS_DB=str(db), SRS_NOW=NOW.isoformat(),
               TERM="xterm-256color", TZ="UTC")
    return env


def prepare(tmp: Path) -> tuple[Path, Path]:
    lessons, db = tmp / "lessons", tmp / "bench.sqlite3"
    write_lessons(lessons)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "srs", "review", str(lessons)], env=environment(db),
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True)
    print(f"first sync (parses {LESSONS * PER_LESSON} cards): "
          f"{time.perf_counter() - started:.2f} s")
    rng = random.Random(7)
    conn = sqlite3.connect(db)
    ids = [row[0] for row in conn.execute("SELECT id FROM cards ORDER BY id")]
    assert len(ids) == LESSONS * PER_LESSON, len(ids)
    us = 1_000_000
    now_us = int(NOW.timestamp() * us)
    with conn:
        for card in ids[: len(ids) // 2]:
            last = now_us - rng.randint(1, 40) * 86400 * us
            due = now_us + rng.randint(-10, 50) * 86400 * us
            conn.execute("UPDATE cards SET state = 2, step = NULL, stability = ?, difficulty = ?,"
                         " due = ?, last_review = ? WHERE id = ?",
                         (rng.uniform(1, 60), rng.uniform(1, 10), max(due, last + us), last, card))
    due_now = conn.execute("SELECT count(*) FROM cards WHERE state = 2 AND due <= ?",
                           (now_us,)).fetchone()[0]
    conn.close()
    print(f"{len(ids)} cards, {len(ids) // 2} in review, {due_now} of them due")
    return lessons, db


def time_review(lessons: Path, db: Path) -> float:
    started = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-m", "srs", "review", str(lessons)],
                          env=environment(db), dimensions=(40, 100), encoding="utf-8", timeout=30)
    child.expect_exact(FIRST_CARD)
    elapsed = time.perf_counter() - started
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.exitstatus
    return elapsed


def time_imports(db: Path) -> float:
    started = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-c", "import typer, rich.console, fsrs, sqlite3"],
                          env=environment(db), dimensions=(40, 100), encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    elapsed = time.perf_counter() - started
    child.close()
    assert child.exitstatus == 0
    return elapsed


def heavy_imports(lessons: Path, db: Path) -> list[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "srs", "review",
                             str(lessons)], env=environment(db), stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, check=True)
    assert "Reviewed 0 cards" in result.stdout, result.stdout
    loaded = {line.split("|")[-1].strip() for line in result.stderr.splitlines()
              if line.startswith("import time:")}
    return sorted(name for name in loaded if name.split(".")[0] in HEAVY)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    # Byte-compile srs as an install would (PYTHONDONTWRITEBYTECODE may be set in a dev shell,
    # and then every run would compile the modules from source, unlike the site-packages ones).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "srs")], check=True)
    with tempfile.TemporaryDirectory(prefix="srs-bench-") as name:
        lessons, db = prepare(Path(name))
        time_review(lessons, db)  # warm the page cache and the daily backup
        reviews, imports = [], []
        for _ in range(args.runs):
            imports.append(time_imports(db))
            reviews.append(time_review(lessons, db))
        review_ms = statistics.median(reviews) * 1000
        import_ms = statistics.median(imports) * 1000
        ratio = review_ms / import_ms
        print(f"runs: {args.runs} (interleaved), medians:")
        print(f"  python -c 'import typer, rich.console, fsrs, sqlite3': {import_ms:.0f} ms")
        print(f"  srs review, first card on screen:                     {review_ms:.0f} ms")
        print(f"  ratio: {ratio:.2f}x (target <= 1.2x) -> {'met' if ratio <= 1.2 else 'MISSED'}")
        heavy = heavy_imports(lessons, db)
        print(f"heavy modules imported before the first card: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
