"""The progress bar `srs export` shows for large exports."""

from __future__ import annotations

import io
from pathlib import Path

from anki_helpers import T0, copy_fixtures
from rich.console import Console

from srs.corpus import load_corpus
from srs.export import export_lessons
from srs.ui.progress import progress_bar


def test_small_jobs_get_no_bar() -> None:
    with progress_bar("exporting", 10, threshold=2000) as advance:
        assert advance is None


def test_bar_follows_the_exporter_to_the_end(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = load_corpus([root / "decks" / "go.toml", root / "decks" / "rust.toml"]).lessons
    total = sum(len(lesson.cards) for lesson in lessons)
    seen: list[tuple[int, int]] = []
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80)
    with progress_bar("exporting", total, threshold=1, console=console) as advance:
        assert advance is not None

        def record(done: int, of: int) -> None:
            seen.append((done, of))
            advance(done, of)

        export_lessons(lessons, tmp_path / "deck.apkg", timestamp=T0, progress=record)
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert f"{total}/{total}" in out.getvalue()
