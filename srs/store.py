"""The review database; besides the exporter's scratch collection, the only user of sqlite3.

One SQLite file in WAL mode with `synchronous=FULL`; every write is one explicit transaction
committed before the method returns, so a kill -9 loses nothing acknowledged. One writer at a
time, enforced by an exclusive `flock` on `<db>.lock` beside the file a symlink leads to (the
kernel drops it when the process dies, however it dies); a file with hard links is refused, as
SQLite keeps a separate journal per name. Schema upgrades run in one exclusive transaction
after a backup taken with SQLite's backup API; a file from a newer srs is refused without
being written.

Times are stored as integer microseconds since the epoch (UTC), so a schedule read back equals
the one written, to the microsecond.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from srs.errors import StoreError, StoreLockedError, StoreVersionError
from srs.model import LETTERS, Card, DeckOptions, Lesson, stable_digest
from srs.schedule import LEARN_AHEAD, CardSchedule, Rating, State, elapsed_study_days

APP_NAME = "srs"
DB_FILENAME = "srs.sqlite3"
DAILY_BACKUPS_KEPT = 7

# Each entry upgrades the schema by one version: MIGRATIONS[0] takes version 1 to 2, and so on.
# Version 1 is srs/schema.sql.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE INDEX cards_queue ON cards(deck, state, due) WHERE suspended = 0 AND orphaned = 0;
    CREATE INDEX review_log_time ON review_log(time, state_before, rating);
    """,
    # New cards in reading order: the queue walks lessons by rank and stops after new/day
    # rows instead of sorting every new card. Partial, so answering a review card never
    # touches it.
    """
    CREATE INDEX cards_new ON cards(deck, lesson, ordinal) WHERE state = 0;
    CREATE INDEX lessons_rank ON lessons(rank, path);
    """,
    # MCQ content gained a `question` key (the front without its choice listing): forget
    # every lesson's size and hash so that the next sync re-parses it and stores the key.
    """
    UPDATE lessons SET size = -1, hash = '';
    """,
    # Leeches: the lapses after which a card is suspended.
    """
    ALTER TABLE deck_options ADD COLUMN leech_threshold INTEGER NOT NULL DEFAULT 8;
    """,
    # Each lesson's errors, told by every review of it and not only by the one that parsed
    # it; the next sync re-parses every lesson to fill them in.
    """
    ALTER TABLE lessons ADD COLUMN errors TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(errors));
    UPDATE lessons SET size = -1, hash = '';
    """,
)
SCHEMA_VERSION = 1 + len(MIGRATIONS)


def default_db_path() -> Path:
    """`$SRS_DB`, else the user data directory (the CLI's `--db` overrides both)."""
    env = os.environ.get("SRS_DB")
    if env:
        return Path(env).expanduser()  # `~` written in a quoted assignment, unexpanded
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / DB_FILENAME


def to_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _opt_us(moment: datetime | None) -> int | None:
    return None if moment is None else to_us(moment)


def _opt_dt(value: int | None) -> datetime | None:
    return None if value is None else from_us(value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LessonFileRow:
    size: int
    mtime_ns: int
    hash: str
    deck: str
    errors: tuple[tuple[int, str], ...]  # (line, message) of each error the lesson holds


@dataclass(frozen=True, slots=True)
class LessonRow:
    """What the store remembers of a lesson: enough to order lessons without parsing them."""

    path: str
    slug: str
    number: int | None
    prerequisites: tuple[str, ...]
    rank: int
    title: str
    deck: str


class NextDue(NamedTuple):
    """When the next cards come up (see `Store.next_due`); None: no such card."""

    learning: datetime | None
    review: datetime | None


class QueuedCard:
    """A card to review: where it lives, what it shows, its schedule.

    `content` (Card.to_json() as stored at sync) is decoded from its JSON on first use, so a
    long queue costs little memory until its cards are shown.
    """

    __slots__ = ("id", "deck", "lesson", "section", "kind", "_content", "schedule",
                 "lesson_title")

    def __init__(self, id: str, deck: str, lesson: str, section: str, kind: str,
                 content: dict[str, Any] | str, schedule: CardSchedule,
                 lesson_title: str = "") -> None:
        self.id = id
        self.deck = deck
        self.lesson = lesson  # the lesson file's path
        self.section = section
        self.kind = kind
        self._content = content
        self.schedule = schedule
        self.lesson_title = lesson_title

    @property
    def content(self) -> dict[str, Any]:
        if isinstance(self._content, str):
            self._content = json.loads(self._content)
        assert isinstance(self._content, dict)
        return self._content

    def _key(self) -> tuple[Any, ...]:
        return (self.id, self.deck, self.lesson, self.section, self.kind, self.content,
                self.schedule, self.lesson_title)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, QueuedCard) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"QueuedCard(id={self.id!r}, deck={self.deck!r}, lesson={self.lesson!r}, "
                f"section={self.section!r}, kind={self.kind!r}, schedule={self.schedule!r})")


@dataclass(frozen=True, slots=True)
class ApplyReport:
    added: int = 0
    changed: int = 0
    orphaned: int = 0
    restored: int = 0
    taken_over: int = 0


_CARD_COLUMNS = (
    "c.id, c.deck, c.lesson, c.section, c.kind, t.content, "
    "c.state, c.step, c.stability, c.difficulty, c.due, c.last_review, l.title"
)
_CARD_FROM = (
    "FROM cards c JOIN lessons l ON l.path = c.lesson JOIN card_content t ON t.card = c.id"
)
_ACTIVE = "c.suspended = 0 AND c.orphaned = 0"


def _schedule_from(row: Sequence[Any], at: int) -> CardSchedule:
    state, step, stability, difficulty, due, last = row[at: at + 6]
    return CardSchedule(State(state), step, stability, difficulty, from_us(due), _opt_dt(last))


def _queued(row: Sequence[Any]) -> QueuedCard:
    return QueuedCard(
        id=row[0], deck=row[1], lesson=row[2], section=row[3], kind=row[4],
        content=row[5], schedule=_schedule_from(row, 6), lesson_title=row[12] or "",
    )


def _sched_values(s: CardSchedule) -> tuple[Any, ...]:
    return (int(s.state), s.step, s.stability, s.difficulty, to_us(s.due), _opt_us(s.last_review))


