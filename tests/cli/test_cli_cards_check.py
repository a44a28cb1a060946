"""`srs cards` and `srs check` through typer's runner, on real files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from srs.cli import app
from srs.corpus import load_corpus
from srs.errors import LessonError
from srs.parse import parse_lesson_file
from srs.parse.lesson import MAX_LESSON_BYTES
from srs.ui.tables import print_cards
from tests.conftest import SEED

REPO = Path(__file__).resolve().parents[2]

runner = CliRunner()


def test_cards_json_on_seed() -> None:
    result = runner.invoke(app, ["cards", "--json", str(SEED)])
    assert result.exit_code == 0, result.output
    cards = json.loads(result.stdout)
    kinds = [c["kind"] for c in cards]
    assert kinds.count("mcq") == 1 and kinds.count("code") == 4
    assert kinds.count("example") == 1 and kinds.count("problem") == 1
    [mcq] = [c for c in cards if c["kind"] == "mcq"]
    assert mcq["answer"] == "C" and len(mcq["choices"]) == 4 and mcq["explanation"]
    for card in cards:
        assert {"id", "kind", "lesson", "deck", "front", "back", "tags", "source"} <= card.keys()
        assert card["lesson"] == "systems-programming-in-go"
        assert card["source"].startswith(f"{SEED}:")
        assert all(" " not in tag for tag in card["tags"])


def test_cards_table_on_a_terminal() -> None:
    out = io.StringIO()
    print_cards(parse_lesson_file(SEED).cards,
                Console(file=out, force_terminal=True, width=140, color_system=None))
    assert "Lock-Free Counter" in out.getvalue() and "┃ kind" in out.getvalue()
    assert out.getvalue().rstrip().endswith("cards")


def test_cards_not_on_a_terminal_go_to_the_console_given() -> None:
    out, count = io.StringIO(), io.StringIO()
    cards = parse_lesson_file(SEED).cards
    print_cards(cards, Console(file=out, width=20), count_to=count)
    assert [line.split("\t")[0] for line in out.getvalue().splitlines()] == [c.id for c in cards]
    assert count.getvalue() == f"{len(cards)} cards\n"


def test_cards_piped_are_one_whole_line_each() -> None:
    result = runner.invoke(app, ["cards", str(SEED)])
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    cards = load_corpus([SEED]).cards
    assert result.stderr.splitlines()[-1] == f"{len(cards)} cards"
    assert [row[:3] for row in rows] == [[c.id, c.kind.value, str(c.source)] for c in cards]
    assert any(row[3].endswith("syscall.PROT_READ, syscall.MAP_SHARED) ```") for row in rows)


def test_a_tab_or_line_end_in_a_file_name_keeps_piped_cards_one_line_each(
        tmp_path: Path) -> None:
    lesson = tmp_path / "01.\tTabbed\nname.md"
    lesson.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["cards", str(lesson)])
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(rows) == len(load_corpus([lesson]).cards)
    assert {len(row) for row in rows} == {4}
    assert all(row[2].startswith(f"{tmp_path}/01.\\tTabbed\\nname.md:") for row in rows)


def test_check_reports_and_exits(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text(SEED.read_text())
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: [\n---\n# Bad\n\n## Quiz\n\n### Question 1\nWhy?\n\n"
                   "**A)** x  \n**B)** y\n\n**Answer: Q** - none\n")
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    # PyYAML notices the unclosed `[` where the front matter ends; the error names its line
    assert lines[0].startswith(f"{bad}:2: error: invalid front matter: ")
    assert f"{bad}:14: error: question 1: answer Q matches no choice (A-B)" in lines
    assert any(line.startswith(f"{good}:7: warning: prerequisite") for line in lines)
    # the broken lesson does not stop the good one: its cards are still listed
    listed = runner.invoke(app, ["cards", "--json", str(tmp_path)])
    assert listed.exit_code == 1
    kinds = [card["kind"] for card in json.loads(listed.stdout)]
    assert len(kinds) - kinds.count("fact") == 7 and "fact" in kinds


def test_check_reports_the_images_an_export_would_refuse(tmp_path: Path) -> None:
    (tmp_path / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "fake.png").write_text("<script>alert(1)</script>")
    (tmp_path / "img").mkdir()
    lesson = tmp_path / "pics.md"
    lesson.write_text("---\ntitle: Pics\ncanonical_id: pics\n---\n# Pics\n\n## Cards\n\n"
                      "Q: Shown? {#a}\nA: ![ok](ok.png) ![again](img/../ok.png)\n\n"
                      "Q: Missing? {#b}\nA: ![gone](gone.png)\n\n"
                      "Q: Outside? {#c}\nA: ![up](../up.png)\n\nQ: No answer? {#d}\n\n"
                      "Q: Fake? {#e}\nA: ![fake](fake.png)\n",
                      encoding="utf-8")
    result = runner.invoke(app, ["check", str(lesson)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [  # in line order, whichever check found them
        f"{lesson}:13: error: image `gone.png`: no such file",
        f"{lesson}:16: error: image `../up.png`: the path leaves the lesson's folder",
        f"{lesson}:18: error: `Q:` card needs a question and an `A:` answer",
        f"{lesson}:21: error: image `fake.png`: not an image: its content is none of PNG, "
        "JPEG, GIF, WebP, AVIF, BMP, SVG",
    ]


def test_a_lesson_too_large_to_read_is_reported_and_the_rest_still_run(tmp_path: Path) -> None:
    good = tmp_path / "a.md"
    good.write_text("---\ntitle: Ok\nslug: ok\ncanonical_id: ok-1\n---\n# Ok\n\n"
                    "## Cards\n\nQ: yes?\nA: yes\n")
    huge = tmp_path / "z_huge.md"
    with huge.open("wb") as sparse:
        sparse.truncate(MAX_LESSON_BYTES + 1)
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"{huge}:1: error: lesson is larger than 16 MiB"]
    assert "1 lesson, 1 card: 1 error, 0 warnings" in result.stderr
    listed = runner.invoke(app, ["cards", "--json", str(tmp_path)])
    assert listed.exit_code == 1
    assert [card["front"] for card in json.loads(listed.stdout)] == ["yes?"]
    out = tmp_path / "out.apkg"
    exported = runner.invoke(app, ["export", str(tmp_path), "-o", str(out),
                                   "--timestamp", "1750000000"])
    assert exported.exit_code == 1
    assert f"{huge}:1: error: lesson is larger than 16 MiB" in exported.stderr
    assert out.exists()


def test_check_clean_exits_zero(tmp_path: Path) -> None:
    lesson = tmp_path / "ok.md"
    lesson.write_text("---\ntitle: Ok\nslug: ok\ncanonical_id: ok-1\n---\n# Ok\n\n"
                      "## Cards\n\nQ: yes?\nA: yes\n")
    result = runner.invoke(app, ["check", str(lesson)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "1 lesson, 1 card: 0 errors, 0 warnings" in result.stderr


def test_missing_path_is_a_clean_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cards", str(tmp_path / "nope")])
    assert result.exit_code == 2  # a usage error, as the option parser's own
    assert result.stderr.strip() == f"srs: {tmp_path / 'nope'}: no such file or directory"


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_narrow_output_encoding_prints_question_marks_not_a_crash(
        tmp_path: Path, encoding: str) -> None:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "SRS_DB": str(tmp_path / "db"),
           "SRS_NOW": "2026-03-02T09:00:00+00:00", "PYTHONPATH": str(REPO), "COLUMNS": "80"}

    def srs(*args: str, keys: str = "") -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "srs", *args], env=env, input=keys.encode(),
                              capture_output=True, cwd=tmp_path, check=False)

    listed = srs("cards", str(SEED))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.isascii() and b"?" in listed.stdout  # for what ASCII lacks
    as_json = srs("cards", "--json", str(SEED))
    assert as_json.returncode == 0 and as_json.stdout.isascii()
    utf8 = runner.invoke(app, ["cards", "--json", str(SEED)])
    assert json.loads(as_json.stdout) == json.loads(utf8.stdout)  # \u escapes: nothing lost
    reviewed = srs("review", str(SEED), keys=" 3q")
    assert reviewed.returncode == 0, reviewed.stderr
    assert b"Reviewed 1 card" in reviewed.stdout
    for args in (("stats",), ("stats", "--json")):
        shown = srs(*args, "--now", "2026-03-02T10:00:00+00:00")
        assert shown.returncode == 0, shown.stderr


def test_cards_table_shows_the_prompt_without_the_lesson_header(tmp_path: Path) -> None:
    lesson = tmp_path / "p.md"
    lesson.write_text("---\ntitle: \"Pointers & *T_Values* [x]\"\ncanonical_id: p\n---\n# P\n\n"
                      "## Pointers and *T receivers\n\n```go\n// Deref *p into v\nv := *p\n```\n")
    result = runner.invoke(app, ["cards", str(lesson)])
    assert result.exit_code == 0
    [row] = [line for line in result.stdout.splitlines() if "\tcode\t" in line]
    assert "Write the Go code for: **Deref *p into v**" in row
    assert "Pointers &" not in row and "\\" not in row


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="file names there are text")
def test_a_file_name_that_is_not_utf8_is_an_error_and_the_rest_still_run(tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "good.md").write_text(SEED.read_text())
    odd = os.fsdecode(os.fsencode(lessons) + b"/caf\xe9.md")
    Path(odd).write_text((REPO / "tests/cli_review/fixtures/lessons/02. Maps.md").read_text())
    env = {**os.environ, "SRS_DB": str(tmp_path / "db"), "SRS_CACHE_DIR": str(tmp_path / "cache"),
           "SRS_NOW": "2026-03-02T09:00:00+00:00", "PYTHONPATH": str(REPO), "COLUMNS": "80",
           "PYTHONIOENCODING": "utf-8"}

    def srs(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "srs", *args, str(lessons)], env=env,
                              input="q", capture_output=True, text=True, cwd=tmp_path,
                              check=False)

    message = "caf\\udce9.md:1: error: the file name is not valid UTF-8; rename the file"
    checked = srs("check")
    assert checked.returncode == 1 and message in checked.stdout, checked.stderr
    reviewed = srs("review")
    assert reviewed.returncode == 1, reviewed.stderr
    assert "Traceback" not in reviewed.stderr
    assert "caf\\udce9.md:1: the file name is not valid UTF-8; rename the file; the lesson was " \
        "left out" in reviewed.stderr
    exported = srs("export", "-o", str(tmp_path / "out.apkg"))
    assert exported.returncode == 1 and "Traceback" not in exported.stderr, exported.stderr
    assert "Systems Programming in Go" in exported.stdout
    assert "Maps in Go" not in exported.stdout
    verified = srs("verify")
    assert "Traceback" not in verified.stderr, verified.stderr


def test_a_device_or_pipe_named_as_a_path_is_a_usage_error_and_read_nowhere(
        tmp_path: Path) -> None:
    pipe = tmp_path / "lesson.md"
    os.mkfifo(pipe)
    for command in ("check", "cards", "export"):
        result = runner.invoke(app, [command, "/dev/zero"])
        assert result.exit_code == 2, result.output
        assert "srs: /dev/zero: not a lesson file, a folder or a deck manifest" in result.stderr
    result = runner.invoke(app, ["check", str(pipe)])
    assert result.exit_code == 2 and "a device or a pipe" in result.stderr, result.output
    # Inside a folder only files are lessons; the parser refuses anything else by itself.
    (tmp_path / "ok.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 0 and "1 lesson, 19 cards" in result.stderr, result.output
    with pytest.raises(LessonError, match="not a regular file"):
        parse_lesson_file(pipe)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_one_message_and_exit_1(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "srs", "cards", str(REPO / "lessons")],
                              stdout=full, stderr=subprocess.PIPE, text=True, env=env,
                              check=False)
    assert done.returncode == 1
    assert done.stderr.strip() == "srs: cannot write the output: No space left on device"


def test_a_reader_that_leaves_ends_the_output_silently_with_status_1() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    read, write = os.pipe()
    os.close(read)  # `srs cards | head -0`: nobody reads
    with os.fdopen(write, "w") as nobody:
        done = subprocess.run([sys.executable, "-m", "srs", "cards", str(REPO / "lessons")],
                              stdout=nobody, stderr=subprocess.PIPE, text=True, env=env,
                              check=False)
    assert (done.returncode, done.stderr) == (1, "")


def test_review_with_standard_input_closed_ends_as_at_the_end_of_input(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SRS_NOW": "2026-03-02T09:00:00+00:00"}
    done = subprocess.run([sys.executable, "-c", "import os, sys; os.close(0); sys.stdin = None; "
                           "sys.argv[0] = 'srs'; from srs.cli import main; main()", "review",
                           str(SEED), "--db", str(tmp_path / "db")],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Reviewed 0 cards" in done.stdout


def test_a_folder_with_no_lessons_is_named_by_every_command_that_reads_it(
        tmp_path: Path) -> None:
    empty = tmp_path / "lesons"  # a mistyped folder
    empty.mkdir()
    for command in ("cards", "check"):
        result = runner.invoke(app, [command, str(empty)])
        assert f"{empty}: warning: the folder holds no lesson file (*.md)" in result.output
    result = runner.invoke(app, ["review", str(empty), "--db", str(tmp_path / "db.sqlite3")])
    assert result.exit_code == 0
    assert f"Nothing to review: no lesson files in {empty}." in result.output


def test_help_and_usage_errors_piped_are_plain_text() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def srs(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "srs", *args], capture_output=True,
                              text=True, env=env, check=False)

    helped = srs("export", "--help")
    assert helped.returncode == 0
    assert helped.stdout.startswith("Usage: srs export [OPTIONS] [PATH]...")
    assert "-o, --output FILE.apkg" in helped.stdout and "--timestamp SECONDS" in helped.stdout
    wrong = srs("cards", "--db", "x")
    assert wrong.returncode == 2
    assert wrong.stderr.splitlines()[-1] == "Error: No such option: --db"
    assert not any(box in helped.stdout + wrong.stderr for box in "╭│╰")


def test_check_lists_a_broken_manifests_findings_as_a_linter_does(tmp_path: Path) -> None:
    manifest = tmp_path / "broken.toml"
    manifest.write_text('nmae = "X"\n[options]\nnew_per_day = -3\n')
    result = runner.invoke(app, ["check", str(manifest)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{manifest}:1: error: deck manifest needs a `name` string",
        f"{manifest}:1: warning: unknown key `nmae`, ignored; the keys are name, lessons, options",
        f"{manifest}:3: error: new_per_day must be a whole number from 0 to 1,000,000",
    ]


def test_no_path_and_nothing_to_stand_for_it_is_a_usage_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "decks").mkdir()  # there, but with no manifest in it
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    assert ("no PATH given, and no deck manifest (*.toml) in ./decks and no ./lessons folder "
            "here") in result.stderr
