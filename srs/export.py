"""Lessons to an Anki package (`.apkg`) that imports cleanly and updates in place.

Identity:
- A note's GUID is its card id. A cloze note holds several cards (`c1`, `c2`, ...) that
  share `Card.note_key`; its GUID is `card_id(lesson.root, CLOZE, note_key)`, which no
  single card has, so removing the `c1` deletion does not turn the note into a new one.
- Note type ids and deck ids are digests of their names (and a note type's version),
  mapped into 1<<30 .. 1<<31 as Anki expects. Changing a note type's fields or templates
  is done by raising its `version`: a new name and id, so Anki never sees one id with two
  shapes (`tests/export` pins a fingerprint per version).
- A note's `mod` is the time its exported content (fields, tags, note type) last changed.
  The exporter remembers it in a sidecar next to the package, `<FILE>.srs-mod.json`
  (`guid -> [content digest, mod]`): unchanged notes
  keep their old `mod`, so Anki's importer leaves them alone, and changed ones get the
  export time (at least old mod + 1), so Anki updates them and keeps their review history.
  Without the sidecar every note gets the export time: a first import is unaffected, a
  re-import then updates every note once (fields unchanged, history kept).

Building: notes stream from the renderer (in forked worker processes for large exports)
into genanki's collection -- its schema, `col` row, note type and deck JSON -- in a
scratch SQLite file beside the target (so this module uses `sqlite3` directly; genanki's
own `write_to_file` leaves a temporary file behind and stores the zip uncompressed). The
collection is deflated into a zip beside the target and moved into place with
`os.replace`; scratch files are removed whatever happens. A lesson is rendered only when
the render cache (`RenderCache`, in the user's cache folder) does not hold its notes. With
a fixed `timestamp` the same input gives byte-identical files, with or without the cache.

genanki, markdown-it and Pygments are imported inside the functions that use them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import itertools
import json
import marshal
import math
import os
import posixpath
import re
import secrets
import sqlite3
import stat
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from srs.errors import ExportError, UsageError
from srs.model import (
    DEFAULT_DECK,
    LETTERS,
    Card,
    CardKind,
    DeckOptions,
    Diagnostic,
    Lesson,
    ProgressFn,
    Severity,
    SourcePos,
    card_id,
    choice_order,
    lesson_encoding,
    stable_digest,
)

SIDECAR_SUFFIX = ".srs-mod.json"
SIDECAR_VERSION = 4
ANKI_ID_LOW = 1 << 30
ANKI_ID_SPAN = 1 << 30
# Note types carry a fixed modification time, so a re-import never sees them as "newer".
# (Anki 26 keeps the CSS of a note type it already has whatever the package holds: new CSS
# reaches a collection with a new note type version only.)
NOTE_TYPE_MOD = 1_700_000_000
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif", ".bmp"})
# Raise when the code below that builds a note's fields from its cards changes what it
# makes (it is part of the render cache's keys).
FIELDS_VERSION = "4"
# Fixed zip entry time (the earliest a zip can hold), for byte-identical packages.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# zlib level: 3 packs the collection about 17% smaller than 1 in the same time; 6 saves
# another 14% but takes 2.5 times as long.
ZIP_LEVEL = 3


@functools.cache
def anki_id(*parts: str) -> int:
    """A deterministic id in Anki's range 1<<30 .. 1<<31 - 1."""
    return ANKI_ID_LOW + int(stable_digest(*parts), 16) % ANKI_ID_SPAN


# -- note types ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteType:
    """One note type: its fields (the last one is `Sort`), templates and a version that
    names a shape for good."""

    family: str
    version: int
    fields: tuple[str, ...]
    qfmt: str
    afmt: str
    cloze: bool = False

    @property
    def name(self) -> str:
        return f"srs {self.family} v{self.version}"

    @property
    def id(self) -> int:
        return anki_id("notetype", self.family, str(self.version))

    def __post_init__(self) -> None:
        if self.fields[-1] != "Sort":
            raise ValueError(f"note type {self.family}: the last field must be Sort")

    @property
    def sort_index(self) -> int:
        return len(self.fields) - 1

    @functools.cache  # noqa: B019 - a handful of module-level constants
    def fingerprint(self) -> str:
        """Digest of the shape: a change here without a new version is a bug."""
        return stable_digest(self.family, *self.fields, self.qfmt, self.afmt, str(self.cloze))


_SOURCE = '<div class="srs-source">{{Source}}</div>'


def _basic(family: str, version: int = 1) -> NoteType:
    css_family = family.lower().replace("/", "")
    return NoteType(
        family=family,
        version=version,
        fields=("Front", "Back", "Source", "Sort"),
        qfmt=f'<div class="srs srs-{css_family}"><div class="srs-front">{{{{Front}}}}</div></div>',
        afmt=(
            f'<div class="srs srs-{css_family}"><div class="srs-front">{{{{Front}}}}</div>'
            f'<hr id="answer"><div class="srs-back">{{{{Back}}}}</div>{_SOURCE}</div>'
        ),
    )


NOTE_TYPES: dict[CardKind, NoteType] = {
    CardKind.MCQ: NoteType(
        family="MCQ",
        version=1,
        fields=("Question", "Choices", "Marked", "Explanation", "Source", "Sort"),
        qfmt=(
            '<div class="srs srs-mcq"><div class="srs-front">{{Question}}</div>'
            "{{Choices}}</div>"
        ),
        afmt=(
            '<div class="srs srs-mcq"><div class="srs-front">{{Question}}</div>'
            '{{Marked}}<hr id="answer"><div class="srs-back">{{Explanation}}</div>'
            f"{_SOURCE}</div>"
        ),
    ),
    CardKind.CODE: _basic("Code"),
    CardKind.EXAMPLE: _basic("Example"),
    CardKind.PROBLEM: _basic("Problem"),
    CardKind.QA: _basic("Q/A"),
    CardKind.FACT: _basic("Fact"),
    CardKind.CLOZE: NoteType(
        family="Cloze",
        version=1,
        fields=("Text", "Extra", "Source", "Sort"),
        qfmt='<div class="srs srs-cloze"><div class="srs-front">{{cloze:Text}}</div></div>',
        afmt=(
            '<div class="srs srs-cloze"><div class="srs-front">{{cloze:Text}}</div>'
            f'<div class="srs-back">{{{{Extra}}}}</div>{_SOURCE}</div>'
        ),
        cloze=True,
    ),
}

_BASE_CSS = """\
.card { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 18px;
  text-align: left; color: #1d1d1f; background: #ffffff; line-height: 1.45; }
.card.nightMode, .card.night_mode, .nightMode .card, .night_mode .card {
  color: #e6e6e6; background: #1e1e1e; }
.srs { max-width: 46em; margin: 0 auto; }
pre.highlight { padding: .6em .8em; border-radius: 6px; overflow-x: auto; font-size: 15px;
  line-height: 1.35; background: #f6f8fa; border: 1px solid #d0d7de; tab-size: 4; }
@media (max-width: 480px) { pre.highlight { font-size: 13px; padding: .5em .6em; } }
.nightMode pre.highlight, .night_mode pre.highlight { background: #0d1117; border-color: #30363d;
  color: #e6edf3; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
:not(pre) > code { background: rgba(127, 127, 127, .15); padding: .05em .3em; border-radius: 4px; }
ol.srs-choices { list-style: none; padding-left: 0; }
ol.srs-choices li { margin: .3em 0; padding: .2em .4em; border-radius: 4px; }
.srs-letter { font-weight: bold; margin-right: .4em; }
li.srs-right { background: #dafbe1; outline: 2px solid #2da44e; }
.nightMode li.srs-right, .night_mode li.srs-right { background: #12361f; outline-color: #3fb950; }
.srs-mark { font-weight: bold; color: #1a7f37; margin-left: .4em; }
.nightMode .srs-mark, .night_mode .srs-mark { color: #3fb950; }
.srs-source { margin-top: 1.2em; font-size: 12px; color: #6e7781; }
.nightMode .srs-source, .night_mode .srs-source { color: #8b949e; }
.cloze { font-weight: bold; color: #0969da; }
.nightMode .cloze, .night_mode .cloze { color: #58a6ff; }
img { max-width: 100%; }
"""


def note_type_css() -> str:
    from srs.render import pygments_css

    return _BASE_CSS + pygments_css()


# -- what gets exported --------------------------------------------------------------------


