"""The review database file: locking, versions, migrations, backups, durability."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from importlib import resources
from pathlib import Path

import pytest
from store_support import T0, lesson, questions

from srs.errors import StoreError, StoreLockedError, StoreVersionError
from srs.model import DeckOptions
from srs.schedule import Rating, Scheduler, State, new_schedule
from srs.store import DAILY_BACKUPS_KEPT, SCHEMA_VERSION, LessonFileRow, Store, default_db_path

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_new_file_is_current_wal_full_with_foreign_keys(tmp_path: Path) -> None:
    with Store.open(tmp_path / "srs.sqlite3", now=T0) as store:
        assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION
        assert store.scalar("PRAGMA journal_mode") == "wal"
        assert store.scalar("PRAGMA synchronous") == 2  # FULL
        assert store.scalar("PRAGMA foreign_keys") == 1
        strict = store.rows("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' "
                            "AND name NOT LIKE 'sqlite_%'")
        assert {name for name, _ in strict} == {
            "lessons", "cards", "card_content", "review_log", "sessions", "deck_options"}
        assert all(flag == 1 for _, flag in strict)
        assert store.integrity_check() == "ok"


def test_second_writer_in_the_same_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    with Store.open(path, now=T0):
        with pytest.raises(StoreLockedError, match="another srs is using"):
            Store.open(path, now=T0)
    with Store.open(path, now=T0) as again:  # released on close
        assert again.scalar("PRAGMA user_version") == SCHEMA_VERSION


def test_a_symlink_to_the_database_takes_the_same_lock(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    link = tmp_path / "link.sqlite3"
    link.symlink_to(path)
    with Store.open(path, now=T0):
        with pytest.raises(StoreLockedError, match=f"another srs is using {link}"):
            Store.open(link, now=T0)
    later = T0 + timedelta(days=1)  # a new day: a daily backup is taken on opening
    with Store.open(link, now=later) as through_link:  # one file, one WAL, one backup folder
        through_link.start_session(later)
        assert (tmp_path / "srs.sqlite3-wal").exists()
        assert not (tmp_path / "link.sqlite3-wal").exists()
    assert not (tmp_path / "link.sqlite3.backups").exists()
    assert len(list((tmp_path / "srs.sqlite3.backups").iterdir())) == 2
    with Store.open(path, now=later) as direct:
        assert direct.scalar("SELECT count(*) FROM sessions") == 1


def test_a_lock_file_removed_just_before_it_was_locked_is_not_held(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An srs refused the database removes its lock file, then lets go of it. One that opened
    the file just before must not take a lock on the removed file: the next srs would make a
    new one and two would write. The removal is made to fall between open and lock."""
    path = tmp_path / "srs.sqlite3"
    lock_file = tmp_path / "srs.sqlite3.lock"
    lock_file.write_bytes(b"")
    real_flock = fcntl.flock
    removed: list[bool] = []

    def removed_first(fd: int, operation: int) -> None:
        if not removed:
            removed.append(True)
            lock_file.unlink()
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", removed_first)
    with Store.open(path, now=T0):
        monkeypatch.setattr(fcntl, "flock", real_flock)
        with pytest.raises(StoreLockedError):
            Store.open(path, now=T0)


def test_a_hard_linked_database_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    with Store.open(path, now=T0):
        pass
    os.link(path, tmp_path / "other.sqlite3")
    before = path.read_bytes()
    for name in (path, tmp_path / "other.sqlite3"):
        with pytest.raises(StoreError, match="has 2 names") as caught:
            Store.open(name, now=T0)
        assert caught.value.path == name
    assert path.read_bytes() == before
    with Store.open(path, now=T0, read_only=True) as reader:  # reading is harmless
        assert reader.scalar("PRAGMA user_version") == SCHEMA_VERSION


