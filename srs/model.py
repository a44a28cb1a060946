"""Plain data shared by every layer: lessons, cards, findings, and card identity.

Nothing here does I/O. A card's id comes from where the card lives (lesson root, family,
structural key), never from its wording, so edits keep review history and the Anki note;
`Card.content_hash` tells that the wording changed.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class CardKind(StrEnum):
    MCQ = "mcq"
    CODE = "code"
    EXAMPLE = "example"
    PROBLEM = "problem"
    QA = "qa"
    CLOZE = "cloze"
    FACT = "fact"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class SourcePos:
    path: Path
    line: int  # 0: the file or folder as a whole

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about the input, printed as `path:line: severity: message`."""

    pos: SourcePos
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.pos}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A fenced code block as it stands in a lesson; `line` is its first content line."""

    lang: str
    text: str
    line: int
    headings: tuple[str, ...]


def fence_language(info: str) -> str:
    """The language a code fence's info string names, lowercased: its first word, up to a
    `:` or `{` (```` ```go:main.go ```` and ```` ```go{linenos} ```` are Go); "" for none."""
    word = info.split(maxsplit=1)[0] if info.strip() else ""
    return re.split(r"[:{]", word, maxsplit=1)[0].lower()


def lesson_encoding(data: bytes) -> str:
    """A lesson file's encoding: UTF-16 or UTF-32 when it opens with that encoding's
    byte-order mark (as Windows editors save "Unicode" text), else UTF-8."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return "utf-8"


def stable_digest(*parts: str, size: int = 8) -> str:
    """Hex digest of the parts, joined unambiguously; `size` bytes, so 2*size hex chars."""
    import hashlib  # here, not at the top: loading OpenSSL is not needed to show a card

    h = hashlib.blake2b(digest_size=size)
    for part in parts:
        data = part.encode("utf-8")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def card_id(lesson_root: str, kind: CardKind, key: str) -> str:
    """The stable id of a card: also its Anki GUID and its primary key in the store."""
    return stable_digest(lesson_root, kind.value, key)


@dataclass(frozen=True, slots=True)
class Card:
    """One thing to remember. `front` and `back` are Markdown; structured fields ride along.

    `key` is the structural key inside the lesson (question number, heading path and
    ordinal, explicit id); `section` is the lesson section the card comes from (the cards of
    one cloze note share theirs, and the new ones are buried for the day once one is answered);
    `ordinal` is the position in the lesson, used to introduce new cards in reading order.
    """

    id: str
    kind: CardKind
    lesson: str
    key: str
    front: str
    back: str
    source: SourcePos
    section: str = ""
    ordinal: int = 0
    tags: tuple[str, ...] = ()
    deck: str = ""
    question: str = ""  # MCQ: the front without its choice listing
    choices: tuple[str, ...] = ()
    answer: str | None = None
    explanation: str = ""
    cloze: int = 0
    lesson_title: str = ""

    @property
    def content_hash(self) -> str:
        return stable_digest(
            self.kind.value,
            self.front,
            self.back,
            "\x1f".join(self.choices),
            self.answer or "",
            self.explanation,
            " ".join(self.tags),
            size=16,
        )

    @property
    def note_key(self) -> str:
        """Cards of one cloze note share this key (`cards-2` for `cards-2.c1`, `cards-2.c2`)."""
        return self.key.rsplit(".c", 1)[0] if self.cloze else self.key

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind.value,
            "lesson": self.lesson,
            "deck": self.deck,
            "front": self.front,
            "back": self.back,
            "tags": list(self.tags),
            "source": str(self.source),
            "key": self.key,
            "content_hash": self.content_hash,
        }
        if self.kind is CardKind.MCQ:
            data["question"] = self.question
            data["choices"] = list(self.choices)
            data["answer"] = self.answer
            data["explanation"] = self.explanation
        if self.kind is CardKind.CLOZE:
            data["cloze"] = self.cloze
        return data

    def to_content_json(self) -> str:
        """Everything the review screen and the exporter need, for the store's content column."""
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)


LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def choice_order(seed: str, choices: Sequence[str], explanation: str = "") -> list[int]:
    """The order to show a multiple-choice question's choices in: shuffled, the same for the
    same seed. Lessons tend to put the right answer in the same few places, and a learner who
    notices stops reading the choices. Kept as written when a choice or the explanation
    refers to choices by letter or place ("Both B and C", "None of the above", "option A"),
    which a shuffle would make wrong."""
    import random  # here: only multiple-choice cards need it

    order = list(range(len(choices)))
    if not refers_to_choices(choices, explanation):
        random.Random(seed).shuffle(order)
    return order