# Anki keeps a note's fields in one column, separated by this character.
FIELD_SEPARATOR = "\x1f"
_FIELD_SEPARATOR_UTF8 = FIELD_SEPARATOR.encode()


@dataclass(slots=True)
class NoteData:
    """One Anki note, rendered: its fields as HTML, joined as Anki stores them, in UTF-8
    (`flds`: what goes into the collection and the render cache as it is, never decoded
    on the way)."""

    guid: str
    kind: CardKind
    flds: bytes
    tags: tuple[str, ...]
    deck: str
    digest: str
    due: int

    def __reduce__(self) -> tuple[type[NoteData], tuple[Any, ...]]:
        # Pickled as its constructor's arguments: worker processes send notes by the
        # thousand, and this is cheaper than the state dictionaries dataclasses pickle by.
        return NoteData, (self.guid, self.kind, self.flds, self.tags, self.deck, self.digest,
                          self.due)

    @property
    def fields(self) -> list[str]:
        return self.flds.decode("utf-8").split(FIELD_SEPARATOR)

    @property
    def sort_field(self) -> bytes:
        return self.flds.rpartition(_FIELD_SEPARATOR_UTF8)[2]  # Sort: every type's last field


def _note_data(guid: str, note_type: NoteType, kind: CardKind, fields: list[str],
               tags: tuple[str, ...], deck: str, due: int) -> NoteData:
    # A field separator inside a field would shift every field after it: it is dropped.
    fields = [f.replace(FIELD_SEPARATOR, "") if FIELD_SEPARATOR in f else f for f in fields]
    return NoteData(guid=guid, kind=kind, flds=FIELD_SEPARATOR.join(fields).encode("utf-8"),
                    tags=tags, deck=deck, digest=_digest(note_type, fields, tags), due=due)


@dataclass(frozen=True, slots=True)
class MediaFile:
    name: str
    path: Path


@dataclass
class ExportSummary:
    path: Path
    notes: int
    cards: int
    notes_per_type: dict[str, int]
    decks: list[str]
    media: int
    size: int
    updated: int = 0
    unchanged: int = 0
    cached: int = 0  # notes taken from the render cache without rendering
    skipped: int = 0  # notes left out: an earlier note has the same GUID (card id)
    gone: int = 0  # notes of the last export (by its sidecar) that this one no longer has
    # Note types whose version changed since the last export: (old name, new name).
    retyped: list[tuple[str, str]] = field(default_factory=list)
    last_export: str = ""  # as `LastExport.record`: "", "none" or "unreadable: <why>"


def deck_name(lesson: Lesson) -> str:
    """`<lesson's deck>::<NN> <lesson title>` (just the title when the lesson has no number)."""
    parent = lesson.deck or DEFAULT_DECK
    # `::` nests decks in Anki, and a `:` beside the `::` before the title reads as one more.
    names = (_COLONS.sub(":", name).strip(": ")
             for name in (lesson.title, lesson.slug, lesson.path.stem) if name)
    title = next((name for name in names if name), "lesson")
    leaf = f"{lesson.number:02d} {title}" if lesson.number is not None else title
    return f"{parent}::{leaf}"


_COLONS = re.compile(":{2,}")


def case_twins(decks: Iterable[str]) -> list[list[str]]:
    """Deck names, parents included (`Go` of `Go::One`), that differ only in case: Anki
    takes them for one name (`srs::Alpha` and `srs::alpha` become `srs::Alpha` and
    `srs::alpha_`; `Go::One` and `go::Two` are both filed under `Go`)."""
    folded: dict[str, dict[str, None]] = {}
    for deck in decks:
        parts = deck.split("::")
        for depth in range(1, len(parts) + 1):
            name = "::".join(parts[:depth])
            folded.setdefault(name.casefold(), {})[name] = None
    return [list(names) for names in folded.values() if len(names) > 1]


def anki_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Anki tags: no spaces (they separate tags), no empty `::` levels (Anki would fill
    them with "blank"), each once, in the lesson's order."""
    seen: dict[str, None] = {}
    for tag in tags:
        clean = "::".join(part for part in re.sub(r"\s+", "_", tag.strip()).split("::") if part)
        if clean:
            seen.setdefault(clean, None)
    return tuple(seen)


_INSIDE_ONLY = "only images inside the lesson's folder (or http/https URLs) can be used"
# An image markdown-it did not take for one: its URL has a scheme it refuses.
_REFUSED_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([A-Za-z][A-Za-z0-9+.-]*:[^)\s>]*)")


def _line_of(lines: Sequence[str], block: Sequence[int], *written: str, skip: int = 0) -> int:
    """The 1-based line of the `block` (markdown-it's [first, last) map) holding the first of
    the `written` texts found there, its `skip` earlier times passed over; else the block's
    first line."""
    first, last = block
    span = range(first, min(last, len(lines)))
    for text in written:
        if not any(text in lines[i] for i in span):
            continue
        for i in span:
            skip -= lines[i].count(text)
            if skip < 0:
                return i + 1
        break
    return first + 1