def _statements(script: str) -> Iterator[str]:
    """Split a script into complete statements (executescript would commit our transaction)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement.strip(";").strip():
                yield statement
    if buffer.strip():
        yield buffer


class Store:
    """An open review database, held by this process alone until `close`."""

    def __init__(self, path: Path, conn: sqlite3.Connection, lock_fd: int | None,
                 real: Path | None = None) -> None:
        self.path = path  # as the user named it, for messages
        self._real = real or path  # the file a symlink leads to: its backups sit beside it
        self._conn = conn
        self._lock_fd = lock_fd

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, now: datetime, read_only: bool = False,
             create: bool = True) -> Store:
        """Open (creating or upgrading) the database at `path` as its single writer.

        `read_only` opens an existing, current file for queries only: no lock is taken, so it
        works while a review runs; an older file is opened as a writer (to upgrade it).
        With `read_only` or without `create`, a missing or empty file is an error and
        nothing is created. Raises StoreLockedError, StoreVersionError or StoreError.
        """
        path = Path(path)
        if path.exists() and not path.is_file():
            raise StoreError("not a review database: not a regular file", path)
        if (read_only or not create) and (not path.exists() or path.stat().st_size == 0):
            raise StoreError(f"no review database at {path} yet; run `srs review` first")
        if read_only:
            store = cls._open_reader(path)
            if store is not None:
                return store
        # Every name of the file must take the same lock, WAL and backups: symlinks are
        # followed, hard links refused.
        real = Path(os.path.realpath(path))
        try:
            real.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            # "File exists" would read as if the folder were there: name what is in the way.
            blocking = next((p for p in (real.parent, *real.parent.parents)
                             if p.exists() and not p.is_dir()), None)
            why = f"{blocking} is a file, not a folder" if blocking else exc.strerror
            raise StoreError(f"cannot create the database folder: {why}", path.parent) from exc
        # A file refused here keeps nothing of srs beside it: not even the lock file.
        lock_fd, lock_left = _lock(real, path)
        try:
            _refuse_hard_links(real, path)
            conn = _connect(real)
        except BaseException:
            _unlock(lock_fd, lock_left)
            raise
        store = cls(path, conn, lock_fd, real)
        try:
            store._prepare(now)
        except BaseException:
            store._conn.close()
            store._lock_fd = None
            _unlock(lock_fd, lock_left)
            raise
        return store

    @classmethod
    def _open_reader(cls, path: Path) -> Store | None:
        try:
            conn, version = _read_version(path, immutable=False)
        except sqlite3.Error as exc:
            # A WAL database is read through its shared-memory file, which SQLite must
            # create beside it: in a folder this user cannot write, that fails. With no
            # log to replay, the file alone holds every answer and can be read as it is.
            if os.access(path.parent, os.W_OK) or _log_holds_pages(path):
                raise StoreError(f"cannot read the review database: {exc}", path) from exc
            try:
                conn, version = _read_version(path, immutable=True)
            except sqlite3.Error as retry_exc:
                raise StoreError(f"cannot read the review database: {retry_exc}",
                                 path) from retry_exc
        if version > SCHEMA_VERSION:
            conn.close()
            raise StoreVersionError(_newer_message(version), path)
        if _is_foreign(conn, version):
            conn.close()
            raise StoreError(FOREIGN_DATABASE, path)
        if version < SCHEMA_VERSION:
            conn.close()
            return None
        conn.execute("PRAGMA query_only = ON")
        _ensure_pow(conn)
        return cls(path, conn, None)

    def _prepare(self, now: datetime) -> None:
        conn = self._conn
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a review database: {exc}", self.path) from exc
        if version > SCHEMA_VERSION:
            raise StoreVersionError(_newer_message(version), self.path)
        if _is_foreign(conn, version):
            raise StoreError(FOREIGN_DATABASE, self.path)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            # Each answer is fsynced, and an fsync that must also record the log file's
            # growth is slower: a log of at most 400 pages (about 60 answers) is reused
            # early in a session instead of growing to the default 1,000.
            conn.execute("PRAGMA wal_autocheckpoint = 400")
            conn.execute("PRAGMA foreign_keys = ON")
            if version < SCHEMA_VERSION:
                self._migrate(version, now)
            self._daily_backup(now)
            self._check_writable()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot use the review database: {exc}", self.path) from exc
        except OSError as exc:
            raise StoreError(f"cannot write beside the review database: {exc.strerror}",
                             Path(exc.filename) if exc.filename else self.path) from exc

    def _migrate(self, version: int, now: datetime) -> None:
        if version > 0:
            self.backup(self._backup_dir() / f"pre-v{SCHEMA_VERSION}-from-v{version}-"
                        f"{now.astimezone(UTC):%Y%m%dT%H%M%S}Z.sqlite3")
        conn = self._conn
        conn.execute("BEGIN EXCLUSIVE")
        try:
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found != version:  # somebody upgraded it meanwhile; start over
                raise StoreError("the review database changed while opening it", self.path)
            steps: list[str] = []
            if version == 0:
                from importlib import resources  # only a new file needs it: keep start-up lean

                steps.append(resources.files("srs").joinpath("schema.sql").read_text("utf-8"))
                version = 1
            steps.extend(MIGRATIONS[version - 1:])
            for script in steps:
                for statement in _statements(script):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _check_writable(self) -> None:
        """Refuse a file SQLite can only read (its mode, or a read-only mount) now, before a
        card is shown, not at the first answer: a write that is rolled back leaves it as it
        was. A write lock held elsewhere is not waited for: that file is writable."""
        conn = self._conn
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
                return
            raise StoreError(f"cannot write the review database: {exc}", self.path) from exc
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _backup_dir(self) -> Path:
        return self._real.with_name(self._real.name + ".backups")

    def backup(self, target: Path) -> Path:
        """A consistent copy of the database at `target`, written beside it then renamed."""
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        try:
            dest = sqlite3.connect(partial)
            try:
                self._conn.backup(dest)
            finally:
                dest.close()
            os.replace(partial, target)
        finally:  # a copy cut short (a full disk) is not left to take the room
            partial.unlink(missing_ok=True)
        return target

    def _daily_backup(self, now: datetime) -> None:
        """One backup per UTC day, the last DAILY_BACKUPS_KEPT kept."""
        folder = self._backup_dir()
        today = folder / f"daily-{now.astimezone(UTC):%Y-%m-%d}.sqlite3"
        if today.exists():
            return
        # A damaged file copied here would push the good copies of earlier days out.
        verdict = [row[0] for row in self._conn.execute("PRAGMA quick_check(3)")]
        if verdict != ["ok"]:
            raise StoreError(_damaged_message("; ".join(verdict), folder), self.path)
        self.backup(today)
        dailies = sorted(folder.glob("daily-*.sqlite3"))
        for old in dailies[:-DAILY_BACKUPS_KEPT]:
            old.unlink(missing_ok=True)

    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            if self._lock_fd is not None:
                _unlock(self._lock_fd)
                self._lock_fd = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
        if type(exc) is sqlite3.DatabaseError:  # a read met a file damaged past its header
            raise StoreError(_damaged_message(str(exc), self._backup_dir()), self.path) from exc
        if isinstance(exc, sqlite3.Error):  # an I/O error, ...
            raise StoreError(f"cannot use the review database: {exc}", self.path) from exc

    # -- transactions --------------------------------------------------------------------------

    def _write(self) -> _Transaction:
        if self._lock_fd is None:
            raise StoreError("the review database is open read-only", self.path)
        return _Transaction(self._conn, self.path)

    # -- lesson sync ---------------------------------------------------------------------------

    def lesson_files(self) -> dict[str, LessonFileRow]:
        rows = self._conn.execute(
            "SELECT path, size, mtime_ns, hash, deck, errors FROM lessons")
        return {path: LessonFileRow(size, mtime, digest, deck, tuple(
                    (line, message) for line, message in json.loads(errors))
                    if errors != "[]" else ())
                for path, size, mtime, digest, deck, errors in rows}

    def lessons(self) -> list[LessonRow]:
        rows = self._conn.execute(
            "SELECT path, slug, number, prerequisites, rank, title, deck FROM lessons "
            "ORDER BY rank, path"
        )
        return [LessonRow(p, s, n, tuple(json.loads(pre)), r, t, d)
                for p, s, n, pre, r, t, d in rows]

    def card_lessons(self, card_ids: Sequence[str]) -> dict[str, str]:
        """The lesson file each of these cards belongs to, for those in the store and not
        orphaned."""
        found: dict[str, str] = {}
        for at in range(0, len(card_ids), 500):
            chunk = card_ids[at:at + 500]
            found.update(self._conn.execute(
                "SELECT id, lesson FROM cards WHERE orphaned = 0 AND id IN "
                f"({', '.join('?' * len(chunk))})", chunk))
        return found

    def touch_lesson_file(self, path: str, size: int, mtime_ns: int) -> None:
        with self._write() as conn:
            conn.execute("UPDATE lessons SET size = ?, mtime_ns = ? WHERE path = ?",
                         (size, mtime_ns, path))

    def set_lesson_deck(self, path: str, deck: str) -> None:
        """The lesson now belongs to `deck` (its manifest changed): move it and its cards."""
        with self._write() as conn:
            conn.execute("UPDATE lessons SET deck = ? WHERE path = ?", (deck, path))
            conn.execute("UPDATE cards SET deck = ? WHERE lesson = ? AND deck != ?",
                         (deck, path, deck))

    def set_lesson_ranks(self, ranks: dict[str, int]) -> None:
        with self._write() as conn:
            conn.executemany("UPDATE lessons SET rank = ? WHERE path = ? AND rank != ?",
                             [(rank, path, rank) for path, rank in ranks.items()])

    def set_deck_options(self, options: dict[str, DeckOptions]) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO deck_options (deck, desired_retention, new_per_day, "
                "reviews_per_day, maximum_interval, leech_threshold) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(deck) DO UPDATE SET "
                "desired_retention = excluded.desired_retention, "
                "new_per_day = excluded.new_per_day, reviews_per_day = excluded.reviews_per_day, "
                "maximum_interval = excluded.maximum_interval, "
                "leech_threshold = excluded.leech_threshold",
                [(name, o.desired_retention, o.new_per_day, o.reviews_per_day, o.maximum_interval,
                  o.leech_threshold) for name, o in options.items()],
            )

    def deck_options(self) -> dict[str, DeckOptions]:
        rows = self._conn.execute(
            "SELECT deck, desired_retention, new_per_day, reviews_per_day, maximum_interval, "
            "leech_threshold FROM deck_options ORDER BY deck")
        return {deck: DeckOptions(*options) for deck, *options in rows}

    def orphan_lesson(self, path: str) -> int:
        """A lesson file that is gone: its cards are orphaned (kept with their history); a
        lesson left without any card (they all moved to another file) is forgotten."""
        with self._write() as conn:
            count = conn.execute("UPDATE cards SET orphaned = 1 WHERE lesson = ? "
                                 "AND orphaned = 0", (path,)).rowcount
            conn.execute("DELETE FROM lessons WHERE path = ? AND NOT EXISTS "
                         "(SELECT 1 FROM cards WHERE lesson = ?)", (path, path))
            return count

    def apply_lesson(
        self, path: str, size: int, mtime_ns: int, file_hash: str, lesson: Lesson, rank: int,
        now: datetime, errors: Sequence[tuple[int, str]] = (), gone: Collection[str] = (),
    ) -> ApplyReport:
        """Upsert a lesson, its cards and its `errors` ((line, message) each) in one
        transaction. `gone`: the lesson files known to be gone; one holding cards of this
        lesson is its old name, and its cards become this lesson's before anything else.

        A card whose content changed keeps its schedule and history; cards of this lesson that
        are no longer in it are orphaned; an orphaned card that reappears is restored. A card
        whose text is what another card of this lesson showed before (a question renumbered
        after one was deleted or inserted above it, two questions swapped) takes that card's
        schedule and history, and the histories are permuted, never dropped: a deleted
        question's history stays with its orphan, and a question added where it stood starts
        new.
        """
        stamp = to_us(now)
        added = changed = orphaned = restored = taken = 0
        with self._write() as conn:
            conn.execute(
                "INSERT INTO lessons (path, size, mtime_ns, hash, slug, number, prerequisites, "
                "rank, title, deck, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET size = excluded.size, "
                "mtime_ns = excluded.mtime_ns, hash = excluded.hash, slug = excluded.slug, "
                "number = excluded.number, prerequisites = excluded.prerequisites, "
                "rank = excluded.rank, title = excluded.title, deck = excluded.deck, "
                "errors = excluded.errors",
                (path, size, mtime_ns, file_hash, lesson.slug, lesson.number,
                 json.dumps(list(lesson.prerequisites)), rank, lesson.title, lesson.deck,
                 json.dumps([list(error) for error in errors], ensure_ascii=False)),
            )
            incoming = {card.id: card for card in lesson.cards}
            for old in _lessons_holding(conn, list(incoming), gone):
                # Renamed or moved: the old file's cards, those no longer in it too, are
                # this lesson's, so that in an edit made with the rename each history
                # follows its text as it does in an edit alone.
                conn.execute("UPDATE cards SET lesson = ? WHERE lesson = ?", (path, old))
            # Read once, not per card: a lesson's rows are found by lesson alone, so a query
            # per card would read the whole lesson each time.
            known = {card_id: (digest, bool(was_orphan)) for card_id, digest, was_orphan in
                     conn.execute("SELECT id, content_hash, orphaned FROM cards WHERE lesson = ? "
                                  "ORDER BY ordinal DESC, id DESC", (path,))}
            for card_id, (_, was_orphan) in known.items():
                if card_id not in incoming and not was_orphan:
                    conn.execute("UPDATE cards SET orphaned = 1 WHERE id = ?", (card_id,))
                    orphaned += 1
            # A history is kept for the text it was earned on. Histories no card keeps at its
            # own id (of cards that left, or whose text changed) follow their text to the card
            # that now shows it: a question renumbered after one was deleted or inserted
            # above it, or two questions swapped.
            donors: dict[str, list[str]] = {}
            for card_id, (digest, _) in known.items():
                card = incoming.get(card_id)
                if card is None or card.content_hash != digest:
                    donors.setdefault(digest, []).append(card_id)
            # Cards that come from another lesson file (a renamed lesson) keep their own past.
            newcomers = [card_id for card_id in incoming if card_id not in known]
            for at in range(0, len(newcomers), 500):
                chunk = newcomers[at:at + 500]
                for card_id, digest, was_orphan in conn.execute(
                        "SELECT id, content_hash, orphaned FROM cards WHERE id IN "
                        f"({', '.join('?' * len(chunk))})", chunk):
                    known[card_id] = (digest, bool(was_orphan))
            moved_from: dict[str, str] = {}
            for card in lesson.cards:
                if known.get(card.id, ("",))[0] != card.content_hash:
                    heirs = donors.get(card.content_hash)
                    if heirs:
                        moved_from[card.id] = heirs.pop()
            # Texts that are new: one may be another card's, reworded in the same edit that
            # moved it (a question deleted above it, then a typo fixed in it).
            reworded = [card for card in lesson.cards if card.id not in moved_from
                        and known.get(card.id, ("",))[0] != card.content_hash]
            unclaimed = [card_id for heirs in donors.values() for card_id in heirs]
            in_place_only = len(reworded) == 1 and unclaimed == [reworded[0].id]
            if reworded and unclaimed and not in_place_only:
                moved_from.update(_reworded_from(conn, reworded, unclaimed))
            fresh = {card.id for card in lesson.cards if card.id not in known}
            for card in lesson.cards:
                if card.id in fresh:
                    conn.execute(
                        "INSERT INTO cards (id, lesson, kind, deck, section, ordinal, "
                        "content_hash, content_changed, created, due) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (card.id, path, card.kind.value, card.deck, card.section, card.ordinal,
                         card.content_hash, stamp, stamp, stamp),
                    )
                    conn.execute("INSERT INTO card_content (card, content) VALUES (?, ?)",
                                 (card.id, card.to_content_json()))
            takes = _closed_chains(moved_from)
            # A card of the lesson must not be handed a past earned on another text: the
            # past left at a chain's end (a question deleted, then one added), or an orphan's
            # own past when its id comes back with unlike text (positional ids are reused).
            # That past is parked on an orphan of its own, where its text can still find it,
            # and the card starts new.
            unfit = [(card_id, past) for card_id, past in takes.items()
                     if card_id not in moved_from and card_id in incoming and past not in fresh]
            unfit += [(card.id, card.id) for card in lesson.cards
                      if card.id not in takes and known.get(card.id, ("", False))[1]
                      and known[card.id][0] != card.content_hash
                      and _likeness(conn, card, card.id) < _ALIKE]
            for card_id, past in unfit:
                parked = _park(conn, past, stamp)
                fresh.add(parked)
                takes[parked], takes[card_id] = past, parked
            _move_histories(conn, takes)
            for card_id, source in takes.items():
                if source in fresh and card_id not in incoming:
                    # an orphan left with no past at all: nothing to keep
                    conn.execute("DELETE FROM cards WHERE id = ?", (card_id,))
            taken = len(moved_from)
            for card in lesson.cards:
                new_hash = card.content_hash
                history = takes.get(card.id, card.id)
                if history in fresh:
                    added += 1
                else:
                    changed += known[history][0] != new_hash
                    restored += card.id in known and known[card.id][1]
                conn.execute(
                    "UPDATE cards SET lesson = ?, kind = ?, deck = ?, section = ?, ordinal = ?, "
                    "content_hash = ?, orphaned = 0, content_changed = CASE WHEN "
                    "content_hash = ? THEN content_changed ELSE ? END WHERE id = ?",
                    (path, card.kind.value, card.deck, card.section, card.ordinal,
                     new_hash, new_hash, stamp, card.id),
                )
                content = card.to_content_json()
                conn.execute("UPDATE card_content SET content = ? WHERE card = ? "
                             "AND content != ?", (content, card.id, content))
        return ApplyReport(added, changed, orphaned, restored, taken)

    # -- review --------------------------------------------------------------------------------

    def queue(
        self, now: datetime, day_start: datetime, limits: dict[str, DeckOptions],
        *, day_end: datetime | None = None, lessons: Collection[str] | None = None,
    ) -> list[QueuedCard]:
        """Today's cards for the decks in `limits` (and, given `lessons`, only the cards of
        those lesson files, by resolved path): learning cards due within the learn-ahead
        window, then review cards due before `day_end` (default: day_start + 1 day) up to each
        deck's reviews/day less reviews done today, then new cards in lesson rank order up to
        new/day less cards introduced today."""
        if lessons is not None and not lessons:
            return []
        conn = self._conn
        now_us, start_us = to_us(now), to_us(day_start)
        end_us = to_us(day_end if day_end is not None else day_start + timedelta(days=1))
        unburied = "(c.buried_until IS NULL OR c.buried_until <= ?)"
        among, paths = _lesson_filter("c.lesson", lessons)
        walked, _ = _lesson_filter("l.path", lessons)
        done = self._answered_since(start_us)
        learning: list[QueuedCard] = []
        reviews: list[QueuedCard] = []
        new: list[tuple[tuple[int, str, int, str], QueuedCard]] = []
        for deck, options in limits.items():
            rows = conn.execute(
                f"SELECT {_CARD_COLUMNS} {_CARD_FROM} "
                f"WHERE c.deck = ? AND c.state IN (1, 3) AND c.due <= ? AND {_ACTIVE} "
                f"AND {unburied}{among}",
                (deck, now_us + int(LEARN_AHEAD.total_seconds() * 1e6), now_us, *paths),
            )
            learning.extend(_queued(row) for row in rows)
            reviewed, introduced = done.get(deck, (0, 0))
            room = max(0, options.reviews_per_day - reviewed)
            if room:
                rows = conn.execute(
                    f"SELECT {_CARD_COLUMNS} {_CARD_FROM} "
                    f"WHERE c.deck = ? AND c.state = 2 AND c.due < ? AND {_ACTIVE} "
                    f"AND {unburied}{among} ORDER BY c.due, c.id LIMIT ?",
                    (deck, end_us, now_us, *paths, room),
                )
                reviews.extend(_queued(row) for row in rows)
            room = max(0, options.new_per_day - introduced)
            if room:
                # Lessons first (CROSS JOIN fixes the loop order) so that SQLite reads new
                # cards in rank order through `cards_new` and stops at the limit, instead of
                # sorting every new card of the deck; the lesson filter is checked on the
                # lessons walked, never used to look them up (that would need a sort).
                rows = conn.execute(
                    f"SELECT {_CARD_COLUMNS}, l.rank, c.ordinal FROM lessons l "
                    "INDEXED BY lessons_rank CROSS JOIN "
                    "cards c INDEXED BY cards_new ON l.path = c.lesson "
                    "JOIN card_content t ON t.card = c.id "
                    f"WHERE c.deck = ? AND c.state = 0 AND {_ACTIVE} AND {unburied}"
                    f"{walked} "
                    f"ORDER BY l.rank, l.path, c.ordinal, c.id LIMIT ?",
                    (deck, now_us, *paths, room),
                )
                new.extend(((row[-2], row[2], row[-1], row[0]), _queued(row)) for row in rows)
        learning.sort(key=lambda q: (q.schedule.due, q.id))
        reviews.sort(key=lambda q: (q.schedule.due, q.id))
        # Each deck's limit picks its new cards; prerequisites order them across decks, as the
        # lesson ranks are worked out over every lesson at once.
        new.sort(key=lambda ranked: ranked[0])
        return learning + reviews + [card for _, card in new]

    def _answered_since(self, since_us: int) -> dict[str, tuple[int, int]]:
        """Per deck: review-state answers and new cards introduced since `since_us`."""
        rows = self._conn.execute(
            "SELECT c.deck, sum(r.state_before = 2), count(DISTINCT CASE WHEN r.state_before = 0 "
            "THEN r.card END) FROM review_log r JOIN cards c ON c.id = r.card "
            "WHERE r.time >= ? GROUP BY c.deck", (since_us,),
        )
        return {deck: (int(reviews or 0), int(new or 0)) for deck, reviews, new in rows}

    def card(self, card_id: str) -> QueuedCard:
        row = self._conn.execute(
            f"SELECT {_CARD_COLUMNS} {_CARD_FROM} "
            "WHERE c.id = ?", (card_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no card {card_id}", self.path)
        return _queued(row)

    def lapses(self, card_id: str) -> int:
        """How many times the card was forgotten in review (Again on a review card)."""
        return int(self._conn.execute(
            "SELECT count(*) FROM review_log WHERE card = ? AND state_before = ? AND rating = ?",
            (card_id, int(State.REVIEW), int(Rating.AGAIN))).fetchone()[0])

    def record_answer(
        self, card_id: str, rating: Rating, before: CardSchedule, after: CardSchedule,
        now: datetime, duration_ms: int, session_id: int | None, *, suspend: bool = False,
        replaces: int | None = None, replaced_leech: bool = False,
    ) -> int:
        """Update the card and append the log row in one transaction; returns the log row id.
        `suspend`: the answer made the card a leech, suspended in the same transaction.
        `replaces`: an answer of the same card this one takes the place of (a quiz grade
        changed), undone in the same transaction (`replaced_leech`: it had suspended the
        card), so an interruption leaves one of the two, never neither."""
        elapsed = (elapsed_study_days(before.last_review, now)
                   if before.last_review is not None else None)
        with self._write() as conn:
            if replaces is not None:
                self._undo(conn, replaces, unsuspend=replaced_leech)
            updated = conn.execute(
                "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, "
                "last_review = ?, suspended = suspended OR ? WHERE id = ?",
                (*_sched_values(after), suspend, card_id),
            ).rowcount
            if not updated:
                raise StoreError(f"no card {card_id}", self.path)
            cursor = conn.execute(
                "INSERT INTO review_log (card, session, time, rating, elapsed_days, duration_ms, "
                "state_before, step_before, stability_before, difficulty_before, due_before, "
                "last_review_before, state_after, step_after, stability_after, difficulty_after, "
                "due_after, last_review_after) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (card_id, session_id, to_us(now), int(rating), elapsed, max(0, duration_ms),
                 *_sched_values(before), *_sched_values(after)),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def undo_answer(self, log_id: int, *, unsuspend: bool = False) -> CardSchedule:
        """Put the card back as it was before that answer and delete the log row;
        `unsuspend`: the answer had suspended it as a leech."""
        with self._write() as conn:
            return self._undo(conn, log_id, unsuspend=unsuspend)

    def _undo(self, conn: sqlite3.Connection, log_id: int, *, unsuspend: bool) -> CardSchedule:
        row = conn.execute(
            "SELECT card, state_before, step_before, stability_before, difficulty_before, "
            "due_before, last_review_before FROM review_log WHERE id = ?", (log_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no answer {log_id} to undo", self.path)
        restored = _schedule_from(row, 1)
        conn.execute(
            "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, "
            "last_review = ?, suspended = suspended AND NOT ? WHERE id = ?",
            (*_sched_values(restored), unsuspend, row[0]),
        )
        conn.execute("DELETE FROM review_log WHERE id = ?", (log_id,))
        return restored

    def bury(self, card_ids: Sequence[str], until: datetime) -> None:
        with self._write() as conn:
            conn.executemany("UPDATE cards SET buried_until = ? WHERE id = ?",
                             [(to_us(until), card_id) for card_id in card_ids])

    def unbury(self, card_ids: Sequence[str]) -> None:
        with self._write() as conn:
            conn.executemany("UPDATE cards SET buried_until = NULL WHERE id = ?",
                             [(card_id,) for card_id in card_ids])

    def suspend(self, card_id: str) -> None:
        with self._write() as conn:
            conn.execute("UPDATE cards SET suspended = 1 WHERE id = ?", (card_id,))

    def unsuspend(self, card_ids: Sequence[str]) -> list[bool]:
        """Bring suspended cards back into reviews, all or none: for each id, whether it was
        suspended. Raises StoreError naming every unknown id, and then changes nothing."""
        with self._write() as conn:
            unknown = [card_id for card_id in card_ids if conn.execute(
                "SELECT 1 FROM cards WHERE id = ?", (card_id,)).fetchone() is None]
            if unknown:
                raise StoreError(f"no card {', '.join(unknown)}", self.path)
            return [conn.execute("UPDATE cards SET suspended = 0 WHERE id = ? AND suspended = 1",
                                 (card_id,)).rowcount > 0 for card_id in card_ids]

    def start_session(self, now: datetime) -> int:
        with self._write() as conn:
            cursor = conn.execute("INSERT INTO sessions (started) VALUES (?)", (to_us(now),))
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def end_session(self, session_id: int, now: datetime) -> None:
        with self._write() as conn:
            conn.execute("UPDATE sessions SET ended = ? WHERE id = ?", (to_us(now), session_id))

    def next_due(self, now: datetime, decks: Collection[str] | None = None,
                 lessons: Collection[str] | None = None) -> NextDue:
        """When the active, already-seen cards of `decks` and `lessons` (when given) come up
        next: the earliest time a learning card enters the queue (its due time less the
        learn-ahead window), and the earliest due time of a review card, which the queue
        takes from the start of the day it falls in (the caller knows the day's bounds).
        A card buried past `now` counts from the end of its burial if that is later."""
        if (lessons is not None and not lessons) or (decks is not None and not decks):
            return NextDue(None, None)
        among, paths = _lesson_filter("lesson", lessons)
        decks_in, names = _lesson_filter("deck", decks)
        ahead = int(LEARN_AHEAD.total_seconds() * 1e6)
        learning, review = self._conn.execute(
            "SELECT min(CASE WHEN state = 2 THEN NULL WHEN buried_until > ? "
            "THEN max(due - ?, buried_until) ELSE due - ? END), "
            "min(CASE WHEN state != 2 THEN NULL WHEN buried_until > ? "
            "THEN max(due, buried_until) ELSE due END) "
            f"FROM cards WHERE (suspended | orphaned) = 0 AND state != 0{decks_in}{among}",
            (to_us(now), ahead, ahead, to_us(now), *names, *paths),
        ).fetchone()
        return NextDue(_opt_dt(learning), _opt_dt(review))

    def count_suspended(self, lessons: Collection[str] | None = None) -> int:
        """The suspended cards of `lessons` (when given) still in them."""
        return self._count_cards("suspended = 1", lessons)

    def suspended_cards(self) -> list[tuple[str, str, str]]:
        """The suspended cards still in their lessons, as (card id, lesson path, front), in
        lesson order."""
        return [(card, lesson, str(front or "")) for card, lesson, front in self._conn.execute(
            "SELECT c.id, c.lesson, json_extract(t.content, '$.front') FROM cards c "
            "JOIN card_content t ON t.card = c.id JOIN lessons l ON l.path = c.lesson "
            "WHERE c.suspended = 1 AND c.orphaned = 0 ORDER BY l.rank, c.lesson, c.ordinal, c.id")]

    def count_new(self, lessons: Collection[str] | None = None) -> int:
        """The new cards of `lessons` (when given) that a review could introduce: neither
        suspended nor left by their lessons."""
        return self._count_cards("state = 0 AND suspended = 0", lessons)

    def _count_cards(self, condition: str, lessons: Collection[str] | None) -> int:
        """The cards still in their lessons (of `lessons`, when given) meeting `condition`."""
        among, paths = _lesson_filter("lesson", lessons)
        return int(self._conn.execute(
            f"SELECT count(*) FROM cards WHERE {condition} AND orphaned = 0{among}", paths,
        ).fetchone()[0])

    # -- queries for stats and tests -----------------------------------------------------------

    def leeches(self) -> list[tuple[str, str, int]]:
        """The suspended cards forgotten in review at least as often as their deck's leech
        threshold, as (card id, lesson path, lapses), most lapses first."""
        # The log is read only for the suspended cards (its index by card), never scanned.
        return [(card, lesson, lapses) for card, lesson, lapses in self._conn.execute(
            "SELECT id, lesson, lapses FROM (SELECT c.id, c.lesson, "
            "coalesce(o.leech_threshold, ?) AS threshold, (SELECT count(*) FROM review_log r "
            "WHERE r.card = c.id AND r.state_before = ? AND r.rating = ?) AS lapses "
            "FROM cards c LEFT JOIN deck_options o ON o.deck = c.deck "
            "WHERE c.suspended = 1 AND c.orphaned = 0) "
            "WHERE threshold BETWEEN 1 AND lapses ORDER BY lapses DESC, id",
            (DeckOptions().leech_threshold, int(State.REVIEW), int(Rating.AGAIN)))]

    def card_summary(self, now: datetime, today_start: datetime, factor: float,
                     decay: float) -> dict[str, dict[str, float]]:
        """Per lesson path, in one scan of the cards: active cards by state (`new`,
        `learning`, `review`, `relearning`), `suspended`, `buried` (now), `orphaned`, and
        `recall`: the sum of the retrievability of the active cards already seen, on the FSRS
        curve R = (1 + factor * study_days_elapsed / stability) ** decay, as the scheduler
        counts study days (the day rollovers since the last review: `today_start` is the
        last; a DST change may shift the earlier ones by an hour)."""
        active = "(orphaned = 0 AND suspended = 0)"
        rows = self._conn.execute(
            f"SELECT lesson, sum({active} AND state = 0), sum({active} AND state = 1), "
            f"sum({active} AND state = 2), sum({active} AND state = 3), "
            "sum(suspended = 1 AND orphaned = 0), "
            f"sum({active} AND buried_until > ?), sum(orphaned = 1), "
            f"sum(CASE WHEN {active} AND state != 0 AND stability > 0 AND last_review IS NOT NULL "
            "THEN pow(1.0 + ? * (CASE WHEN last_review >= ? THEN 0 "
            "ELSE 1 + (? - 1 - last_review) / ? END) / stability, ?) END) "
            "FROM cards GROUP BY +lesson",
            (to_us(now), factor, to_us(today_start), to_us(today_start), 86_400_000_000, decay),
        )
        names = ("new", "learning", "review", "relearning", "suspended", "buried", "orphaned")
        summary: dict[str, dict[str, float]] = {}
        for lesson, *counts, recall in rows:
            entry: dict[str, float] = {n: int(v or 0) for n, v in zip(names, counts, strict=True)}
            entry["recall"] = float(recall or 0.0)
            summary[lesson] = entry
        return summary

    def due_times(self, end: datetime) -> list[int]:
        """Due times (µs) before `end` of active, already-seen cards, ascending; a buried
        card is due when its burial ends, as the queue takes it."""
        # `(suspended | orphaned) = 0` keeps the planner on a plain scan of the narrow table:
        # through the partial queue index every row would cost a second lookup.
        dues = [due for (due,) in self._conn.execute(
            "SELECT max(due, coalesce(buried_until, 0)) AS shown FROM cards "
            "WHERE (suspended | orphaned) = 0 AND state != 0 AND shown < ?",
            (to_us(end),),
        )]
        dues.sort()
        return dues

    def has_answers(self, start: datetime, end: datetime) -> bool:
        return bool(self._conn.execute(
            "SELECT EXISTS (SELECT 1 FROM review_log WHERE time >= ? AND time < ?)",
            (to_us(start), to_us(end)),
        ).fetchone()[0])

    def count_answers(self, start: datetime, end: datetime) -> int:
        return int(self._conn.execute(
            "SELECT count(*) FROM review_log WHERE time >= ? AND time < ?",
            (to_us(start), to_us(end)),
        ).fetchone()[0])

    def review_answers(self, start: datetime, end: datetime) -> tuple[int, int]:
        """Answers given to cards in the review state in [start, end): (all, not Again)."""
        row = self._conn.execute(
            "SELECT count(*), sum(rating > 1) FROM review_log "
            "WHERE time >= ? AND time < ? AND state_before = 2", (to_us(start), to_us(end)),
        ).fetchone()
        return int(row[0]), int(row[1] or 0)

    def first_answer_time(self) -> datetime | None:
        return _opt_dt(self._conn.execute("SELECT min(time) FROM review_log").fetchone()[0])

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """One value from a read-only query on this store's own connection (tests and
        benchmarks read its settings, such as `PRAGMA synchronous`, through it)."""
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of a read-only query on this store's own connection."""
        return [tuple(row) for row in self._conn.execute(sql, params)]

    def integrity_check(self) -> str:
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])


