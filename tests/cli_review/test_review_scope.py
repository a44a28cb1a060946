"""`srs review PATH` reviews the lessons named, in the deck they are named through, and
`srs unsuspend` brings suspended cards back."""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import pytest
from review_pty import NOW, copy_lessons
from typer.testing import CliRunner

from srs.cli import app


def _review(tmp_path: Path, *args: str, keys: str = "") -> str:
    result = CliRunner().invoke(app, ["review", *args, "--db", str(tmp_path / "db")],
                                input=keys, env={"SRS_NOW": NOW, "COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


def _tree(tmp_path: Path) -> Path:
    lessons = copy_lessons(tmp_path)
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / "go.toml").write_text('name = "Go"\nlessons = ["../lessons/*.md"]\n',
                                                encoding="utf-8")
    return lessons


def _ids(path: Path) -> list[str]:
    result = CliRunner().invoke(app, ["cards", "--json", str(path)])
    assert result.exit_code == 0, result.output
    return [card["id"] for card in json.loads(result.stdout)]


def test_reviewing_through_a_manifest_then_the_folder_again(tmp_path: Path) -> None:
    lessons = _tree(tmp_path)
    assert "· 6 more" in _review(tmp_path, str(lessons))
    assert "· 6 more" in _review(tmp_path, str(tmp_path / "decks" / "go.toml"))
    again = _review(tmp_path, str(lessons))
    assert "Nothing" not in again
    assert "· 6 more" in again


def test_new_cards_held_back_by_new_per_day_0_are_told_so(tmp_path: Path) -> None:
    lessons = _tree(tmp_path)
    (tmp_path / "decks" / "go.toml").write_text(
        'name = "Go"\nlessons = ["../lessons/*.md"]\n[options]\nnew_per_day = 0\n',
        encoding="utf-8")
    output = _review(tmp_path, str(tmp_path / "decks" / "go.toml"))
    assert output == (f"Nothing to review: {len(_ids(lessons))} new cards wait, as new_per_day "
                      "is 0 in deck 'Go'.\n")


def test_only_the_named_lesson_is_reviewed(tmp_path: Path) -> None:
    lessons = _tree(tmp_path)
    for name, title in (("01. Slices.md", "Slices in Go"), ("02. Maps.md", "Maps in Go")):
        count = len(_ids(lessons / name))
        assert 1 < count < len(_ids(lessons))
        output = _review(tmp_path, str(lessons / name))
        assert title in output
        assert f"· {count - 1} more" in output


def test_unsuspend(tmp_path: Path) -> None:
    lessons = _tree(tmp_path)
    first = lessons / "01. Slices.md"
    card = _ids(first)[0]
    front = "What does len(s) return for a nil slice s?"
    assert front in _review(tmp_path, str(first))
    assert f"Suspended card {card} " in _review(tmp_path, str(first), keys="s")
    assert front not in _review(tmp_path, str(first))
    db = str(tmp_path / "db")
    result = CliRunner().invoke(app, ["unsuspend", card, "ffffffffffffffff", "--db", db],
                                env={"SRS_NOW": NOW})
    assert result.exit_code == 1 and "no card ffffffffffffffff" in result.output
    assert front not in _review(tmp_path, str(first))  # all or none: still suspended
    listed = CliRunner().invoke(app, ["unsuspend", "--db", db],
                                env={"SRS_NOW": NOW, "COLUMNS": "100"})
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        f"{card}  01. Slices.md  What does `len(s)` return for a nil slice `s`?",
        "1 suspended card; srs unsuspend CARD_ID... brings them back"]
    result = CliRunner().invoke(app, ["unsuspend", card.upper(), "--db", db],
                                env={"SRS_NOW": NOW})
    assert result.exit_code == 0, result.output
    assert result.output == f"{card}: unsuspended\n"
    assert front in _review(tmp_path, str(first))
    result = CliRunner().invoke(app, ["unsuspend", card, "--db", db], env={"SRS_NOW": NOW})
    assert result.output == f"{card}: was not suspended\n"
    result = CliRunner().invoke(app, ["unsuspend", "--db", db], env={"SRS_NOW": NOW})
    assert result.output == "No card is suspended.\n"
    result = CliRunner().invoke(app, ["unsuspend", "ffffffffffffffff", "--db", db],
                                env={"SRS_NOW": NOW})
    assert result.exit_code == 1
    assert "no card ffffffffffffffff" in result.output