def _is_image(data: bytes) -> bool:
    """Whether `data` opens as one of the image formats Anki shows (by its first bytes)."""
    head = data[:4096]
    return (head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM"))
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or (head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"))
            or b"<svg" in head)


_IMAGE_KINDS = ("PNG", "JPEG", "GIF", "WebP", "AVIF", "BMP", "SVG")


def _image_message(src: str, parts: SplitResult, problem: str) -> str:
    """`image `src`: problem`, the source as written, with a hint when a `#` or `?` in a
    file name was read as the start of a fragment or query."""
    if problem == "no such file" and (parts.fragment or parts.query):
        problem += " (in a link `#` and `?` end the path: write them as %23 and %3F)"
    return f"image `{unquote(src)}`: {problem}"


class _Builder:
    """Renders cards into notes and collects the media they reference."""

    def __init__(self) -> None:
        from srs.render import Renderer

        self.renderer = Renderer()
        self.media: dict[Path, MediaFile] = {}
        self.used: set[Path] = set()  # images rendered since cleared: a worker sends them
        self.errors: list[ExportError] = []
        self._reported: set[tuple[str, Path, int]] = set()
        self._lesson_text: dict[Path, list[str]] = {}
        self._tags: dict[tuple[str, ...], tuple[str, ...]] = {}  # a lesson's cards share theirs

    # -- images ------------------------------------------------------------------------------

    def _image_resolver(self, lesson: Lesson, card: Card) -> Callable[[str], str]:
        def resolve(src: str) -> str:
            found = self._image(lesson, src)
            if found is None:
                return src
            if isinstance(found, str):
                line = self._line_of(lesson, card, src, unquote(urlsplit(src).path))
                self._error(found, lesson.path, line)
                return ""
            self.used.add(found.path)
            return found.name

        return resolve

    def _image(self, lesson: Lesson, src: str) -> MediaFile | str | None:
        """The lesson's file an image's `src` names, or what is wrong with it; None for a web
        image, shown from where it is."""
        parts = urlsplit(src)
        if parts.scheme in ("http", "https"):
            return None
        found = self._check_image(lesson, unquote(parts.path), parts.scheme, parts.netloc)
        return _image_message(src, parts, found) if isinstance(found, str) else found

    def _error(self, message: str, path: Path, line: int) -> None:
        # The same reference is met by the lesson-wide check and by the card rendering it;
        # each line that makes it is told.
        if (message, path, line) not in self._reported:
            self._reported.add((message, path, line))
            self.errors.append(ExportError(message, path, line))

    def check_lesson_images(self, lesson: Lesson) -> None:
        """Check every image the lesson file references, cards or prose, with its line."""
        lines = self._lines(lesson)
        text = _shown_markdown("\n".join(lines))
        if "![" not in text and "]:" not in text:
            return
        tokens = self.renderer.parse(text)
        for token in tokens:
            if token.type != "inline" or not token.children or token.map is None:
                continue
            met: dict[tuple[str, ...], int] = {}  # times an image was written in the block
            for child in token.children:
                if child.type == "text" and "](" in child.content:
                    # markdown-it leaves an image whose URL it refuses (`file:`, `data:`)
                    # as text: the card would show the Markdown
                    for refused in _REFUSED_IMAGE.finditer(child.content):
                        self._error(f"image `{refused.group(1)}`: {_INSIDE_ONLY}",
                                    lesson.path, _line_of(lines, token.map, refused.group(1)))
                if child.type != "image":
                    continue
                src = str(child.attrGet("src") or "")
                # `![alt]` finds an image by reference (`![alt][ref]`), whose path is not there.
                written = (f"![{child.content}]", unquote(urlsplit(src).path), src)
                met[written] = met.get(written, 0) + 1
                problem = self._image(lesson, src)
                if isinstance(problem, str):
                    self._error(problem, lesson.path,
                                _line_of(lines, token.map, *written, skip=met[written] - 1))

    def _check_image(self, lesson: Lesson, raw: str, scheme: str, netloc: str) -> str | MediaFile:
        if scheme or netloc:
            return _INSIDE_ONLY
        if not raw:
            return "empty image path"
        if raw.startswith(("/", "\\")) or Path(raw).is_absolute() or re.match(r"^[A-Za-z]:", raw):
            return "absolute paths are not allowed; use a path relative to the lesson"
        if posixpath.normpath(raw.replace("\\", "/")).split("/")[0] == "..":
            return "the path leaves the lesson's folder"
        base = lesson.path.parent.resolve()
        target = lesson.path.parent / raw
        try:
            resolved = target.resolve(strict=True)
        except (OSError, RuntimeError):
            return "no such file"
        if not resolved.is_relative_to(base):
            return "the path leaves the lesson's folder (through a symbolic link)"
        if not resolved.is_file():
            return "not a file"
        suffix = resolved.suffix.lower()
        if suffix not in IMAGE_SUFFIXES:
            return f"not an image file type ({', '.join(sorted(IMAGE_SUFFIXES))})"
        known = self.media.get(resolved)
        if known is not None:
            return known
        try:
            data = resolved.read_bytes()
        except OSError as exc:
            return f"cannot read: {exc.strerror}"
        if not _is_image(data):
            return "not an image: its content is none of " + ", ".join(_IMAGE_KINDS)
        digest = hashlib.sha256(data).hexdigest()[:24]
        media = MediaFile(name=f"srs-{digest}{suffix}", path=resolved)
        self.media[resolved] = media
        return media

    def _lines(self, lesson: Lesson) -> list[str]:
        lines = self._lesson_text.get(lesson.path)
        if lines is None:
            try:
                # Lines as the parser counts them: only CR, LF and CRLF end one.
                data = lesson.path.read_bytes()
                text = data.decode(lesson_encoding(data), errors="replace").removeprefix("\ufeff")
                lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            except OSError:
                lines = []
            self._lesson_text[lesson.path] = lines
        return lines

    def _line_of(self, lesson: Lesson, card: Card, *needles: str) -> int:
        lines = self._lines(lesson)
        start = max(card.source.line - 1, 0)
        for index in itertools.chain(range(start, len(lines)), range(0, start)):
            if any(n and n in lines[index] for n in needles):
                return index + 1
        return card.source.line

    # -- rendering ---------------------------------------------------------------------------

    def md(self, text: str, lesson: Lesson, card: Card) -> str:
        return self.renderer.render(text, self._image_resolver(lesson, card))

    def source_field(self, lesson: Lesson, card: Card) -> str:
        """The lesson's title and file name: no folder (it would differ from one machine,
        or one working directory, to the next) and no line (inserting a line above a card
        would change the note)."""
        from srs.render import escape_plain

        title = lesson.title or card.lesson_title or lesson.slug
        return escape_plain(f"{title} · {card.source.path.name}")

    def note(self, lesson: Lesson, card: Card, deck: str, due: int) -> NoteData:
        note_type = NOTE_TYPES[card.kind]
        sort = _sort_key(lesson, card)
        source = self.source_field(lesson, card)
        if card.kind is CardKind.MCQ:
            fields = self._mcq_fields(lesson, card)
        else:
            fields = [self.md(card.front, lesson, card), self.md(card.back, lesson, card)]
        fields += [source, html.escape(sort)]
        tags = self._tags.get(card.tags)
        if tags is None:
            tags = self._tags[card.tags] = anki_tags(card.tags)
        return _note_data(card.id, note_type, card.kind, fields, tags, deck, due)

    def cloze_note(self, lesson: Lesson, cards: Sequence[Card], deck: str, due: int) -> NoteData:
        first = _first_cloze(cards)
        note_type = NOTE_TYPES[CardKind.CLOZE]
        text = self.md(first.front, lesson, first)
        # A cloze card's `back` is its text with the deletion revealed: Anki draws that from
        # `Text` itself, so `Extra` is empty. (Anki's importer replaces every field of an
        # updated note, so text typed into it in Anki does not survive a re-import.)
        extra = ""
        sort = _sort_key(lesson, first)
        fields = [text, extra, self.source_field(lesson, first), html.escape(sort)]
        tags = anki_tags(t for c in cards for t in c.tags)
        return _note_data(_note_guid(lesson, cards), note_type, CardKind.CLOZE, fields, tags,
                          deck, due)

    def _mcq_fields(self, lesson: Lesson, card: Card) -> list[str]:
        question = self.md(mcq_prompt(card), lesson, card)
        choices = card.choices[:len(LETTERS)]
        answer = (card.answer or "").strip().upper()[:1]
        written = LETTERS.index(answer) if answer and answer in LETTERS[:len(choices)] else -1
        # Anki shows a note's choices in one order for good: shuffled once, by the card id
        # (the same in every export), and lettered as shown.
        order = choice_order(f"{card.id}:anki", choices, card.explanation)
        right = LETTERS[order.index(written)] if written >= 0 else ""
        plain: list[str] = []
        marked: list[str] = []
        for letter, index in zip(LETTERS, order, strict=False):
            body = self.renderer.render_inline(choices[index],
                                               self._image_resolver(lesson, card))
            item = f'<span class="srs-letter">{letter})</span> {body}'
            plain.append(f"<li>{item}</li>")
            if index == written:
                marked.append(f'<li class="srs-right">{item}<span class="srs-mark">✓</span></li>')
            else:
                marked.append(f"<li>{item}</li>")
        # Not `back`, which repeats the right choice under the letter the lesson gave it.
        explanation = card.explanation
        verdict = f'<p class="srs-answer"><b>Answer: {right}</b></p>' if right else ""
        return [
            question,
            f'<ol class="srs-choices">{"".join(plain)}</ol>',
            f'<ol class="srs-choices">{"".join(marked)}</ol>',
            verdict + self.md(explanation, lesson, card),
        ]


_CHOICE_LINE = re.compile(r"^\s*\*\*[A-Z]\)\*\*")


def mcq_prompt(card: Card) -> str:
    """The question of an MCQ card without its lettered choices (which `front` ends with)."""
    lines = card.front.rstrip().splitlines()
    while lines and card.choices and _CHOICE_LINE.match(lines[-1]):
        lines.pop()
    return "\n".join(lines).strip() or card.front


def _sort_key(lesson: Lesson, card: Card) -> str:
    """Lesson number and root, the card family in the order a lesson presents them, then the
    card's key with its ordinal padded (`q2` before `q10`): it changes only when the card's
    id does, never because lines or other cards moved."""
    number = lesson.number if lesson.number is not None else 999
    # An author's id (`qa/step2`) has its numbers padded too; a fact's key is Go code, as is.
    numbers = _DIGITS if card.kind in (CardKind.QA, CardKind.CLOZE) else _ORDINAL
    key = numbers.sub(lambda digits: digits.group().zfill(3), card.key)
    return f"{number:03d} {lesson.root} {_FAMILY_ORDER[card.kind]} {key}"


# Explanations (their code, then its facts), examples, the use-case, the quiz, the cards.
_FAMILY_ORDER = {CardKind.CODE: 1, CardKind.FACT: 2, CardKind.EXAMPLE: 3, CardKind.PROBLEM: 4,
                 CardKind.MCQ: 5, CardKind.QA: 6, CardKind.CLOZE: 6}
# A question's number (`q12`, `q#3`) and a section's card number (`topic#4`).
_ORDINAL = re.compile(r"(?<=^q)\d+|(?<=#)\d+")
_DIGITS = re.compile(r"\d+")


def _digest(note_type: NoteType, fields: Sequence[str], tags: Sequence[str]) -> str:
    return stable_digest(str(note_type.id), *fields, "\x1f", *tags, size=12)


def _lesson_items(lesson: Lesson) -> list[Card | list[Card]]:
    """Cards in lesson order; the cards of one cloze note are one item where the first of
    them stands."""
    items: list[Card | list[Card]] = []
    clozes: dict[str, list[Card]] = {}
    for card in lesson.cards:
        if card.kind is CardKind.CLOZE:
            group = clozes.get(card.note_key)
            if group is None:
                group = clozes[card.note_key] = []
                items.append(group)
            group.append(card)
        else:
            items.append(card)
    return items


def _lesson_notes(
    lesson: Lesson, builder: _Builder, first_due: int
) -> list[NoteData]:
    deck = deck_name(lesson)
    notes = []
    for due, item in enumerate(_lesson_items(lesson), start=first_due):
        if isinstance(item, list):
            notes.append(builder.cloze_note(lesson, item, deck, due))
        else:
            notes.append(builder.note(lesson, item, deck, due))
    return notes


# -- render cache ----------------------------------------------------------------------------

RENDER_CACHE_FORMAT = b"srs-export-cache 1\n"
# At most this many bytes of cache files (the least recently used lessons go first).
RENDER_CACHE_BYTES = 512 * 1024 * 1024
_CACHE_SEPARATORS = (b"\x1d", b"\x1e")


def default_cache_dir() -> Path:
    """Where rendered lessons are kept: `$SRS_CACHE_DIR/export`, else the user cache folder."""
    env = os.environ.get("SRS_CACHE_DIR", "").strip()
    if env:
        return Path(env) / "export"
    import platformdirs

    return Path(platformdirs.user_cache_dir("srs")) / "export"


class RenderCache:
    """Rendered notes of whole lessons, on disk, one file per lesson, named by the lesson's
    render key (`_lesson_render_key`: a digest of its GUIDs, card contents, deck, note
    types, renderer and library versions). Any export -- to any file, with or without a
    sidecar -- takes a lesson from here instead of rendering it again.

    Files are written to a scratch name and moved into place, carry a checksum, and are
    ignored (and removed) when unreadable or inconsistent, so a damaged cache only costs
    rendering. `trim` keeps the total under `limit` bytes, least recently used out first.
    Lessons showing images are not cached (they are rendered so their media is collected)."""

    def __init__(self, directory: Path, limit: int = RENDER_CACHE_BYTES) -> None:
        self.directory = directory
        self.limit = limit
        self.hits = 0
        self.stored = 0

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.srsc"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def load(self, key: str, deck: str, kinds: Sequence[CardKind], guids: Sequence[str],
             first_due: int) -> list[NoteData] | None:
        """The lesson's notes, or None when the entry is missing or does not check out."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        notes = self._decode(data, deck, kinds, guids, first_due)
        if notes is None:
            path.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: trimmed last
        self.hits += len(notes)
        return notes

    @staticmethod
    def _decode(data: bytes, deck: str, kinds: Sequence[CardKind], guids: Sequence[str],
                first_due: int) -> list[NoteData] | None:
        head = len(RENDER_CACHE_FORMAT)
        if not data.startswith(RENDER_CACHE_FORMAT) or len(data) < head + 33:
            return None
        checksum, body = data[head:head + 32], data[head + 33:]
        if hashlib.blake2b(body, digest_size=16).hexdigest().encode() != checksum:
            return None
        try:
            records = zlib.decompress(body).split(b"\x1e")
        except zlib.error:
            return None
        if len(records) != len(guids):
            return None
        notes = []
        try:
            for index, (record, kind, guid) in enumerate(
                    zip(records, kinds, guids, strict=True)):
                parts = record.split(b"\x1d")
                if len(parts) != 4 or parts[0].decode("utf-8") != guid:
                    return None
                flds = parts[3]
                if flds.count(_FIELD_SEPARATOR_UTF8) != len(NOTE_TYPES[kind].fields) - 1:
                    return None
                tags = parts[2].decode("utf-8")
                notes.append(NoteData(guid=guid, kind=kind, flds=flds,
                                      tags=tuple(tags.split(" ")) if tags else (), deck=deck,
                                      digest=parts[1].decode("utf-8"), due=first_due + index))
        except UnicodeDecodeError:
            return None
        return notes

    def store(self, key: str, notes: Sequence[NoteData]) -> None:
        """Keep the lesson's notes (best effort: a cache that cannot be written is skipped)."""
        records = []
        for note in notes:
            parts = [note.guid.encode(), note.digest.encode(), " ".join(note.tags).encode(),
                     note.flds]
            if any(sep in part for part in parts for sep in _CACHE_SEPARATORS):
                return  # cannot be told apart on reading: render this lesson every time
            records.append(b"\x1d".join(parts))
        body = zlib.compress(b"\x1e".join(records), 1)
        checksum = hashlib.blake2b(body, digest_size=16).hexdigest().encode()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _atomic_write_bytes(self.path(key), RENDER_CACHE_FORMAT + checksum + b"\n" + body)
        except (OSError, ExportError):
            return
        self.stored += len(notes)

    def trim(self) -> None:
        """Remove the least recently used entries until the cache fits in `limit` bytes."""
        try:
            entries = []
            for entry in os.scandir(self.directory):
                if entry.name.endswith(".srsc") and entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    entries.append((info.st_mtime, info.st_size, entry.path))
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.limit:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
            total -= size


