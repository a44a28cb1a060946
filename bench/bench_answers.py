"""Committed answers per second: srs's store against the real Anki backend, in one run.

Target (issue 4): srs's answers per second >= Anki's `answer_card` on the same machine.

Both sides answer real cards one at a time, each answer its own committed transaction
(srs: WAL + synchronous=FULL; Anki's collection is reported as it configures itself):
  srs   Scheduler.answer (FSRS) + Store.record_answer
  anki  sched.get_queued_cards + build_answer + answer_card (FSRS enabled)
The time spent in the committing call alone (record_answer / answer_card) is reported too.

    python bench/bench_answers.py [ANSWERS] [ROUNDS]     (default 500 answers, 15 rounds)

Both sides wait for fsync on every answer, so the figures follow the disk's latency, which on
a shared machine drifts from second to second: the rounds alternate which side goes first,
and the per-round ratios are printed next to the medians.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from srs.model import Card, CardKind, DeckOptions, Lesson, SourcePos, card_id  # noqa: E402
from srs.schedule import Rating, Scheduler, day_start  # noqa: E402
from srs.store import Store  # noqa: E402

RATINGS = (Rating.GOOD, Rating.GOOD, Rating.AGAIN, Rating.HARD, Rating.EASY)


def srs_round(workdir: Path, answers: int) -> tuple[float, float, dict[str, object]]:
    now = datetime.now(UTC)
    cards = tuple(
        Card(id=card_id("bench", CardKind.QA, f"q{i}"), kind=CardKind.QA, lesson="bench",
             key=f"q{i}", front=f"Question {i}?", back=f"Answer {i}",
             source=SourcePos(Path("bench.md"), i), ordinal=i, deck="Bench")
        for i in range(answers)
    )
    lesson = Lesson(path=Path("bench.md"), title="Bench", slug="bench", number=1, level="",
                    tags=(), prerequisites=(), canonical_id=None, cards=cards)
    options = DeckOptions(new_per_day=answers)
    with Store.open(workdir / "srs.sqlite3", now=now) as store:
        store.apply_lesson(str(workdir / "bench.md"), 1, 1, "h", lesson, 0, now)
        queue = store.queue(now, day_start(now), {"Bench": options})
        scheduler = Scheduler(options)
        session = store.start_session(now)
        in_commit = 0.0
        start = time.perf_counter()
        for i, card in enumerate(queue):
            at = datetime.now(UTC)
            after = scheduler.answer(card.id, card.schedule, RATINGS[i % len(RATINGS)], at)
            t0 = time.perf_counter()
            store.record_answer(card.id, RATINGS[i % len(RATINGS)], card.schedule, after, at,
                                3000, session)
            in_commit += time.perf_counter() - t0
        total = time.perf_counter() - start
        info = {"journal_mode": store.scalar("PRAGMA journal_mode"),
                "synchronous": store.scalar("PRAGMA synchronous"),
                "log_rows": store.scalar("SELECT count(*) FROM review_log")}
    assert info["log_rows"] == answers
    return answers / total, answers / in_commit, info


def anki_round(workdir: Path, answers: int) -> tuple[float, float, dict[str, object]]:
    import anki.collection  # before anki.cards, which alone is a circular import
    from anki.cards import Card as AnkiCard
    from anki.scheduler.v3 import CardAnswer

    col = anki.collection.Collection(str(workdir / "collection.anki2"))
    try:
        col.set_config("fsrs", True)
        deck_id = col.decks.id("Bench")
        assert deck_id is not None
        col.decks.select(deck_id)
        conf = col.decks.config_dict_for_deck_id(deck_id)
        conf["new"]["perDay"] = answers
        conf["rev"]["perDay"] = answers
        col.decks.save(conf)
        model = col.models.by_name("Basic")
        for i in range(answers):
            note = col.new_note(model)
            note["Front"] = f"Question {i}?"
            note["Back"] = f"Answer {i}"
            col.add_note(note, deck_id)
        ratings = {Rating.AGAIN: CardAnswer.AGAIN, Rating.HARD: CardAnswer.HARD,
                   Rating.GOOD: CardAnswer.GOOD, Rating.EASY: CardAnswer.EASY}
        in_commit = 0.0
        start = time.perf_counter()
        for i in range(answers):
            queued = col.sched.get_queued_cards(fetch_limit=1).cards[0]
            card = AnkiCard(col, backend_card=queued.card)
            card.start_timer()
            answer = col.sched.build_answer(card=card, states=queued.states,
                                            rating=ratings[RATINGS[i % len(RATINGS)]])
            t0 = time.perf_counter()
            col.sched.answer_card(answer)
            in_commit += time.perf_counter() - t0
        total = time.perf_counter() - start
        info = {"journal_mode": col.db.scalar("pragma journal_mode"),
                "synchronous": col.db.scalar("pragma synchronous"),
                "log_rows": col.db.scalar("select count() from revlog")}
    finally:
        col.close()
    assert info["log_rows"] == answers
    return answers / total, answers / in_commit, info


def main() -> None:
    answers = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    base = Path(os.environ.get("BENCH_DIR", Path.cwd()))
    results: dict[str, list[tuple[float, float]]] = {"srs": [], "anki": []}
    infos: dict[str, dict[str, object]] = {}
    sides = [("srs", srs_round), ("anki", anki_round)]
    for number in range(rounds):
        # Alternate who goes first: the disk is shared and its latency drifts.
        for name, run in sides if number % 2 == 0 else sides[::-1]:
            workdir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-", dir=base))
            try:
                loop, commit, info = run(workdir, answers)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            results[name].append((loop, commit))
            infos[name] = info
    print(f"{answers} answers per round, {rounds} rounds, files on {base}")
    for name, rows in results.items():
        loop = statistics.median(r[0] for r in rows)
        commit = statistics.median(r[1] for r in rows)
        info = infos[name]
        print(f"  {name:5} loop {loop:8.0f} answers/s   committing call alone {commit:8.0f}/s   "
              f"(journal_mode={info['journal_mode']}, synchronous={info['synchronous']})")
    ratios = [a[0] / b[0] for a, b in zip(results["srs"], results["anki"], strict=True)]
    print(f"  srs/anki loop ratio per round: {' '.join(f'{r:.2f}' for r in ratios)}"
          f"  (median {statistics.median(ratios):.2f})")
    ours = statistics.median(r[0] for r in results["srs"])
    theirs = statistics.median(r[0] for r in results["anki"])
    verdict = "met" if ours >= theirs else "MISSED"
    print(f"  srs/anki ratio of the medians {ours / theirs:.2f} (target >= 1.00: {verdict})")


if __name__ == "__main__":
    main()