class _Transaction:
    """`with store._write() as conn:` one IMMEDIATE transaction, committed on leaving."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write the review database: {exc}", self._path) from exc
        return self._conn

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            try:
                self._conn.execute("COMMIT")
                return
            except sqlite3.Error as error:
                self._roll_back()
                raise StoreError(f"cannot write the review database: {error}",
                                 self._path) from error
        self._roll_back()
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"cannot write the review database: {exc}", self._path) from exc

    def _roll_back(self) -> None:
        # SQLite has already rolled back after some failures (a full disk, an I/O error).
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass


_HISTORY = ("content_hash, content_changed, created, state, step, stability, difficulty, due, "
            "last_review, suspended, buried_until")


# A card's text reworded is still at least this alike to what it was (difflib's ratio);
# a reworded card takes another card's past only when that past is clearly closer to it than
# its own past is, and than the other card's new text is to the other card's past.
_ALIKE = 0.6
_CLEARLY_CLOSER = 0.1
_MOST_PAIRS = 40_000  # past this (a lesson rewritten whole), positions decide, as without it


def _lessons_holding(conn: sqlite3.Connection, card_ids: Sequence[str],
                     paths: Collection[str]) -> set[str]:
    """Those of the lesson `paths` that hold any of the cards `card_ids`."""
    found: set[str] = set()
    if not paths:
        return found
    among = ", ".join("?" * len(paths))
    for at in range(0, len(card_ids), 500):
        chunk = card_ids[at:at + 500]
        found.update(path for (path,) in conn.execute(
            f"SELECT DISTINCT lesson FROM cards WHERE lesson IN ({among}) AND id IN "
            f"({', '.join('?' * len(chunk))})", (*paths, *chunk)))
    return found


def _reworded_from(conn: sqlite3.Connection, reworded: Sequence[Card],
                   unclaimed: Sequence[str]) -> dict[str, str]:
    """For cards whose text is new, the unclaimed past (of a card that left the lesson or
    whose text changed) each was most likely reworded from, where that is not its own."""
    if len(reworded) * len(unclaimed) > _MOST_PAIRS:
        return {}
    import difflib  # only when a lesson changed in more than one place at once

    old: dict[str, _PastText] = {}
    for at in range(0, len(unclaimed), 500):
        chunk = unclaimed[at:at + 500]
        for card_id, content in conn.execute(
                "SELECT card, content FROM card_content WHERE card IN "
                f"({', '.join('?' * len(chunk))})", chunk):
            old[card_id] = _past_words(content)
    own: dict[str, float] = {}
    pairs: list[tuple[float, str, str]] = []
    matcher = difflib.SequenceMatcher[str](autojunk=False)
    for card in reworded:
        matcher.set_seq2(_words(card.front, card.back))
        answer = _right_answer(card.choices, card.answer)
        for card_id, (kind, words, past_answer) in old.items():
            if kind != card.kind.value or past_answer != answer:
                continue
            matcher.set_seq1(words)
            if card_id != card.id and matcher.quick_ratio() < _ALIKE:
                continue
            score = matcher.ratio()
            if card_id == card.id:
                own[card.id] = score
            else:
                pairs.append((score, card.id, card_id))
    moves: dict[str, str] = {}
    taken: set[str] = set()
    for score, card_id, past in sorted(pairs, reverse=True):
        if card_id in moves or past in taken or score < _ALIKE:
            continue
        if score >= max(own.get(card_id, 0.0), own.get(past, 0.0)) + _CLEARLY_CLOSER:
            moves[card_id] = past
            taken.add(past)
    return moves


def _closed_chains(moved_from: dict[str, str]) -> dict[str, str]:
    """`moved_from` (card -> the card whose past it takes) with its chains closed: a card
    whose past moved and that takes none (the start of a chain) takes the past left at the
    chain's end, so pasts are only ever permuted."""
    receiver_of = {donor: card_id for card_id, donor in moved_from.items()}
    takes = dict(moved_from)
    for donor in receiver_of:
        if donor not in moved_from:
            end = donor
            while end in receiver_of:
                end = receiver_of[end]
            takes[donor] = end
    return takes