# Rendering in worker processes. Workers are forked after `_FORKED` is set, so they read
# the lessons from memory they share with the parent instead of receiving them pickled;
# each returns its lesson's notes, the media they use and any image problems.
_FORKED: tuple[Sequence[Lesson], RenderCache | None] | None = None
_WORKER_BUILDER: _Builder | None = None
PARALLEL_MIN_CARDS = 4000

_LessonResult = tuple[list[NoteData], list[MediaFile], list[tuple[str, Path, int]]]


def _render_in_worker(task: tuple[int, int, str]) -> _LessonResult:
    global _WORKER_BUILDER
    assert _FORKED is not None
    lessons, cache = _FORKED
    if _WORKER_BUILDER is None:
        _WORKER_BUILDER = _Builder()
    builder = _WORKER_BUILDER
    index, first_due, cache_key = task
    builder.used.clear()
    builder.errors.clear()
    notes = _lesson_notes(lessons[index], builder, first_due)
    media = [builder.media[path] for path in sorted(builder.used)]
    errors = [(e.message, e.path or Path(), e.line or 0) for e in builder.errors]
    if cache is not None and cache_key and not errors:
        cache.store(cache_key, notes)
    return notes, media, errors


class _Workers:
    """Forked rendering processes. Worker `w` renders tasks `w`, `w + n`, `w + 2n`, ... in
    order and pickles each result into a pipe of its own, so the parent reads the results
    in task order by taking turns among the pipes.

    Nothing is shared between processes but those pipes: a worker stopped at any moment
    cannot leave a lock held that the parent would wait on (as `multiprocessing.Pool` can
    when a signal reaches its workers), and `close` ends the workers with SIGKILL.
    Workers ignore SIGINT, SIGHUP and SIGTERM, which a terminal or `kill` sends to the whole
    process group: the parent decides, and a parent killed outright ends them too, as their
    next write finds the pipe closed."""

    def __init__(self, count: int, tasks: Sequence[tuple[int, int, str]]) -> None:
        self._pids: list[int] = []
        self._pipes: list[Any] = []
        try:
            for worker in range(count):
                self._start(tasks[worker::count])
        except BaseException:
            self.close()
            raise

    def _start(self, tasks: Sequence[tuple[int, int, str]]) -> None:
        import pickle
        import signal

        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            status = 1
            try:
                os.close(read_fd)
                for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
                    signal.signal(signum, signal.SIG_IGN)
                with os.fdopen(write_fd, "wb") as out:
                    for task in tasks:
                        try:
                            result: tuple[bool, Any] = (True, _render_in_worker(task))
                        except Exception as exc:  # re-raised in the parent
                            result = (False, f"{type(exc).__name__}: {exc}")
                        pickle.dump(result, out, pickle.HIGHEST_PROTOCOL)
                        out.flush()
                status = 0
            finally:
                os._exit(status)  # no atexit handlers or buffers inherited from the parent
        os.close(write_fd)
        self._pids.append(pid)
        self._pipes.append(os.fdopen(read_fd, "rb"))

    def results(self, total: int) -> Iterator[_LessonResult]:
        import pickle

        for index in range(total):
            try:
                ok, value = pickle.load(self._pipes[index % len(self._pipes)])
            except EOFError:
                raise ExportError("a rendering process ended unexpectedly") from None
            if not ok:
                raise ExportError(f"rendering failed in a worker process: {value}")
            yield value

    def close(self) -> None:
        import signal

        for pid in self._pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        for pipe in self._pipes:
            pipe.close()
        self._pids.clear()
        self._pipes.clear()


