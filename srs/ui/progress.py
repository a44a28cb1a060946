"""Progress bars for long-running commands (on stderr, gone once finished)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from srs.model import ProgressFn


@contextmanager
def progress_bar(
    label: str, total: int, *, threshold: int = 2000, console: Console | None = None
) -> Iterator[ProgressFn | None]:
    """Yields a `(done, total)` callback drawing a bar, or None when `total` is below
    `threshold` (small jobs finish before a bar would help)."""
    if total < threshold:
        yield None
        return
    with Progress(label, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console or Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(done: int, _total: int) -> None:
            bar.update(task, completed=done)

        yield advance
