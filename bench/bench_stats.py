"""`srs stats` over 1,000,000 log rows and 100,000 cards, and the memory of building a review
queue from a store of 100,000 cards.

Targets (issue 4): `srs stats` under 1 s; a review session with 100,000 cards under 100 MB RSS.

The cards go in through Store.apply_lesson (100 lessons of 1,000 cards); the one million log
rows and the cards' schedules are then written in bulk with plain SQL, spread over the last
year, so the database looks like years of daily use without a year of waiting.

    python bench/bench_stats.py [DB]   (a DB path given is built once and kept for reruns)
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from srs.model import Card, CardKind, Lesson, SourcePos, card_id  # noqa: E402
from srs.store import Store, to_us  # noqa: E402

CARDS = 100_000
LESSONS = 100
LOG_ROWS = 1_000_000
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def build(path: Path) -> None:
    rng = random.Random(4)
    per_lesson = CARDS // LESSONS
    with Store.open(path, now=NOW - timedelta(days=400)) as store:
        for n in range(LESSONS):
            root = f"lesson-{n:03d}"
            cards = tuple(
                Card(id=card_id(root, CardKind.QA, f"q{i}"), kind=CardKind.QA, lesson=root,
                     key=f"q{i}", front=f"Question {i} of {root}: what does `x{i}` do?",
                     back=f"It does thing {i}.", source=SourcePos(Path(f"{root}.md"), i),
                     section=f"section {i // 10}", ordinal=i, deck="Bench")
                for i in range(per_lesson)
            )
            lesson = Lesson(path=Path(f"/bench/{root}.md"), title=f"Lesson {n}", slug=root,
                            number=n, level="", tags=(), prerequisites=(), canonical_id=None,
                            cards=cards)
            store.apply_lesson(f"/bench/{root}.md", 1, 1, "h", lesson, n, NOW)
    conn = sqlite3.connect(path)
    ids = [row[0] for row in conn.execute("SELECT id FROM cards ORDER BY id")]
    seen = ids[: int(CARDS * 0.8)]  # 80% introduced, 20% still new
    now_us = to_us(NOW)
    day = 86_400_000_000
    updates = []
    for cid in seen:
        stability = rng.uniform(0.5, 200.0)
        last = now_us - int(rng.uniform(0, 60) * day)
        due = last + int(stability * day)
        state = 2 if rng.random() < 0.97 else rng.choice((1, 3))
        updates.append((state, stability, rng.uniform(1, 10), due, last, cid))
    conn.execute("BEGIN")
    conn.executemany("UPDATE cards SET state = ?, step = NULL, stability = ?, difficulty = ?, "
                     "due = ?, last_review = ? WHERE id = ?", updates)
    start = now_us - 365 * day

    def rows():  # noqa: ANN202
        for i in range(LOG_ROWS):
            when = start + (365 * day * i) // LOG_ROWS
            rating = 1 if rng.random() < 0.12 else rng.choice((2, 3, 3, 3, 4))
            before = 2 if rng.random() < 0.85 else rng.choice((0, 1, 3))
            yield (seen[rng.randrange(len(seen))], when, rating, 3, 6000, before, None, 5.0,
                   5.0, when, when - 3 * day, 2, None, 8.0, 5.0, when + 8 * day, when)

    conn.executemany(
        "INSERT INTO review_log (card, time, rating, elapsed_days, duration_ms, state_before, "
        "step_before, stability_before, difficulty_before, due_before, last_review_before, "
        "state_after, step_after, stability_after, difficulty_after, due_after, "
        "last_review_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - start, done.stdout


MEMORY_PROBE = """
import resource, sys, json
from datetime import datetime, UTC
from pathlib import Path
import typer, rich.console, fsrs  # what `srs review` loads anyway
from srs.model import DeckOptions
from srs.schedule import day_start, day_start_after
from srs.store import Store
now = datetime.fromisoformat(sys.argv[2])
limits = {"Bench": DeckOptions(new_per_day=int(sys.argv[3]), reviews_per_day=int(sys.argv[3]))}
with Store.open(Path(sys.argv[1]), now=now) as store:
    queue = store.queue(now, day_start(now), limits, day_end=day_start_after(now))
    print(json.dumps({"queued": len(queue),
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    given = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if given is None:
        folder = Path(tempfile.mkdtemp(prefix="bench-stats-", dir=os.environ.get("BENCH_DIR")))
        try:
            measure(folder / "srs.sqlite3")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    else:
        measure(given)


def measure(db: Path) -> None:
    if not db.exists():
        t0 = time.perf_counter()
        build(db)
        print(f"built {db} in {time.perf_counter() - t0:.1f}s "
              f"({db.stat().st_size / 1e6:.0f} MB)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    srs = [sys.executable, "-m", "srs", "stats", "--db", str(db), "--now", NOW.isoformat()]
    run([*srs, "--json"], env)  # warm the page cache once
    json_times = [run([*srs, "--json"], env)[0] for _ in range(5)]
    rich_env = dict(env, COLUMNS="100")
    rich_times = [run(srs, rich_env)[0] for _ in range(5)]
    out = json.loads(run([*srs, "--json"], env)[1])
    base = [run([sys.executable, "-c", "import typer, rich.console, fsrs, sqlite3"], env)[0]
            for _ in range(5)]

    sys.path.insert(0, str(ROOT))
    from srs.stats import compute_stats

    with Store.open(db, now=NOW, read_only=True) as store:
        log_rows = store.scalar("SELECT count(*) FROM review_log")
        cards = store.scalar("SELECT count(*) FROM cards")
        inner = []
        for _ in range(5):
            t0 = time.perf_counter()
            compute_stats(store, NOW)
            inner.append(time.perf_counter() - t0)
    print(f"{cards} cards, {log_rows} log rows; medians of 5 whole-process runs")
    verdict = "met" if statistics.median(json_times) < 1 else "MISSED"
    print(f"  srs stats --json   {statistics.median(json_times) * 1000:7.0f} ms  "
          f"(target < 1000 ms: {verdict})")
    verdict = "met" if statistics.median(rich_times) < 1 else "MISSED"
    print(f"  srs stats (rich)   {statistics.median(rich_times) * 1000:7.0f} ms  "
          f"(target < 1000 ms: {verdict})")
    print(f"  compute_stats only {statistics.median(inner) * 1000:7.0f} ms in process")
    print(f"  python -c 'import typer, rich.console, fsrs, sqlite3' "
          f"{statistics.median(base) * 1000:.0f} ms")
    print(f"  sample: due today {out['due_today']}, retention 30d "
          f"{out['retention_30d']['rate']:.3f}, mean R {out['mean_retrievability']:.3f}")
    for limit in (20, CARDS):
        probe = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, str(db), NOW.isoformat(), str(limit)],
            capture_output=True, text=True, env=env, check=True)
        result = json.loads(probe.stdout)
        verdict = "met" if result["maxrss_mb"] < 100 else "MISSED"
        print(f"  queue with limits {limit:>6}/day: {result['queued']:>6} cards queued, "
              f"peak RSS {result['maxrss_mb']:.1f} MB (target < 100 MB: {verdict})")


if __name__ == "__main__":
    main()