def _workers(total_cards: int, workers: int | None) -> int:
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if total_cards >= PARALLEL_MIN_CARDS else 1
    if workers > 1 and not hasattr(os, "fork"):
        return 1
    return max(workers, 1)


def _note_guid(lesson: Lesson, item: Card | Sequence[Card]) -> str:
    """A note's GUID: its card's id, or for the cards of one cloze note, an id of the note's
    own (the cards are told apart by their deletion number)."""
    if isinstance(item, Card):
        return item.id
    first = _first_cloze(item)
    return card_id(lesson.root, CardKind.CLOZE, first.note_key)


def _first_cloze(cards: Sequence[Card]) -> Card:
    """The cloze card a note's text, sort key and source come from."""
    return min(cards, key=lambda c: (c.cloze, c.ordinal))


def _lesson_render_key(lesson: Lesson, deck: str, items: list[Card | list[Card]],
                       guids: Sequence[str]) -> str:
    """The render cache's key for a lesson: a digest of everything its notes depend on --
    their GUIDs, the card contents and where they come from, the lesson and deck, the note
    types and the renderer."""
    # Notes hold the file's name, not its folder or a line: neither is part of the key, so
    # the cache serves the lesson from any working folder and after lines move.
    notes = []
    for item in items:
        cards = item if isinstance(item, list) else [item]
        note_parts = []
        for c in cards:
            note_parts.append((c.kind.value, c.front, c.back, c.choices, c.answer, c.explanation,
                               c.tags, c.source.path.name, c.ordinal, c.key, c.lesson_title,
                               c.cloze))
        notes.append((NOTE_TYPES[cards[0].kind].fingerprint(), tuple(note_parts)))
    whole = (_render_fingerprint(), FIELDS_VERSION, deck, lesson.title, lesson.number,
             lesson.root, lesson.slug, lesson.path.name, tuple(guids), tuple(notes))
    # marshal's version 2 writes strings, numbers, None and tuples by value alone (later
    # versions add back-references that depend on object identity), C-fast and unambiguous.
    return hashlib.blake2b(RENDER_CACHE_FORMAT + marshal.dumps(whole, 2),
                           digest_size=20).hexdigest()


@functools.cache
def _render_fingerprint() -> str:
    """What a lesson's notes depend on besides the lesson: the renderer's fingerprint and the
    source of the modules that build the fields, so that a cached note is never one an
    earlier srs made."""
    import srs.model
    from srs.render import render_fingerprint

    digest = hashlib.blake2b(digest_size=8)
    for module in (__file__, srs.model.__file__):
        digest.update(Path(module).read_bytes())
    return f"{render_fingerprint()}/{digest.hexdigest()}"


# Front matter, and an HTML comment standing on lines of its own (a draft commented out,
# which the lesson parser drops): no card or page shows what they hold.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?:.*\n)*?(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
_COMMENT_BLOCK = re.compile(r"^ {0,3}<!--[\s\S]*?-->[ \t]*$", re.MULTILINE)


def _shown_markdown(text: str) -> str:
    """A lesson's text with its front matter and comment blocks blanked out, line for line."""
    def blank(match: re.Match[str]) -> str:
        return "\n" * match.group().count("\n")

    return _COMMENT_BLOCK.sub(blank, _FRONT_MATTER.sub(blank, text, count=1))


def _has_image(lesson: Lesson) -> bool:
    return any("![" in text for c in lesson.cards
               for text in (c.front, c.back, c.explanation, *c.choices))


def iter_notes(
    lessons: Sequence[Lesson],
    builder: _Builder,
    progress: ProgressFn | None = None,
    workers: int | None = 1,
    cache: RenderCache | None = None,
) -> Generator[NoteData, None, None]:
    """The notes of the lessons, in lesson order, one lesson at a time: taken from the
    render `cache` when it has them, else rendered -- in forked processes when `workers` > 1
    (same notes, same order) -- and then kept in the cache. Image problems are collected
    in `builder.errors`."""
    global _FORKED
    total = sum(len(lesson.cards) for lesson in lessons)
    plans = []
    first_due = 1
    for lesson in lessons:
        deck = deck_name(lesson)
        items = _lesson_items(lesson)
        guids = [_note_guid(lesson, item) for item in items]
        cache_key = ""
        if cache is not None and not _has_image(lesson):
            cache_key = _lesson_render_key(lesson, deck, items, guids)
        in_cache = bool(cache_key) and cache is not None and cache.has(cache_key)
        plans.append((lesson, deck, items, guids, first_due, cache_key, in_cache))
        first_due += len(items)
    to_render = [i for i, plan in enumerate(plans) if not plan[6]]
    count = _workers(sum(len(lessons[i].cards) for i in to_render), workers)
    done = 0
    rendered: Iterator[_LessonResult] | None = None
    workers_running: _Workers | None = None
    if count > 1:
        _FORKED = (lessons, cache)
        workers_running = _Workers(count, [(i, plans[i][4], plans[i][5]) for i in to_render])
        rendered = workers_running.results(len(to_render))
    try:
        for lesson, deck, items, guids, first, cache_key, in_cache in plans:
            notes = None
            if in_cache:
                assert cache is not None
                notes = cache.load(cache_key, deck, [_item_kind(i) for i in items], guids,
                                   first)
            elif rendered is not None:
                notes, media, errors = next(rendered)
                for item in media:
                    builder.media.setdefault(item.path, item)
                for message, path, line in errors:
                    builder._error(message, path, line)
            if notes is None:
                errors_before = len(builder.errors)
                notes = _lesson_notes(lesson, builder, first)
                if cache is not None and cache_key and len(builder.errors) == errors_before:
                    cache.store(cache_key, notes)
            yield from notes
            done += len(lesson.cards)
            if progress is not None:
                progress(done, total)
    finally:
        if workers_running is not None:
            workers_running.close()
        _FORKED = None


def _item_kind(item: Card | list[Card]) -> CardKind:
    return item[0].kind if isinstance(item, list) else item.kind


def image_diagnostics(lessons: Sequence[Lesson]) -> list[Diagnostic]:
    """The image references that would stop an export (missing, outside the lesson's
    folder, not an image), as errors with their lines: `srs check` reports them too."""
    builder = _Builder()
    for lesson in lessons:
        builder.check_lesson_images(lesson)
    return [Diagnostic(SourcePos(e.path or Path(), e.line or 1), Severity.ERROR, e.message)
            for e in builder.errors]


def _raise_collected(builder: _Builder) -> None:
    if builder.errors:
        first, *others = builder.errors
        first.others = tuple(others)
        raise first


def _shown_media(builder: _Builder, names: set[str]) -> list[MediaFile]:
    """The lessons' images that the notes show (`names`): a note left out as a duplicate
    takes the images only it shows with it."""
    # Two image files with the same bytes have one content-hashed name: packed once.
    shown = {m.name: m for m in builder.media.values() if m.name in names}
    return sorted(shown.values(), key=lambda m: m.name)


# How markdown-it writes an image, its `src` being the packed file's name.
_IMAGE_SRC = re.compile(rb'<img src="([^"]*)"')


def _image_names(flds: bytes) -> Iterator[str]:
    """The media names a note's fields show."""
    if b"<img " in flds:
        yield from (name.decode() for name in _IMAGE_SRC.findall(flds))


def build_notes(
    lessons: Sequence[Lesson],
    progress: ProgressFn | None = None,
) -> tuple[list[NoteData], list[MediaFile]]:
    """Every note of the lessons, rendered, in memory (the exporter itself streams them);
    a note whose GUID an earlier one has is left out, as in the package. Raises
    `ExportError` for a bad image reference."""
    builder = _Builder()
    for lesson in lessons:
        builder.check_lesson_images(lesson)
    _raise_collected(builder)
    unique: dict[str, NoteData] = {}
    for note in iter_notes(lessons, builder, progress):
        unique.setdefault(note.guid, note)
    _raise_collected(builder)
    shown = {name for note in unique.values() for name in _image_names(note.flds)}
    return list(unique.values()), _shown_media(builder, shown)


# -- modification times --------------------------------------------------------------------


def sidecar_path(out: Path) -> Path:
    return out.with_name(out.name + SIDECAR_SUFFIX)


Previous = tuple[str, int]  # (content digest, mod) of a note


