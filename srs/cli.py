"""The `srs` command line: parse options, call the core, map `SrsError` to a message and exit."""

from __future__ import annotations

import errno
import io
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer

from srs.errors import SrsError, UsageError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="Spaced-repetition flashcards from programming lessons.",
)

PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Lesson files, directories or deck manifests (default: ./decks, else ./lessons).",
        # An unreadable lesson is an error of the lessons (exit 1, `path:line`), told with
        # the others, not a usage error.
        readable=False,
        metavar="PATH",
    ),
]


def _db_path(value: str) -> Path:
    if not value:
        # Path("") is the current folder, which would be told as "." and never as empty.
        raise typer.BadParameter("is empty: give the review database's file")
    return Path(value)


DbOption = Annotated[
    Path | None,
    typer.Option("--db", metavar="FILE", parser=_db_path,
                 help="Review database (default: $SRS_DB, else the user data folder)."),
]


def _report(exc: SrsError) -> None:
    for error in (exc, *exc.others):
        typer.echo(f"srs: {error}", err=True)


def _fail(exc: SrsError) -> typer.Exit:
    _report(exc)
    return typer.Exit(exc.exit_code)


@app.command()
def cards(
    paths: PathsArg = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List the cards the lessons yield."""
    from srs.corpus import load_corpus

    try:
        corpus = load_corpus(paths or [])
    except SrsError as exc:
        raise _fail(exc) from None
    for diagnostic in sorted(corpus.diagnostics, key=lambda d: (str(d.pos.path), d.pos.line)):
        typer.echo(str(diagnostic), err=True)
    if as_json:
        cards_json = [card.to_json() for card in corpus.cards]
        _write_json(cards_json)
    else:
        from srs.ui.tables import print_cards

        print_cards(corpus.cards)
    if corpus.has_errors:
        raise typer.Exit(1)


@app.command()
def check(paths: PathsArg = None) -> None:
    """Lint lessons: one `path:line: error|warning: message` per finding."""
    from srs.corpus import load_corpus
    from srs.errors import ManifestError
    from srs.export import image_diagnostics

    try:
        corpus = load_corpus(paths or [])
    except ManifestError as exc:  # every finding in the lint's own form, then stop
        for error in sorted((exc, *exc.others), key=lambda e: (str(e.path), e.line or 1)):
            where = f"{error.path}:{error.line or 1}" if error.path else "srs"
            typer.echo(f"{where}: {error.label or 'error: '}{error.message}")
        raise typer.Exit(1) from None
    except SrsError as exc:
        raise _fail(exc) from None
    found = [*corpus.diagnostics, *image_diagnostics(corpus.lessons)]
    found.sort(key=lambda d: (str(d.pos.path), d.pos.line))  # as a linter lists them
    for diagnostic in found:
        typer.echo(str(diagnostic))
    errors = sum(1 for d in found if d.severity == "error")
    warnings = len(found) - errors
    typer.echo(
        f"{_count(len(corpus.lessons), 'lesson')}, {_count(len(corpus.cards), 'card')}: "
        f"{_count(errors, 'error')}, {_count(warnings, 'warning')}",
        err=True,
    )
    if errors:
        raise typer.Exit(1)


@app.command()
def verify(
    paths: PathsArg = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore cached results.")] = False,
) -> None:
    """Check every numeric Go fact against the real compiler (amd64, 386, arm64, arm)."""
    import os

    from srs.corpus import load_corpus, resolve_sources
    from srs.facts.extract import analyze
    from srs.facts.verify import cached_report, source_key
    from srs.facts.verify import verify as verify_facts

    if os.environ.get("SRS_CACHE_DIR"):
        cache_dir: Path | None = Path(os.environ["SRS_CACHE_DIR"])
    else:
        import platformdirs

        cache_dir = Path(platformdirs.user_cache_dir("srs"))
    if no_cache:
        cache_dir = None
    try:
        sources = resolve_sources(paths or [])
        quick = source_key([s.path for s in sources])
        report = cached_report(cache_dir, quick) if cache_dir is not None else None
        unread = []
        if report is None:
            corpus = load_corpus(paths or [])
            unread = corpus.unread
            # with a lesson unread, the lesson files' key is not stored: it would pass
            # the next run without reading the lessons again
            report = verify_facts([analyze(lesson) for lesson in corpus.lessons], cache_dir,
                                  also_key=None if unread else quick)
    except SrsError as exc:
        raise _fail(exc) from None
    for diagnostic in unread:
        typer.echo(str(diagnostic))
    for mismatch in report.mismatches:
        typer.echo(str(mismatch))
    for left_out in report.unchecked:
        typer.echo(str(left_out), err=True)
    ran = ", ".join(report.ran) or "none"
    built = ", ".join(a for a in report.arches if a not in report.ran) or "none"
    how = f"run on {ran}, cross-compiled for {built}" if report.facts else "nothing to compile"
    typer.echo(
        f"{_count(report.facts, 'fact')} from {_count(len(sources), 'lesson')}, {how}: "
        f"{_count(len(report.mismatches), 'mismatch', 'mismatches')}"
        + (f", {len(report.unchecked)} not checked" if report.unchecked else "")
        + (f", {_count(len(unread), 'lesson')} not read" if unread else "")
        + (" (cached)" if report.cached else ""),
        err=True,
    )
    if report.mismatches or unread:
        raise typer.Exit(1)


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers as JSON.")] = False,
    db: DbOption = None,
    now_text: Annotated[
        str | None, typer.Option("--now", hidden=True, help="Pretend it is this ISO time.")
    ] = None,
) -> None:
    """Review statistics: due forecast, retention, activity, mastery per lesson."""
    from datetime import UTC, datetime

    from srs.stats import compute_stats
    from srs.store import Store, default_db_path

    try:
        now = _fixed_time(now_text, "--now") if now_text else datetime.now(UTC)
        with Store.open(db or default_db_path(), now=now, read_only=True) as store:
            numbers = compute_stats(store, now)
    except SrsError as exc:
        raise _fail(exc) from None
    if as_json:
        _write_json(numbers.to_json())
    else:
        from srs.ui.stats import print_stats

        print_stats(numbers)


@app.command()
def review(
    paths: PathsArg = None,
    db: DbOption = None,
) -> None:
    """Review today's cards in the terminal. `SRS_NOW` (ISO-8601 with offset) fixes the clock:
    it exists for tests only."""
    try:
        _review(paths or [], db)
    except SrsError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _fast_review(argv: list[str]) -> bool:
    """Run `review [PATH...] [--db PATH]` without typer's argument parsing, which builds
    pydantic validators and costs more than the rest of the start-up together. Anything else
    (help, unknown options) returns False and goes through typer as usual."""
    if argv[:1] != ["review"]:
        return False
    paths: list[Path] = []
    db: Path | None = None
    rest = iter(argv[1:])
    for arg in rest:
        if arg == "--db":
            value = next(rest, None)
            if not value:
                return False
            db = Path(value)
        elif arg.startswith("--db=") and len(arg) > 5:
            db = Path(arg[5:])
        elif arg.startswith("-"):
            return False
        else:
            paths.append(Path(arg))
    try:
        review(paths or None, db)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    return True


def _fixed_time(text: str, what: str) -> datetime:
    """A fixed clock (`stats --now`, `SRS_NOW`): an ISO-8601 time with a UTC offset, in UTC."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{what} is not an ISO-8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise UsageError(f"{what} needs a UTC offset, e.g. 2026-03-02T09:00:00+00:00")
    # Intervals of up to a century are added to it, and the store counts from 1970.
    if not 1970 <= moment.year <= 9000:
        raise UsageError(f"{what} must fall between the years 1970 and 9000: {text!r}")
    return moment.astimezone(UTC)


def _review_now() -> datetime | None:
    """The fixed instant from `SRS_NOW` (tests only), or None for the wall clock."""
    import os

    fixed = os.environ.get("SRS_NOW")
    return _fixed_time(fixed, "SRS_NOW") if fixed else None


def _review(paths: list[Path], db: Path | None) -> None:
    from datetime import UTC, datetime

    from rich.console import Console

    from srs.corpus import lesson_key, resolve_sources
    from srs.review import DailyQueue, ReviewSession
    from srs.schedule import Scheduler
    from srs.store import Store, default_db_path
    from srs.sync import sync_lessons
    from srs.ui.review import TtyKeys, idle_message, print_summary, run_review, stream_keys

    fixed = _review_now()

    def clock() -> datetime:
        return fixed if fixed is not None else datetime.now(UTC)

    now = clock()
    sources = resolve_sources(paths)
    with Store.open(db or default_db_path(), now=now) as store:
        report = sync_lessons(store, sources, now)
        # Told when the review ends, where the review screen does not clear them away.
        problems = sorted((d for d in report.diagnostics if d.severity == "error"),
                          key=lambda d: (str(d.pos.path), d.pos.line))

        def exit_on_problems() -> None:
            for error in report.errors:
                typer.echo(f"srs: {error}; the lesson was left out", err=True)
            for diagnostic in problems:
                typer.echo(str(diagnostic), err=True)
            if problems:
                typer.echo(f"srs: {_count(len(problems), 'lesson error')} (above): their parts "
                           "were left out", err=True)
            if problems or report.errors:
                raise typer.Exit(1)

        limits = {source.deck.name: source.deck.options for source in sources}
        lessons = {key for source in sources
                   if (key := lesson_key(source.path)) is not None} - report.unread
        daily = DailyQueue(store, limits, lessons)
        cards = daily.cards(now)
        if not cards:
            where = f" in {', '.join(map(str, paths))}" if paths else ""
            typer.echo(idle_message(daily.idle(now), now, lesson_files=bool(sources),
                                    where=where))
            exit_on_problems()
            return
        schedulers = {name: Scheduler(options) for name, options in limits.items()}
        console = Console()
        session = ReviewSession(cards, schedulers, store, clock,
                                begin=lambda: store.start_session(now),
                                refill=lambda: daily.cards(clock()))
        # A closed standard input (`<&-`) is one with no keys in it.
        stdin = sys.stdin if sys.stdin is not None else io.StringIO()
        keys = TtyKeys() if stdin.isatty() else None
        _exit_on_termination()
        try:
            if keys is None:
                ended = run_review(session, console, stream_keys(stdin))
            else:
                with keys:  # key-at-a-time for the whole session: no key lost to a signal
                    ended = run_review(session, console, keys)
        finally:
            if session.session_id is not None:
                store.end_session(session.session_id, clock())
        # The day after the one the session ended in: a session may run past the rollover.
        print_summary(console, ended.summary, tomorrow=daily.next_day(clock()))
        if ended.interrupted:
            raise typer.Exit(130)
        exit_on_problems()


def _exit_on_termination() -> None:
    """SIGTERM and SIGHUP end the command as an exception would, so its clean-up runs: the
    review gives the terminal its settings back and the session its end time (answers are
    saved one by one anyway); an export removes its scratch files."""
    import signal

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # `nohup` keeps its meaning
            signal.signal(signum, stop)


@app.command()
def unsuspend(
    card_ids: Annotated[list[str] | None, typer.Argument(
        metavar="[CARD_ID]...",
        help="Card ids, as `srs cards` shows them; none: list the suspended cards.")] = None,
    db: DbOption = None,
) -> None:
    """Bring suspended cards back into reviews; without CARD_ID, list the suspended cards."""
    from datetime import UTC

    from srs.store import Store, default_db_path

    try:
        now = _review_now() or datetime.now(UTC)
        if not card_ids:
            from srs.ui.tables import print_suspended

            with Store.open(db or default_db_path(), now=now, read_only=True) as store:
                print_suspended(store.suspended_cards())
            return
        # ids are lower-case hex: one copied in capitals still names its card
        wanted = [card_id.lower() for card_id in card_ids]
        with Store.open(db or default_db_path(), now=now, create=False) as store:
            for card_id, back in zip(wanted, store.unsuspend(wanted), strict=True):
                typer.echo(f"{card_id}: {'unsuspended' if back else 'was not suspended'}")
    except SrsError as exc:
        raise _fail(exc) from None


@app.command()
def export(
    paths: PathsArg = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE.apkg",
                     help="One package for everything (default: one per deck manifest, named "
                     "after the deck, in the current folder)."),
    ] = None,
    timestamp: Annotated[
        float | None,
        typer.Option("--timestamp", metavar="SECONDS",
                     help="Export time in Unix seconds, 1 to 2**53 (default: $SRS_EXPORT_TIME, "
                     "$SOURCE_DATE_EPOCH, else now); fixed, it makes the output byte-identical "
                     "for the same input."),
    ] = None,
) -> None:
    """Write Anki packages (.apkg); re-importing one updates edited notes in place.

    Next to each package, FILE.apkg.srs-mod.json remembers when each note last changed;
    keep it with the package. Lesson problems are printed and the rest is exported (the
    exit status is then 1), but an image a lesson cannot share (missing, or outside its
    folder) stops the package it is in.
    """
    from srs.corpus import load_corpus
    from srs.export import (
        SIDECAR_SUFFIX,
        case_twins,
        export_lessons,
        export_time,
        package_file_name,
        plan_packages,
    )
    from srs.ui.progress import progress_bar

    _exit_on_termination()
    try:
        corpus = load_corpus(paths or [])
        when = export_time(timestamp)
    except SrsError as exc:
        raise _fail(exc) from None
    for diagnostic in corpus.diagnostics:
        typer.echo(str(diagnostic), err=True)
    if not corpus.lessons:
        raise _fail(SrsError("no lessons to export"))
    if output is None:
        for deck in corpus.decks:
            # A deck's package, and the note history beside it, are for the whole deck.
            unnamed = corpus.unnamed_lessons(deck)
            if unnamed:
                raise _fail(UsageError(
                    f"{_count(len(unnamed), 'lesson')} of deck {deck.name!r} ({unnamed[0]}"
                    f"{', ...' if len(unnamed) > 1 else ''}) not named: its package "
                    f"{package_file_name(deck.name)} holds the whole deck; export the deck "
                    f"({deck.path}, or no PATH), or give this part a file of its own with -o"))
    try:
        packages = plan_packages(corpus.lessons, output, corpus.input_paths)
    except SrsError as exc:
        raise _fail(exc) from None
    status = 1 if corpus.has_errors else 0
    unread_decks = {corpus.deck_of[diagnostic.pos.path].name for diagnostic in corpus.unread}
    written: list[str] = []
    for target, lessons in packages:
        try:
            total = sum(len(lesson.cards) for lesson in lessons)
            with progress_bar("exporting", total) as progress:
                summary = export_lessons(lessons, target, timestamp=when, progress=progress,
                                         presets=corpus.deck_options)
        except SrsError as exc:  # this package is not written; the next ones still are
            _report(exc)
            status = max(status, exc.exit_code)
            continue
        per_type = ", ".join(f"{name} {count}" for name, count in summary.notes_per_type.items())
        typer.echo(f"wrote {summary.path} ({_size(summary.size)})")
        typer.echo(f"  notes: {summary.notes} ({per_type or 'none'}), cards: {summary.cards}")
        typer.echo(f"  decks: {len(summary.decks)}" + "".join(f"\n    {d}" for d in summary.decks))
        written.extend(summary.decks)
        typer.echo(f"  media: {_count(summary.media, 'file')}")
        record = f"{summary.path.name}{SIDECAR_SUFFIX}"
        if summary.last_export.startswith("unreadable"):
            typer.echo(f"srs: warning: {record} is {summary.last_export}; a note no other "
                       "package's record in this folder knows is stamped as changed now, so "
                       "Anki updates each one it already has", err=True)
        elif summary.last_export:
            typer.echo(f"  no earlier export to this file on record ({record}): "
                       f"{_count(summary.notes, 'note')} new to it; a note no other record "
                       "in this folder knows is stamped as changed now, so Anki updates it if "
                       "it has it already (tags added in Anki go with the update)")
        else:
            typer.echo(f"  since the last export: {summary.updated} changed, "
                       f"{summary.unchanged} unchanged, "
                       f"{summary.notes - summary.updated - summary.unchanged} new"
                       + (f", {summary.gone} gone" if summary.gone else ""))
        if summary.gone:
            typer.echo(f"  on import Anki keeps the {_count(summary.gone, 'note')} of the last "
                       "export to this file that this one lacks: they left the lessons, or "
                       "moved to another deck's package; delete in Anki only what left the "
                       "lessons, or its review history goes with it")
            held = {lesson.deck for lesson in lessons} if output is None else unread_decks
            if unread_decks & held:
                typer.echo("  among them are the notes of the lessons that could not be read "
                           "(see above): they come back as they were once those lessons read")
        if summary.retyped:
            changes = ", ".join(f"{old} -> {new}" for old, new in summary.retyped)
            typer.echo(f"  note types changed since the last export: {changes}. In Anki's "
                       'import options tick "Merge note types": Anki then moves those notes, '
                       "with their review history, to the new type; otherwise it skips them "
                       "as conflicting")
        if summary.skipped:
            typer.echo(f"  left out: {_count(summary.skipped, 'note')}"
                       " whose card id an earlier note has (see the errors above)")
    # Packages imported into one collection share its deck names, whatever their files.
    for twins in case_twins(written):
        typer.echo(f"srs: warning: decks {' and '.join(map(repr, twins))} differ only in case; "
                   "Anki takes them for one deck", err=True)
    if status:
        raise typer.Exit(status)


