"""A database from before MCQ content held its `question` is re-synced after the upgrade."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from store_support import T0

from srs.corpus import resolve_sources
from srs.model import DeckOptions
from srs.store import Store
from srs.sync import sync_lessons

LESSONS = Path(__file__).resolve().parents[1] / "cli_review" / "fixtures" / "lessons"


def test_upgrade_re_parses_lessons_so_mcqs_get_their_question(tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    shutil.copytree(LESSONS, lessons)
    db = tmp_path / "db"
    with Store.open(db, now=T0) as store:
        sync_lessons(store, resolve_sources([lessons]), T0)
        store.suspend(store.queue(T0, T0, {"srs": DeckOptions()})[0].id)
    # Make it look like a file of the previous version: no `question` in the MCQ content.
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        removed = conn.execute("UPDATE card_content SET content = json_remove(content, "
                               "'$.question') WHERE json_extract(content, '$.kind') = 'mcq'"
                               ).rowcount
        # Version 3, the one before that key: without the later leech option and lesson
        # errors as well.
        conn.execute("ALTER TABLE deck_options DROP COLUMN leech_threshold")
        conn.execute("ALTER TABLE lessons DROP COLUMN errors")
        conn.execute("PRAGMA user_version = 3")
    finally:
        conn.close()
    assert removed > 0
    with Store.open(db, now=T0) as store:
        report = sync_lessons(store, resolve_sources([lessons]), T0)
        assert (report.parsed, report.added, report.changed) == (3, 0, 0)
        queue = store.queue(T0, T0, {"srs": DeckOptions()})
        mcqs = [c for c in queue if c.kind == "mcq"]
        assert mcqs and all(c.content["question"] and "**A)**" not in c.content["question"]
                            for c in mcqs)
        assert len(queue) == 6  # the suspended card stayed suspended
        again = sync_lessons(store, resolve_sources([lessons]), T0)
        assert (again.parsed, again.unchanged) == (0, 3)
