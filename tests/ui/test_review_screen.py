"""The review screen with an injected console and scripted keys, over a real store."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from srs.corpus import resolve_sources
from srs.review import ReviewSession
from srs.schedule import Scheduler, day_start, day_start_after
from srs.store import Store
from srs.sync import sync_lessons
from srs.ui.highlight import STYLES, highlight
from srs.ui.markdown import inline, render_markdown
from srs.ui.review import format_duration, format_when, print_summary, run_review, stream_keys

LESSONS = Path(__file__).resolve().parents[1] / "cli_review" / "fixtures" / "lessons"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def text_of(renderable: object, width: int = 60) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return str(out)


def styles_over(text: Text, fragment: str) -> set[str]:
    start = text.plain.index(fragment)
    return {str(span.style) for span in text.spans
            if span.start <= start and span.end >= start + len(fragment)}


# -- Markdown and highlighting ------------------------------------------------------------------


def test_go_code_is_highlighted_without_pygments() -> None:
    code = 'package main\n// Sizeof\nfunc f() int { return len("x") + 0x10 }'
    text = highlight(code, "go")
    assert STYLES["keyword"] in styles_over(text, "func")
    assert STYLES["keyword"] in styles_over(text, "return")
    assert STYLES["comment"] in styles_over(text, "// Sizeof")
    assert STYLES["string"] in styles_over(text, '"x"')
    assert STYLES["number"] in styles_over(text, "0x10")
    assert STYLES["builtin"] in styles_over(text, "len")
    assert text.plain == code


def test_unknown_language_and_odd_input_do_not_fail() -> None:
    for lang in ("", "brainfuck", "PY", "sql", "sh", "rust"):
        text = highlight('x = "unterminated\n/* open comment', lang)
        assert text.plain.startswith("x = ")
    python = highlight("def f():\n    return None  # done", "python")
    assert STYLES["comment"] in styles_over(python, "# done")
    assert STYLES["keyword"] in styles_over(python, "def")


def test_markdown_blocks_render_as_text() -> None:
    source = (
        "# Title\n\nA **bold** claim with `code()` and *emphasis*, [a link](https://go.dev).  \n"
        "Second line after a hard break\nand a soft one.\n\n"
        "- one\n- two `x`\n  continued\n\n1. first\n2. second\n\n> quoted text\n\n"
        "```go\nfunc main() {}\n```\n\n<b>not html</b> \\*literal\\*"
    )
    out = text_of(render_markdown(source), width=100)
    assert "Title" in out and "# Title" not in out
    assert ("A bold claim with code() and emphasis, a link (https://go.dev).\n"
            "Second line after a hard break and a soft one.") in out
    assert "• one" in out and "• two x continued" in out
    assert "1. first" in out and "2. second" in out
    assert "│ quoted text" in out
    assert "  func main() {}" in out and "```" not in out
    assert "<b>not html</b> *literal*" in out


def test_inline_styles() -> None:
    text = inline("see `len(s)` and **very *much* so**")
    assert text.plain == "see len(s) and very much so"
    assert "bold cyan" in styles_over(text, "len(s)")
    assert "bold" in styles_over(text, "very")
    assert "italic" in styles_over(text, "much")
    assert inline("snake_case_name and 2*3*4").plain == "snake_case_name and 2*3*4"


def test_unclosed_fence_runs_to_the_end() -> None:
    out = text_of(render_markdown("Intro\n\n~~~python\nprint(1)\n"))
    assert "Intro" in out and "print(1)" in out


# -- the whole screen over a real store -------------------------------------------------------


@contextmanager
def synced(lessons: Path, db: Path) -> Iterator[tuple[Store, dict[str, Scheduler], list]]:
    """A store holding the lessons, each deck's scheduler and today's queue."""
    sources = resolve_sources([lessons])
    with Store.open(db, now=NOW) as opened:
        sync_lessons(opened, sources, NOW)
        limits = {s.deck.name: s.deck.options for s in sources}
        cards = opened.queue(NOW, day_start(NOW, UTC), limits,
                             day_end=day_start_after(NOW, 1, UTC))
        yield opened, {d: Scheduler(o) for d, o in limits.items()}, cards


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Store, dict[str, Scheduler], list]]:
    lessons = tmp_path / "lessons"
    shutil.copytree(LESSONS, lessons)
    with synced(lessons, tmp_path / "db.sqlite3") as opened:
        yield opened


class Learner:
    """Presses keys the way a reader of the screen would: looks at the output so far."""

    def __init__(self, console: Console, script: list[str]) -> None:
        self.console = console
        self.script = script
        self.pressed: list[str] = []

    def screen(self) -> str:
        return str(self.console.file.getvalue())  # type: ignore[attr-defined]

    def __call__(self) -> str:
        if not self.script:
            return "q"
        key = self.script.pop(0)
        if key == "RIGHT" or key == "WRONG":
            last = self.screen().rsplit("╭", 1)[-1]
            letters = dict(re.findall(r"([A-Z])\) (.+?)\s*│", last))
            answer = {"2 2": False, "2 5": True, "0 5": False, "5 5": False,
                      "copy": False, "len": False, "append": True, "cap": False,
                      "The write is ignored": False, "The map is allocated": False,
                      "A run-time panic": True, "A compile error": False}
            want = key == "RIGHT"
            key = next(k for k, v in letters.items() if answer.get(v) is want).lower()
        self.pressed.append(key)
        return key


def test_a_session_on_screen(store: tuple[Store, dict[str, Scheduler], list]) -> None:
    opened, schedulers, cards = store
    console = Console(file=io.StringIO(), width=56, color_system=None)
    session = ReviewSession(cards, schedulers, opened, lambda: NOW, session_id=None, tz=UTC)
    learner = Learner(console, [" ", "3", "RIGHT", " ", "RIGHT", " ", "x", " ", "1", "u", "\r",
                                "4", "WRONG", "2", "s", "u", "q"])
    summary, interrupted = run_review(session, console, learner,
                                      title_of=lambda c: c.lesson_title)
    assert not interrupted
    screen = learner.screen()
    assert "Slices in Go" in screen and "Maps in Go" in screen and "Channels" in screen
    assert "a nil slice has length and capacity zero" in screen
    assert "1 Again" in screen and "10m" in screen
    assert "Right: " in screen and "Wrong: you picked" in screen
    assert "Last answer undone." in screen and "Suspended card " in screen
    assert "Suspension undone." in screen
    assert max(len(line) for line in screen.splitlines()) <= 56
    assert summary.reviewed == 5 and summary.suspended == 0 and summary.again == 0
    assert opened.rows("SELECT id FROM cards WHERE suspended = 1") == []
    ratings = [r for (r,) in opened.rows("SELECT rating FROM review_log ORDER BY id")]
    assert ratings == [3, 3, 3, 4, 2]  # both quiz questions of a lesson: each its own note


def test_keys_from_a_stream_and_ctrl_c(store: tuple[Store, dict[str, Scheduler], list]) -> None:
    opened, schedulers, cards = store
    console = Console(file=io.StringIO(), width=80, color_system=None)
    session = ReviewSession(cards, schedulers, opened, lambda: NOW, tz=UTC)
    keys = stream_keys(io.StringIO(" 4"))
    summary, interrupted = run_review(session, console, keys)   # the stream ends: quit
    assert summary.reviewed == 1 and not interrupted

    def interrupted() -> str:
        raise KeyboardInterrupt

    again = ReviewSession(opened.queue(NOW, day_start(NOW, UTC), {"srs": schedulers["srs"].options},
                                       day_end=day_start_after(NOW, 1, UTC)),
                          schedulers, opened, lambda: NOW, tz=UTC)
    summary, was_interrupted = run_review(again, console, interrupted)
    assert summary.reviewed == 0 and was_interrupted
    # Ctrl-C read as a key in raw mode is the same interruption.
    third = ReviewSession(opened.queue(NOW, day_start(NOW, UTC), {"srs": schedulers["srs"].options},
                                       day_end=day_start_after(NOW, 1, UTC)),
                          schedulers, opened, lambda: NOW, tz=UTC)
    assert run_review(third, console, stream_keys(io.StringIO(" 3\x03 3"))) == (
        third.summary(), True)
    assert third.summary().reviewed == 1


def test_summary_and_times() -> None:
    from srs.review import Summary

    console = Console(file=io.StringIO(), width=80, color_system=None)
    print_summary(console, Summary(reviewed=8, again=2, elapsed=timedelta(seconds=185), buried=1,
                                   suspended=0, learning_left=2), tomorrow=(5, 20))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Reviewed 8 cards in 3m 05s · again 25%" in out
    assert "1 buried · 2 still learning · tomorrow: 5 to review, 20 new" in out
    assert format_duration(timedelta(hours=1, minutes=2)) == "1h 02m"
    assert format_duration(timedelta(seconds=9)) == "9s"
    assert format_when(NOW - timedelta(1), NOW) == "now"
    assert format_when(NOW + timedelta(minutes=5), NOW).startswith("in 5 min")
    local = NOW.astimezone()
    next_day = (local + timedelta(days=1)).replace(hour=4, minute=0)
    assert format_when(next_day, NOW) == "tomorrow at 04:00"
    later = local + timedelta(days=3)
    assert format_when(later, NOW) == f"on {later:%Y-%m-%d} at {later:%H:%M}"


def test_inline_edge_cases() -> None:
    assert inline("a `b").plain == "a `b"
    assert inline("``a ` b``").plain == "a ` b"
    assert inline("**open bold").plain == "**open bold"
    assert inline("** not bold**").plain == "** not bold**"
    assert inline("[x] and [y](z)").plain == "[x] and y (z)"
    assert inline("[](empty)").plain == "[](empty)"
    assert inline(r"\`not code\` \q").plain == r"`not code` \q"
    assert inline("__under__ bold").plain == "under bold"
    assert inline("a * b * c").plain == "a * b * c"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab `*_[]()\\#->1.\n~")), max_size=80))
def test_any_text_renders(source: str) -> None:
    inline(source)
    text_of(render_markdown(source), width=30)


def test_backslash_escapes_any_ascii_punctuation_as_commonmark_does() -> None:
    out = text_of(render_markdown(r"*Pointers \& \*T\_Values\** › a \<b\> \\ \q"), width=100)
    assert "Pointers & *T_Values* › a <b> \\ \\q" in out


def test_code_tabs_are_four_columns_as_on_exported_cards() -> None:
    console = Console(file=io.StringIO(), width=60, color_system=None)
    console.print(render_markdown("```go\nfunc f() {\n\treturn\n}\n```"))
    output = str(console.file.getvalue())  # type: ignore[attr-defined]
    lines = [line.rstrip() for line in output.splitlines()]
    assert "      return" in lines  # 2 columns of padding, then one tab of 4


def test_a_fence_naming_a_file_after_its_language_is_highlighted_in_that_language() -> None:
    def shown(info: str) -> str:
        console = Console(file=io.StringIO(), width=60, force_terminal=True)
        console.print(render_markdown(f"```{info}\nfunc f() {{}}\n```"))
        return str(console.file.getvalue())  # type: ignore[attr-defined]

    assert shown("go:main.go") == shown("go") != shown("nosuchlanguage")


# -- a card taller than the terminal ------------------------------------------------------------

TALL_LESSON = """---
title: "Tall Cards"
slug: "tall"
---