def _count(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else words or word + 's'}"


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _utf(stream: TextIO) -> bool:
    return (getattr(stream, "encoding", None) or "").lower().replace("-", "").startswith("utf")


def _write_json(value: object) -> None:
    """As UTF-8 where the output takes it, else with `\\u` escapes: lossless either way."""
    sys.stdout.write(json.dumps(value, ensure_ascii=not _utf(sys.stdout), indent=2) + "\n")


def main() -> None:
    # A Latin-1 or ASCII locale cannot show every character of a lesson (or srs's own `›`):
    # those print as `?` instead of ending the program. A file name that is not UTF-8 (its
    # bytes kept as surrogates) prints with its odd bytes escaped, in any locale.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace" if _utf(stream) else "replace")
    if not (_is_terminal(sys.stdout) and _is_terminal(sys.stderr)):
        # Help and usage errors drawn in boxes are for people; a pipe or a log gets the
        # plain `Usage: ... Error: ...` text that scripts and other tools expect.
        app.rich_markup_mode = None
    try:
        try:
            if not _fast_review(sys.argv[1:]):
                app(prog_name="srs")
        finally:
            if sys.stdout is not None:
                sys.stdout.flush()  # here, where a failed write can still be told
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        # The core reports its own files' write errors; one left is the output's (a full
        # disk under `srs cards > file`). Nothing more is written there, not even at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if exc.errno != errno.EPIPE:  # a reader that left (`| head`) needs no message
            typer.echo(f"srs: cannot write the output: {exc.strerror}", err=True)
        sys.exit(1)


def _is_terminal(stream: TextIO | None) -> bool:
    return stream is not None and stream.isatty()


_OUTPUT_ERRNOS = (errno.EPIPE, errno.ENOSPC, errno.EFBIG, errno.EIO, errno.EDQUOT)
