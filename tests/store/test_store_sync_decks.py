"""Sync of lessons whose deck changed without their file changing, and a start with nothing
changed, which must not write."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from store_support import T0

from srs.corpus import resolve_sources
from srs.model import DeckOptions
from srs.store import Store
from srs.sync import sync_lessons

LESSONS = Path(__file__).resolve().parents[1] / "cli_review" / "fixtures" / "lessons"


def _tree(tmp_path: Path) -> Path:
    shutil.copytree(LESSONS, tmp_path / "lessons")
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / "go.toml").write_text(
        'name = "Go"\nlessons = ["../lessons/*.md"]\n[options]\nnew_per_day = 7\n',
        encoding="utf-8")
    return tmp_path


def _decks(store: Store) -> set[str]:
    return {c.deck for c in store.queue(T0, T0, {"srs": DeckOptions(), "Go": DeckOptions()})}


def test_a_lesson_moved_to_another_deck_moves_its_cards(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    manifest = root / "decks" / "go.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.unlink()
    with Store.open(root / "db", now=T0) as store:
        report = sync_lessons(store, resolve_sources([root / "lessons"]), T0)
        assert report.parsed == 3
        assert _decks(store) == {"srs"}
        manifest.write_text(text, encoding="utf-8")
        report = sync_lessons(store, resolve_sources([manifest]), T0)
        assert (report.parsed, report.unchanged) == (0, 3)
        assert _decks(store) == {"Go"}
        assert {row.deck for row in store.lessons()} == {"Go"}
        manifest.unlink()
        report = sync_lessons(store, resolve_sources([root / "lessons"]), T0)
        assert (report.parsed, report.unchanged) == (0, 3)
        assert _decks(store) == {"srs"}
        assert len(store.queue(T0, T0, {"srs": DeckOptions()})) == 7


def test_a_lesson_named_by_its_file_or_folder_stays_in_its_manifests_deck(
        tmp_path: Path) -> None:
    root = _tree(tmp_path)
    one = sorted((root / "lessons").glob("*.md"))[0]
    with Store.open(root / "db", now=T0) as store:
        sync_lessons(store, resolve_sources([root / "decks" / "go.toml"]), T0)
        for paths in ([one], [root / "lessons"]):
            report = sync_lessons(store, resolve_sources(paths), T0)
            assert report.parsed == 0
            assert {row.deck for row in store.lessons()} == {"Go"}
            assert store.deck_options()["Go"].new_per_day == 7


def test_an_unchanged_start_writes_nothing(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    sources = resolve_sources([root / "decks" / "go.toml"])
    with Store.open(root / "db", now=T0) as store:
        sync_lessons(store, sources, T0)
        assert store.deck_options()["Go"].new_per_day == 7
    # Another connection holds the write lock: a sync that tried to write would wait for it
    # (the store's busy timeout) and then fail.
    other = sqlite3.connect(root / "db", isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        store = Store.open(root / "db", now=T0)
        try:
            report = sync_lessons(store, sources, T0)
            assert (report.unchanged, report.parsed, report.errors) == (3, 0, [])
        finally:
            store.close()
    finally:
        other.execute("ROLLBACK")
        other.close()
    # A changed option is still written.
    (root / "decks" / "go.toml").write_text(
        'name = "Go"\nlessons = ["../lessons/*.md"]\n[options]\nnew_per_day = 3\n',
        encoding="utf-8")
    with Store.open(root / "db", now=T0) as store:
        sync_lessons(store, resolve_sources([root / "decks" / "go.toml"]), T0)
        assert store.deck_options()["Go"].new_per_day == 3