def _park(conn: sqlite3.Connection, holder: str, stamp: int) -> str:
    """A new orphan row beside `holder`, with a new card's blank past, to take a past no
    card of the lesson should hold; its id is new (derived from `holder` and the time)."""
    for attempt in range(1_000):
        parked = stable_digest("parked", holder, str(stamp), str(attempt))
        if conn.execute("SELECT 1 FROM cards WHERE id = ?", (parked,)).fetchone() is None:
            break
    else:  # pragma: no cover - a thousand 64-bit collisions in a row
        raise StoreError("cannot find a free id for a parked card history")
    conn.execute(
        "INSERT INTO cards (id, lesson, kind, deck, section, ordinal, content_hash, "
        "content_changed, created, due, orphaned) SELECT ?, lesson, kind, deck, section, "
        "ordinal, '', ?, ?, ?, 1 FROM cards WHERE id = ?", (parked, stamp, stamp, stamp, holder))
    conn.execute("INSERT INTO card_content (card, content) SELECT ?, content FROM card_content "
                 "WHERE card = ?", (parked, holder))
    return parked


def _likeness(conn: sqlite3.Connection, card: Card, past: str) -> float:
    """How alike `card`'s text is to what the card `past` showed (difflib's ratio of
    their words)."""
    import difflib

    row = conn.execute("SELECT content FROM card_content WHERE card = ?", (past,)).fetchone()
    _kind, before, answer = _past_words(row[0] if row else "{}")
    if answer != _right_answer(card.choices, card.answer):
        return 0.0
    return difflib.SequenceMatcher(None, before, _words(card.front, card.back),
                                   autojunk=False).ratio()