@dataclass(frozen=True, slots=True)
class LastExport:
    """What the sidecar of the previous export to a file says."""

    notes: dict[str, Previous]  # guid -> (content digest, mod)
    note_types: dict[str, int]  # family -> version of the note types it wrote
    # "none": no sidecar; "unreadable: <why>": one that cannot be used; "" when read
    record: str = ""
    # Notes the package held once and no longer does, as they were when they left: a lesson
    # moved to another deck's package finds its notes' times here, whichever is written first.
    left: dict[str, Previous] = field(default_factory=dict)


def read_sidecar(out: Path) -> LastExport:
    """The previous export to `out`; empty when there is none or its sidecar is unreadable
    (every note then counts as changed, which is safe). Entries of older sidecars, which
    carried a third item, are read the same way; those sidecars name no note types."""
    return _read_record(sidecar_path(out))


def recorded_elsewhere(out: Path, left: dict[str, Previous]) -> Callable[[str, bool],
                                                                        Sequence[Previous]]:
    """What this package recorded of the notes that `left` it, and what the other packages'
    sidecars in `out`'s folder recorded of a note (by GUID): each content digest with its
    latest time. A deck renamed (so its package is too), a lesson moved to another deck or a
    card deleted and written again keeps its notes' times, and Anki leaves them as they are;
    a note that another package gave Anki later is given again.

    For a note this package's last export had (the lookup's second argument), only the
    sidecars written since are read: that export took the earlier ones into account. The
    sidecars are read at the first lookup that needs them."""
    own = sidecar_path(out)
    merged: dict[bool, dict[str, tuple[Previous, ...]]] = {}

    def lookup(guid: str, had: bool) -> Sequence[Previous]:
        view = merged.get(had)
        if view is None:
            since = -1
            if had:
                with contextlib.suppress(OSError):
                    since = own.stat().st_mtime_ns
            others = [_read_record(path) for path in sorted(out.parent.glob(f"*{SIDECAR_SUFFIX}"))
                      if path != own and _written_since(path, since)]
            view = merged[had] = _latest_per_content(
                [left, *(r.notes for r in others), *(r.left for r in others)])
        return view.get(guid, ())

    return lookup


def _latest_per_content(records: Sequence[dict[str, Previous]]) -> dict[str, tuple[Previous, ...]]:
    """Per GUID, each content digest the records hold with the latest time they give it."""
    merged: dict[str, tuple[Previous, ...]] = {}
    for notes in records:
        for key, (digest, mod) in notes.items():
            known = merged.get(key)
            if known is None:
                merged[key] = ((digest, mod),)
                continue
            for i, (held, latest) in enumerate(known):
                if held == digest:
                    if mod > latest:
                        merged[key] = (*known[:i], (digest, mod), *known[i + 1:])
                    break
            else:
                merged[key] = (*known, (digest, mod))
    return merged


def _written_since(path: Path, since: int) -> bool:
    try:
        return path.stat().st_mtime_ns >= since
    except OSError:
        return False


def _read_record(path: Path) -> LastExport:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return LastExport({}, {}, "none")
    except OSError as exc:
        return LastExport({}, {}, f"unreadable: {exc.strerror or exc}")
    except ValueError:
        return LastExport({}, {}, "unreadable: not JSON")
    if not isinstance(data, dict) or not isinstance(data.get("notes"), dict):
        return LastExport({}, {}, "unreadable: not a record of notes")
    types = data.get("note_types")
    versions = {family: version for family, version in
                (types.items() if isinstance(types, dict) else ())
                if isinstance(version, int) and not isinstance(version, bool)}
    return LastExport(_entries(data["notes"]), versions, left=_entries(data.get("left")))


def _entries(notes: object) -> dict[str, Previous]:
    found: dict[str, Previous] = {}
    for guid, entry in (notes.items() if isinstance(notes, dict) else ()):
        if (isinstance(entry, list) and len(entry) in (2, 3) and isinstance(entry[0], str)
                and isinstance(entry[1], int)):
            found[guid] = (entry[0], entry[1])
    return found


def retyped(before: dict[str, int], written: Iterable[NoteType]) -> list[tuple[str, str]]:
    """The note types written now in another version than at the last export, as (old
    name, new name). Anki skips such notes as conflicting unless the import is told to
    merge note types, and then moves them, with their review history, to the new one."""
    changed = []
    for note_type in written:
        version = before.get(note_type.family)
        if version is not None and version != note_type.version:
            old = replace(note_type, version=version)
            changed.append((old.name, note_type.name))
    return changed


def note_mod(digest: str, before: Previous | None, elsewhere: Sequence[Previous],
             now: int) -> int:
    """When a note last changed, from this file's last export (`before`) and the other
    records of it: the time of this content (this file's, else the latest elsewhere),
    unless other content was recorded as late (Anki may hold that: the note changed back
    since); else `now`, and always later than every recorded time, so Anki sees the change
    as newer."""
    records = [before, *elsewhere] if before is not None else elsewhere
    if before is not None and before[0] == digest:
        same: int | None = before[1]
    else:
        same = max((mod for held, mod in elsewhere if held == digest), default=None)
    other = max((mod for held, mod in records if held != digest), default=None)
    if same is not None and (other is None or same > other):
        return same
    return max([now, *(mod + 1 for _, mod in records)])


def _sidecar_bytes(mods: dict[str, Previous], note_types: Iterable[NoteType],
                   last: LastExport) -> bytes:
    # Notes in export order (the same input gives the same bytes); keys in a fixed order.
    gone = {guid: entry for guid, entry in last.notes.items() if guid not in mods}
    left = {guid: entry for guid, entry in last.left.items() if guid not in mods}
    data = {
        "about": "srs export: when each note's content last changed "
                 "(guid: [content digest, mod]), the note types written, and the notes "
                 "that left the package",
        "left": dict(sorted({**left, **gone}.items())),
        "notes": mods,
        "note_types": {t.family: t.version for t in sorted(note_types, key=lambda t: t.family)},
        "version": SIDECAR_VERSION,
    }
    return (json.dumps(data, separators=(",", ":")) + "\n").encode("utf-8")


# -- writing the package -------------------------------------------------------------------


# Export times are Unix seconds in this range. Note ids count up from the time in
# milliseconds: Anki's importer refuses note id 0, and past 2**53 seconds the ids no longer
# fit its 64-bit columns (and floats lose whole seconds).
MIN_EXPORT_TIME = 1
MAX_EXPORT_TIME = 2**53


def checked_time(value: float, what: str = "the export time") -> float:
    """`value` if it is a finite number of seconds in 1 .. 2**53, else `UsageError`."""
    if not math.isfinite(value) or not MIN_EXPORT_TIME <= value <= MAX_EXPORT_TIME:
        raise UsageError(f"{what} must be a finite number of seconds from 1 to 2**53, "
                          f"not {value!r}")
    return float(value)


def export_time(timestamp: float | None = None) -> float:
    """The export time: `timestamp`, else `SRS_EXPORT_TIME`, else `SOURCE_DATE_EPOCH`, else now.
    Raises `UsageError` for a value that is not a finite number of seconds in 1 .. 2**53."""
    if timestamp is not None:
        return checked_time(timestamp, "--timestamp")
    for name in ("SRS_EXPORT_TIME", "SOURCE_DATE_EPOCH"):
        value = os.environ.get(name, "").strip()
        if value:
            try:
                number = float(value)
            except ValueError:
                raise UsageError(f"{name} must be a number of seconds, not {value!r}") from None
            return checked_time(number, name)
    return time.time()


@dataclass
class _Tally:
    notes: int = 0
    cards: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    per_kind: Counter[CardKind] = field(default_factory=Counter)
    decks: set[str] = field(default_factory=set)
    mods: dict[str, Previous] = field(default_factory=dict)
    images: set[str] = field(default_factory=set)  # media names the written notes show


def _genanki_models(css: str) -> dict[CardKind, Any]:
    import genanki

    class FixedModel(genanki.Model):  # type: ignore[misc]
        """A note type whose modification time is fixed: re-imports never see it as newer."""

        def to_json(self, timestamp: float, deck_id: int) -> Any:
            return super().to_json(NOTE_TYPE_MOD, deck_id)

    return {
        kind: FixedModel(
            model_id=nt.id,
            name=nt.name,
            fields=[{"name": f} for f in nt.fields],
            templates=[{"name": "Card", "qfmt": nt.qfmt, "afmt": nt.afmt}],
            css=css,
            model_type=genanki.Model.CLOZE if nt.cloze else genanki.Model.FRONT_BACK,
            sort_field_index=nt.sort_index,
        )
        for kind, nt in NOTE_TYPES.items()
    }


