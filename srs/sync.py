"""Lesson sync: bring the store's cards up to date with the lesson files before a review.

A lesson whose size and mtime match what the store remembers is not opened. Otherwise its
bytes are hashed; the same hash only refreshes the remembered mtime; a new hash re-parses the
lesson (loading the parser only then) and applies its cards to the store. Lesson ranks (the
prerequisite order new cards are introduced in) are recomputed from what the store remembers
of every lesson, so unchanged lessons need no parsing for that either. A lesson moved to
another deck (its manifest changed) has its cards' deck updated without parsing it. Deck
options and ranks are written only when they differ from what the store holds, so a start
with nothing changed writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from srs import corpus
from srs.corpus import LessonSource
from srs.errors import SrsError
from srs.model import DeckOptions, Diagnostic, Lesson, Severity, SourcePos
from srs.store import LessonRow, Store

_CHUNK = 1 << 20


@dataclass
class SyncReport:
    unchanged: int = 0
    touched: int = 0  # same content, new mtime
    parsed: int = 0
    gone: int = 0  # lesson files that no longer exist: their cards are orphaned
    added: int = 0
    changed: int = 0
    orphaned: int = 0
    restored: int = 0
    taken_over: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[SrsError] = field(default_factory=list)  # lessons that could not be read
    # Those lessons' files: their cards stay as they were, and out of review, until they read.
    unread: set[str] = field(default_factory=set)


def file_digest(path: Path) -> str:
    import hashlib  # loads OpenSSL (~2.5 ms): only paid when a lesson file changed

    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sync_lessons(store: Store, sources: Sequence[LessonSource], now: datetime) -> SyncReport:
    report = SyncReport()
    known = store.lesson_files()
    remembered = store.lessons()
    decks: dict[str, DeckOptions] = {}
    changed: list[tuple[str, int, int, str, Lesson]] = []
    present: set[str] = set()
    claimed: dict[str, str] = {}  # card id -> the lesson parsed first in this sync holding it
    for source in sources:
        decks.setdefault(source.deck.name, source.deck.options)
        try:
            key = corpus.checked_lesson_key(source.path)
        except SrsError as exc:
            report.errors.append(exc)
            continue
        present.add(key)
        try:
            info = os.stat(key)
            row = known.get(key)
            if row is not None and (row.size, row.mtime_ns) == (info.st_size, info.st_mtime_ns):
                report.unchanged += 1
                if row.deck != source.deck.name:
                    store.set_lesson_deck(key, source.deck.name)
                report.diagnostics.extend(_remembered_errors(source.path, row.errors))
                continue
            digest = file_digest(Path(key))
        except OSError as exc:
            report.errors.append(SrsError(f"cannot read lesson: {exc.strerror}", source.path))
            report.unread.add(key)
            continue
        if row is not None and row.hash == digest:
            store.touch_lesson_file(key, info.st_size, info.st_mtime_ns)
            if row.deck != source.deck.name:
                store.set_lesson_deck(key, source.deck.name)
            report.diagnostics.extend(_remembered_errors(source.path, row.errors))
            report.touched += 1
            continue
        try:
            lesson = corpus.load_lesson(source)
        except SrsError as exc:
            report.errors.append(exc)
            report.unread.add(key)
            continue
        report.parsed += 1
        lesson = _unique_cards(lesson)
        owners = store.card_lessons([card.id for card in lesson.cards])
        owners.update((card.id, claimed[card.id]) for card in lesson.cards if card.id in claimed)
        kept = _without_others_cards(key, lesson, owners)
        claimed.update((card.id, key) for card in kept.cards)
        report.diagnostics.extend(kept.diagnostics)
        if kept is lesson:
            changed.append((key, info.st_size, info.st_mtime_ns, digest, kept))
        else:  # not remembered as read: the other file may be gone at the next start
            changed.append((key, -1, -1, "", kept))
    stored_options = store.deck_options()
    stale = {name: o for name, o in decks.items() if stored_options.get(name) != o}
    if stale:
        store.set_deck_options(stale)
    gone = {key for key in known if key not in present and not os.path.exists(key)}
    # A gone file (one renamed, say) no longer ranks: its slug is the new file's.
    ranks = _ranks([row for row in remembered if row.path not in gone],
                   {key: lesson for key, *_, lesson in changed})
    for key, size, mtime_ns, digest, lesson in changed:
        errors = [(d.pos.line, d.message) for d in lesson.diagnostics if d.severity == "error"]
        applied = store.apply_lesson(key, size, mtime_ns, digest, lesson, ranks[key], now,
                                     errors, gone)
        report.added += applied.added
        report.changed += applied.changed
        report.orphaned += applied.orphaned
        report.restored += applied.restored
        report.taken_over += applied.taken_over
    applied_keys = {key for key, *_ in changed}
    old_ranks = {row.path: row.rank for row in remembered}
    moved = {key: rank for key, rank in ranks.items()
             if key not in applied_keys and old_ranks.get(key) != rank}
    if moved:
        store.set_lesson_ranks(moved)
    for key in sorted(gone):
        orphaned = store.orphan_lesson(key)
        report.orphaned += orphaned
        report.gone += 1 if orphaned else 0
    return report


def _unique_cards(lesson: Lesson) -> Lesson:
    """One card per id (a duplicate id is reported by `srs check`; the first one wins here)."""
    seen: dict[str, object] = {}
    cards = tuple(c for c in lesson.cards if seen.setdefault(c.id, c) is c)
    if len(cards) == len(lesson.cards):
        return lesson
    import dataclasses

    return dataclasses.replace(lesson, cards=cards)


def _remembered_errors(path: Path, errors: Sequence[tuple[int, str]]) -> list[Diagnostic]:
    """The errors a lesson held when it was last parsed, told again while it is unchanged."""
    return [Diagnostic(SourcePos(path, line), Severity.ERROR, message)
            for line, message in errors]


def _without_others_cards(key: str, lesson: Lesson, owners: dict[str, str]) -> Lesson:
    """The lesson without the cards whose ids belong to (`owners`) another lesson file that
    still exists (a lesson copied without a new `canonical_id`): taking them would move that
    lesson's cards here. Each one left out is an error at its line."""
    taken = {card_id: owner for card_id, owner in owners.items()
             if owner != key and os.path.exists(owner)}
    if not taken:
        return lesson
    import dataclasses

    errors = [Diagnostic(card.source, Severity.ERROR,
                         f"card {card.key!r} has the id of a card of {taken[card.id]} "
                         "(the same canonical_id?); left out")
              for card in lesson.cards if card.id in taken]
    return dataclasses.replace(
        lesson, cards=tuple(card for card in lesson.cards if card.id not in taken),
        diagnostics=(*lesson.diagnostics, *errors))


def _ranks(remembered: Sequence[LessonRow], parsed: dict[str, Lesson]) -> dict[str, int]:
    """Rank of every lesson the store knows plus the freshly parsed ones, in prerequisite order."""
    lessons: list[Lesson] = []
    for row in remembered:
        if row.path not in parsed:
            lessons.append(Lesson(path=Path(row.path), title=row.title, slug=row.slug,
                                  number=row.number, level="", tags=(),
                                  prerequisites=row.prerequisites, canonical_id=None))
    for key, lesson in parsed.items():
        lessons.append(Lesson(path=Path(key), title=lesson.title, slug=lesson.slug,
                              number=lesson.number, level="", tags=(),
                              prerequisites=lesson.prerequisites, canonical_id=None))
    lessons.sort(key=lambda lesson: lesson.path.as_posix())
    return {lesson.path.as_posix(): rank
            for rank, lesson in enumerate(corpus.lesson_order(lessons))}