def _words(front: str, back: str) -> list[str]:
    """A card's words, as likeness compares them: what the author wrote, without the
    Markdown and the choice letters (`**A)**`) every card of a kind shares, which would
    make two unrelated short questions look alike."""
    import re  # only when a lesson's cards are compared with what they were

    return re.findall(r"\w{2,}", f"{front}\n{back}".casefold())


def _right_answer(choices: Sequence[str], answer: str | None) -> str:
    """A quiz question's right choice, as likeness compares it: the same question asking for
    another answer (`int32` become `int64`, 4 become 8) is another fact, however alike its
    words. Empty for other cards."""
    at = LETTERS.find(answer) if answer else -1
    if not 0 <= at < len(choices):
        return ""
    return " ".join(choices[at].split()).casefold()


class _PastText(NamedTuple):
    kind: str
    words: list[str]
    answer: str  # as `_right_answer`


def _past_words(content: str) -> _PastText:
    """What likeness compares of a card as its stored content showed it."""
    data = json.loads(content)
    choices = data.get("choices")
    answer = data.get("answer")
    return _PastText(str(data.get("kind")),
                     _words(str(data.get("front", "")), str(data.get("back", ""))),
                     _right_answer([str(c) for c in choices] if isinstance(choices, list) else [],
                                   answer if isinstance(answer, str) else None))