# Tall Cards

## Cards

Q: Which lines does the program print? {#tall}

```go
func main() {
{body}
}
```

A: Every line from `line 0` to `line 29`, in order:

```text
{output}
```
"""


def screens(console: Console) -> list[list[str]]:
    out = str(console.file.getvalue())  # type: ignore[attr-defined]
    return [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", part).splitlines()
            for part in out.split("\x1b[2J")[1:]]


@pytest.mark.parametrize(("width", "height"), [(60, 20), (80, 24), (40, 12)])
def test_a_tall_card_scrolls_and_its_back_opens_at_the_answer(
        width: int, height: int, tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    body = "\n".join(f'\tfmt.Println("line {i}")' for i in range(30))
    output = "\n".join(f"line {i}" for i in range(30))
    (lessons / "tall.md").write_text(TALL_LESSON.replace("{body}", body)
                                     .replace("{output}", output), encoding="utf-8")
    with synced(lessons, tmp_path / "db.sqlite3") as (opened, schedulers, cards):
        assert len(cards) == 1
        console = Console(file=io.StringIO(), width=width, height=height, force_terminal=True,
                          color_system=None)
        session = ReviewSession(cards, schedulers, opened, lambda: NOW, tz=UTC)
        up, down, page_up, page_down, home, end = ("\x1b[A", "\x1b[B", "\x1b[5~", "\x1b[6~",
                                                    "\x1b[H", "\x1b[F")
        keys = iter([up, down, down, page_down, page_up, end, down, home, " ", up, "3"])
        summary, _ = run_review(session, console, lambda: next(keys, "q"))
        assert summary.reviewed == 1
    shown = screens(console)
    # Every screen fits the terminal with a row to spare, the title and keys in view.
    assert all(len(screen) <= height - 1 and "Tall Cards" in screen[0] for screen in shown)
    assert all("↑↓ PgUp PgDn" in "".join(screen) for screen in shown)
    first = "\n".join(shown[0])
    assert "Which lines does the program print?" in first and "lines 1-" in first
    # Up at the top does nothing (no redraw); down moves one line; a page moves a screen.
    positions = [re.search(r"lines (\d+)-(\d+) of (\d+)", "\n".join(s)) for s in shown]
    spans = [(int(m[1]), int(m[2]), int(m[3])) for m in positions if m]
    assert len(spans) == len(shown)
    page = spans[0][1] - spans[0][0] + 1
    total = spans[0][2]
    tops = [start for start, _, _ in spans]
    paged = min(3 + page, total - page + 1)  # a page down, stopping at the bottom
    assert tops[:5] == [1, 2, 3, paged, max(1, paged - page)]
    assert tops[5] == total - page + 1  # End; the Down after it is at the bottom: no redraw
    assert tops[6] == 1  # Home
    assert 'line 29")' in "\n".join(shown[5])
    # Showing the back opens a little above where the answer begins, not at the top.
    back = "\n".join(shown[7])
    assert "Every line from" in back and "Which lines does" not in back
    assert "1 Again" in back
    assert tops[8] == tops[7] - 1


@pytest.mark.parametrize("height", [7, 8, 9, 10])
def test_on_a_short_terminal_the_back_opens_on_the_answer_itself(
        height: int, tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "tall.md").write_text(
        TALL_LESSON.replace("{body}", '\tfmt.Println("line 0")').replace("{output}", "line 0"),
        encoding="utf-8")
    with synced(lessons, tmp_path / "db.sqlite3") as (opened, schedulers, cards):
        console = Console(file=io.StringIO(), width=80, height=height, force_terminal=True,
                          color_system=None)
        session = ReviewSession(cards, schedulers, opened, lambda: NOW, tz=UTC)
        keys = iter([" ", "3"])
        run_review(session, console, lambda: next(keys, "q"))
    back = screens(console)[1]
    assert len(back) <= height - 1
    # The first line of the answer is in view, however few rows the card gets.
    assert any("Every line from" in line for line in back), back


def test_in_a_long_quiz_q_and_u_pick_choices_and_ctrl_keys_quit_and_undo(
        tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    letters = "ABCDEFGHIJKLMNOPQRSTU"
    options = "  \n".join(f"**{c})** option {c.lower()}" for c in letters)
    (lessons / "long.md").write_text(
        '---\ntitle: "Long Quiz"\nslug: "long"\n---\n\n# Long Quiz\n\n## Quiz\n\n'
        f"### Question 1\nWhich one?\n\n{options}\n\n**Answer: Q** - the seventeenth.\n",
        encoding="utf-8")
    with synced(lessons, tmp_path / "db.sqlite3") as (opened, schedulers, cards):
        console = Console(file=io.StringIO(), width=100, color_system=None)
        session = ReviewSession(cards, schedulers, opened, lambda: NOW, tz=UTC)
        # q picks choice Q, Ctrl-Z undoes that, u picks choice U, Ctrl-D quits
        keys = iter(["q", "\x1a", "u", "\x04"])
        summary, interrupted = run_review(session, console, lambda: next(keys))
        ratings = opened.rows("SELECT rating FROM review_log")
    screen = str(console.file.getvalue())  # type: ignore[attr-defined]
    assert "a-u choose · Space show · - bury · @ suspend · Ctrl-Z undo · Ctrl-D quit" in screen
    assert "Last answer undone." in screen
    assert screen.count("you picked") + screen.count("Right: ") == 2
    assert not interrupted and summary.reviewed == 1 and len(ratings) == 1


def test_the_end_screen_still_undoes_the_last_answer(tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "one.md").write_text('---\ntitle: "One"\nslug: "one"\n---\n\n# One\n\n## Cards\n\n'
                                    "Q: Only question? {#only}\nA: Only answer.\n",
                                    encoding="utf-8")
    with synced(lessons, tmp_path / "db.sqlite3") as (opened, schedulers, cards):
        console = Console(file=io.StringIO(), width=60, color_system=None)
        session = ReviewSession(cards, schedulers, opened, lambda: NOW, tz=UTC)
        keys = iter([" ", "4", "u", " ", "4", "x"])   # answer, undo on the end screen, again
        summary, _ = run_review(session, console, lambda: next(keys))
        ratings = opened.rows("SELECT rating FROM review_log")
    screen = str(console.file.getvalue())  # type: ignore[attr-defined]
    assert screen.count("No more cards for now.") == 2 and "Last answer undone." in screen
    assert "u undo · any other key to finish" in screen
    assert ratings == [(4,)] and summary.reviewed == 1
    assert next(keys, None) is None


def test_a_graded_quiz_says_what_undoing_its_grade_would_allow(tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "q.md").write_text(
        '---\ntitle: "Q"\nslug: "q"\n---\n\n# Q\n\n## Quiz\n\n### Question 1\nWhich?\n\n'
        "**A)** one  \n**B)** two\n\n**Answer: A** - One.\n", encoding="utf-8")
    with synced(lessons, tmp_path / "db.sqlite3") as (opened, schedulers, cards):
        console = Console(file=io.StringIO(), width=100, color_system=None)
        session = ReviewSession(cards, schedulers, opened, lambda: NOW, tz=UTC)
        keys = iter(["a", "s", "b", "q"])
        run_review(session, console, lambda: next(keys))
        assert opened.rows("SELECT id FROM cards WHERE suspended = 1 OR buried_until") == []
    screen = str(console.file.getvalue())  # type: ignore[attr-defined]
    assert "Graded already: u takes the grade back, then the card can be suspended." in screen
    assert "Graded already: u takes the grade back, then the card can be buried." in screen
