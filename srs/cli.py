"""The `srs` command line: parse options, call the core, map `SrsError` to a message and exit."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from srs.errors import SrsError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Spaced-repetition flashcards from programming lessons.",
)

PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Lesson files, directories or deck manifests (default: ./decks, else ./lessons)."
    ),
]


def _fail(exc: SrsError) -> typer.Exit:
    typer.echo(f"srs: {exc}", err=True)
    return typer.Exit(exc.exit_code)


@app.command()
def cards(
    paths: PathsArg = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List the cards the lessons yield."""
    from srs.corpus import load_corpus

    try:
        corpus = load_corpus(paths or [])
    except SrsError as exc:
        raise _fail(exc) from None
    for diagnostic in corpus.diagnostics:
        typer.echo(str(diagnostic), err=True)
    if as_json:
        cards_json = [card.to_json() for card in corpus.cards]
        sys.stdout.write(json.dumps(cards_json, ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
    else:
        from srs.ui.tables import print_cards

        print_cards(corpus.cards)
    if corpus.has_errors:
        raise typer.Exit(1)


@app.command()
def check(paths: PathsArg = None) -> None:
    """Lint lessons: one `path:line: error|warning: message` per finding."""
    from srs.corpus import load_corpus

    try:
        corpus = load_corpus(paths or [])
    except SrsError as exc:
        raise _fail(exc) from None
    for diagnostic in corpus.diagnostics:
        typer.echo(str(diagnostic))
    errors = sum(1 for d in corpus.diagnostics if d.severity == "error")
    warnings = len(corpus.diagnostics) - errors
    typer.echo(
        f"{len(corpus.lessons)} lessons, {len(corpus.cards)} cards: "
        f"{errors} errors, {warnings} warnings",
        err=True,
    )
    if errors:
        raise typer.Exit(1)


# -- further commands (verify, review, stats, export) are added below this line --


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON.")] = False,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Review database (default: $SRS_DB, else the user data dir)."),
    ] = None,
    now_text: Annotated[
        str | None, typer.Option("--now", hidden=True, help="Pretend it is this ISO time.")
    ] = None,
) -> None:
    """Review statistics: due forecast, retention, activity, mastery per lesson."""
    from datetime import UTC, datetime

    from srs.stats import compute_stats
    from srs.store import Store, default_db_path

    try:
        now = datetime.fromisoformat(now_text) if now_text else datetime.now(UTC)
    except ValueError:
        raise _fail(SrsError(f"--now: not an ISO time: {now_text!r}")) from None
    if now.tzinfo is None:
        now = now.astimezone()
    now = now.astimezone(UTC)
    try:
        with Store.open(db or default_db_path(), now=now, read_only=True) as store:
            numbers = compute_stats(store, now)
    except SrsError as exc:
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(numbers.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        from srs.ui.stats import print_stats

        print_stats(numbers)


@app.command()
def export(
    paths: PathsArg = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="One package for everything (default: one per deck "
                     "manifest, named after the deck, in the current folder)."),
    ] = None,
    timestamp: Annotated[
        float | None,
        typer.Option("--timestamp", help="Export time in Unix seconds (default: "
                     "$SRS_EXPORT_TIME, $SOURCE_DATE_EPOCH, else now); fixed, it makes the "
                     "output byte-identical for the same input."),
    ] = None,
) -> None:
    """Write Anki packages (.apkg); re-importing one updates edited notes in place."""
    from srs.corpus import load_corpus
    from srs.export import build_notes, export_time, package_file_name, write_package
    from srs.model import Lesson
    from srs.ui.progress import progress_bar

    try:
        corpus = load_corpus(paths or [])
        when = export_time(timestamp)
    except SrsError as exc:
        raise _fail(exc) from None
    for diagnostic in corpus.diagnostics:
        typer.echo(str(diagnostic), err=True)
    manifest_decks = {path: deck.name for path, deck in corpus.deck_of.items()}
    if output is not None:
        jobs = [(output, corpus.lessons)]
    else:
        grouped: dict[str, list[Lesson]] = {}
        for lesson in corpus.lessons:
            name = manifest_decks.get(lesson.path, "srs")
            grouped.setdefault(name, []).append(lesson)
        jobs = [(Path(package_file_name(name)), lessons) for name, lessons in grouped.items()]
    for target, lessons in jobs:
        try:
            total = sum(len(lesson.cards) for lesson in lessons)
            with progress_bar("rendering", total) as progress:
                notes, media = build_notes(lessons, manifest_decks, progress)
            summary = write_package(notes, media, target, when)
        except SrsError as exc:
            raise _fail(exc) from None
        per_type = ", ".join(f"{name} {count}" for name, count in summary.notes_per_type.items())
        typer.echo(f"wrote {summary.path} ({_size(summary.size)})")
        typer.echo(f"  notes: {summary.notes} ({per_type or 'none'}), cards: {summary.cards}")
        typer.echo(f"  decks: {len(summary.decks)}" + "".join(f"\n    {d}" for d in summary.decks))
        typer.echo(f"  media: {summary.media} file{'s' if summary.media != 1 else ''}")
        typer.echo(f"  since the last export: {summary.updated} changed, "
                   f"{summary.unchanged} unchanged, "
                   f"{summary.notes - summary.updated - summary.unchanged} new")
    if corpus.has_errors:
        raise typer.Exit(1)


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"



def main() -> None:
    app()