def _as_another_user(probe: Callable[[], str]) -> str:
    """`probe()` run where the file modes apply: as `nobody` in a fork when this is root."""
    if os.geteuid() != 0:
        return probe()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports through the pipe
        try:
            os.setgid(65534)
            os.setuid(65534)
            answer = probe()
        except BaseException as exc:  # every failure goes to the parent
            answer = f"{type(exc).__name__}: {exc}"
        os.write(writer, answer.encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(pid, 0)
    return answer


def test_a_database_in_a_folder_the_reader_cannot_write_is_still_read() -> None:
    # SQLite keeps a WAL database's shared memory in a file beside it; `srs stats` on a
    # database in someone else's or a read-only folder must not need to create one.
    base = Path(tempfile.mkdtemp())
    try:
        base.chmod(0o755)
        path = base / "db" / "srs.sqlite3"
        with Store.open(path, now=T0) as store:
            store.apply_lesson("/l/a.md", 1, 1, "h", lesson("a", questions("a", ["q"])), 0, T0)
        assert not Path(f"{path}-shm").exists()
        path.parent.chmod(0o555)

        def count_cards() -> str:
            with Store.open(path, now=T0, read_only=True) as reader:
                return str(reader.scalar("SELECT count(*) FROM cards"))

        assert _as_another_user(count_cards) == "1"
    finally:
        (base / "db").chmod(0o755)
        shutil.rmtree(base)


def test_second_writer_in_another_process_is_refused_and_kill_9_releases(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from datetime import datetime, UTC\n"
         "from pathlib import Path\n"
         "from srs.store import Store\n"
         "s = Store.open(Path(sys.argv[1]), now=datetime(2026, 3, 2, tzinfo=UTC))\n"
         "print('ready', flush=True)\n"
         "time.sleep(60)\n",
         str(path)],
        stdout=subprocess.PIPE, text=True, env=_env(),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError) as caught:
            Store.open(path, now=T0)
        assert str(caught.value) == f"another srs is using {path}"
        # A reader (srs stats) still works while the writer holds the file.
        with Store.open(path, now=T0, read_only=True) as reader:
            assert reader.scalar("PRAGMA user_version") == SCHEMA_VERSION
            with pytest.raises(StoreError, match="read-only"):
                reader.suspend("x")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    with Store.open(path, now=T0) as store:
        assert store.integrity_check() == "ok"


def test_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x INTEGER)")
    conn.execute("INSERT INTO future VALUES (1)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    stat = path.stat()
    with pytest.raises(StoreVersionError, match="newer"):
        Store.open(path, now=T0)
    with pytest.raises(StoreVersionError):
        Store.open(path, now=T0, read_only=True)
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert not (tmp_path / "srs.sqlite3.backups").exists()
    # And the refusal released the lock: the error is about the version every time.
    with pytest.raises(StoreVersionError):
        Store.open(path, now=T0)


def test_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError):
        Store.open(path, now=T0)