_CLOZE_REF = re.compile(r"{{c(\d+)::")
# `flds` and `sfld` arrive as UTF-8 bytes: CAST makes them TEXT without a round trip
# through Python strings (the collection's encoding is UTF-8).
_NOTE_SQL = "INSERT INTO notes VALUES(?,?,?,?,?,?,CAST(? AS TEXT),CAST(? AS TEXT),?,?,?)"
_CARD_SQL = "INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"


def _card_ords(data: NoteData) -> list[int]:
    """Template ordinals Anki makes cards for: one per deletion number of a cloze note,
    the one template of every other note type."""
    if data.kind is not CardKind.CLOZE:
        return [0]
    text = data.flds.partition(_FIELD_SEPARATOR_UTF8)[0].decode("utf-8")
    numbers = {int(n) for n in _CLOZE_REF.findall(text) if int(n) > 0}
    return sorted(n - 1 for n in numbers) or [0]


def _write_collection(
    notes: Iterable[NoteData],
    db_path: Path,
    timestamp: float,
    previous: dict[str, Previous],
    elsewhere: Callable[[str, bool], Sequence[Previous]],
    presets: Mapping[str, DeckOptions],
) -> _Tally:
    """Stream the notes into genanki's collection (its schema, `col` row, note type and
    deck JSON) in a fresh SQLite file, each note with the time its content last changed
    (`note_mod`, from `previous`, this file's last export, and what `elsewhere` holds).
    Rows go in as genanki's `Note.write_to_db` writes them, in batches; only small
    per-note facts stay in memory."""
    import genanki
    from genanki.apkg_col import APKG_COL
    from genanki.apkg_schema import APKG_SCHEMA

    models = _genanki_models(note_type_css())
    model_ids = {kind: NOTE_TYPES[kind].id for kind in NOTE_TYPES}
    deck_ids: dict[str, int] = {}
    tally = _Tally()
    now = int(timestamp)
    id_gen = itertools.count(int(timestamp * 1000))
    conn = sqlite3.connect(db_path)
    try:
        # Large pages: fields are kilobytes of HTML, and big rows insert faster into them.
        conn.execute("PRAGMA page_size=65536")
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-32768")  # 32 MiB: fewer, larger writes
        cursor = conn.cursor()
        # Tables first, indexes after the rows (one sort each instead of an index update per
        # row); sqlite_master lists them in the same order as the schema does.
        tables, indexes = _split_schema(APKG_SCHEMA)
        cursor.executescript(tables)
        cursor.executescript(APKG_COL)
        note_rows: list[tuple[Any, ...]] = []
        card_rows: list[tuple[Any, ...]] = []
        for data in notes:
            if data.guid in tally.mods:
                # A duplicate card id, reported with its place by the lesson checks; the
                # first note keeps the GUID, as Anki could not tell the two apart.
                tally.skipped += 1
                continue
            before = previous.get(data.guid)
            mod = note_mod(data.digest, before, elsewhere(data.guid, before is not None), now)
            tally.mods[data.guid] = (data.digest, mod)
            if before is not None:
                if before == (data.digest, mod):
                    tally.unchanged += 1
                else:
                    tally.changed += 1
            deck_id = deck_ids.get(data.deck)
            if deck_id is None:
                deck_id = deck_ids[data.deck] = anki_id("deck", data.deck)
            note_id = next(id_gen)
            note_rows.append((
                note_id, data.guid, model_ids[data.kind], mod, -1,
                f" {' '.join(data.tags)} ", data.flds, data.sort_field, 0, 0, "",
            ))
            for ord_ in _card_ords(data):
                card_rows.append((next(id_gen), note_id, deck_id, ord_, mod, -1, 0, 0,
                                  data.due, 0, 0, 0, 0, 0, 0, 0, 0, ""))
            tally.images.update(_image_names(data.flds))
            tally.notes += 1
            tally.per_kind[data.kind] += 1
            if len(note_rows) >= 1000:
                tally.cards += _flush(cursor, note_rows, card_rows)
        tally.cards += _flush(cursor, note_rows, card_rows)
        cursor.executescript(indexes)
        tally.decks = set(deck_ids)
        # The decks and note types as genanki's `Deck.write_to_db` stores them, written once:
        # that method reads and rewrites the whole deck list for each deck it adds, which
        # takes minutes for thousands of decks.
        decks_json, models_json, dconf_json = cursor.execute(
            "SELECT decks, models, dconf FROM col").fetchone()
        decks, stored_models, dconf = (json.loads(decks_json), json.loads(models_json),
                                       json.loads(dconf_json))
        preset_ids: dict[str, int] = {}
        for manifest in sorted({name.rpartition("::")[0] for name in deck_ids} & presets.keys()):
            preset = _deck_preset(manifest, presets[manifest], dconf["1"], now)
            dconf[str(preset["id"])] = preset
            preset_ids[manifest] = preset["id"]
        # A manifest's deck, the parent of its lesson decks, is written too when it has a
        # preset, so that it takes it.
        for name in sorted({*deck_ids, *preset_ids}):
            deck_id = deck_ids.get(name) or anki_id("deck", name)
            deck_json = genanki.Deck(deck_id, name).to_json()
            preset_id = preset_ids.get(name, preset_ids.get(name.rpartition("::")[0]))
            if preset_id is not None:
                deck_json["conf"] = preset_id
            decks[str(deck_id)] = deck_json
        if deck_ids:  # genanki files each note type under the deck written last
            last = deck_ids[max(deck_ids)]
            stored_models.update({str(model.model_id): model.to_json(timestamp, last)
                                  for model in models.values()})
        cursor.execute("UPDATE col SET decks = ?, models = ?, dconf = ?",
                       (json.dumps(decks), json.dumps(stored_models), json.dumps(dconf)))
        conn.commit()
    finally:
        conn.close()
    return tally


# Anki reads a leech threshold of 0 as its default, 8: "never" is its largest instead.
ANKI_LEECH_NEVER = 9999


def _deck_preset(name: str, options: DeckOptions, default: dict[str, Any],
                 mod: int) -> dict[str, Any]:
    """The Anki deck preset (legacy `dconf` JSON) named `name` holding a manifest's options;
    the rest as in Anki's `default` (learning steps of 1 and 10 minutes and a relearning step
    of 10, as srs's own). Anki imports it only when "Import any deck presets" is ticked, and
    never over a preset of its id that it already has."""
    preset: dict[str, Any] = json.loads(json.dumps(default))  # a deep copy
    preset.update(id=anki_id("deck preset", name), name=name, mod=mod, usn=-1,
                  desiredRetention=options.desired_retention)
    preset["new"]["perDay"] = options.new_per_day
    preset["rev"]["perDay"] = options.reviews_per_day
    preset["rev"]["maxIvl"] = options.maximum_interval
    preset["lapse"]["leechFails"] = options.leech_threshold or ANKI_LEECH_NEVER
    preset["lapse"]["leechAction"] = 0  # suspend, as srs does
    return preset


def _split_schema(schema: str) -> tuple[str, str]:
    """genanki's schema as (its tables, its indexes)."""
    start = schema.index("CREATE INDEX")
    tables, indexes = schema[:start], schema[start:]
    if "CREATE TABLE" in indexes:
        return schema, ""
    return tables, indexes


def _flush(cursor: Any, note_rows: list[tuple[Any, ...]], card_rows: list[tuple[Any, ...]]) -> int:
    cursor.executemany(_NOTE_SQL, note_rows)
    cursor.executemany(_CARD_SQL, card_rows)
    cards = len(card_rows)
    note_rows.clear()
    card_rows.clear()
    return cards


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    # ZipFile's own `compresslevel` reaches `write`/`writestr` of a name, not an entry given
    # as a ZipInfo (which would otherwise get zlib's default, 6).
    level_attribute = "compress_level" if hasattr(info, "compress_level") else "_compresslevel"
    setattr(info, level_attribute, ZIP_LEVEL)
    return info


def _zip_package(target: Path, db_path: Path, media: Sequence[MediaFile]) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=ZIP_LEVEL) as zf:
        with db_path.open("rb") as src, zf.open(_zip_entry("collection.anki2"), "w") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        index = {str(i): m.name for i, m in enumerate(media)}
        zf.writestr(_zip_entry("media"), json.dumps(index, sort_keys=True))
        for i, m in enumerate(media):
            zf.writestr(_zip_entry(str(i)), m.path.read_bytes())


