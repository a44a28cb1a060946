"""Export 100,000 cards with highlighted code; compare with the Anki backend exporting the
same notes, in the same run.

    PYTHONPATH=. /work/venv/bin/python bench/bench_export.py [--cards 100000]

Ours: `srs.export.export_lessons` from `Lesson`s to a deflated `.apkg`, run in a child
process so its peak RSS is its own, and each cold run with an empty render cache of its own
(`SRS_CACHE_DIR`). Anki: the same rendered notes (same note types, fields,
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
from typing import Any

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
                              canonical_id=root, cards=tuple(cards), deck="Bench"))
    return lessons


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _timed(fn: Any) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process and its finished children)."""
    cpu = _cpu() + _cpu(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - start
    return result, wall, _cpu() + _cpu(resource.RUSAGE_CHILDREN) - cpu


def run_ours(total: int, out: Path, workers: int | None, repeat: int) -> None:
    """Child process: build the input, then time, best of `repeat` each:
    cold -- a new package, no sidecar, an empty render cache;
    cached -- a new package (no sidecar) with the render cache the cold runs filled;
    re-export -- the unchanged lessons over the last package (sidecar and cache present)."""
    lessons = make_lessons(total, out.parent)
    input_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from srs.export import export_lessons

    colds, cacheds, warms = [], [], []
    summary = None
    for rep in range(repeat):
        os.environ["SRS_CACHE_DIR"] = str(out.with_name(f"{out.stem}-cache-{rep}"))
        target = out.with_name(f"{out.stem}-{rep}.apkg")
        summary, wall, cpu = _timed(
            lambda t=target: export_lessons(lessons, t, timestamp=T0, workers=workers))
        colds.append((wall, cpu))
    cold_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cached = None
    for rep in range(repeat):
        fresh = out.with_name(f"{out.stem}-cached-{rep}.apkg")
        cached, wall, cpu = _timed(
            lambda t=fresh: export_lessons(lessons, t, timestamp=T0, workers=workers))
        cacheds.append((wall, cpu))
        assert fresh.read_bytes() == target.read_bytes()
    for _ in range(repeat):
        warm, wall, cpu = _timed(
            lambda t=target: export_lessons(lessons, t, timestamp=T0 + 60, workers=workers))
        warms.append((wall, cpu))
    assert summary is not None and cached is not None
    print(json.dumps({
        "seconds": min(w for w, _ in colds), "cpu": min(c for _, c in colds),
        "cached_seconds": min(w for w, _ in cacheds), "cached_cpu": min(c for _, c in cacheds),
        "warm_seconds": min(w for w, _ in warms), "warm_cpu": min(c for _, c in warms),
        "size": summary.size, "notes": summary.notes, "cards": summary.cards,
        "input_rss_mb": input_rss, "peak_rss_mb": cold_rss,
        "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "cached_hits": cached.cached, "warm_cached": warm.cached,
        "peak_rss_after_warm_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cache_mb": sum(f.stat().st_size for f in Path(os.environ["SRS_CACHE_DIR"]).rglob("*")
                        if f.is_file()) / 1e6,
    }))


def run_anki(total: int, work: Path, repeat: int) -> dict[str, float]:
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
        add_cpu = _cpu()
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
        results: dict[str, float] = {"add_seconds": add_seconds, "add_cpu": _cpu() - add_cpu}
        for legacy in (False, True):
            key = "legacy" if legacy else "modern"
            out = work / f"anki-{key}.apkg"
            runs = []
            for _ in range(repeat):
                _, wall, cpu = _timed(lambda o=out, lg=legacy: col.export_anki_package(
                    out_path=str(o),
                    options=ExportAnkiPackageOptions(with_scheduling=False,
                                                     with_deck_configs=False,
                                                     with_media=True, legacy=lg),
                    limit=None,
                ))
                runs.append((wall, cpu))
            results[f"{key}_seconds"] = min(w for w, _ in runs)
            results[f"{key}_cpu"] = min(c for _, c in runs)
            results[f"{key}_size"] = out.stat().st_size
        results["notes"] = col.note_count()
        return results
    finally:
        col.close()


def ours_in_child(cards: int, work: Path, workers: int | None, repeat: int) -> dict[str, float]:
    name = f"ours-{workers or 'auto'}.apkg"
    command = [sys.executable, __file__, "--cards", str(cards), "--ours-only", str(work / name),
               "--repeat", str(repeat)]
    if workers is not None:
        command += ["--workers", str(workers)]
    child = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=2, help="best of N for every timing")
    parser.add_argument("--ours-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours_only:
        run_ours(args.cards, args.ours_only, args.workers, args.repeat)
        return
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ours = ours_in_child(args.cards, work, None, args.repeat)
        single = ours_in_child(args.cards, work, 1, args.repeat)
        anki = run_anki(args.cards, work, args.repeat)
    print(f"cards: {args.cards}; best of {args.repeat}; load average at start "
          f"{load:.1f}, at end {os.getloadavg()[0]:.1f} (2 cores)")
    for label, run in (("ours, auto workers", ours), ("ours, 1 process", single)):
        print(f"{label}: cold {run['seconds']:.2f} s wall / {run['cpu']:.2f} s CPU; "
              f"cached {run['cached_seconds']:.2f} s / {run['cached_cpu']:.2f} s CPU "
              f"({int(run['cached_hits'])} from the cache, {run['cache_mb']:.1f} MB); "
              f"re-export {run['warm_seconds']:.2f} s / {run['warm_cpu']:.2f} s CPU "
              f"({int(run['warm_cached'])} from the cache); {run['size'] / 1e6:.2f} MB; RSS: input "
              f"{run['input_rss_mb']:.0f} MB, peak {run['peak_rss_mb']:.0f} MB "
              f"(after warm {run['peak_rss_after_warm_mb']:.0f}), workers "
              f"{run['worker_peak_rss_mb']:.0f} MB")
    print(f"anki: add notes {anki['add_seconds']:.2f} s / {anki['add_cpu']:.2f} s CPU; export "
          f"{anki['modern_seconds']:.2f} s / {anki['modern_cpu']:.2f} s CPU -> "
          f"{anki['modern_size'] / 1e6:.2f} MB; legacy export {anki['legacy_seconds']:.2f} s / "
          f"{anki['legacy_cpu']:.2f} s CPU -> {anki['legacy_size'] / 1e6:.2f} MB "
          f"({int(anki['notes'])} notes)")
    for label, run in (("auto", ours), ("1 process", single)):
        print(f"[{label}] wall vs Anki export: cold {run['seconds'] / anki['modern_seconds']:.2f}x,"
              f" cached {run['cached_seconds'] / anki['modern_seconds']:.2f}x,"
              f" re-export {run['warm_seconds'] / anki['modern_seconds']:.2f}x; CPU vs Anki "
              f"export: cold {run['cpu'] / anki['modern_cpu']:.2f}x, "
              f"cached {run['cached_cpu'] / anki['modern_cpu']:.2f}x, "
              f"re-export {run['warm_cpu'] / anki['modern_cpu']:.2f}x; wall vs Anki add+export: "
              f"cold {run['seconds'] / (anki['add_seconds'] + anki['modern_seconds']):.2f}x")
    print(f"size vs Anki export: {ours['size'] / anki['modern_size']:.2f}x; "
          f"vs Anki legacy export: {ours['size'] / anki['legacy_size']:.2f}x")


if __name__ == "__main__":
    main()
