"""Parsing and card extraction vs markdown-it-py parsing the same files alone, in one run.

Target (issue 2): srs's lessons per second >= 0.8x markdown-it's.

    python bench/bench_parse.py [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_lessons import generate  # noqa: E402
from markdown_it import MarkdownIt  # noqa: E402

from srs.corpus import LessonSource, load_lesson  # noqa: E402
from srs.decks import default_deck  # noqa: E402
from srs.parse import parse_lesson_file  # noqa: E402


def best_of(runs: int, work: Callable[[], int]) -> tuple[float, int]:
    times = []
    count = 0
    for _ in range(runs):
        start = time.perf_counter()
        count = work()
        times.append(time.perf_counter() - start)
    return min(times), count


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(n, Path(tmp))
        mean_size = statistics.mean(p.stat().st_size for p in paths)
        md = MarkdownIt()

        def markdown_only() -> int:
            return sum(len(md.parse(p.read_text(encoding="utf-8"))) for p in paths)

        def srs_parse() -> int:
            return sum(len(parse_lesson_file(p).cards) for p in paths)

        deck = default_deck()

        def srs_with_facts() -> int:
            return sum(len(load_lesson(LessonSource(p, deck)).cards) for p in paths)

        srs_parse()  # warm caches (regexes, the MarkdownIt instance)
        base, tokens = best_of(5, markdown_only)
        ours, cards = best_of(5, srs_parse)
        full, all_cards = best_of(5, srs_with_facts)
    print(f"{n} lessons, mean {mean_size:.0f} bytes")
    print(f"markdown-it-py parse alone : {n / base:8.0f} lessons/s ({tokens} tokens)")
    print(f"srs parse + extraction     : {n / ours:8.0f} lessons/s ({cards} cards)"
          f"  ratio {base / ours:.2f}x (target >= 0.80x)")
    print(f"srs parse + extraction + facts: {n / full:5.0f} lessons/s ({all_cards} cards)"
          f"  ratio {base / full:.2f}x (target >= 0.80x)")


if __name__ == "__main__":
    main()
