"""The package itself: determinism, compression, atomic replacement, ids, mod times, CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest
from anki_helpers import T0, copy_fixtures
from typer.testing import CliRunner

from srs.cli import app
from srs.corpus import load_corpus
from srs.decks import load_manifest
from srs.errors import ExportError, ManifestError, UsageError
from srs.export import (
    NOTE_TYPES,
    anki_id,
    anki_tags,
    deck_name,
    export_lessons,
    export_time,
    note_mod,
    package_file_name,
    plan_packages,
    sidecar_path,
)
from srs.model import Lesson

# A note type's shape per version. Changing fields or templates without raising the
# version fails here: bump `version` (a new name and id) and pin the new fingerprint.
PINNED = {
    "MCQ": (1, "c4d0b271ddacc289"),
    "Code": (1, "ec7194fb38f989af"),
    "Example": (1, "caa697464aae2fc4"),
    "Problem": (1, "16d96cfcdd0d11a1"),
    "Q/A": (1, "fd89bd24ab1430b4"),
    "Fact": (1, "63db3414592f3eac"),
    "Cloze": (1, "04edb178387a5b50"),
}


def _lessons(root: Path) -> list[Lesson]:
    return load_corpus([root / "decks" / "go.toml", root / "decks" / "rust.toml"]).lessons


def _export(root: Path, out: Path, when: float = T0) -> None:
    lessons = _lessons(root)
    export_lessons(lessons, out, timestamp=when)


def _note_mods(package: Path, tmp: Path) -> dict[str, int]:
    with zipfile.ZipFile(package) as zf:
        db = tmp / f"{package.stem}-collection.anki2"
        db.write_bytes(zf.read("collection.anki2"))
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT guid, mod FROM notes").fetchall())
    finally:
        conn.close()
        db.unlink()


def test_same_input_and_timestamp_give_byte_identical_packages(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    first, second = tmp_path / "a" / "deck.apkg", tmp_path / "b" / "deck.apkg"
    first.parent.mkdir()
    second.parent.mkdir()
    _export(root, first)
    _export(root, second)
    assert first.read_bytes() == second.read_bytes()
    again = first.read_bytes()
    _export(root, first)  # over the old file, with its sidecar present
    assert first.read_bytes() == again
    assert sidecar_path(first).read_bytes() == sidecar_path(second).read_bytes()


def test_package_is_deflated_and_leaves_no_scratch_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_fixtures(tmp_path / "src")
    scratch = tmp_path / "system-tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "deck.apkg"
    _export(root, out)
    _export(root, out, T0 + 10)
    with zipfile.ZipFile(out) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["collection.anki2", "media", "0"]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)
        collection = infos[0]
        assert collection.compress_size * 5 < collection.file_size
        media = json.loads(zf.read("media"))
        assert list(media) == ["0"] and media["0"].startswith("srs-")
    assert sorted(p.name for p in out_dir.iterdir()) == ["deck.apkg", "deck.apkg.srs-mod.json"]
    assert list(scratch.iterdir()) == []


def test_a_package_written_again_keeps_the_permissions_it_was_given(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    out = tmp_path / "deck.apkg"
    old_umask = os.umask(0o022)
    try:
        _export(root, out)
        assert stat.S_IMODE(out.stat().st_mode) == 0o644  # new: as the umask makes files
        out.chmod(0o600)
        sidecar_path(out).chmod(0o640)
        _export(root, out, T0 + 10)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(sidecar_path(out).stat().st_mode) == 0o640


def test_failure_mid_export_keeps_the_old_package_and_cleans_up(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "deck.apkg"
    _export(root, out)
    before = out.read_bytes()
    # The sidecar cannot be written (a folder took its name): found after the package is
    # complete in its scratch file, which is removed; the old package stays.
    sidecar_path(out).unlink()
    sidecar_path(out).mkdir()
    with pytest.raises(ExportError, match="cannot write deck.apkg.srs-mod.json"):
        _export(root, out, when=T0 + 5)
    assert out.read_bytes() == before
    assert sorted(p.name for p in out_dir.iterdir()) == ["deck.apkg", "deck.apkg.srs-mod.json"]


def test_a_repeated_card_id_leaves_out_the_later_note_and_exports_the_rest(
        tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    once = export_lessons(lessons, tmp_path / "once.apkg", timestamp=T0)
    twice = export_lessons([*lessons, lessons[0]], tmp_path / "twice.apkg",
                           timestamp=T0)
    first = export_lessons(lessons[:1], tmp_path / "first.apkg", timestamp=T0)
    assert (twice.notes, twice.cards, twice.skipped, once.skipped) == (
        once.notes, once.cards, first.notes, 0)
    assert (tmp_path / "twice.apkg").read_bytes() == (tmp_path / "once.apkg").read_bytes()


def test_a_note_left_out_as_a_duplicate_takes_its_images_with_it(tmp_path: Path) -> None:
    for name, answer in (("a", "A: Plain."), ("b", "A: ![pic](pic.png)")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n " + name.encode())
        # One canonical id and one explicit id: both lessons make the same card id.
        (folder / "lesson.md").write_text(
            f"---\ntitle: {name}\ncanonical_id: same\n---\n\n# {name}\n\n## Cards\n\n"
            f"Q: Which? {{#q}}\n{answer}\n", encoding="utf-8")
    lessons = load_corpus([tmp_path / "a" / "lesson.md", tmp_path / "b" / "lesson.md"]).lessons
    summary = export_lessons(lessons, tmp_path / "deck.apkg", timestamp=T0)
    assert (summary.notes, summary.skipped, summary.media) == (1, 1, 0)
    with zipfile.ZipFile(tmp_path / "deck.apkg") as zf:
        assert json.loads(zf.read("media")) == {}
        assert sorted(zf.namelist()) == ["collection.anki2", "media"]
    # The other way round, the kept note shows the image and the package holds it.
    summary = export_lessons(lessons[::-1], tmp_path / "other.apkg", timestamp=T0)
    assert (summary.notes, summary.skipped, summary.media) == (1, 1, 1)


def test_two_image_files_with_the_same_bytes_are_packed_once(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    for name in ("a.png", "copy.png"):
        (tmp_path / "img" / name).write_bytes(b"\x89PNG\r\n\x1a\n the same picture")
    (tmp_path / "lesson.md").write_text(
        "---\ntitle: L\ncanonical_id: l\n---\n\n# L\n\n## Cards\n\n"
        "Q: One? {#one}\nA: ![x](img/a.png)\n\nQ: Two? {#two}\nA: ![y](img/copy.png)\n",
        encoding="utf-8")
    summary = export_lessons(load_corpus([tmp_path / "lesson.md"]).lessons,
                             tmp_path / "deck.apkg", timestamp=T0)
    assert (summary.notes, summary.media) == (2, 1)
    with zipfile.ZipFile(tmp_path / "deck.apkg") as zf:
        [name] = json.loads(zf.read("media")).values()
        assert name.startswith("srs-") and name.endswith(".png")
        assert zf.read("0") == b"\x89PNG\r\n\x1a\n the same picture"


def test_missing_output_folder_is_a_clear_error(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    with pytest.raises(UsageError, match="output folder does not exist"):
        _export(root, tmp_path / "nowhere" / "deck.apkg")


def test_note_type_shapes_are_pinned_per_version_and_ids_are_in_ankis_range() -> None:
    assert {nt.family: (nt.version, nt.fingerprint()) for nt in NOTE_TYPES.values()} == PINNED
    ids = [nt.id for nt in NOTE_TYPES.values()]
    assert len(set(ids)) == len(ids)
    assert all(1 << 30 <= i < 1 << 31 for i in ids)
    code = NOTE_TYPES[next(k for k in NOTE_TYPES if NOTE_TYPES[k].family == "Code")]
    bumped = dataclasses.replace(code, version=code.version + 1)
    assert bumped.id != code.id and 1 << 30 <= bumped.id < 1 << 31
    assert bumped.name != code.name
    assert anki_id("deck", "Go Systems::06 Channels and Memory") == anki_id(
        "deck", "Go Systems::06 Channels and Memory")
    assert 1 << 30 <= anki_id("deck", "x") < 1 << 31


def test_deck_ids_in_package_are_derived_from_names(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    out = tmp_path / "deck.apkg"
    _export(root, out)
    with zipfile.ZipFile(out) as zf:
        db = tmp_path / "c.anki2"
        db.write_bytes(zf.read("collection.anki2"))
    conn = sqlite3.connect(db)
    try:
        (decks_json, models_json) = conn.execute("SELECT decks, models FROM col").fetchone()
        card_decks = {row[0] for row in conn.execute("SELECT DISTINCT did FROM cards")}
    finally:
        conn.close()
    decks = {d["name"]: int(d["id"]) for d in json.loads(decks_json).values()}
    for name in ("Go Systems::06 Channels and Memory", "Rust Basics::03 Ownership"):
        assert decks[name] == anki_id("deck", name)
    assert card_decks == {anki_id("deck", "Go Systems::06 Channels and Memory"),
                          anki_id("deck", "Rust Basics::03 Ownership")}
    models = json.loads(models_json)
    for nt in NOTE_TYPES.values():
        model = models[str(nt.id)]
        assert model["name"] == nt.name
        assert [f["name"] for f in model["flds"]] == list(nt.fields)
        assert model["sortf"] == nt.fields.index("Sort")
        assert ".nightMode .highlight" in model["css"] and ".night_mode .highlight" in model["css"]


def test_note_mod_changes_only_with_content(tmp_path: Path) -> None:
    assert note_mod("d1", None, [], 500) == 500
    assert note_mod("d1", ("d1", 100), [], 500) == 100
    assert note_mod("d2", ("d1", 100), [], 500) == 500
    assert note_mod("d2", ("d1", 900), [], 500) == 901  # a clock behind the last export
    # Changed back after another package gave Anki other content later: given again.
    assert note_mod("d1", ("d1", 100), [("d2", 300)], 500) == 500
    assert note_mod("d1", ("d1", 100), [("d2", 600)], 500) == 601
    assert note_mod("d1", ("d1", 400), [("d2", 300)], 500) == 400
    # The same content recorded later elsewhere leaves this file's time as it was.
    assert note_mod("d1", ("d1", 100), [("d1", 300)], 500) == 100
    # New to this file: the latest time of this content elsewhere, unless other is later.
    assert note_mod("d1", None, [("d1", 100), ("d2", 50)], 500) == 100
    assert note_mod("d1", None, [("d1", 100), ("d2", 200)], 500) == 500

    root = copy_fixtures(tmp_path / "src")
    out = tmp_path / "deck.apkg"
    _export(root, out, T0)
    first = _note_mods(out, tmp_path)
    assert set(first.values()) == {int(T0)}
    lesson = root / "rust" / "03. Ownership.md"
    text = lesson.read_text(encoding="utf-8").replace("let w = v;", "let w = v.clone();")
    lesson.write_text(text, encoding="utf-8")
    _export(root, out, T0 + 100)
    second = _note_mods(out, tmp_path)
    changed = {g for g in second if second[g] != first[g]}
    assert len(changed) == 1 and second[changed.pop()] == int(T0) + 100
    sidecar = json.loads(sidecar_path(out).read_text(encoding="utf-8"))
    assert {g: entry[1] for g, entry in sidecar["notes"].items()} == second


def test_environment_fixes_the_export_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_fixtures(tmp_path / "src")
    monkeypatch.delenv("SRS_EXPORT_TIME", raising=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000123")
    out = tmp_path / "a.apkg"
    _export(root, out, export_time())
    assert set(_note_mods(out, tmp_path).values()) == {1700000123}
    monkeypatch.setenv("SRS_EXPORT_TIME", "1700000999")
    (tmp_path / "b").mkdir()  # beside a.apkg, its notes would keep a.apkg's times
    out2 = tmp_path / "b" / "b.apkg"
    _export(root, out2, export_time())
    assert set(_note_mods(out2, tmp_path).values()) == {1700000999}
    monkeypatch.setenv("SRS_EXPORT_TIME", "yesterday")
    with pytest.raises(UsageError, match="SRS_EXPORT_TIME"):
        export_time()


def test_package_file_names_follow_the_deck() -> None:
    assert package_file_name("Go Systems") == "Go Systems.apkg"
    assert package_file_name("Go Systems::Memory") == "Go Systems - Memory.apkg"
    assert package_file_name("../etc/passwd") == "_etc_passwd.apkg"


def test_a_name_too_long_for_the_packages_record_is_told_and_nothing_is_written(
        tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("é" * 130 + ".apkg", "x" * 245 + ".apkg"):  # 265 bytes; 250, record 263
        result = CliRunner().invoke(app, ["export", str(root / "go"), "-o", str(out / name),
                                          "--timestamp", str(int(T0))])
        assert result.exit_code == 2, result.output
        assert "the output's name is too long: its record, .srs-mod.json added to it, would " \
               "pass the 255-byte limit on file names there" in result.output
    assert list(out.iterdir()) == []
    fits = out / ("x" * 237 + ".apkg")  # its record has 255 bytes
    assert CliRunner().invoke(app, ["export", str(root / "go"), "-o", str(fits),
                                    "--timestamp", str(int(T0))]).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [fits.name, fits.name + ".srs-mod.json"]


def test_a_long_deck_name_gives_a_package_name_that_fits(tmp_path: Path) -> None:
    for deck in ("Ü" * 130, "漢" * 85, "x" * 300):
        name = package_file_name(deck)
        assert name.endswith(".apkg") and len((name + ".srs-mod.json").encode()) <= 255
        assert name.startswith(deck[:60])


def test_packages_are_planned_per_deck_unless_one_output_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_fixtures(tmp_path / "src")
    monkeypatch.chdir(root)
    lessons = _lessons(root)
    planned = plan_packages(lessons, None, [])
    assert [(path, [lesson.deck for lesson in of]) for path, of in planned] == [
        (Path("Go Systems.apkg"), ["Go Systems"]),
        (Path("Rust Basics.apkg"), ["Rust Basics"] * (len(lessons) - 1))]
    assert sum((of for _, of in planned), []) == lessons
    assert plan_packages(lessons, tmp_path / "all.apkg", []) == [(tmp_path / "all.apkg", lessons)]
    with pytest.raises(UsageError, match="replace one of the lessons"):
        plan_packages(lessons, Path("lesson.apkg"), [root / "lesson.apkg"])
    with pytest.raises(UsageError, match="must be a .apkg file"):
        plan_packages(lessons, tmp_path / "all.zip", [])
    twins = [dataclasses.replace(lesson, deck=deck)
             for lesson, deck in zip(lessons, ["Go", "go", "Go"], strict=False)]
    with pytest.raises(ExportError, match="decks 'Go' and 'go' would both be written to Go.apkg"):
        plan_packages(twins, None, [])


def test_cli_writes_one_package_per_manifest_and_reports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_fixtures(tmp_path / "src")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["export", "decks/go.toml", "decks/rust.toml",
                                      "--timestamp", str(T0)])
    assert result.exit_code == 0, result.output
    assert (root / "Go Systems.apkg").is_file() and (root / "Rust Basics.apkg").is_file()
    out = result.stdout
    assert "wrote Go Systems.apkg" in out and "wrote Rust Basics.apkg" in out
    assert "srs MCQ v1 2" in out and "srs Cloze v1 1" in out and "srs Code v1 2" in out
    assert "Go Systems::06 Channels and Memory" in out
    assert "media: 1 file" in out and "media: 0 files" in out
    assert " KB)" in out
    assert "no earlier export to this file on record (Go Systems.apkg.srs-mod.json): " in out
    assert "so Anki updates it if it has it already (tags added in Anki go with the update)" in \
        " ".join(out.split())

    single = tmp_path / "all.apkg"
    result = CliRunner().invoke(app, ["export", "decks/go.toml", "decks/rust.toml", "-o",
                                      str(single), "--timestamp", str(T0)])
    assert result.exit_code == 0, result.output
    assert "decks: 2" in result.stdout and single.is_file()
    result = CliRunner().invoke(app, ["export", "decks/go.toml", "-o", str(single),
                                      "--timestamp", str(T0 + 60)])
    assert result.exit_code == 0
    assert "since the last export: 0 changed" in result.stdout
    # A record that cannot be read is told, not taken for a first export.
    (tmp_path / "all.apkg.srs-mod.json").write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["export", "decks/go.toml", "-o", str(single),
                                      "--timestamp", str(T0 + 120)])
    assert result.exit_code == 0
    assert ("srs: warning: all.apkg.srs-mod.json is unreadable: not JSON; a note no other "
            "package's record in this folder knows is stamped as changed now, so Anki updates "
            "each one it already has") in result.stderr
    assert "no earlier export" not in result.stdout


def test_cli_reports_a_bad_image_with_its_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lesson = tmp_path / "bad.md"
    lesson.write_text("---\ntitle: Bad\n---\n\n# Bad\n\n## Cards\n\nQ: Which?\nA: This one\n\n"
                      "![x](../../etc/passwd.png)\n\n![y](gone.png)\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["export", "bad.md", "-o", "bad.apkg"])
    assert result.exit_code == 1
    # every problem, each with its own place (after the lesson's warning)
    lines = [line for line in result.stderr.splitlines() if "warning:" not in line]
    assert len(lines) == 2 and all(line.startswith("srs: bad.md:") for line in lines)
    assert "bad.md:12: image `../../etc/passwd.png`" in lines[0]
    assert "bad.md:14: image `gone.png`" in lines[1]
    assert not (tmp_path / "bad.apkg").exists()


def test_cli_refuses_outputs_that_would_clobber_before_writing_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_fixtures(tmp_path / "src")
    monkeypatch.chdir(root)
    lesson = "go/06. Channels and Memory.md"
    before = (root / lesson).read_bytes()
    for args, message in [
        ([lesson, "-o", lesson], "the output must be a .apkg file"),
        (["decks/go.toml", "-o", "decks/go.toml"], "the output must be a .apkg file"),
        ([lesson, "-o", "deck.zip"], "the output must be a .apkg file"),
    ]:
        result = CliRunner().invoke(app, ["export", *args, "--timestamp", str(T0)])
        assert result.exit_code == 2 and message in result.stderr, result.output
    # A lesson whatever its name, even one ending in .apkg, is never overwritten.
    (root / "go" / "odd.apkg").write_bytes(before)
    result = CliRunner().invoke(app, ["export", "go/odd.apkg", "-o", "go/odd.apkg"])
    assert result.exit_code == 2 and "would replace one of the lessons" in result.stderr
    assert (root / "go" / "odd.apkg").read_bytes() == before
    # Two decks whose package names coincide.
    (root / "decks" / "go.toml").write_text(
        'name = "Go::Systems"\nlessons = ["../go/*.md"]\n', encoding="utf-8")
    (root / "decks" / "rust.toml").write_text(
        'name = "Go - Systems"\nlessons = ["../rust/*.md"]\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["export", "--timestamp", str(T0)])
    assert result.exit_code == 1
    assert ("decks 'Go::Systems' and 'Go - Systems' would both be written to "
            "Go - Systems.apkg") in result.stderr
    assert sorted(p.name for p in root.glob("*.apkg")) == []
    # Or whose names differ only in case: one file on macOS and Windows, one deck in Anki.
    (root / "decks" / "rust.toml").write_text(
        'name = "go::systems"\nlessons = ["../rust/*.md"]\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["export", "--timestamp", str(T0)])
    assert result.exit_code == 1
    assert "decks 'Go::Systems' and 'go::systems' would both be written to " in result.stderr
    assert sorted(p.name for p in root.glob("*.apkg")) == []
    # An output that is a link to itself is a usage error, not a traceback.
    (root / "loop.apkg").symlink_to("loop.apkg")
    result = CliRunner().invoke(app, ["export", lesson, "-o", "loop.apkg"])
    assert result.exit_code == 2, result.output
    assert "loop.apkg: the output is a symbolic link that leads nowhere" in result.stderr


def test_cli_goes_on_past_a_package_that_fails_and_past_repeated_card_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_fixtures(tmp_path / "src")
    monkeypatch.chdir(root)
    (root / "Go Systems.apkg.srs-mod.json").mkdir()  # this package cannot be written
    (root / "rust" / "copy.md").write_bytes((root / "rust" / "03. Ownership.md").read_bytes())
    result = CliRunner().invoke(app, ["export", "--timestamp", str(T0)])
    assert result.exit_code == 1
    assert "cannot write Go Systems.apkg.srs-mod.json" in result.stderr
    assert "duplicate card id" in result.stderr
    assert not (root / "Go Systems.apkg").exists()
    assert (root / "Rust Basics.apkg").is_file()
    assert "whose card id an earlier note has" in result.stdout


def test_cli_says_when_there_is_nothing_to_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty.toml").write_text('name = "X"\nlessons = ["none/*.md"]\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["export", "empty.toml"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "empty.toml:1: warning: the manifest's `lessons` globs match no lesson file",
        "srs: no lessons to export"]


def test_deck_names_and_tags_have_no_empty_levels(tmp_path: Path) -> None:
    (tmp_path / "d.toml").write_text('name = "Go::"\n')
    with pytest.raises(ManifestError, match="empty part between `::`"):
        load_manifest(tmp_path / "d.toml")
    (tmp_path / "d.toml").write_text('name = " Go :: Memory "\n')
    assert load_manifest(tmp_path / "d.toml")[0].name == "Go::Memory"
    (tmp_path / "d.toml").write_text('name = "Go\\nSystems\\u0001::\\tMemory"\n')
    assert load_manifest(tmp_path / "d.toml")[0].name == "Go Systems::Memory"
    assert anki_tags(["::", "a::", "c::::d", "::e", "low level"]) == (
        "a", "c::d", "e", "low_level")
    (tmp_path / "d.toml").write_text('name = "Go:::Memory"\n')
    with pytest.raises(ManifestError, match="has a `:` beside a `::`"):
        load_manifest(tmp_path / "d.toml")
    # A lesson's title is one level: runs of colons become one, none is left at its ends.
    titled = [Lesson(path=Path("plain.md"), title=title, slug="plain", number=None, level="",
                     tags=(), prerequisites=(), canonical_id=None, cards=(), deck="Go")
              for title in ("a::::b", ":: leading", "::")]
    assert [deck_name(lesson) for lesson in titled] == [
        "Go::a:b", "Go::leading", "Go::plain"]


def test_rendering_in_worker_processes_gives_the_same_bytes(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    one, two = tmp_path / "one.apkg", tmp_path / "two.apkg"
    export_lessons(lessons, one, timestamp=T0, workers=1)
    summary = export_lessons(lessons, two, timestamp=T0, workers=2)
    assert one.read_bytes() == two.read_bytes()
    cards = sum(len(lesson.cards) for lesson in lessons)
    assert summary.media == 1 and summary.cards == cards
    assert summary.notes == cards - 1  # the two cards of the cloze note share one note


def test_image_problem_found_in_a_worker_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "lesson"
    folder.mkdir()
    (folder / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n ok")
    lesson = folder / "lesson.md"
    lesson.write_text("---\ntitle: W\ncanonical_id: w\n---\n\n# W\n\n## Cards\n\n"
                      "Q: Which? {#a}\nA: ![ok](ok.png)\n", encoding="utf-8")
    lessons = load_corpus([lesson]).lessons
    # A card whose text no longer matches the file (the lesson-wide check passes).
    card = dataclasses.replace(lessons[0].cards[0], back="![gone](gone.png)")
    broken = [dataclasses.replace(lessons[0], cards=(card,))]
    with pytest.raises(ExportError, match="no such file") as caught:
        export_lessons(broken, tmp_path / "w.apkg", timestamp=T0, workers=2)
    assert caught.value.path == lesson
    assert not (tmp_path / "w.apkg").exists()


def test_re_export_keeps_mod_times_from_the_sidecar_alone(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    # Without the render cache: every note is rendered again, the sidecar keeps the times.
    out = tmp_path / "deck.apkg"
    export_lessons(lessons, out, timestamp=T0, cache=False)
    before = out.read_bytes()
    again = export_lessons(lessons, out, timestamp=T0, workers=2,
                           cache=False)
    assert again.cached == 0 and again.unchanged == again.notes
    assert out.read_bytes() == before
    later = export_lessons(lessons, out, timestamp=T0 + 5, cache=False)
    assert later.unchanged == later.notes
    assert set(_note_mods(out, tmp_path).values()) == {int(T0)}  # unchanged: old mod kept

    lesson = root / "rust" / "03. Ownership.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("let w = v;", "let w = v2;"),
                      encoding="utf-8")
    lessons = _lessons(root)
    edited = export_lessons(lessons, out, timestamp=T0 + 10, cache=False)
    assert edited.updated == 1 and edited.unchanged == edited.notes - 1
    mods = _note_mods(out, tmp_path)
    assert sorted(set(mods.values())) == [int(T0), int(T0) + 10]
    assert list(mods.values()).count(int(T0) + 10) == 1
    cold = tmp_path / "cold" / "deck.apkg"
    cold.parent.mkdir()
    sidecar_path(cold).write_bytes(b"")  # no usable history: every note counts as new
    export_lessons(lessons, cold, timestamp=T0 + 10, cache=False)
    assert set(_note_mods(cold, tmp_path).values()) == {int(T0) + 10}
    with zipfile.ZipFile(cold) as a, zipfile.ZipFile(out) as b:
        assert a.read("media") == b.read("media")


def test_a_new_package_beside_another_keeps_the_times_its_record_has(tmp_path: Path) -> None:
    # A deck renamed writes a package of another name; a lesson moved to another deck, into
    # that deck's package. Their notes keep their times, so Anki leaves them (and the tags
    # its user added to them) alone.
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    export_lessons(lessons, tmp_path / "Old name.apkg", timestamp=T0)
    lesson = root / "rust" / "03. Ownership.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("**Answer: B**",
                                                                 "**Answer: B** - plainly,"),
                      encoding="utf-8")
    lessons = _lessons(root)
    renamed = export_lessons(lessons, tmp_path / "New name.apkg", timestamp=T0 + 60)
    mods = _note_mods(tmp_path / "New name.apkg", tmp_path)
    assert sorted(set(mods.values())) == [int(T0), int(T0) + 60]
    assert sum(mod == int(T0) + 60 for mod in mods.values()) == 1  # the edited note only
    assert renamed.last_export == "none" and renamed.gone == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    export_lessons(lessons, elsewhere / "New name.apkg", timestamp=T0 + 60)
    assert set(_note_mods(elsewhere / "New name.apkg", tmp_path).values()) == {int(T0) + 60}


def test_notes_gone_since_the_last_export_are_counted_and_told(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_fixtures(tmp_path / "src")
    monkeypatch.chdir(root)
    out = tmp_path / "deck.apkg"
    first = export_lessons(_lessons(root), out, timestamp=T0)
    assert first.gone == 0
    lesson = root / "rust" / "03. Ownership.md"
    text = lesson.read_text(encoding="utf-8")
    quiz = text.index("## Quiz")
    lesson.write_text(text[:quiz], encoding="utf-8")  # the lesson's quiz deleted
    result = CliRunner().invoke(app, ["export", "decks/go.toml", "decks/rust.toml", "-o",
                                      str(out), "--timestamp", str(T0 + 60)])
    assert result.exit_code == 0, result.output
    lessons = _lessons(root)
    gone = first.notes - sum(1 for _ in _note_mods(out, tmp_path))
    assert gone > 0
    assert f", {gone} gone" in result.stdout
    noun = "note" if gone == 1 else "notes"
    assert (f"on import Anki keeps the {gone} {noun} of the last export to this file that this "
            "one lacks: they left the lessons, or moved to another deck's package; delete in "
            "Anki only what left the lessons, or its review history goes with it"
            ) in result.stdout
    again = export_lessons(lessons, out, timestamp=T0 + 60)
    assert again.gone == 0  # told once: the sidecar now holds the notes of this export


def test_part_of_a_deck_is_not_written_over_the_decks_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_fixtures(tmp_path / "src")
    (root / "go" / "07. Extra.md").write_text(
        "---\ntitle: Extra\ncanonical_id: extra\n---\n# Extra\n\n## Cards\n\nQ: One?\nA: Yes.\n",
        encoding="utf-8")
    monkeypatch.chdir(root)
    first = CliRunner().invoke(app, ["export", "--timestamp", str(T0)])
    assert first.exit_code == 0, first.output
    packages = {p.name: p.read_bytes() for p in root.glob("*.apkg*")}
    assert "Go Systems.apkg" in packages
    lesson = next(root.glob("go/06*.md"))
    result = CliRunner().invoke(app, ["export", str(lesson), "--timestamp", str(T0 + 60)])
    assert result.exit_code == 2
    assert ("1 lesson of deck 'Go Systems' (go/07. Extra.md) not named: its package Go "
            "Systems.apkg holds the whole deck") in result.output and "with -o" in result.output
    assert {p.name: p.read_bytes() for p in root.glob("*.apkg*")} == packages
    part = CliRunner().invoke(app, ["export", str(lesson), "-o", "part.apkg",
                                    "--timestamp", str(T0 + 60)])
    assert part.exit_code == 0, part.output
    assert "deck: Go Systems::" in " ".join(part.output.split()).replace("decks: 1 ", "deck: ")


def test_a_lesson_two_manifests_name_is_exported_once_in_the_first_ones_deck(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_fixtures(tmp_path / "src")
    (root / "decks" / "more.toml").write_text(
        'name = "More"\nlessons = ["../go/*.md", "../more/*.md"]\n', encoding="utf-8")
    (root / "more").mkdir()
    (root / "more" / "x.md").write_text("---\ntitle: X\n---\n# X\n\n## Cards\n\nQ: X?\nA: Y.\n",
                                        encoding="utf-8")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["export", "--timestamp", str(T0)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in root.glob("*.apkg")) == [
        "Go Systems.apkg", "More.apkg", "Rust Basics.apkg"]
    assert "notes: 1 (" in result.output  # More.apkg: only the lesson no earlier one names


def test_an_output_that_is_a_symlink_is_written_through(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link.apkg"
    link.symlink_to(real / "target.apkg")  # dangling at first
    for when in (T0, T0 + 60):
        summary = export_lessons(_lessons(root), link, timestamp=when)
        assert link.is_symlink() and (real / "target.apkg").is_file()
        assert summary.path == real / "target.apkg"
        assert sidecar_path(real / "target.apkg").is_file()
        assert not sidecar_path(link).exists()
    assert link.read_bytes() == (real / "target.apkg").read_bytes()


def test_cli_usage_errors_of_the_output_and_time_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_fixtures(tmp_path / "src")
    monkeypatch.chdir(root)
    (root / "folder.apkg").mkdir()
    os.mkfifo(root / "pipe.apkg")
    (root / "linked.apkg").symlink_to(root / "pipe.apkg")  # as a link to /dev/null would be
    (root / "notes.txt").write_text("keep\n")
    (root / "text.apkg").symlink_to(root / "notes.txt")
    for args, message in [
        (["-o", "nothere/x.apkg"], "the output folder does not exist"),
        (["-o", "folder.apkg"], "the output is a folder"),
        # neither a pipe nor a device is replaced by a file, even through a link
        (["-o", "pipe.apkg"], "the output is not a regular file (a device or a pipe?)"),
        (["-o", "linked.apkg"], "the output is not a regular file (a device or a pipe?)"),
        (["-o", "text.apkg"], "the output must be a .apkg file (this is where its link leads)"),
    ]:
        result = CliRunner().invoke(app, ["export", "decks/go.toml", *args])
        assert result.exit_code == 2 and message in result.stderr, result.output
    assert (root / "pipe.apkg").is_fifo()
    assert (root / "notes.txt").read_text() == "keep\n"
    assert not list(root.glob("*.srs-mod.json"))
    monkeypatch.setenv("SRS_EXPORT_TIME", "abc")
    result = CliRunner().invoke(app, ["export", "decks/go.toml", "-o", "x.apkg"])
    assert result.exit_code == 2 and "SRS_EXPORT_TIME must be a number" in result.stderr


def test_sidecar_of_an_older_version_is_still_read(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    out = tmp_path / "deck.apkg"
    export_lessons(lessons, out, timestamp=T0, cache=False)
    before = out.read_bytes()
    data = json.loads(sidecar_path(out).read_text(encoding="utf-8"))
    assert all(len(entry) == 2 for entry in data["notes"].values())
    # Version 2 kept a render key per note and the package digest: both are ignored now.
    data["version"], data["package"] = 2, "0" * 32
    data["notes"] = {guid: [*entry, "old render key"] for guid, entry in data["notes"].items()}
    sidecar_path(out).write_text(json.dumps(data), encoding="utf-8")
    summary = export_lessons(lessons, out, timestamp=T0, cache=False)
    assert summary.unchanged == summary.notes
    assert out.read_bytes() == before
    later = export_lessons(lessons, out, timestamp=T0 + 60, cache=False)
    assert later.unchanged == later.notes
    assert set(_note_mods(out, tmp_path).values()) == {int(T0)}


def test_a_replaced_old_package_changes_nothing(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lessons = _lessons(root)
    out = tmp_path / "deck.apkg"
    export_lessons(lessons, out, timestamp=T0)
    reference = out.read_bytes()
    # Someone puts another package (other content) in its place; the sidecar stays.
    other = copy_fixtures(tmp_path / "other")
    lesson = other / "rust" / "03. Ownership.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("Vec::new()", "vec![]"),
                      encoding="utf-8")
    other_lessons = _lessons(other)
    (tmp_path / "o").mkdir()  # another folder: its record is not this folder's
    elsewhere = tmp_path / "o" / "elsewhere.apkg"
    export_lessons(other_lessons, elsewhere, timestamp=T0)
    out.write_bytes(elsewhere.read_bytes())
    export_lessons(lessons, out, timestamp=T0)
    assert out.read_bytes() == reference


def test_cli_exports_the_usable_cards_of_a_lesson_with_errors_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lesson = tmp_path / "partial.md"
    lesson.write_text(
        "---\ntitle: Partial\ncanonical_id: partial\n---\n\n# Partial\n\n## Quiz\n\n"
        "### Question 1\nNo answer line here?\n\n**A)** yes  \n**B)** no\n\n"
        "## Cards\n\nQ: Still exported? {#still}\nA: Yes.\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["export", "partial.md", "-o", "partial.apkg",
                                      "--timestamp", str(T0)])
    assert result.exit_code == 1
    assert "partial.md:" in result.stderr and "error" in result.stderr
    assert "srs Q/A v1 1" in result.stdout and (tmp_path / "partial.apkg").is_file()


def test_cli_warns_of_deck_names_that_differ_only_in_case(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, title in [("a.md", "Alpha"), ("b.md", "alpha")]:
        (tmp_path / name).write_text(f"---\ntitle: {title}\nslug: {name[0]}\n---\n\n# {title}\n\n"
                                     "## Cards\n\nQ: Which?\nA: This one\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["export", "a.md", "b.md", "-o", "x.apkg"])
    assert result.exit_code == 0, result.output
    assert ("warning: decks 'srs::Alpha' and 'srs::alpha' differ only in case"
            in result.stderr)
    # Parents too, and across the packages of one run.
    (tmp_path / "decks").mkdir()
    for deck, lesson in (("Go::One", "a.md"), ("go::Two", "b.md")):
        (tmp_path / "decks" / f"{lesson}.toml").write_text(
            f'name = "{deck}"\nlessons = ["../{lesson}"]\n')
    result = CliRunner().invoke(app, ["export"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "Go - One.apkg").is_file() and (tmp_path / "go - Two.apkg").is_file()
    assert result.stderr.count("differ only in case") == 1
    assert "warning: decks 'Go' and 'go' differ only in case" in result.stderr