def test_unsuspend_with_a_mistyped_database_path_creates_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["unsuspend", "ffffffffffffffff", "--db",
                                      str(tmp_path / "typo" / "db")], env={"SRS_NOW": NOW})
    assert result.exit_code == 1 and "no review database at" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_empty_database_path_is_a_usage_error_saying_so(tmp_path: Path) -> None:
    for command in (["review"], ["stats"], ["unsuspend", "ffffffffffffffff"]):
        for db in (["--db", ""], ["--db="]):
            result = CliRunner().invoke(app, [*command, *db], env={"SRS_NOW": NOW})
            assert result.exit_code == 2, (command, db, result.output)
            assert "Invalid value for '--db': is empty" in result.output, (command, db)


def test_lesson_errors_are_told_with_their_place_after_the_review_and_exit_1(
        tmp_path: Path) -> None:
    lessons = _tree(tmp_path)
    (lessons / "bad.md").write_text("---\ntitle: Bad\nnumber: [1\n---\n# Bad\n\n## Cards\n\n"
                                    "Q: Still asked?\nA: Yes.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["review", str(lessons), "--db", str(tmp_path / "db")],
                                input="q", env={"SRS_NOW": NOW, "COLUMNS": "100"})
    assert result.exit_code == 1, result.output
    assert "· 7 more" in result.stdout  # the rest of the lessons, and the bad one's card
    errors = [line for line in result.stderr.splitlines() if "bad.md:" in line]
    assert errors and all(": error: " in line for line in errors), result.stderr
    assert "srs: 1 lesson error (above): their parts were left out" in result.stderr
    # The next review does not parse the unchanged lesson again, and tells the same.
    again = CliRunner().invoke(app, ["review", str(lessons), "--db", str(tmp_path / "db")],
                               input="q", env={"SRS_NOW": NOW, "COLUMNS": "100"})
    assert again.exit_code == 1, again.output
    assert [line for line in again.stderr.splitlines() if "bad.md:" in line] == errors


def test_burying_lets_the_days_new_cards_fill_up_again_in_the_same_session(
        tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "c.md").write_text(
        "---\ntitle: Parts\ncanonical_id: parts\n---\n# Parts\n\n## Cards\n\n"
        "C: A slice has a {{c1::pointer}}, a {{c2::length}} and a {{c3::capacity}}. {#s}\n\n"
        "Q: First?\nA: One.\n\nQ: Second?\nA: Two.\n\nQ: Third?\nA: Three.\n",
        encoding="utf-8")
    (tmp_path / "d.toml").write_text('name = "D"\nlessons = ["lessons/*.md"]\n'
                                     "[options]\nnew_per_day = 3\n", encoding="utf-8")
    # The first new card is the cloze's c1: answering it buries c2 and c3, and two of the
    # questions take their places; then `b` buries one, and the third question follows.
    output = _review(tmp_path, str(tmp_path / "d.toml"), keys=" 3 3b 3q")
    assert "First?" in output and "Second?" in output and "Third?" in output
    assert "Reviewed 3 cards" in output


def test_a_lesson_whose_identity_cannot_be_read_is_left_out_of_review(tmp_path: Path) -> None:
    lessons = _tree(tmp_path)
    first = lessons / "01. Slices.md"
    assert "Slices in Go" in _review(tmp_path, str(first), keys="2")
    text = first.read_text(encoding="utf-8")
    first.write_text(text.replace('canonical_id: "test-go-01"', 'canonical_id: "test-go-01'),
                     encoding="utf-8")
    result = CliRunner().invoke(app, ["review", str(first), "--db", str(tmp_path / "db")],
                                input="3333q", env={"SRS_NOW": NOW, "COLUMNS": "100"})
    assert result.exit_code == 1, result.output
    assert "the lesson was left out" in result.stderr
    assert result.stdout == "Nothing to review: no cards in these lessons.\n"


