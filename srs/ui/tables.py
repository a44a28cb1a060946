"""Tables for people: `srs cards` without `--json`."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.table import Table

from srs.model import Card

# The `*Lesson* › Topic` line that starts generated fronts (the title may hold escapes).
_HEADER = re.compile(r"^\*(?:\\.|[^*\\\n])+\*(?: › [^\n]*)?\s*")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def _one_line(text: str, width: int = 70) -> str:
    # The header repeats on every card of a lesson: show the prompt, as written.
    flat = " ".join(_ESCAPED.sub(r"\1", _HEADER.sub("", text)).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


_LINE_BREAKERS = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r"})


def print_cards(cards: Sequence[Card], console: Console | None = None,
                count_to: TextIO | None = None) -> None:
    """A table on a terminal; elsewhere (a pipe, a file) one line per card, `id`, `kind`,
    `source` (a tab or line end in it written `\\t`, `\\n`, `\\r`) and the whole prompt
    separated by tabs, for grep and cut, and the count on `count_to` (standard error) where
    it stays out of the lines."""
    console = console or Console()
    count = f"{len(cards)} card" if len(cards) == 1 else f"{len(cards)} cards"
    if not console.is_terminal:
        for card in cards:
            # Written as is: rich would wrap the long lines and read `[...]` as markup.
            # A tab or a line end in a file name would split the line: written escaped.
            source = str(card.source).translate(_LINE_BREAKERS)
            console.file.write(f"{card.id}\t{card.kind.value}\t{source}\t"
                               f"{_one_line(card.front, 10**6)}\n")
        print(count, file=count_to or sys.stderr)
        return
    table = Table(header_style="bold", expand=True)
    table.add_column("id", no_wrap=True, style="dim", min_width=16)
    table.add_column("kind", no_wrap=True, min_width=7)
    table.add_column("front", ratio=1, overflow="ellipsis", no_wrap=True)
    table.add_column("source", style="dim", overflow="fold", max_width=40)
    for card in cards:
        table.add_row(card.id, card.kind.value, _one_line(card.front, 200), str(card.source))
    console.print(table)
    console.print(count)


def print_suspended(cards: Sequence[tuple[str, str, str]], console: Console | None = None) -> None:
    """The suspended cards, as (id, lesson path, front): one line each, id first, for
    `srs unsuspend ID` to take."""
    console = console or Console()
    if not cards:
        console.print("No card is suspended.")
        return
    for card_id, lesson, front in cards:
        console.print(f"{card_id}  {Path(lesson).name}  {_one_line(front)}", markup=False,
                      highlight=False, overflow="ellipsis", no_wrap=True)
    count = f"{len(cards)} suspended card" + ("" if len(cards) == 1 else "s")
    console.print(f"{count}; srs unsuspend CARD_ID... brings them back", style="dim",
                  markup=False, highlight=False)