def _move_histories(conn: sqlite3.Connection, takes: dict[str, str]) -> None:
    """Move what cards hold of their past (content, schedule, answers) so that each card in
    `takes` holds the past of the card it names (a permutation); each keeps its id, place
    in the lesson and orphan flag."""
    if not takes:
        return
    placeholders = ", ".join("?" * len(_HISTORY.split(", ")))
    rows = {cid: conn.execute(f"SELECT {_HISTORY} FROM cards WHERE id = ?", (cid,)).fetchone()
            for cid in takes}
    contents = {cid: conn.execute("SELECT content FROM card_content WHERE card = ?",
                                  (cid,)).fetchone()[0] for cid in takes}
    for card_id, source in takes.items():
        conn.execute(f"UPDATE cards SET ({_HISTORY}) = ({placeholders}) WHERE id = ?",
                     (*rows[source], card_id))
        conn.execute("UPDATE card_content SET content = ? WHERE card = ?",
                     (contents[source], card_id))
    cases = " ".join("WHEN ? THEN ?" for _ in takes)
    pairs = [value for card_id, source in takes.items() for value in (source, card_id)]
    conn.execute(f"UPDATE review_log SET card = CASE card {cases} END "
                 f"WHERE card IN ({', '.join('?' * len(takes))})", (*pairs, *takes.values()))