def test_tomorrow_is_the_day_after_the_one_the_session_ended_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The session starts at 03:50 (the day before, until 04:00) and its answers come at 04:01.
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / "q.toml").write_text(
        'name = "Q"\nlessons = ["../*.md"]\n[options]\nnew_per_day = 2\n', encoding="utf-8")
    (tmp_path / "01. Q.md").write_text(
        "---\ntitle: Q\ncanonical_id: q\n---\n# Q\n\n## Cards\n\n"
        + "".join(f"Q: Question {n}? {{#q{n}}}\nA: Answer {n}.\n\n" for n in (1, 2, 3)),
        encoding="utf-8")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.delenv("SRS_NOW", raising=False)
    times = [datetime.datetime(2026, 3, 2, 3, 50, tzinfo=datetime.UTC)]

    class Clock(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> Clock:
            moment = times.pop(0) if len(times) > 1 else times[0]
            return cls.fromtimestamp(moment.timestamp(), tz)

    times.append(datetime.datetime(2026, 3, 2, 4, 1, tzinfo=datetime.UTC))
    try:
        with monkeypatch.context() as patch:
            patch.setattr(datetime, "datetime", Clock)
            result = CliRunner().invoke(app, ["review", str(tmp_path / "decks" / "q.toml"),
                                              "--db", str(tmp_path / "db")],
                                        input=" 3 3q", env={"COLUMNS": "100"})
    finally:
        monkeypatch.undo()
        time.tzset()
    assert result.exit_code == 0, result.output
    # The two cards learning, and of the 2 new a day the 1 left: the day after 04:01's.
    assert "tomorrow: 2 to review, 1 new" in result.output


def _deck_of(tmp_path: Path, cards: str, new_per_day: int) -> str:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "c.md").write_text(
        f"---\ntitle: Parts\ncanonical_id: parts\n---\n# Parts\n\n## Cards\n\n{cards}",
        encoding="utf-8")
    (tmp_path / "d.toml").write_text('name = "D"\nlessons = ["lessons/*.md"]\n'
                                     f"[options]\nnew_per_day = {new_per_day}\n",
                                     encoding="utf-8")
    return str(tmp_path / "d.toml")


def test_a_new_sibling_the_refill_brings_after_its_note_was_answered_is_buried_too(
        tmp_path: Path) -> None:
    # Two new cards a day: c1 and c2 are queued, c3 waits. Answering c1 buries c2; the
    # refill then offers c3, a sibling too, which is buried, and the question comes next.
    deck = _deck_of(tmp_path, "C: The {{c1::cat}} sat on the {{c2::mat}} near the "
                    "{{c3::door}}. {#cl}\n\nQ: Other?\nA: Yes.\n", new_per_day=2)
    output = _review(tmp_path, deck, keys=" 4")
    assert output.count("The [...] sat on the mat near the door.") == 2  # front and back
    assert "Other?" in output and "near the [...]" not in output
    assert "Reviewed 1 card" in output and "2 buried" in output
    # Undoing c1's answer brings both siblings back; answered again, it buries both again.
    again = CliRunner().invoke(app, ["review", deck, "--db", str(tmp_path / "db2")],
                               input=" 4u 4 4 4q", env={"SRS_NOW": NOW, "COLUMNS": "100"})
    assert "Reviewed 2 cards" in again.output and "2 buried" in again.output, again.output
    assert "near the [...]" not in again.output


def test_undoing_a_burial_keeps_the_days_new_cards_within_the_limit(tmp_path: Path) -> None:
    # Q1 buried lets Q3 in; undoing everything must not leave Q1, Q2 and Q3 all to learn.
    deck = _deck_of(tmp_path, "".join(f"Q: Question {n}?\nA: Answer {n}.\n\n"
                                      for n in (1, 2, 3)), new_per_day=2)
    output = _review(tmp_path, deck, keys="b 4 4uuu 4 4 4 4q")
    taken_in, after_undo = output.split("Burial undone.")
    assert "Question 3?" in taken_in and "Question 3?" not in after_undo
    assert "Reviewed 2 cards" in output and "tomorrow: 0 to review, 1 new" in output
