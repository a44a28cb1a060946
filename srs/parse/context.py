"""What every extractor needs about the lesson being read, and how cards get built."""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from srs.model import Card, CardKind, Diagnostic, Severity, SourcePos, card_id
from srs.parse.document import Block


@dataclass
class LessonContext:
    path: Path
    body_lines: list[str]
    body_offset: int  # file line index of body line 0
    title: str
    slug: str
    root: str
    tags: tuple[str, ...]
    deck: str = ""
    cards: list[Card] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _by_id: dict[str, Card] = field(default_factory=dict)

    def pos(self, body_line: int) -> SourcePos:
        return SourcePos(self.path, self.body_offset + body_line + 1)

    def source(self, block: Block) -> str:
        """The block's Markdown as written."""
        return "\n".join(self.body_lines[block.start:block.end]).strip("\n")

    def report(self, body_line: int, severity: Severity, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.pos(body_line), severity, message))

    def add(self, kind: CardKind, key: str, front: str, back: str, body_line: int,
            section: str, **fields: object) -> Card | None:
        """Add a card; a second card with the same key is reported and left out."""
        ident = card_id(self.root, kind, key)
        first = self._by_id.get(ident)
        if first is not None:
            self.report(body_line, Severity.ERROR,
                        f"duplicate {kind.value} card {key!r} (first at line {first.source.line});"
                        " this one is skipped")
            return None
        card = Card(
            id=ident,
            kind=kind,
            lesson=self.slug,
            key=key,
            front=front.strip(),
            back=back.strip(),
            source=self.pos(body_line),
            section=section,
            ordinal=len(self.cards),
            tags=self.tags,
            deck=self.deck,
            lesson_title=self.title,
            **fields,  # type: ignore[arg-type]
        )
        self.cards.append(card)
        self._by_id[ident] = card
        return card


def slugify(text: str) -> str:
    """`Hard Use-Case: Memory-Mapped File` -> `hard-use-case-memory-mapped-file`."""
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug or "untitled"


def fenced(code: str, lang: str = "go") -> str:
    """Markdown for a code block, with a fence longer than any backtick run inside it."""
    code = textwrap.dedent(code).strip("\n")
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{code}\n{fence}"


# What a rendered text can hold and still show nothing: spaces of any kind (the no-break one
# too) and zero-width characters.
_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]*")


def shows_nothing(text: str) -> bool:
    """Whether Markdown shows no visible character: `&nbsp;`, `&#8203;` or only spaces. Such a
    card side would read as blank in review and Anki would call its note empty."""
    return _INVISIBLE.fullmatch(html.unescape(text)) is not None


_INLINE_SPECIAL = re.compile(r"[\\`*_\[\]<>!&~]")


def plain_markdown(text: str) -> str:
    """Plain text (a title, a code comment) escaped so that Markdown shows it as written:
    `// Deref *p` must not turn into emphasis."""
    return _INLINE_SPECIAL.sub(lambda special: "\\" + special.group(), text)
