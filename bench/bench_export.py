"""Export 100,000 cards with highlighted code; compare with the Anki backend exporting the
same notes, in the same run.

    PYTHONPATH=. /work/venv/bin/python bench/bench_export.py [--cards 100000]

Ours: `srs.export.export_lessons` from `Lesson`s to a deflated `.apkg`, run in a child
process so its peak RSS is its own. Anki: the same rendered notes (same note types, fields,
tags, decks) added to a fresh `anki` Collection, then `Collection.export_anki_package`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from srs.model import Card, CardKind, Lesson, SourcePos, card_id

CARDS_PER_LESSON = 1000
T0 = 1_750_000_000.0

GO_TEMPLATE = """\
// {label}
func worker{n}(ctx context.Context, in <-chan int, out chan<- Result) error {{
    var total int64
    for v := range in {{
        if v%{m} == 0 && v > {n} {{
            atomic.AddInt64(&total, int64(v))
        }}
        out <- Result{{ID: {n}, Sum: atomic.LoadInt64(&total)}}
    }}
    return ctx.Err()
}}"""


def make_lessons(total: int, folder: Path) -> list[Lesson]:
    """`total` code cards, each with its own Go snippet (no two alike: no free cache hits)."""
    lessons: list[Lesson] = []
    n = 0
    for index in range(0, total, CARDS_PER_LESSON):
        number = index // CARDS_PER_LESSON + 1
        root = f"bench-{number:03d}"
        path = folder / f"{number:03d}. Bench lesson {number}.md"
        title = f"Bench lesson {number}"
        cards = []
        for ordinal in range(min(CARDS_PER_LESSON, total - index)):
            n += 1
            label = f"Counting workers, variant {n}"
            key = f"deep-explanation/workers#{ordinal}"
            code = GO_TEMPLATE.format(label=label, n=n, m=n % 7 + 2)
            cards.append(Card(
                id=card_id(root, CardKind.CODE, key), kind=CardKind.CODE, lesson=root, key=key,
                front=f"*{title} › Workers*\n\nWrite the Go code for: **{label}**",
                back=f"```go\n{code}\n```", source=SourcePos(path, 10 + ordinal * 14),
                section="deep-explanation/workers", ordinal=ordinal,
                tags=("go", "concurrency", root), deck="Bench", lesson_title=title,
            ))
        lessons.append(Lesson(path=path, title=title, slug=root, number=number,
                              level="advanced", tags=("go", "concurrency"), prerequisites=(),
                              canonical_id=root, cards=tuple(cards)))
    return lessons


def run_ours(total: int, out: Path, workers: int | None) -> None:
    """Child process: build the input, then time the export alone (cold: no previous
    package), then a re-export of the unchanged lessons over it (warm)."""
    lessons = make_lessons(total, out.parent)
    from srs.export import export_lessons

    start = time.perf_counter()
    summary = export_lessons(lessons, out, timestamp=T0, workers=workers)
    cold = time.perf_counter() - start
    cold_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    warm = export_lessons(lessons, out, timestamp=T0 + 60, workers=workers)
    warm_seconds = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": cold, "size": summary.size, "notes": summary.notes,
                      "cards": summary.cards, "peak_rss_mb": cold_rss,
                      "worker_peak_rss_mb": children, "warm_seconds": warm_seconds,
                      "warm_reused": warm.reused,
                      "peak_rss_after_warm_mb":
                          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run_anki(total: int, work: Path) -> dict[str, float]:
    """Add the same rendered notes to an Anki collection, then let Anki export them."""
    from anki.collection import Collection, ExportAnkiPackageOptions
    from anki.notes import Note

    from srs.export import NOTE_TYPES, build_notes, note_type_css

    lessons = make_lessons(total, work)
    notes, _media = build_notes(lessons)
    col = Collection(str(work / "anki" / "collection.anki2")) if (
        (work / "anki").mkdir() or True) else None
    assert col is not None
    try:
        mm = col.models
        nt_spec = NOTE_TYPES[CardKind.CODE]
        model = mm.new(nt_spec.name)
        for name in nt_spec.fields:
            mm.add_field(model, mm.new_field(name))
        template = mm.new_template("Card")
        template["qfmt"], template["afmt"] = nt_spec.qfmt, nt_spec.afmt
        mm.add_template(model, template)
        model["css"] = note_type_css()
        model["sortf"] = nt_spec.sort_index
        mm.add(model)
        model = mm.by_name(nt_spec.name)
        deck_ids = {name: col.decks.id(name) for name in sorted({n.deck for n in notes})}
        start = time.perf_counter()
        requests = []
        from anki.collection import AddNoteRequest

        for data in notes:
            note = Note(col, model)
            note.fields = list(data.fields)
            note.tags = list(data.tags)
            note.guid = data.guid
            requests.append(AddNoteRequest(note=note, deck_id=deck_ids[data.deck]))
        col.add_notes(requests)
        add_seconds = time.perf_counter() - start
        results: dict[str, float] = {"add_seconds": add_seconds}
        for legacy in (False, True):
            out = work / f"anki-{'legacy' if legacy else 'modern'}.apkg"
            start = time.perf_counter()
            col.export_anki_package(
                out_path=str(out),
                options=ExportAnkiPackageOptions(with_scheduling=False, with_deck_configs=False,
                                                 with_media=True, legacy=legacy),
                limit=None,
            )
            key = "legacy" if legacy else "modern"
            results[f"{key}_seconds"] = time.perf_counter() - start
            results[f"{key}_size"] = out.stat().st_size
        results["notes"] = col.note_count()
        return results
    finally:
        col.close()


def ours_in_child(cards: int, work: Path, workers: int | None) -> dict[str, float]:
    name = f"ours-{workers or 'auto'}.apkg"
    command = [sys.executable, __file__, "--cards", str(cards), "--ours-only", str(work / name)]
    if workers is not None:
        command += ["--workers", str(workers)]
    child = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--ours-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours_only:
        run_ours(args.cards, args.ours_only, args.workers)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ours = ours_in_child(args.cards, work, None)
        single = ours_in_child(args.cards, work, 1)
        anki = run_anki(args.cards, work)
    print(f"cards: {args.cards}; load average at the end: {os.getloadavg()[0]:.1f}")
    for label, run in (("ours (auto workers)", ours), ("ours (1 process)", single)):
        print(f"{label}: cold {run['seconds']:.2f} s, warm re-export {run['warm_seconds']:.2f} s "
              f"({int(run['warm_reused'])} notes reused), {run['size'] / 1e6:.2f} MB, "
              f"peak RSS {run['peak_rss_mb']:.0f} MB (workers {run['worker_peak_rss_mb']:.0f} MB, "
              f"after warm {run['peak_rss_after_warm_mb']:.0f} MB)")
    anki_total = anki["add_seconds"] + anki["modern_seconds"]
    print(f"anki: add notes {anki['add_seconds']:.2f} s; export {anki['modern_seconds']:.2f} s "
          f"-> {anki['modern_size'] / 1e6:.2f} MB; legacy export {anki['legacy_seconds']:.2f} s "
          f"-> {anki['legacy_size'] / 1e6:.2f} MB ({int(anki['notes'])} notes)")
    for label, run in (("auto", ours), ("1 process", single)):
        print(f"[{label}] time vs Anki export: cold {run['seconds'] / anki['modern_seconds']:.2f}x,"
              f" warm {run['warm_seconds'] / anki['modern_seconds']:.2f}x; "
              f"vs Anki add+export: cold {run['seconds'] / anki_total:.2f}x; "
              f"vs Anki legacy export: cold {run['seconds'] / anki['legacy_seconds']:.2f}x")
    print(f"size vs Anki export: {ours['size'] / anki['modern_size']:.2f}x; "
          f"vs legacy: {ours['size'] / anki['legacy_size']:.2f}x")


if __name__ == "__main__":
    main()