def refers_to_choices(choices: Sequence[str], explanation: str = "") -> bool:
    """Whether a choice names other choices (by letter, or as "the above"), or the
    explanation names a choice by letter ("option B", "(C)"): text that is only true in the
    order the lesson wrote. A name read as a letter by mistake ("A and B are nil") only
    keeps the choices in place."""
    place_words, letter_lists, cued, explained = _choice_reference_patterns()
    letters = LETTERS[:len(choices)]

    def names_a_choice(found: Iterable[str]) -> bool:
        return any(set(_STANDALONE_LETTER.findall(text)) & set(letters) for text in found)

    return (any(place_words.search(text) for text in choices)
            or any(names_a_choice(pattern.findall(text))
                   for text in choices for pattern in (letter_lists, cued))
            or names_a_choice(explained.findall(explanation)))


# A capital letter standing alone: not in a word, a number, a code span or `A.b`.
_STANDALONE = r"(?<![\w.'`])[A-Z](?![\w'`])"
_STANDALONE_LETTER = re.compile(_STANDALONE)


@functools.cache
def _choice_reference_patterns() -> tuple[re.Pattern[str], ...]:
    """Compiled on the first multiple-choice question, not when the review starts."""
    letter = rf"\(?{_STANDALONE}\)?"
    cue = r"(?:only|both|neither|either|not|except|options?|choices?|answers?)"
    return (
        # "All of the above", "none of these", "both of the above"
        re.compile(r"\b(?:all|none|both|neither|either|any)\s+(?:(?:of|the)\s+)*"
                   r"(?:above|below|previous|preceding|others?|these|those)\b", re.IGNORECASE),
        # "A and B", "B, C or D", "A & C", "B/C"
        re.compile(rf"{letter}(?:\s*(?:,|&|\+|/|\band\b|\bor\b|\bnor\b)\s*{letter})+"),
        # "Only B", "both B and C", "not A", "option B"
        re.compile(rf"(?i:\b{cue})\s+{letter}"),
        # In an explanation: "option B", "choices A and C", "(B)", "B)"
        re.compile(rf"(?i:\b(?:options?|choices?|answers?))\s+{letter}"
                   rf"|(?<![\w(])\(?[A-Z]\)(?![\w'`])"),
    )


@dataclass(frozen=True, slots=True)
class Lesson:
    """A parsed lesson file. `root` is what every card id of the lesson derives from."""

    path: Path
    title: str
    slug: str
    number: int | None
    level: str
    tags: tuple[str, ...]
    prerequisites: tuple[str, ...]
    canonical_id: str | None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    cards: tuple[Card, ...] = ()
    code_blocks: tuple[CodeBlock, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    prerequisites_line: int = 1
    deck: str = ""

    @property
    def root(self) -> str:
        return self.canonical_id or self.slug or self.path.as_posix()


@dataclass(frozen=True, slots=True)
class DeckOptions:
    desired_retention: float = 0.9
    new_per_day: int = 20
    reviews_per_day: int = 200
    maximum_interval: int = 36500
    # Lapses that make a card a leech, suspended as Anki does (and again every half as many
    # more); 0: never.
    leech_threshold: int = 8


# The deck of lessons no manifest names.
DEFAULT_DECK = "srs"

# Told how far a long job has got: (items done, items in all).
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Deck:
    """A deck manifest: an Anki deck path, the lessons it holds, its scheduling options."""

    name: str
    path: Path | None
    lesson_globs: tuple[str, ...]
    options: DeckOptions = DeckOptions()


CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)


def cloze_numbers(text: str) -> list[int]:
    """The deletion numbers of a cloze text, each once, in ascending order."""
    return sorted({int(m.group(1)) for m in CLOZE.finditer(text)})


def cloze_side(text: str, number: int, *, reveal: bool) -> str:
    """A cloze card's question (deletion `number` hidden as `[hint]` or `[...]`) or answer
    (it shown in bold); every other deletion shows its text, as in Anki."""

    def replace(match: re.Match[str]) -> str:
        if int(match.group(1)) != number:
            return match.group(2)
        if reveal:
            return f"**{match.group(2)}**"
        return f"[{match.group(3) or '...'}]"

    return CLOZE.sub(replace, text)