def _lesson_filter(column: str, values: Collection[str] | None) -> tuple[str, tuple[str, ...]]:
    """An ` AND column IN (...)` clause (with a unary `+`, so that it never picks the index)
    and its parameters; nothing for None."""
    if values is None:
        return "", ()
    chosen = tuple(sorted(set(values)))
    return f" AND +{column} IN ({', '.join('?' * len(chosen))})", chosen


FOREIGN_DATABASE = ("not a review database: the file holds another program's tables "
                    "(srs creates its own file; give --db a new name)")


def _is_foreign(conn: sqlite3.Connection, version: int) -> bool:
    """Whether the file is another program's SQLite database, which srs must neither read
    as its own nor change: without srs's version mark it holds tables; with a version
    mark (any program may set one), srs's own tables are missing."""
    if version == 0:
        return conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None
    ours = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                        "('lessons', 'cards', 'review_log')").fetchone()[0]
    return int(ours) != 3


def _damaged_message(detail: str, backups: Path) -> str:
    return (f"the review database is damaged ({detail}); the daily copies in {backups} hold "
            "it as it was on earlier days: copy the newest good one over it")


def _newer_message(version: int) -> str:
    return (f"the review database has schema version {version}, newer than this srs "
            f"understands ({SCHEMA_VERSION}); upgrade srs")


