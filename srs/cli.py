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


def main() -> None:
    app()