def _scratch(directory: Path, stem: str, suffix: str) -> Path:
    """A new empty file beside the target; created with the umask's usual permissions (the
    package is moved into place, so it keeps them), unlike `tempfile.mkstemp`'s 0600."""
    for _ in range(100):
        # Named after the target, cut short: the name must fit where the target's did.
        path = directory / f".{stem[:40]}.{secrets.token_hex(6)}{suffix}"
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise ExportError("cannot create a scratch file", directory)


def _atomic_write_bytes(target: Path, data: bytes) -> None:
    tmp = _scratch(target.parent, target.name, ".tmp")
    try:
        tmp.write_bytes(data)
        _replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _replace(scratch: Path, target: Path) -> None:
    """Move `scratch` into place; a file replaced keeps its permissions (`chmod 600` stays)."""
    with contextlib.suppress(FileNotFoundError):  # a new file: as the umask makes it
        os.chmod(scratch, stat.S_IMODE(os.stat(target).st_mode))
    os.replace(scratch, target)


def export_lessons(
    lessons: Sequence[Lesson],
    out: Path,
    *,
    timestamp: float,
    progress: ProgressFn | None = None,
    workers: int | None = None,
    cache: RenderCache | bool = True,
    presets: Mapping[str, DeckOptions] | None = None,
) -> ExportSummary:
    """Render every card of `lessons` and write one package to `out` (plus its sidecar).

    `timestamp`: the export time in Unix seconds (`export_time` gives the one to use), the
    modification time of every note that changed since the last export to `out`.

    `workers`: rendering processes (None: one per core, up to 4, for large exports;
    the package is byte-identical whatever the number). `cache`: the render cache to use
    (True: the one in `default_cache_dir()`; False: none); the package is the same with or
    without it.

    `presets`: the options of manifest decks by name (`Lesson.deck`); each becomes an Anki
    deck preset of that name, on the deck and its lesson decks. Other decks keep Anki's
    default preset.

    Image references are checked before anything is rendered; any problem raises
    `ExportError` and leaves `out` as it was. Notes stream from the renderer into the
    scratch collection, so memory stays flat however many cards there are.
    """
    when = checked_time(timestamp, "the timestamp")
    _check_name_length(Path(out))
    # A link is written through, as `cp` would: the package and its sidecar go beside
    # the file the link names, and the link stays a link.
    out = Path(os.path.realpath(out)) if Path(out).is_symlink() else Path(out)
    directory = out.parent
    if not directory.is_dir():
        raise UsageError("the output folder does not exist", directory)
    if out.is_dir():
        raise UsageError("the output is a folder", out)
    if out.exists() and not out.is_file():
        # A device or a pipe would be replaced by a regular file (as root, /dev/null too).
        raise UsageError("the output is not a regular file (a device or a pipe?)", out)
    if out.suffix.lower() != ".apkg":
        raise UsageError("the output must be a .apkg file (this is where its link leads)", out)
    builder = _Builder()
    for lesson in lessons:
        builder.check_lesson_images(lesson)
    _raise_collected(builder)
    last = read_sidecar(out)
    db_path: Path | None = None
    zip_path: Path | None = None
    render_cache = (RenderCache(default_cache_dir()) if cache is True
                    else cache if isinstance(cache, RenderCache) else None)
    sidecar = sidecar_path(out)
    try:
        db_path = _scratch(directory, out.name, ".anki2")
        zip_path = _scratch(directory, out.name, ".zip")
        # Closed here, not when a failure's traceback is let go: that stops the workers.
        with contextlib.closing(iter_notes(lessons, builder, progress, workers,
                                           render_cache)) as notes:
            tally = _write_collection(notes, db_path, when, last.notes,
                                      recorded_elsewhere(out, last.left), presets or {})
        _raise_collected(builder)
        media = _shown_media(builder, tally.images)
        written = [NOTE_TYPES[kind] for kind in tally.per_kind]
        _zip_package(zip_path, db_path, media)
        # The sidecar first: if it cannot be written, the old package is left as it was.
        try:
            _atomic_write_bytes(sidecar, _sidecar_bytes(tally.mods, written, last))
        except OSError as exc:
            raise ExportError(f"cannot write {sidecar.name}: {exc.strerror or exc}",
                              out) from exc
        _replace(zip_path, out)
    except OSError as exc:
        raise ExportError(f"cannot write the package: {exc.strerror or exc}", out) from exc
    except sqlite3.Error as exc:  # the scratch collection beside it: a full disk
        raise ExportError(f"cannot write the package: {exc}", out) from exc
    finally:
        for scratch in (db_path, zip_path):
            if scratch is not None:
                scratch.unlink(missing_ok=True)
    if render_cache is not None:
        render_cache.trim()
    return ExportSummary(
        path=out,
        notes=tally.notes,
        cards=tally.cards,
        notes_per_type=dict(sorted((NOTE_TYPES[kind].name, count)
                                   for kind, count in tally.per_kind.items())),
        decks=sorted(tally.decks),
        media=len(media),
        size=out.stat().st_size,
        updated=tally.changed,
        unchanged=tally.unchanged,
        cached=render_cache.hits if render_cache is not None else 0,
        skipped=tally.skipped,
        gone=len(last.notes.keys() - tally.mods.keys()),
        retyped=retyped(last.note_types, written),
        last_export=last.record,
    )


def _check_name_length(out: Path) -> None:
    """Raise `UsageError` when the package's record, named after it, would be a longer file
    name than its folder's file system takes (255 bytes on most)."""
    try:
        name_max = os.pathconf(out.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    if len(os.fsencode(out.name + SIDECAR_SUFFIX)) > name_max:
        raise UsageError(f"the output's name is too long: its record, {SIDECAR_SUFFIX} added "
                         f"to it, would pass the {name_max}-byte limit on file names there",
                         out)


# Bytes of a deck's name kept in its package's file name (so that the file and its record
# fit in a file name).
_PACKAGE_NAME_BYTES = 200


def package_file_name(deck: str) -> str:
    """A file name for a deck's package: `Go Systems::Memory` -> `Go Systems - Memory.apkg`."""
    flat = deck.replace("::", " - ")
    flat = re.sub(r"[^\w .,()+-]+", "_", flat).strip(" .") or DEFAULT_DECK
    flat = flat.encode()[:_PACKAGE_NAME_BYTES].decode(errors="ignore").rstrip(" .")
    return f"{flat}.apkg"


def plan_packages(lessons: Sequence[Lesson], output: Path | None,
                  inputs: Iterable[Path]) -> list[tuple[Path, list[Lesson]]]:
    """The packages one export writes, each with its lessons: all of them to `output`, else
    one per deck named after it (`package_file_name`) in the current folder.

    Raises `UsageError` before anything is written if a package has no `.apkg` name or
    would replace one of the `inputs` (lessons and manifests), and `ExportError` if two
    decks would share a file."""
    if output is not None:
        packages = [(output, list(lessons))]
    else:
        by_deck: dict[str, list[Lesson]] = {}
        for lesson in lessons:
            by_deck.setdefault(lesson.deck, []).append(lesson)
        packages = [(Path(package_file_name(deck)), of) for deck, of in by_deck.items()]
    replaced = {path.resolve() for path in inputs}
    # Keyed without case: macOS and Windows keep one file for `Same.apkg` and `same.apkg`,
    # and Anki one deck for `Same` and `same`.
    decks_of: dict[tuple[Path, str], tuple[Path, list[str]]] = {}
    for target, of in packages:
        if target.suffix.lower() != ".apkg":
            raise UsageError("the output must be a .apkg file", target)
        _check_name_length(target)
        try:
            resolved = target.resolve()
        except (OSError, RuntimeError):  # a symbolic link loop
            raise UsageError("the output is a symbolic link that leads nowhere", target) from None
        if resolved in replaced:
            raise UsageError("the output would replace one of the lessons or manifests", target)
        decks_of.setdefault((resolved.parent, resolved.name.casefold()),
                            (resolved, []))[1].append(of[0].deck)
    for target, decks in decks_of.values():
        if len(decks) > 1:
            names = " and ".join(repr(name) for name in decks)
            raise ExportError(f"decks {names} would both be written to {target.name} (or to names "
                           "that differ only in case); rename one of them, or give -o", target)
    return packages
