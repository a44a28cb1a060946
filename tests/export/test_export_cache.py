"""The render cache: any export after the first takes unchanged lessons from it, gives the
same bytes, survives damage and stays within its size."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from anki_helpers import T0, copy_fixtures

import srs.export
import srs.model
import srs.render
from srs.corpus import load_corpus
from srs.export import RenderCache, build_notes, default_cache_dir, export_lessons
from srs.model import Lesson


def _lessons(root: Path) -> list[Lesson]:
    return load_corpus([root / "decks" / "go.toml", root / "decks" / "rust.toml"]).lessons


def _cached_cards(lessons: list[Lesson]) -> int:
    # Lessons showing an image are always rendered (their media is collected).
    return sum(len(lesson.cards) for lesson in lessons
               if not any("![" in c.front + c.back for c in lesson.cards))


def test_cache_dir_follows_the_environment() -> None:
    assert default_cache_dir() == Path(os.environ["SRS_CACHE_DIR"]) / "export"


def test_a_second_export_to_another_file_comes_from_the_cache(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    cold_out, warm_out, plain_out = (tmp_path / n for n in ("a.apkg", "b.apkg", "c.apkg"))
    cold = export_lessons(lessons, cold_out, timestamp=T0)
    assert cold.cached == 0
    warm = export_lessons(lessons, warm_out, timestamp=T0, workers=2)
    assert warm.cached == _cached_cards(lessons) > 0
    plain = export_lessons(lessons, plain_out, timestamp=T0, cache=False)
    assert plain.cached == 0
    assert cold_out.read_bytes() == warm_out.read_bytes() == plain_out.read_bytes()
    assert any(default_cache_dir().glob("*.srsc"))


def test_an_edited_card_misses_the_cache(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    export_lessons(lessons, tmp_path / "a.apkg", timestamp=T0)
    lesson = root / "rust" / "03. Ownership.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("let w = v;", "let w = v2;"),
                      encoding="utf-8")
    lessons = _lessons(root)
    edited = export_lessons(lessons, tmp_path / "b.apkg", timestamp=T0)
    assert edited.cached == 0
    fresh = export_lessons(lessons, tmp_path / "c.apkg", timestamp=T0, cache=False)
    assert fresh.cached == 0
    assert (tmp_path / "b.apkg").read_bytes() == (tmp_path / "c.apkg").read_bytes()
    again = export_lessons(lessons, tmp_path / "d.apkg", timestamp=T0)
    assert again.cached == _cached_cards(lessons)
    assert (tmp_path / "d.apkg").read_bytes() == (tmp_path / "c.apkg").read_bytes()


def test_a_change_to_the_code_that_makes_notes_misses_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An upgraded srs must not be handed the fields an earlier one rendered.
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    export_lessons(lessons, tmp_path / "a.apkg", timestamp=T0)
    assert export_lessons(lessons, tmp_path / "b.apkg", timestamp=T0).cached > 0
    for n, module in enumerate((srs.render, srs.export, srs.model)):
        changed = tmp_path / f"changed{n}.py"
        changed.write_bytes(Path(str(module.__file__)).read_bytes() + b"\n# another release\n")
        with monkeypatch.context() as patch:
            patch.setattr(module, "__file__", str(changed))
            srs.export._render_fingerprint.cache_clear()
            assert export_lessons(lessons, tmp_path / f"c{n}.apkg", timestamp=T0).cached == 0
        srs.export._render_fingerprint.cache_clear()
        assert export_lessons(lessons, tmp_path / f"d{n}.apkg", timestamp=T0).cached > 0


def test_moved_lines_and_another_folder_still_hit_the_cache(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    export_lessons(lessons, tmp_path / "a.apkg", timestamp=T0)
    lesson = root / "rust" / "03. Ownership.md"
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text.replace("\n## ", "\nA new line.\n\n## ", 1), encoding="utf-8")
    moved = copy_fixtures(tmp_path / "elsewhere")
    (moved / "rust" / "03. Ownership.md").write_bytes(lesson.read_bytes())
    lessons = _lessons(moved)
    again = export_lessons(lessons, tmp_path / "b.apkg", timestamp=T0)
    assert again.cached == _cached_cards(lessons) > 0
    export_lessons(lessons, tmp_path / "c.apkg", timestamp=T0, cache=False)
    assert (tmp_path / "b.apkg").read_bytes() == (tmp_path / "c.apkg").read_bytes()


def test_damaged_entries_are_ignored_and_rebuilt(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    good = tmp_path / "good.apkg"
    export_lessons(lessons, good, timestamp=T0, cache=False)
    export_lessons(lessons, tmp_path / "a.apkg", timestamp=T0)
    entries = sorted(default_cache_dir().glob("*.srsc"))
    assert entries
    for number, entry in enumerate(entries):
        data = entry.read_bytes()
        if number % 3 == 0:
            entry.write_bytes(data[: len(data) // 2])  # cut short
        elif number % 3 == 1:
            entry.write_bytes(data[:-5] + bytes(b ^ 0x55 for b in data[-5:]))  # bit rot
        else:
            entry.write_bytes(b"not a cache file at all")
    damaged = export_lessons(lessons, tmp_path / "b.apkg", timestamp=T0)
    assert damaged.cached == 0
    assert (tmp_path / "b.apkg").read_bytes() == good.read_bytes()
    rebuilt = export_lessons(lessons, tmp_path / "c.apkg", timestamp=T0)
    assert rebuilt.cached == _cached_cards(lessons)
    assert (tmp_path / "c.apkg").read_bytes() == good.read_bytes()


def test_an_entry_for_other_notes_is_refused(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    notes, _media = build_notes(lessons)
    cache = RenderCache(tmp_path / "cache")
    cache.store("k", notes[:3])
    guids = [n.guid for n in notes[:3]]
    kinds = [n.kind for n in notes[:3]]
    loaded = cache.load("k", notes[0].deck, kinds, guids, 7)
    assert loaded is not None and [n.fields for n in loaded] == [n.fields for n in notes[:3]]
    assert [n.due for n in loaded] == [7, 8, 9] and cache.hits == 3
    # The same entry asked for with other GUIDs (or another count) is refused and removed.
    assert cache.load("k", notes[0].deck, kinds, guids[::-1], 7) is None
    assert not cache.path("k").exists()
    cache.store("k", notes[:3])
    assert cache.load("k", notes[0].deck, kinds[:2], guids[:2], 7) is None
    # Text that would blur the record boundaries is not cached at all.
    odd = dataclasses.replace(notes[0], flds=b"a\x1eb" + notes[0].flds)
    cache.store("odd", [odd])
    assert not cache.path("odd").exists()


def test_trim_keeps_the_cache_within_its_limit_least_recently_used_first(
        tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache", limit=2500)
    cache.directory.mkdir()
    for age, name in enumerate("abcd"):
        path = cache.path(name)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (T0 + age, T0 + age))
    (cache.directory / "unrelated.txt").write_bytes(b"y" * 5000)
    cache.trim()
    assert sorted(p.name for p in cache.directory.iterdir()) == [
        "c.srsc", "d.srsc", "unrelated.txt"]


def test_an_unwritable_cache_only_costs_rendering(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    blocker = tmp_path / "file-not-folder"
    blocker.write_bytes(b"")
    cache = RenderCache(blocker / "export")
    summary = export_lessons(lessons, tmp_path / "a.apkg", timestamp=T0, cache=cache)
    assert summary.cached == 0 and cache.stored == 0
    assert (tmp_path / "a.apkg").is_file()


def test_a_re_export_takes_every_lesson_without_images_from_the_cache(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    out = tmp_path / "deck.apkg"
    export_lessons(lessons, out, timestamp=T0)
    before = out.read_bytes()
    again = export_lessons(lessons, out, timestamp=T0)
    assert again.cached == _cached_cards(lessons)
    assert again.unchanged == again.notes
    assert out.read_bytes() == before
