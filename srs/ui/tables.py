"""Tables for people: `srs cards` without `--json`."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from srs.model import Card


def _one_line(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_cards(cards: Sequence[Card], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(show_lines=False, header_style="bold")
    table.add_column("id", no_wrap=True, style="dim")
    table.add_column("kind", no_wrap=True)
    table.add_column("lesson", no_wrap=True)
    table.add_column("front")
    table.add_column("source", no_wrap=True, style="dim")
    for card in cards:
        table.add_row(card.id, card.kind.value, card.lesson, _one_line(card.front), str(card.source))
    console.print(table)
    console.print(f"{len(cards)} cards")
