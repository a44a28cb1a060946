"""Cards an author writes by hand, in a `## Cards` section:

    Q: What does `unsafe.Sizeof` count for a slice? {#sizeof-slice}
    A: Only the header: pointer, length, capacity.

    C: Atomics are {{c1::sequentially consistent}} in Go. {#atomic-sc}

`Q:` starts a question and `A:` its answer (also `**Q:**`, `- Q:`, `> Q:`); either may
continue over further lines, paragraphs and code blocks. `C:` is a cloze note with Anki's
`{{c1::text}}` or `{{c1::text::hint}}` deletions, one card per deletion number. `{#id}` at
the end of the first line fixes the card's identity; without it, the card's position in the
section does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from srs.model import CLOZE, CardKind, Severity, cloze_numbers, cloze_side
from srs.parse.context import LessonContext, shows_nothing
from srs.parse.document import Section

# `Q:` as written by hand: in either case, in bold (`**Q:**`), as a list item or in a quote.
_START = re.compile(r"^\s*(?:[-*+]\s+|>\s?)?(\*\*|__)?([QACqac])\s*:(?:\*\*|__)?\s?(.*)$")
_LOWER_START = re.compile(r"^[qc]:")  # at the start of a line: likely a card, not prose
MAX_CLOZE = 65_536  # Anki's card ordinal (the number less one) is a 16-bit integer
_ID = re.compile(r"\s*\{#([A-Za-z0-9][\w.:-]*)\}\s*$")
_LOOKS_LIKE_ID = re.compile(r"\{#[^}]*\}\s*$")


@dataclass
class _Draft:
    kind: str  # "Q" or "C"
    line: int
    explicit_id: str | None
    question: list[str] = field(default_factory=list)
    answer: list[str] | None = None


def stray_card_line(ctx: LessonContext, section: Section) -> int | None:
    """The body line of the first `Q:` line in a section that is not a `## Cards` one, when
    an `A:` line follows it there: a card written under the wrong heading (`## Card`,
    `### Cards`), which makes no card."""
    question: int | None = None
    for block in section.blocks:
        if block.kind == "fence":
            continue
        for offset, line in enumerate(ctx.body_lines[block.start:block.end]):
            if line.lstrip(" \t-*+>_")[:1] not in ("Q", "A"):
                continue  # most lines: no regular expression needed to tell
            start = _START.match(line)
            if start and start.group(2) == "Q" and question is None:
                question = block.start + offset
            elif start and start.group(2) == "A" and question is not None:
                return question
    return None


def extract_explicit(ctx: LessonContext, section: Section) -> None:
    drafts: list[_Draft] = []
    current: _Draft | None = None
    blocks = [*section.blocks, *(b for child in section.children for b in child.blocks)]
    for block in sorted(blocks, key=lambda b: b.start):
        if block.kind == "fence":
            if current is not None:
                _target(current).append("\n" + ctx.source(block) + "\n")
            continue
        if current is not None:
            _target(current).append("")  # paragraph break
        for offset, line in enumerate(ctx.body_lines[block.start:block.end]):
            start = _START.match(line)
            kind = start.group(2) if start else ""
            if start and kind.islower():
                # `a: the first field` in an answer's list is text; a lower-case card line is
                # most likely a typo, and is pointed out.
                if _LOWER_START.match(line):
                    ctx.report(block.start + offset, Severity.WARNING,
                               f"`{kind}:` is read as text of the card above; write "
                               f"`{kind.upper()}:` to start a card")
                start = None
            if start and kind in "QC":
                text, explicit = _split_id(start.group(3))
                if explicit is None and _LOOKS_LIKE_ID.search(text):
                    ctx.report(block.start + offset, Severity.WARNING,
                               "`{#...}` at the end is not a card id (a letter or digit, then "
                               "letters, digits, `_`, `.`, `:` or `-`); it is kept as text and "
                               "the card is known by its place")
                current = _Draft(kind, block.start + offset, explicit, [text])
                drafts.append(current)
            elif start and current is not None and current.kind == "Q" and current.answer is None:
                current.answer = [start.group(3)]
            elif start:
                ctx.report(block.start + offset, Severity.ERROR, "`A:` without a `Q:` before it")
            elif current is not None:
                _target(current).append(line)
    used: set[str] = set()
    for ordinal, draft in enumerate(drafts, start=1):
        key = draft.explicit_id or f"#{ordinal}"
        if key in used:
            ctx.report(draft.line, Severity.ERROR, f"duplicate card id {{#{key}}}; card skipped")
            continue
        used.add(key)
        _emit(ctx, draft, key, section.title)


def _split_id(text: str) -> tuple[str, str | None]:
    match = _ID.search(text)
    if not match:
        return text, None
    return text[: match.start()], match.group(1)


def _target(draft: _Draft) -> list[str]:
    return draft.question if draft.answer is None else draft.answer


def _join(lines: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _emit(ctx: LessonContext, draft: _Draft, key: str, section: str) -> None:
    question = _join(draft.question)
    if draft.kind == "Q":
        if shows_nothing(question) or draft.answer is None or shows_nothing(_join(draft.answer)):
            ctx.report(draft.line, Severity.ERROR, "`Q:` card needs a question and an `A:` answer")
            return
        ctx.add(CardKind.QA, f"qa/{key}", question, _join(draft.answer), draft.line,
                f"cards/{key}")
        return
    numbers = cloze_numbers(question)
    if not numbers:
        ctx.report(draft.line, Severity.ERROR,
                   "`C:` card has no deletion; mark one as {{c1::hidden text}}")
        return
    if numbers[0] < 1:
        # Anki numbers cards from c1: a c0 deletion would be a card it cannot show.
        ctx.report(draft.line, Severity.ERROR,
                   "cloze deletions are numbered from 1, not {{c0::...}}; card skipped")
        return
    if numbers[-1] > MAX_CLOZE:
        # Anki keeps a card's number in 16 bits: a package with a higher one fails to import.
        ctx.report(draft.line, Severity.ERROR,
                   f"cloze deletions are numbered up to {MAX_CLOZE}, not "
                   f"{{{{c{numbers[-1]}::...}}}}; card skipped")
        return
    if any(re.search(r"\{\{c\d+::", match.group()[2:]) for match in CLOZE.finditer(question)):
        ctx.report(draft.line, Severity.ERROR,
                   "a cloze deletion inside another ({{c1::a {{c2::b}} c}}) is not supported; "
                   "card skipped")
        return
    for match in CLOZE.finditer(question):
        hidden = match.group(2)
        if hidden.count("{") <= hidden.count("}"):
            if hidden.count("`") % 2:
                # `{{c1::`x}}`}}`: the first `}}` is inside the code span, and Anki ends the
                # deletion there, leaving the span open and the rest shown.
                ctx.report(draft.line, Severity.WARNING,
                           f"cloze deletion {match.group()!r} ends at the first '}}}}', inside "
                           "the inline code it opens; Anki cuts it there too: keep '}}' out "
                           "of a deletion's code")
            continue
        # As in Anki, a deletion ends at the first `}}`: `{{c1::struct{}{}}}` hides
        # `struct{}{` and shows the last `}` outside it; `{{c1::[][]int{{1, 2}}}}` hides
        # `[][]int{{1, 2`.
        if question.startswith("}", match.end()):
            ctx.report(draft.line, Severity.WARNING,
                       f"cloze deletion {match.group()!r} ends at the first '}}}}', before the "
                       "'}' that follows it; put a space before the closing '}}'")
        else:
            ctx.report(draft.line, Severity.WARNING,
                       f"cloze deletion {match.group()!r} ends at the first '}}}}', inside "
                       "braces it opens; Anki cuts it there too: write those braces apart "
                       "('} }') or keep them out of the deletion")
    for number in numbers:
        ctx.add(CardKind.CLOZE, f"cloze/{key}.c{number}", question,
                cloze_side(question, number, reveal=True), draft.line, f"cards/{key}",
                cloze=number)
