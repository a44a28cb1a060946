"""`srs verify` timings and the cost of fact cards in lesson loading.

    python bench/bench_verify.py [N]

1. Fact extraction: N synthetic lessons (bench/gen_lessons.py) loaded with and without
   fact cards, best of 3.
2. `srs verify` as a whole process on the bundled lessons plus the seed fixture, and on N
   synthetic lessons: cold with an empty Go build cache, cold with a warm Go build cache
   (srs cache empty), and warm (srs cache hit; target < 1 s).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gen_lessons import generate  # noqa: E402

from srs.corpus import LessonSource, load_lesson  # noqa: E402
from srs.decks import default_deck  # noqa: E402
from srs.parse import parse_lesson_file  # noqa: E402


def best_of(runs: int, work: object) -> float:
    assert callable(work)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def cli(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from srs.cli import main; main()", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"srs verify failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return elapsed, proc.stderr.strip().splitlines()[-1]


def verify_timings(label: str, paths: list[str]) -> None:
    with tempfile.TemporaryDirectory() as gocache, tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PYTHONPATH=str(ROOT), SRS_CACHE_DIR=cache, GOCACHE=gocache)
        cold_go, summary = cli(["verify", *paths], env)
        print(f"{label}: {summary}")
        print(f"  cold, empty Go build cache : {cold_go:6.2f} s")
        warm_go = []
        for _ in range(3):
            for f in Path(cache).iterdir():
                f.unlink()
            warm_go.append(cli(["verify", *paths], env)[0])
        print(f"  cold, warm Go build cache  : {statistics.median(warm_go):6.2f} s (median of 3)")
        cached = [cli(["verify", *paths], env)[0] for _ in range(5)]
        print(f"  warm (cached)              : {statistics.median(cached):6.2f} s (median of 5, "
              "target < 1 s)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(n, Path(tmp))
        deck = default_deck()
        parse_only = best_of(3, lambda: [parse_lesson_file(p) for p in paths])
        with_facts = best_of(3, lambda: [load_lesson(LessonSource(p, deck)) for p in paths])
        print(f"{n} synthetic lessons: parse {n / parse_only:.0f} lessons/s, parse + facts "
              f"{n / with_facts:.0f} lessons/s (facts add "
              f"{(with_facts - parse_only) / n * 1e3:.2f} ms per lesson)")
        bundled = [str(ROOT / "tests" / "fixtures" / "seed_lesson.md")]
        if (ROOT / "lessons").is_dir():
            bundled.append(str(ROOT / "lessons"))
        verify_timings("bundled lessons + seed", bundled)
        verify_timings(f"{n} synthetic lessons", [tmp])


if __name__ == "__main__":
    main()
