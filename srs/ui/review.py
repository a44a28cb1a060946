"""The review screen: draws the card on screen and turns keys into session actions.

The console and the key reader are injected: tests pass a `Console(file=StringIO())` and a
callable that returns scripted keys; the command line passes a real console and `TtyKeys`,
which holds the terminal in key-at-a-time mode for the session and gives its settings back
when the session ends, whatever happens.

Keys: Space or Enter shows the back; 1 Again, 2 Hard, 3 Good, 4 Easy (Space or Enter on the
back: Good, or keeps an MCQ's own grade); on an MCQ front a letter picks that choice;
`u` or Ctrl-Z undo (the last answer, burial or suspension), `b` or `-` bury, `s` or `@`
suspend (on an MCQ front only `-` and `@`, since `b` and `s` may be choices), `q`, Ctrl-D or
Ctrl-C quit (Ctrl-C as an interruption). A quiz long enough to letter a choice `q` or `u`
leaves those letters to its choices; Ctrl-D and Ctrl-Z still quit and undo.

A card taller than the terminal is shown a screenful at a time, its title and the keys
always in view: the arrow keys scroll it by a line, Page Up and Page Down by a screen, Home
and End to either end. Showing the back of such a card scrolls to where the answer begins.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple, TextIO

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.segment import Segment, Segments
from rich.text import Text

from srs.model import CardKind, cloze_side
from srs.review import Idle, ReviewSession, Showing, Summary
from srs.schedule import Rating
from srs.ui.markdown import inline, render_markdown

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any

    from srs.review import QueuedCardLike

KeyReader = Callable[[], str]
TitleOf = Callable[["QueuedCardLike"], str]

CTRL_C = "\x03"
UNDO_KEYS = frozenset({"u", "\x1a"})  # Ctrl-Z, Anki's undo, reaches raw mode as a key
QUIT_KEYS = frozenset({"q", "Q", "\x04", ""})
REVEAL_KEYS = frozenset({" ", "\r", "\n"})
RATING_KEYS = {"1": Rating.AGAIN, "2": Rating.HARD, "3": Rating.GOOD, "4": Rating.EASY}
END_HINTS = "u undo · any other key to finish"
UNDONE = {"answer": "Last answer undone.", "bury": "Burial undone.",
          "suspend": "Suspension undone."}
RATING_LABELS = {Rating.AGAIN: "Again", Rating.HARD: "Hard", Rating.GOOD: "Good",
                 Rating.EASY: "Easy"}
RATING_STYLES = {Rating.AGAIN: "red", Rating.HARD: "yellow", Rating.GOOD: "green",
                 Rating.EASY: "blue"}
# How far each scrolling key moves a tall card: in lines, or in screens ("page"), or to
# either end ("end"). Terminals send arrows, Home and End in one of two forms.
SCROLL_KEYS: dict[str, tuple[str, int]] = {
    "\x1b[A": ("line", -1), "\x1bOA": ("line", -1), "\x1b[B": ("line", 1), "\x1bOB": ("line", 1),
    "\x1b[5~": ("page", -1), "\x1b[6~": ("page", 1),
    "\x1b[H": ("end", -1), "\x1bOH": ("end", -1), "\x1b[1~": ("end", -1),
    "\x1b[F": ("end", 1), "\x1bOF": ("end", 1), "\x1b[4~": ("end", 1),
}
# Lines of the front left in view above the answer when showing a tall card's back.
ANSWER_CONTEXT = 2
# What a key reader returns when the terminal changed size: draw the screen again.
RESIZE = "\x00resize"


def default_title(card: QueuedCardLike) -> str:
    title = getattr(card, "lesson_title", "")
    return str(title or card.lesson or card.deck)


class ReviewEnd(NamedTuple):
    summary: Summary
    interrupted: bool  # ended by Ctrl-C (the key, or SIGINT): the command exits 130


class Frame(NamedTuple):
    """Which lines of the card one screen shows."""

    top: int  # the card's first line on screen
    page: int  # how many of its lines the screen holds
    last_top: int  # the largest useful `top`: 0 when the whole card fits


class ScrollTo(NamedTuple):
    top: int


def run_review(session: ReviewSession, console: Console, read_key: KeyReader,
               *, title_of: TitleOf = default_title) -> ReviewEnd:
    """Show cards until the session is done or the learner quits; Ctrl-C quits as cleanly
    (every answer is saved as it is given) and is reported as an interruption."""
    message = ""
    interrupted = False
    side: tuple[str, bool] | None = None
    top: int | None = None
    try:
        while True:
            showing = session.current()
            if showing is None:
                # As Anki's end screen: the last answer (or burial) can still be undone.
                if not session.can_undo:
                    break
                draw_end(console, message)
                session.flush()
                message = ""
                key = read_key()
                while key == RESIZE:
                    draw_end(console, message)
                    key = read_key()
                if key == CTRL_C:
                    raise KeyboardInterrupt
                if key not in UNDO_KEYS:
                    break
                message = _undo(session)
                continue
            if (showing.card.id, showing.revealed) != side:
                side, top = (showing.card.id, showing.revealed), None
            frame = draw(console, session, showing, title_of(showing.card), message, top)
            session.flush()
            message = ""
            outcome = _handle_keys(session, showing, read_key, frame)
            if outcome is None:
                break
            if isinstance(outcome, ScrollTo):
                top = outcome.top
            else:
                message = outcome
    except KeyboardInterrupt:
        interrupted = True
    return ReviewEnd(session.quit(), interrupted)


def _handle_keys(session: ReviewSession, showing: Showing, read_key: KeyReader,
                 frame: Frame) -> str | ScrollTo | None:
    """Read keys until one acts on the session or scrolls the card; returns a status
    message, where to scroll to, or None to quit."""
    while True:
        key = read_key()
        if key == CTRL_C:  # raw mode delivers it as a key: it means what SIGINT means
            raise KeyboardInterrupt
        picking = showing.self_grading and showing.chosen is None and not showing.revealed
        # On an MCQ front a choice's letter picks it, even `q` or `u` in a long list.
        if picking and len(key) == 1 and key.isalpha():
            letter = key.upper()
            if any(c.letter == letter for c in showing.choices):
                session.choose(letter)
                return _leech_message(session)
        if key in QUIT_KEYS:
            return None
        if key == RESIZE:
            return ScrollTo(frame.top)
        if key in SCROLL_KEYS:
            unit, step = SCROLL_KEYS[key]
            moved = {"line": step, "page": step * frame.page, "end": step * frame.last_top}[unit]
            top = min(max(frame.top + moved, 0), frame.last_top)
            if top != frame.top:
                return ScrollTo(top)
            continue
        if key in UNDO_KEYS:
            return _undo(session)
        if key in ("-", "@") or (not picking and key in ("b", "s")):
            if showing.graded is not None:
                # the answer is on record: burying now would hold back its learning step
                what = "buried" if key in ("b", "-") else "suspended"
                return f"Graded already: u takes the grade back, then the card can be {what}."
            if key in ("b", "-"):
                session.bury()
                return "Buried until tomorrow."
            session.suspend()
            return (f"Suspended card {showing.card.id} (u undoes; after this session, "
                    f"srs unsuspend {showing.card.id} brings it back).")
        if not showing.revealed:
            if key in REVEAL_KEYS:
                session.reveal()
                return ""
            continue
        if key in RATING_KEYS:
            regraded = showing.graded is not None and RATING_KEYS[key] == showing.graded
            session.answer(RATING_KEYS[key])
            return "" if regraded else _leech_message(session)
        if key in REVEAL_KEYS:
            if showing.graded is not None:  # kept as graded: told already, on its back
                session.answer(None)
                return ""
            session.answer(Rating.GOOD)
            return ""


# -- drawing -------------------------------------------------------------------------------


def draw(console: Console, session: ReviewSession, showing: Showing, title: str,
         message: str = "", top: int | None = None) -> Frame:
    """One full screen for the card on show. On a terminal, a card taller than the screen
    shows the lines from `top` (None: from its start, or for a back from a little above
    the answer) that fit above the ratings and keys; elsewhere the whole card is printed."""
    card = showing.card
    left = session.remaining
    subtitle = f"{card.kind} · {left} more" if left else f"{card.kind} · last"
    front, back = _card_body(showing)
    footer: list[RenderableType] = []
    if showing.revealed:
        footer.append(_ratings(session, showing, console.width))
    if message:
        footer.append(Text(message, style="yellow"))
    hints = _hints(showing)
    body: RenderableType = Group(*front, *back)
    frame = Frame(0, 0, 0)
    if console.is_terminal:
        inner = console.options.update(width=max(1, console.width - 4), height=None)
        front_lines = console.render_lines(Group(*front), inner, pad=False)
        lines = front_lines + (console.render_lines(Group(*back), inner, pad=False)
                               if back else [])

        def page_with(keys: str) -> int:
            # Keep one row free: the newline after the last line would scroll the top away.
            below = [*footer, Text(keys)] if keys else footer
            used = len(console.render_lines(Group(*below), console.options)) if below else 0
            return console.height - used - 3

        page = page_with(hints)
        shown = lines
        if len(lines) > page:
            # The scroll keys lengthen the hints, which may then take another row. A screen
            # too short for them shows at least a line of the card, without the hints.
            hints = next((keys for keys in ("↑↓ PgUp PgDn scroll · " + hints, hints)
                          if page_with(keys) >= 1), "")
            page = max(1, page_with(hints))
            last_top = len(lines) - page
            if top is None:
                # The answer's first line is below the rule that opens the back; above
                # it, the rule and a little of the front, in at most half the screen.
                answer = len(front_lines) + 1
                context = min(ANSWER_CONTEXT + 1, page // 2)
                top = answer - context if showing.revealed and back else 0
            top = min(max(top, 0), last_top)
            frame = Frame(top, page, last_top)
            shown = lines[top:top + page]
            subtitle += f" · lines {top + 1}-{top + len(shown)} of {len(lines)}"
        body = Segments([s for line in shown for s in (*line, Segment.line())])
        console.clear()
    console.print(Panel(body, title=Text(title, style="bold"),
                        title_align="left", subtitle=Text(subtitle), subtitle_align="right",
                        border_style="cyan" if not showing.revealed else "blue",
                        padding=(0, 1)))
    for part in footer:
        console.print(part)
    if hints:
        console.print(Text(hints, style="dim"))
    return frame


def _front_text(card: QueuedCardLike) -> str:
    content = card.content
    front = str(content.get("front", ""))
    if card.kind == CardKind.CLOZE.value:
        number = content.get("cloze")
        if isinstance(number, int) and number > 0:
            return cloze_side(front, number, reveal=False)
    return front


def _card_body(showing: Showing) -> tuple[list[RenderableType], list[RenderableType]]:
    """What the card shows above the line that opens its answer, and from that line on
    (nothing until the back is shown)."""
    content = showing.card.content
    front: list[RenderableType] = []
    back: list[RenderableType] = []
    if showing.self_grading:
        if showing.prompt:
            front.append(render_markdown(showing.prompt))
            front.append(Text(""))
        front.append(_choice_lines(showing))
        if showing.revealed:
            back.append(Rule(style="dim"))
            back.append(_mcq_verdict(showing))
            explanation = str(content.get("explanation", "")).strip()
            if explanation:
                back.append(Text(""))
                back.append(render_markdown(explanation))
        return front, back
    front.append(render_markdown(_front_text(showing.card)))
    if showing.revealed:
        back.append(Rule(style="dim"))
        back.append(render_markdown(str(content.get("back", ""))))
    return front, back


def _choice_lines(showing: Showing) -> Text:
    lines: list[Text] = []
    for choice in showing.choices:
        line = Text()
        mark = "  "
        style = ""
        if showing.revealed and choice.correct:
            mark, style = "✓ ", "bold green"
        elif showing.revealed and choice.letter == showing.chosen:
            mark, style = "✗ ", "bold red"
        line.append(mark, style=style)
        line.append(f"{choice.letter}) ", style=style or "bold")
        line.append_text(inline(choice.text, style))
        lines.append(line)
    return Text("\n").join(lines)


def _mcq_verdict(showing: Showing) -> Text:
    right = showing.correct_letter or "?"
    text = Text()
    if showing.chosen is None:
        text.append(f"Answer: {right}", style="bold")
    elif showing.chosen == right:
        text.append(f"Right: {right}", style="bold green")
    else:
        text.append(f"Wrong: you picked {showing.chosen}, the answer is {right}", style="bold red")
    if showing.graded is not None:
        text.append(f"  (graded {RATING_LABELS[showing.graded]})", style="dim")
    return text


def _ratings(session: ReviewSession, showing: Showing, width: int) -> Text:
    """Each rating over the interval it gives, in four columns (two rows of two when narrow)."""
    intervals = session.preview_text(showing).split("  ")
    cells: list[tuple[Text, str]] = []
    for rating, interval in zip(Rating, intervals, strict=True):
        style = RATING_STYLES[rating]
        if showing.graded is rating:
            style = f"reverse {style}"
        cells.append((Text(f"{int(rating)} {RATING_LABELS[rating]}", style=style), interval))
    column = max(max(len(head.plain), len(interval)) for head, interval in cells) + 2
    per_row = 4 if column * 4 <= width else 2
    out = Text()
    for start in range(0, 4, per_row):
        row = cells[start:start + per_row]
        if start:
            out.append("\n")
        for head, _ in row:
            out.append_text(_centred(head, column))
        out.append("\n")
        for _, interval in row:
            out.append_text(_centred(Text(interval), column))
    return out


def _centred(text: Text, width: int) -> Text:
    pad = max(0, width - len(text.plain))
    left = pad // 2
    out = Text(" " * left)
    out.append_text(text)
    out.append(" " * (pad - left))
    return out


def _leech_message(session: ReviewSession) -> str:
    """What to tell when the answer just given made its card a leech, else nothing."""
    leech = session.last_leech
    if leech is None:
        return ""
    card_id, lapses = leech
    times = "once" if lapses == 1 else f"{lapses} times"
    return (f"Leech: forgotten {times}, so suspended (u undoes). Reword it in its lesson; "
            f"after this session, srs unsuspend {card_id} brings it back.")


def _undo(session: ReviewSession) -> str:
    """Take back the session's last act; the message that says what was taken back."""
    undone = session.undoable
    if undone is None or session.undo() is None:
        return "Nothing to undo."
    return UNDONE[undone]