def _version_1_file(path: Path) -> None:
    """A database as the first schema version wrote it, holding one lesson and one card."""
    conn = sqlite3.connect(path)
    conn.executescript(resources.files("srs").joinpath("schema.sql").read_text("utf-8"))
    conn.execute("INSERT INTO lessons (path, size, mtime_ns, hash, slug) "
                 "VALUES ('/l.md', 1, 2, 'h', 'l')")
    conn.execute("INSERT INTO cards (id, lesson, kind, deck, content_hash, "
                 "content_changed, created, due) VALUES ('c1', '/l.md', 'qa', 'd', 'x', 0, 0, 0)")
    conn.execute("INSERT INTO card_content VALUES ('c1', '{}')")
    conn.execute("INSERT INTO deck_options VALUES ('d', 0.85, 10, 100, 365)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_migration_leaves_a_backup_of_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    _version_1_file(path)
    with Store.open(path, now=T0) as store:
        assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION
        indexes = {name for (name,) in store.rows(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
        assert {"cards_queue", "review_log_time"} <= indexes
        assert store.scalar("SELECT count(*) FROM cards") == 1
        # Options added since keep their defaults.
        assert store.deck_options() == {"d": DeckOptions(0.85, 10, 100, 365, leech_threshold=8)}
        # Lessons are read again at the next sync, to learn their errors.
        assert store.lesson_files()["/l.md"] == LessonFileRow(-1, 2, "", "", ())
    backups = sorted((tmp_path / "srs.sqlite3.backups").glob("pre-v*.sqlite3"))
    assert [b.name for b in backups] == [
        f"pre-v{SCHEMA_VERSION}-from-v1-20260302T150000Z.sqlite3"]
    old = sqlite3.connect(backups[0])
    try:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1
        assert old.execute("SELECT id FROM cards").fetchall() == [("c1",)]
        assert old.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        old.close()


def test_failed_migration_rolls_back_completely(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    _version_1_file(path)
    conn = sqlite3.connect(path)
    conn.execute("CREATE INDEX review_log_time ON review_log(rating)")  # collides with v2
    conn.commit()
    conn.close()
    with pytest.raises(StoreError):
        Store.open(path, now=T0)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "cards_queue" not in names
    finally:
        conn.close()


def test_daily_backups_rotate_keeping_seven(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    for day in range(10):
        with Store.open(path, now=T0 + timedelta(days=day)):
            pass
        with Store.open(path, now=T0 + timedelta(days=day, hours=3)):
            pass  # a second open the same day takes no second backup
    dailies = sorted(p.name for p in (tmp_path / "srs.sqlite3.backups").glob("daily-*"))
    assert len(dailies) == DAILY_BACKUPS_KEPT
    assert dailies[0] == "daily-2026-03-05.sqlite3"
    assert dailies[-1] == "daily-2026-03-11.sqlite3"
    assert not list((tmp_path / "srs.sqlite3.backups").glob("*.partial"))


def _damage(path: Path) -> None:
    """Overwrite the pages after the header's: the file still opens, its tables do not read."""
    with Store.open(path, now=T0) as store:
        store.apply_lesson("/l/a.md", 1, 1, "h", lesson("a", questions("a", ["q"] * 300)), 0, T0)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = bytes(range(256)) * ((len(data) - page) // 256 + 1)
    path.write_bytes(bytes(data[:len(path.read_bytes())]))


def test_a_damaged_database_is_a_store_error_naming_its_daily_copies(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    _damage(path)
    # The same day's copy exists: the first read meets the damage.
    with pytest.raises(StoreError, match=r"damaged \(.*\); the daily copies in .*"
                       r"srs\.sqlite3\.backups hold it") as info:
        with Store.open(path, now=T0, read_only=True) as store:
            store.card_summary(T0, T0, 0.1, -0.5)
    assert info.value.path == path


def test_a_damaged_database_is_never_copied_over_the_good_daily_copies(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    for day in range(DAILY_BACKUPS_KEPT):
        with Store.open(path, now=T0 + timedelta(days=day)):
            pass
    folder = tmp_path / "srs.sqlite3.backups"
    good = sorted(p.name for p in folder.glob("daily-*"))
    _damage(path)
    for day in range(DAILY_BACKUPS_KEPT, 2 * DAILY_BACKUPS_KEPT):
        with pytest.raises(StoreError, match="the review database is damaged"):
            Store.open(path, now=T0 + timedelta(days=day))
    assert sorted(p.name for p in folder.glob("daily-*")) == good
    assert not list(folder.glob("*.partial"))


@pytest.mark.parametrize("version", [0, 3, SCHEMA_VERSION])  # any program may set one
def test_another_programs_database_is_refused_and_left_as_it_was(
        tmp_path: Path, version: int) -> None:
    other = tmp_path / "collection.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, flds TEXT)")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    for read_only in (True, False):
        with pytest.raises(StoreError, match="holds another program's tables") as info:
            Store.open(other, now=T0, read_only=read_only)
        assert info.value.path == other
    conn = sqlite3.connect(other)
    try:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        conn.close()
    assert not (tmp_path / "collection.sqlite.backups").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["collection.sqlite"]  # no lock file


def test_a_refused_file_keeps_a_lock_file_it_already_had(tmp_path: Path) -> None:
    text = tmp_path / "notes.md"
    text.write_text("# not a database\n" * 200)
    lock = tmp_path / "notes.md.lock"
    lock.write_text("")
    with pytest.raises(StoreError, match="not a review database"):
        Store.open(text, now=T0)
    assert lock.exists() and text.read_text().startswith("# not a database")


def test_without_create_a_missing_or_empty_file_is_refused_untouched(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    for path in (tmp_path / "typo" / "new.db", empty):
        for flags in ({"create": False}, {"read_only": True}):
            with pytest.raises(StoreError, match=r"no review database at .* yet"):
                Store.open(path, now=T0, **flags)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
    assert empty.stat().st_size == 0


def test_a_folder_or_device_is_not_a_database(tmp_path: Path) -> None:
    for path in (tmp_path, Path(os.devnull)):
        for read_only in (True, False):
            with pytest.raises(StoreError, match="not a regular file"):
                Store.open(path, now=T0, read_only=read_only)


def test_answer_is_committed_before_record_answer_returns(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    with Store.open(path, now=T0) as store:
        store.apply_lesson("/lessons/a.md", 1, 1, "h", lesson("a", questions("a", ["q1"])), 0, T0)
        card = store.queue(T0, T0, {"deck": DeckOptions()})[0]
        after = Scheduler(DeckOptions(), fuzz=False).answer(card.id, card.schedule,
                                                            Rating.GOOD, T0)
        session = store.start_session(T0)
        log_id = store.record_answer(card.id, Rating.GOOD, card.schedule, after, T0, 800, session)
        # Another connection sees it at once: nothing is left in an open transaction.
        other = sqlite3.connect(path)
        try:
            rows = other.execute("SELECT id, card, rating, duration_ms FROM review_log").fetchall()
            assert rows == [(log_id, card.id, 3, 800)]
            assert other.execute("SELECT state FROM cards WHERE id = ?",
                                 (card.id,)).fetchone() == (1,)
        finally:
            other.close()


def test_a_long_session_keeps_the_write_ahead_log_small(tmp_path: Path) -> None:
    # Every answer is fsynced; an fsync that also has to record a grown file costs more, so
    # the log is checkpointed early and its file reused instead of growing for a whole session.
    path = tmp_path / "srs.sqlite3"
    scheduler = Scheduler(DeckOptions(new_per_day=300), fuzz=False)
    with Store.open(path, now=T0) as store:
        fronts = [f"q{i}" for i in range(300)]
        store.apply_lesson("/lessons/a.md", 1, 1, "h", lesson("a", questions("a", fronts)), 0, T0)
        queue = store.queue(T0, T0, {"deck": DeckOptions(new_per_day=300)})
        assert len(queue) == 300
        page_size = store.scalar("PRAGMA page_size")
        assert isinstance(page_size, int)
        for card in queue:
            after = scheduler.answer(card.id, card.schedule, Rating.GOOD, T0)
            store.record_answer(card.id, Rating.GOOD, card.schedule, after, T0, 1000, None)
        frames = (path.with_name(path.name + "-wal").stat().st_size - 32) // (page_size + 24)
        assert frames <= 450
        assert store.scalar("SELECT count(*) FROM review_log") == 300


def test_undo_restores_the_exact_schedule(tmp_path: Path) -> None:
    scheduler = Scheduler(DeckOptions())
    with Store.open(tmp_path / "srs.sqlite3", now=T0) as store:
        store.apply_lesson("/lessons/a.md", 1, 1, "h", lesson("a", questions("a", ["q1"])), 0, T0)
        card = store.queue(T0, T0, {"deck": DeckOptions()})[0]
        history = [card.schedule]
        logs = []
        now = T0
        for rating in (Rating.GOOD, Rating.GOOD, Rating.AGAIN, Rating.EASY):
            before = history[-1]
            after = scheduler.answer(card.id, before, rating, now)
            logs.append(store.record_answer(card.id, rating, before, after, now, 1000, None))
            history.append(after)
            assert store.card(card.id).schedule == after
            now = after.due + timedelta(seconds=7, microseconds=123)
        while logs:
            restored = store.undo_answer(logs.pop())
            history.pop()
            assert restored == history[-1]
            assert store.card(card.id).schedule == history[-1]
        assert store.card(card.id).schedule == new_schedule(T0)
        assert store.scalar("SELECT count(*) FROM review_log") == 0
        with pytest.raises(StoreError):
            store.undo_answer(12345)


def test_a_replaced_grade_and_its_replacement_are_one_transaction(tmp_path: Path) -> None:
    scheduler = Scheduler(DeckOptions())
    with Store.open(tmp_path / "srs.sqlite3", now=T0) as store:
        store.apply_lesson("/lessons/a.md", 1, 1, "h", lesson("a", questions("a", ["q1"])), 0, T0)
        card = store.queue(T0, T0, {"deck": DeckOptions()})[0]
        before = card.schedule
        wrong = scheduler.answer(card.id, before, Rating.AGAIN, T0)
        first = store.record_answer(card.id, Rating.AGAIN, before, wrong, T0, 900, None)
        right = scheduler.answer(card.id, before, Rating.GOOD, T0)
        # A replacement that fails leaves the replaced grade as it was.
        with pytest.raises(StoreError, match="no card"):
            store.record_answer("no-such-card", Rating.GOOD, before, right, T0, 900, None,
                                replaces=first)
        assert store.rows("SELECT id, rating FROM review_log") == [(first, 1)]
        assert store.card(card.id).schedule == wrong
        second = store.record_answer(card.id, Rating.GOOD, before, right, T0, 900, None,
                                     replaces=first)
        assert store.rows("SELECT id, rating FROM review_log") == [(second, 3)]
        assert store.card(card.id).schedule == right


def test_lapses_count_again_in_review_and_a_leech_is_suspended_with_its_answer(
        tmp_path: Path) -> None:
    scheduler = Scheduler(DeckOptions(), fuzz=False)
    with Store.open(tmp_path / "srs.sqlite3", now=T0) as store:
        store.apply_lesson("/lessons/a.md", 1, 1, "h", lesson("a", questions("a", ["q1"])), 0, T0)
        card = store.queue(T0, T0, {"deck": DeckOptions()})[0]
        now, sched = T0, card.schedule
        for rating in (Rating.AGAIN, Rating.EASY, Rating.AGAIN, Rating.GOOD):
            after = scheduler.answer(card.id, sched, rating, now)
            store.record_answer(card.id, rating, sched, after, now, 1000, None)
            now, sched = after.due, after
        assert sched.state is State.REVIEW
        assert store.lapses(card.id) == 1  # the Again on a new card is no lapse
        after = scheduler.answer(card.id, sched, Rating.AGAIN, now)
        log_id = store.record_answer(card.id, Rating.AGAIN, sched, after, now, 1000, None,
                                     suspend=True)
        assert store.lapses(card.id) == 2
        assert store.scalar("SELECT suspended FROM cards") == 1
        assert store.undo_answer(log_id, unsuspend=True) == sched
        assert store.scalar("SELECT suspended FROM cards") == 0
        store.suspend(card.id)  # suspended by hand: an undo of another answer leaves it so
        log_id = store.record_answer(card.id, Rating.AGAIN, sched, after, now, 1000, None)
        store.undo_answer(log_id)
        assert store.scalar("SELECT suspended FROM cards") == 1


def test_default_db_path_honours_srs_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SRS_DB", str(tmp_path / "mine.sqlite3"))
    assert default_db_path() == tmp_path / "mine.sqlite3"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SRS_DB", "~/srs/mine.sqlite3")
    assert default_db_path() == tmp_path / "srs" / "mine.sqlite3"
    monkeypatch.delenv("SRS_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "srs" / "srs.sqlite3"


def _with_little_disk(path: Path, script: str) -> str:
    """What `script` prints, run on the database at `path` (`sys.argv[1]`) in a process whose
    files cannot grow past 60 kB, as on a full disk."""
    limited = ("import resource, signal, sys\n"
               "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
               "resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))\n"
               "from srs.errors import StoreError\n"
               "from srs.store import Store\n") + script
    env = _env()
    env["PYTHONPATH"] = str(Path(__file__).parent) + os.pathsep + env["PYTHONPATH"]
    done = subprocess.run([sys.executable, "-c", limited, str(path)], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_full_disk_is_a_store_error_and_the_database_stays_as_it_was(tmp_path: Path) -> None:
    """The write-ahead log cannot grow past a file size limit, as on a full disk: the failed
    commit (which SQLite has already rolled back) is one clear error, nothing half-written."""
    path = tmp_path / "srs.sqlite3"
    with Store.open(path, now=T0):
        pass
    printed = _with_little_disk(
        path,
        "from store_support import T0, lesson, questions\n"
        "big = lesson('a', questions('a', [f'question {i} ' + 'x' * 400 for i in range(400)]))\n"
        "with Store.open(sys.argv[1], now=T0) as store:\n"
        "    try:\n"
        "        store.apply_lesson('/l/a.md', 1, 1, 'h', big, 0, T0)\n"
        "    except StoreError as error:\n"
        "        print(error)\n")
    assert printed.startswith(f"{path}: cannot write the review database: "), printed
    with Store.open(path, now=T0) as store:
        assert store.scalar("SELECT count(*) FROM cards") == 0
        assert store.integrity_check() == "ok"


def test_a_daily_copy_that_does_not_fit_leaves_no_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "srs.sqlite3"
    with Store.open(path, now=T0) as store:
        store.apply_lesson("/l/a.md", 1, 1, "h",
                           lesson("a", questions("a", [f"q{i} " + "x" * 400 for i in range(400)])),
                           0, T0)
    printed = _with_little_disk(
        path,
        "from datetime import timedelta\n"
        "from store_support import T0\n"
        "try:\n"
        "    Store.open(sys.argv[1], now=T0 + timedelta(days=1))\n"
        "except StoreError as error:\n"
        "    print(error)\n")
    assert printed.startswith(f"{path}: cannot use the review database: "), printed
    assert [p.name for p in (tmp_path / "srs.sqlite3.backups").iterdir()] == [
        "daily-2026-03-02.sqlite3"]


def test_a_database_sqlite_can_only_read_is_refused_when_opened_for_review(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "srs.sqlite3"
    with Store.open(path, now=T0):
        pass
    before = path.read_bytes()

    def read_only(real: Path) -> sqlite3.Connection:  # as for a file of mode 444
        return sqlite3.connect(f"{real.as_uri()}?mode=ro", uri=True, isolation_level=None)

    monkeypatch.setattr("srs.store._connect", read_only)
    with pytest.raises(StoreError, match="cannot write the review database: attempt to write "
                                         "a readonly database"):
        Store.open(path, now=T0)
    assert path.read_bytes() == before
