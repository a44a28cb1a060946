"""`srs stats` for people: the numbers of srs.stats drawn with rich."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from srs.stats import DayCount, Retention, Stats

_BLOCKS = " ▁▂▃▄▅▆▇█"
_SHADES = ("grey23", "dark_green", "green4", "green3", "bright_green")
# Without colour (piped, NO_COLOR, a dumb terminal) the shade is drawn by the glyph instead.
_GLYPHS = ("·", "░", "▒", "▓", "█")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _retention(ret: Retention) -> str:
    return f"{_percent(ret.rate)} ({ret.passed}/{ret.answers})"


def summary_table(stats: Stats) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    c = stats.counts
    rows = [
        ("new", c["new"]), ("learning", c["learning"] + c["relearning"]),
        ("review", c["review"]), ("suspended", c["suspended"]),
        ("  of them leeches", len(stats.leeches)), ("buried", c["buried"]),
        ("orphaned", c["orphaned"]),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    table.add_row("", "")
    table.add_row("due today", str(stats.due_today))
    table.add_row("due tomorrow", str(stats.due_tomorrow))
    table.add_row("due in 7 days", str(stats.due_next_7_days))
    table.add_row("", "")
    table.add_row("retention 7 days", _retention(stats.retention_7d))
    table.add_row("retention 30 days", _retention(stats.retention_30d))
    table.add_row("mean retrievability", _percent(stats.mean_retrievability))
    table.add_row("reviews today", str(stats.reviews_today))
    table.add_row("streak", f"{stats.streak} day{'s' if stats.streak != 1 else ''}")
    return table


def forecast_chart(forecast: list[DayCount], height: int = 6) -> Text:
    """Vertical bars, one column per day, `height` rows of eighth-blocks."""
    peak = max((d.count for d in forecast), default=0)
    text = Text()
    text.append(f"due per day, next {len(forecast)} days (peak {peak})\n", style="bold")
    levels = [round(d.count / peak * height * 8) if peak else 0 for d in forecast]
    for row in range(height - 1, -1, -1):
        line = "".join(_BLOCKS[max(0, min(8, level - row * 8))] for level in levels)
        text.append(line + "\n", style="cyan")
    marks = "".join("|" if i % 7 == 0 else " " for i in range(len(forecast)))
    text.append(marks + "\n", style="dim")
    if forecast:
        text.append(f"{forecast[0].day:%b %d}".ljust(14) + f"{forecast[-1].day:%b %d}".rjust(
            max(0, len(forecast) - 14)), style="dim")
    return text


def heatmap(days: list[DayCount], *, colour: bool = True) -> Text:
    """Weeks as columns, weekdays as rows (Monday on top), shaded by answers per day: in colour,
    or, where no colour is drawn, in glyphs from `·` (none) to `█` (the busiest days)."""
    text = Text()
    text.append(f"answers per day, last {len(days)} days\n", style="bold")
    if not days:
        return text
    peak = max(d.count for d in days)
    lead = days[0].day.weekday()
    cells: list[DayCount | None] = [None] * lead + list(days)
    weeks = (len(cells) + 6) // 7
    names = "MTWTFSS"
    for weekday in range(7):
        text.append(names[weekday] + " ", style="dim")
        for week in range(weeks):
            index = week * 7 + weekday
            cell = cells[index] if index < len(cells) else None
            if cell is None:
                text.append("  ")
                continue
            shade = 0 if not cell.count else 1 + min(3, (cell.count * 4 - 1) // max(1, peak))
            if colour:
                text.append("■ ", style=_SHADES[shade])
            else:
                text.append(_GLYPHS[shade] + " ")
        text.append("\n")
    text.append(f"{days[0].day:%b %d} – {days[-1].day:%b %d}, busiest day {peak}", style="dim")
    return text


def mastery_table(stats: Stats) -> Table:
    table = Table(title="lessons in prerequisite order", header_style="bold", title_style="bold")
    table.add_column("#", justify="right", style="dim")
    table.add_column("lesson")
    table.add_column("introduced", justify="right")
    table.add_column("retrievability", justify="right")
    for index, lesson in enumerate(stats.mastery, 1):
        table.add_row(str(index), lesson.title or lesson.slug or lesson.path,
                      f"{lesson.introduced}/{lesson.cards}",
                      _percent(lesson.mean_retrievability))
    return table


LEECHES_SHOWN = 10


def leech_table(stats: Stats) -> Table:
    """The leeches with the most lapses."""
    table = Table(title="leeches", header_style="bold", title_style="bold")
    table.add_column("ID")
    table.add_column("lesson")
    table.add_column("lapses", justify="right")
    for leech in stats.leeches[:LEECHES_SHOWN]:
        table.add_row(leech.card, leech.lesson, str(leech.lapses))
    return table


def print_stats(stats: Stats, console: Console | None = None) -> None:
    console = console or Console()
    console.print(Panel(summary_table(stats), title=f"srs · {stats.today:%a %d %b %Y}",
                        expand=False))
    console.print(Group(forecast_chart(stats.forecast), Text(""),
                        heatmap(stats.reviews_per_day, colour=console.color_system is not None)))
    if stats.mastery:
        console.print(mastery_table(stats))
    if stats.leeches:
        console.print(leech_table(stats))
        more = len(stats.leeches) - LEECHES_SHOWN
        console.print(Text(("" if more <= 0 else f"And {more} more (--json lists them all). ")
                           + "Reword each in its lesson, then srs unsuspend ID.", style="dim"))