def _lock(real: Path, path: Path) -> tuple[int, Path | None]:
    """Lock the database at `real` (the resolved form of `path`, the name the user gave);
    returns the lock file's descriptor and its path if this call created it."""
    lock_path = real.with_name(real.name + ".lock")
    while True:
        created: Path | None = None
        try:
            try:
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
                created = lock_path
            except FileExistsError:
                fd = os.open(lock_path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            continue  # removed between the two opens by an srs that was refused the file
        except OSError as exc:
            raise StoreError(f"cannot create the lock file: {exc.strerror}", lock_path) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreLockedError(f"another srs is using {path}") from None
        # An srs refused the file removes the lock file it made before letting it go: a lock
        # taken on that removed file would not keep out the next srs, which makes a new one.
        if _same_file(fd, lock_path):
            return fd, created
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)


def _refuse_hard_links(real: Path, path: Path) -> None:
    try:
        links = os.stat(real).st_nlink
    except FileNotFoundError:
        return  # a new database
    except OSError as exc:
        raise StoreError(f"cannot read the review database: {exc.strerror}", path) from exc
    if links > 1:
        raise StoreError(
            f"the review database has {links} names (hard links); SQLite keeps a separate "
            "journal for each, so answers given under one could be lost: keep one name "
            "(a symlink is fine)", path)


def _unlock(fd: int, remove: Path | None = None) -> None:
    """Release the lock; `remove` the lock file first (while still holding it)."""
    try:
        if remove is not None:
            remove.unlink(missing_ok=True)
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


BUSY_TIMEOUT_MS = 5000


def _connect(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the review database: {exc}", path) from exc
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _ensure_pow(conn)
    return conn


def _read_version(path: Path, *, immutable: bool) -> tuple[sqlite3.Connection, int]:
    """A read-only connection to `path` and the file's user_version."""
    flags = "mode=ro&immutable=1" if immutable else "mode=ro"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True,
                           isolation_level=None, check_same_thread=False)
    try:
        return conn, conn.execute("PRAGMA user_version").fetchone()[0]
    except BaseException:
        conn.close()
        raise


def _log_holds_pages(path: Path) -> bool:
    """Whether the database's write-ahead log holds pages the main file lacks yet."""
    try:
        return os.path.getsize(f"{path}-wal") > 0
    except OSError:
        return False


def _ensure_pow(conn: sqlite3.Connection) -> None:
    """SQLite builds without the math functions get a Python `pow` for the stats queries."""
    try:
        conn.execute("SELECT pow(2.0, 0.5)")
    except sqlite3.OperationalError:
        conn.create_function("pow", 2, math.pow, deterministic=True)
