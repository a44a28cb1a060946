"""The export time: only finite seconds in 1 .. 2**53 are accepted, from the option or the
environment; the ends of that range give packages the real Anki imports. Scratch files and
OS errors while the package is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from anki_helpers import T0, copy_fixtures, fresh_collection, import_package, notes_by_guid
from typer.testing import CliRunner

import srs.export
from srs.cli import app
from srs.corpus import load_corpus
from srs.errors import ExportError, UsageError
from srs.export import MAX_EXPORT_TIME, MIN_EXPORT_TIME, export_lessons, export_time
from srs.model import Lesson

BAD = ["nan", "inf", "-inf", "-1e20", "1e20", "-1", "0", "0.5", str(2**53 + 2**11)]


def _lessons(root: Path) -> list[Lesson]:
    return load_corpus([root / "decks" / "go.toml"]).lessons


@pytest.mark.parametrize("value", BAD)
def test_cli_rejects_a_timestamp_out_of_range(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_fixtures(tmp_path / "src")
    monkeypatch.chdir(root)
    out = tmp_path / "deck.apkg"
    result = CliRunner().invoke(app, ["export", "decks/go.toml", "-o", str(out),
                                      f"--timestamp={value}"])
    assert isinstance(result.exception, SystemExit) and result.exit_code != 0
    assert "srs: --timestamp must be a finite number of seconds" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.glob(".deck.apkg.*")) == []


@pytest.mark.parametrize("name", ["SRS_EXPORT_TIME", "SOURCE_DATE_EPOCH"])
@pytest.mark.parametrize("value", BAD)
def test_cli_rejects_an_environment_time_out_of_range(
    name: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_fixtures(tmp_path / "src")
    monkeypatch.chdir(root)
    monkeypatch.delenv("SRS_EXPORT_TIME", raising=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setenv(name, value)
    out = tmp_path / "deck.apkg"
    result = CliRunner().invoke(app, ["export", "decks/go.toml", "-o", str(out)])
    assert isinstance(result.exception, SystemExit) and result.exit_code != 0
    assert f"srs: {name} must be a finite number of seconds" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1e20, 1e20, -0.5])
def test_library_rejects_a_timestamp_out_of_range(value: float, tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    with pytest.raises(UsageError, match="finite number of seconds"):
        export_lessons(lessons, tmp_path / "deck.apkg", timestamp=value)
    with pytest.raises(UsageError, match="finite number of seconds"):
        export_time(value)
    assert list(tmp_path.iterdir()) == [root]


@pytest.mark.parametrize("when", [float(MIN_EXPORT_TIME), T0, float(MAX_EXPORT_TIME)])
def test_the_ends_of_the_range_export_and_import_into_anki(when: float, tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "deck.apkg"
    result = CliRunner().invoke(app, ["export", str(root / "decks" / "go.toml"), "-o", str(out),
                                      "--timestamp", repr(when)])
    assert result.exit_code == 0, result.output
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        log = import_package(col, out)
        assert log.new and not log.conflicting and log.other == 0
        notes = notes_by_guid(col)
        assert len(notes) == len(log.new)
        assert {note.mod for note in notes.values()} and all(
            note.mod >= 0 for note in notes.values())


def test_environment_time_is_resolved_once_for_every_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_fixtures(tmp_path / "src")
    monkeypatch.chdir(root)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setenv("SRS_EXPORT_TIME", str(int(T0)))
    result = CliRunner().invoke(app, ["export", "decks/go.toml", "decks/rust.toml"])
    assert result.exit_code == 0, result.output
    first = (root / "Go Systems.apkg").read_bytes()
    monkeypatch.delenv("SRS_EXPORT_TIME")
    again = CliRunner().invoke(app, ["export", "decks/go.toml", "decks/rust.toml",
                                     "--timestamp", str(T0)])
    assert again.exit_code == 0, again.output
    assert (root / "Go Systems.apkg").read_bytes() == first


def test_a_scratch_file_that_cannot_be_created_is_an_export_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every name tried is taken (the random part fixed, and a file already there under it):
    # the export stops before anything is written.
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    monkeypatch.setattr(srs.export.secrets, "token_hex", lambda size: "0" * 2 * size)
    taken = out_dir / ".deck.apkg.000000000000.anki2"
    taken.write_bytes(b"someone else's")
    with pytest.raises(ExportError, match="cannot create a scratch file"):
        export_lessons(lessons, out_dir / "deck.apkg", timestamp=T0, cache=False)
    assert list(out_dir.iterdir()) == [taken] and taken.read_bytes() == b"someone else's"