def draw_end(console: Console, message: str = "") -> None:
    """The screen after the last card, while its answer can still be taken back."""
    if console.is_terminal:
        console.clear()
    console.print(Panel(Text("No more cards for now."), title=Text("Done", style="bold"),
                        title_align="left", border_style="green", padding=(0, 1)))
    if message:
        console.print(Text(message, style="yellow"))
    console.print(Text(END_HINTS, style="dim"))


def _hints(showing: Showing) -> str:
    if not showing.revealed:
        if showing.self_grading:
            last = showing.choices[-1].letter.lower()
            undo = "Ctrl-Z undo" if last >= "u" else "u undo"
            leave = "Ctrl-D quit" if last >= "q" else "q quit"
            return f"a-{last} choose · Space show · - bury · @ suspend · {undo} · {leave}"
        return "Space/Enter show answer · b bury · s suspend · u undo · q quit"
    if showing.graded is not None:
        return "Space keep grade · 1-4 change it · u undo · q quit"
    return "1-4 rate (Space = Good) · b bury · s suspend · u undo · q quit"


# -- the end of a session --------------------------------------------------------------------


def format_duration(elapsed: timedelta) -> str:
    seconds = int(elapsed.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def print_summary(console: Console, summary: Summary, *,
                  tomorrow: tuple[int, int] | None = None) -> None:
    """The session's figures; `tomorrow`: (cards seen before, new cards) in the queue the next
    day starts with, after the decks' limits (`srs stats` counts every card due that day)."""
    noun = "card" if summary.reviewed == 1 else "cards"
    line = Text()
    line.append(f"Reviewed {summary.reviewed} {noun}", style="bold")
    line.append(f" in {format_duration(summary.elapsed)}")
    if summary.reviewed:
        line.append(f" · again {summary.again_rate:.0%}")
    console.print(line)
    extra: list[str] = []
    if summary.buried:
        extra.append(f"{summary.buried} buried")
    if summary.suspended:
        extra.append(f"{summary.suspended} suspended")
    if summary.leeches:
        extra.append(f"{summary.leeches} {'leech' if summary.leeches == 1 else 'leeches'} "
                     "suspended")
    if summary.learning_left:
        extra.append(f"{summary.learning_left} still learning")
    if tomorrow is not None:
        extra.append(f"tomorrow: {tomorrow[0]} to review, {tomorrow[1]} new")
    if extra:
        console.print(Text(" · ".join(extra)))


def idle_message(idle: Idle, now: datetime, *, lesson_files: bool, where: str = "") -> str:
    """What a review with nothing to show says; `lesson_files`: whether it read any, `where`:
    the places it looked (" in lessons/")."""
    if idle.upcoming is not None:
        return f"Nothing due. The next card comes up {format_when(idle.upcoming, now)}."
    if idle.suspended:
        cards = "1 card is" if idle.suspended == 1 else f"{idle.suspended} cards are"
        return (f"Nothing to review, and nothing comes up as things stand; {cards} suspended "
                "in these lessons (srs unsuspend lists them; srs unsuspend CARD_ID brings one "
                "back).")
    if idle.new_waiting:
        wait = ("1 new card waits" if idle.new_waiting == 1
                else f"{idle.new_waiting} new cards wait")
        paused = ", ".join(map(repr, idle.paused_decks))
        return (f"Nothing to review: {wait}"
                + (f", as new_per_day is 0 in deck {paused}." if paused else "."))
    if not lesson_files:
        return f"Nothing to review: no lesson files{where}."
    return "Nothing to review: no cards in these lessons."


def format_when(moment: datetime, now: datetime | None = None) -> str:
    """A due time for people: local time, with the date when it is not today."""
    local = moment.astimezone()
    if now is not None:
        delta = moment - now
        if delta <= timedelta(0):
            return "now"
        if delta < timedelta(hours=1):
            return f"in {max(1, round(delta.total_seconds() / 60))} min ({local:%H:%M})"
        today = now.astimezone().date()
        if local.date() == today:
            return f"today at {local:%H:%M}"
        if local.date() == today + timedelta(days=1):
            return f"tomorrow at {local:%H:%M}"
    return f"on {local:%Y-%m-%d} at {local:%H:%M}"


# -- keys from a terminal ----------------------------------------------------------------------


class TtyKeys:
    """Reads one key per call from a terminal. Used as a context manager, it holds the
    terminal in key-at-a-time mode for the whole session, so a key typed while a card is
    drawn is neither echoed nor turned into a signal: Ctrl-C, Ctrl-Z and Ctrl-D come back
    as the bytes 0x03, 0x1a and 0x04, like any key (the review loop reads them as quit, undo
    and quit), and Ctrl-S does not freeze the output. Output processing stays on. Called
    outside a `with`, each call sets that mode for its own read. The previous settings
    are restored in a `finally`. An escape sequence (arrow keys) comes back whole; EOF
    comes back as "". A change of the terminal's size, during the read (SIGWINCH) or since
    the last one, comes back as `RESIZE`, so the screen is drawn again at once. Stopped by a
    signal (`kill -TSTP`), it gives the terminal its settings back for the shell; continued,
    it takes key-at-a-time mode again, and the next read is a `RESIZE` that redraws.
    """

    def __init__(self, fd: int | None = None) -> None:
        self.fd = sys.stdin.fileno() if fd is None else fd
        self._size = self._terminal_size()
        self._entered: tuple[list[Any], int, int, dict[int, object]] | None = None
        self._held = b""  # a byte read to see whether an ESC began a sequence: the next key

    def __enter__(self) -> TtyKeys:
        import signal
        import termios
        import threading

        saved = termios.tcgetattr(self.fd)
        mode = termios.tcgetattr(self.fd)
        mode[0] &= ~(termios.IXON | termios.ICRNL | termios.INLCR | termios.IGNCR)  # iflag
        mode[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)  # lflag
        mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
        wake, poke = os.pipe()
        os.set_blocking(poke, False)

        def on_resize(signum: int, frame: object) -> None:
            with contextlib.suppress(OSError):  # a full pipe already holds a wake-up
                os.write(poke, b"\0")

        def on_stop(signum: int, frame: object) -> None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)
            os.kill(os.getpid(), signal.SIGSTOP)  # stopped here until continued

        def on_continue(signum: int, frame: object) -> None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSANOW, mode)
            on_resize(signum, frame)

        # Signal handlers can only be set from the main thread.
        previous: dict[int, object] = {}
        if threading.current_thread() is threading.main_thread():
            for signum, handler in ((signal.SIGWINCH, on_resize), (signal.SIGTSTP, on_stop),
                                    (signal.SIGCONT, on_continue)):
                if signal.getsignal(signum) is signal.SIG_IGN:
                    continue  # a stop ignored (an orphaned process group) stays ignored
                before = signal.signal(signum, handler)
                # A handler set outside Python: the default stands in.
                previous[signum] = signal.SIG_DFL if before is None else before
        self._entered = (saved, wake, poke, previous)
        try:
            termios.tcsetattr(self.fd, termios.TCSANOW, mode)  # TCSAFLUSH would drop keys
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        import signal
        import termios

        if self._entered is None:
            return
        saved, wake, poke, previous = self._entered
        self._entered = None
        try:
            # A terminal that hung up has nothing left to restore.
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]
            os.close(wake)
            os.close(poke)

    def _terminal_size(self) -> os.terminal_size | None:
        try:
            return os.get_terminal_size(self.fd)
        except OSError:
            return None

    def __call__(self) -> str:
        if self._entered is None:
            with self:
                return self._read()
        return self._read()

    def _read(self) -> str:
        import select

        assert self._entered is not None
        wake = self._entered[1]
        size, self._size = self._size, self._terminal_size()
        if size != self._size:
            return RESIZE
        if self._held:
            data, self._held = self._held, b""
        else:
            if self.fd not in select.select([self.fd, wake], [], [])[0]:
                while select.select([wake], [], [], 0)[0]:
                    os.read(wake, 64)
                self._size = self._terminal_size()
                return RESIZE
            data = os.read(self.fd, 1)
        if data == b"\x1b":
            data += self._sequence()
        elif data and data[0] >= 0xC0:
            want = 2 if data[0] < 0xE0 else 3 if data[0] < 0xF0 else 4
            while len(data) < want:
                more = os.read(self.fd, 1)
                if not more:
                    break
                data += more
        return data.decode("utf-8", "replace")

    def _sequence(self) -> bytes:
        """The rest of an escape sequence begun by ESC, read byte by byte so that the keys
        typed after it stay unread: CSI (`[`, parameters, one final byte) or SS3 (`O`, one
        byte). After a lone ESC nothing; the byte that followed it is the next key."""
        import select

        def next_byte() -> bytes:  # terminals send a sequence's bytes together
            return os.read(self.fd, 1) if select.select([self.fd], [], [], 0.02)[0] else b""

        lead = next_byte()
        if lead not in (b"[", b"O"):
            self._held = lead
            return b""
        data = lead
        while len(data) < _LONGEST_SEQUENCE:
            byte = next_byte()
            data += byte
            if not byte or lead == b"O" or 0x40 <= byte[0] <= 0x7E:
                break
        return data


# Past this many bytes an escape sequence is garbage: what was read is one unknown key.
_LONGEST_SEQUENCE = 32


def stream_keys(stream: TextIO) -> KeyReader:
    """Keys from a non-terminal stream (a pipe): one character per call, "" at the end."""

    def next_key() -> str:
        return stream.read(1)

    return next_key
