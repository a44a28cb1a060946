"""One pass over a lesson file: front matter, block structure, then every card family."""

from __future__ import annotations

import json
import re
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any

from srs.errors import LessonError
from srs.model import (
    CodeBlock,
    Diagnostic,
    Lesson,
    Severity,
    SourcePos,
    fence_language,
    lesson_encoding,
)
from srs.parse.code import extract_code
from srs.parse.context import LessonContext, slugify
from srs.parse.document import Section, blocks_of, sections_of, topic_path, walk
from srs.parse.examples import extract_examples, extract_problem, is_use_case
from srs.parse.explicit import extract_explicit, stray_card_line
from srs.parse.front import FrontMatter, split_front_matter
from srs.parse.quiz import QUESTION_HEADING, extract_quiz

MAX_LESSON_BYTES = 16 * 1024 * 1024
# Sections with cards of their own or none, by their plain title (see `section_role`).
_ROLES = (
    ("quiz", re.compile(r"(?:[\w-]+ )?quiz(?:zes)?(?: questions| yourself)?")),
    ("cards", re.compile(r"(?:flash)?cards")),
    ("examples", re.compile(r"real code examples")),
    ("use-case", re.compile(r"hard use[- ]?case\b.*")),
    ("other", re.compile(r"references\b.*|further reading|related topics")),
)
# Emphasis and code marks, a leading section number (`7.`, `2.1`) and trailing punctuation:
# `## **7. Quiz:**` is a quiz as `## Quiz` is.
_DECORATION = re.compile(r"[*_`]+")
_SECTION_NUMBER = re.compile(r"^\d+(?:\.\d+)*[.)]?\s+")
_FILE_NUMBER = re.compile(r"^(\d+)[.\s_-]+")
# C0 and C1 control characters but tab and newline: NUL, ESC, CSI and the like; and the
# bidirectional embeddings, overrides and isolates, which make code read other than it runs.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def parse_lesson_file(path: Path, deck: str = "") -> Lesson:
    """Read and parse one lesson. Raises `LessonError` only when the file cannot be read."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise LessonError("not a regular file (a device or a pipe?)", path)
        size = info.st_size
        if size > MAX_LESSON_BYTES:
            raise LessonError(f"lesson is larger than {MAX_LESSON_BYTES // 2**20} MiB", path)
        data = path.read_bytes()
    except OSError as exc:
        raise LessonError(f"cannot read lesson: {exc.strerror}", path) from exc
    wide = lesson_encoding(data)
    if wide != "utf-8":
        try:
            text = data.decode(wide)
        except UnicodeDecodeError:
            pass  # its mark was a coincidence: read as UTF-8 below
        else:
            lesson = parse_lesson_text(text, path, deck)
            warning = Diagnostic(SourcePos(path, 1), Severity.WARNING,
                                 f"the file is {wide.upper()}, read as such; save it as UTF-8")
            return _with_diagnostics(lesson, [warning])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        text = data.decode("utf-8", errors="replace")
        lesson = parse_lesson_text(text, path, deck)
        warning = Diagnostic(SourcePos(path, line), Severity.WARNING,
                             "not valid UTF-8; undecodable bytes shown as U+FFFD")
        return _with_diagnostics(lesson, [warning])
    return parse_lesson_text(text, path, deck)


def _with_diagnostics(lesson: Lesson, extra: list[Diagnostic]) -> Lesson:
    import dataclasses

    return dataclasses.replace(lesson, diagnostics=(*extra, *lesson.diagnostics))


def parse_lesson_text(text: str, path: Path, deck: str = "") -> Lesson:
    """Parse lesson text. Problems become diagnostics, with one exception: a `LessonError`
    when the front matter holds the lesson's identity but it cannot be read."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    control = _CONTROL.search(text)
    if control:
        # An escape sequence in a card would reach the terminal during review.
        first = Diagnostic(
            SourcePos(path, text.count("\n", 0, control.start()) + 1), Severity.WARNING,
            f"control character U+{ord(control.group()):04X} in the text; shown as U+FFFD")
        text = _CONTROL.sub("\ufffd", text)
    lines = text.split("\n")
    front = split_front_matter(lines, path)
    body_lines = lines[front.body_line:]
    blocks = blocks_of("\n".join(body_lines))
    root_section = sections_of(blocks)[0]

    meta = front.data
    diagnostics = [first, *front.diagnostics] if control else list(front.diagnostics)
    diagnostics.extend(
        Diagnostic(SourcePos(path, front.body_line + block.start + 1), Severity.WARNING,
                   "code fence is never closed; the rest of the lesson is read as its code")
        for block in blocks if not block.closed)
    fields = _fields(meta, front, path, diagnostics)
    _check_identity(fields, front, path, diagnostics)
    title = fields["title"] or _first_h1(root_section) or _title_from_name(path)
    # A line break, tab or control character a YAML escape put in the title: deck names and
    # card headers are one line (Anki drops them, joining the words).
    title = " ".join(_CONTROL.sub(" ", title).split()) or _title_from_name(path)
    slug = fields["slug"] or slugify(_title_from_name(path))
    number = fields["number"]
    if number is None:
        match = _FILE_NUMBER.match(path.name)
        number = int(match.group(1)) if match else None
    canonical_id = fields["canonical_id"]
    if canonical_id is None and not front.diagnostics:
        source = ("the slug and change if it does" if fields["slug"] else
                  "the file name and change if the file is renamed")
        # The root the card ids have now (`Lesson.root`): any other value gives every card
        # a new id, and so a new note in Anki.
        keep = (f": add `canonical_id: {json.dumps(slug, ensure_ascii=False)}` to keep the ids "
                "they have (any other value gives every card, and its Anki note, a new one)"
                if slug else "")
        diagnostics.append(Diagnostic(
            SourcePos(path, 1), Severity.WARNING,
            f"no canonical_id in front matter; card ids derive from {source}{keep}"))
    tags = _tags(fields["tags"], fields["level"], slug)
    reserved = [t for t in fields["tags"] if t.strip().lower() in ANKI_OWN_TAGS]
    if reserved:
        names = " and ".join(f"`{t}`" for t in reserved)
        diagnostics.append(Diagnostic(
            SourcePos(path, front.key_lines.get("tags", 1)), Severity.WARNING,
            f"{'tags' if len(reserved) > 1 else 'tag'} {names} "
            f"{'are ones' if len(reserved) > 1 else 'is one'} Anki sets itself (marked: "
            "starred notes, leech: cards often forgotten); left out"))
    ctx = LessonContext(
        path=path, body_lines=body_lines, body_offset=front.body_line, title=title, slug=slug,
        root=canonical_id or slug or path.as_posix(), tags=tags, deck=deck,
    )
    code_blocks = _extract(ctx, root_section)
    return Lesson(
        path=path, title=title, slug=slug, number=number, level=fields["level"], tags=tags,
        prerequisites=fields["prerequisites"], canonical_id=canonical_id, meta=meta,
        cards=tuple(ctx.cards), code_blocks=tuple(code_blocks),
        diagnostics=(*diagnostics, *ctx.diagnostics),
        prerequisites_line=front.key_lines.get("prerequisites", 1), deck=deck,
    )


def _extract(ctx: LessonContext, root: Section) -> list[CodeBlock]:
    """Run every extractor over the sections; collect the code blocks for the fact cards."""
    code_blocks: list[CodeBlock] = []
    explanation_ordinals: dict[tuple[str, ...], int] = {}
    for ancestors, section in walk(root):
        path = topic_path(ancestors)
        # Nested fences after the section's own: their ordinals come last, so the cards of
        # the section's own blocks keep their keys.
        fences = [b for b in (*section.blocks, *section.nested) if b.kind != "text"]
        for block in fences:
            code_blocks.append(CodeBlock(
                lang=fence_language(block.info),
                text=block.content, line=ctx.body_offset + block.start + 2, headings=path))
        role = section_role(section.title) if section.level >= 2 else None
        if role == "quiz":
            extract_quiz(ctx, section, path)
        elif section.level == 2 and role == "cards":
            extract_explicit(ctx, section)
        elif section.level == 2 and role == "examples":
            extract_examples(ctx, section)
        elif section.level == 2 and (name := is_use_case(section.title)):
            extract_problem(ctx, section, name)
        elif (QUESTION_HEADING.match(section.title) and section.level >= 2
              and section_role(ancestors[-2].title if len(ancestors) > 1 else "") != "quiz"):
            ctx.report(section.line, Severity.WARNING,
                       f"`{section.title}` is not under a quiz heading (`## Quiz`): it makes "
                       "no card")
        elif all(section_role(a.title) != "cards" for a in ancestors if a.level == 2):
            stray = stray_card_line(ctx, section)
            if stray is not None:
                ctx.report(stray, Severity.WARNING,
                           "`Q:` and `A:` lines make a card only under a `## Cards` heading: "
                           "this one makes none")
        if _in_explanation(path):
            for block in fences:
                explanation_ordinals[path] = extract_code(
                    ctx, block, path, explanation_ordinals.get(path, 0))
    return code_blocks


@lru_cache(maxsize=4096)  # titles repeat across a track: Quiz, Overview, Deep Explanation
def section_role(title: str) -> str | None:
    """What a section is for, by its title: `quiz` (`Quiz`, `Quiz Questions`, `Practice
    Quiz`, `7. Quiz:`), `cards`, `examples`, `use-case`, `other` (references,
    related topics), or None for an explanation."""
    plain = _SECTION_NUMBER.sub("", _DECORATION.sub("", title).strip())
    plain = " ".join(plain.rstrip(" :.").lower().split())
    return next((role for role, pattern in _ROLES if pattern.fullmatch(plain)), None)


def _in_explanation(path: tuple[str, ...]) -> bool:
    """Code statements are read everywhere except the sections that have their own cards."""
    if not path:
        return False  # the lesson's preamble and `# Title` itself hold no statements
    return section_role(path[0]) is None and all(section_role(t) != "quiz" for t in path)


# The keys every card id derives from, the first one present winning (else the file name).
_IDENTITY_KEYS = ("canonical_id", "slug")


def _check_identity(fields: dict[str, Any], front: FrontMatter, path: Path,
                    diagnostics: list[Diagnostic]) -> None:
    """A lesson whose `canonical_id` or `slug` is written but cannot be read would have every
    card under a new id: as new cards in review, as new notes beside the old ones in Anki.
    It is left out (a `LessonError`) until the front matter is fixed."""
    for key in _IDENTITY_KEYS:
        if fields[key] is not None:
            return
        line = front.key_lines.get(key)
        value = front.data.get(key, key)  # itself when it was not read
        if line is None or value is None or (isinstance(value, str) and not value.strip()):
            continue  # not written, or written empty (`slug:`): no identity was meant
        # The error of the key's own lines, else one of the whole front matter before it.
        ends = min((at for at in front.key_lines.values() if at > line), default=line + 1)
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        cause = next((d for d in errors if line <= d.pos.line < ends),
                     next((d for d in errors if d.pos.line <= line), None))
        detail = f"{cause.message}; " if cause is not None else ""
        raise LessonError(f"{detail}every card id of the lesson derives from `{key}` (line "
                          f"{line}): the lesson is left out until it reads",
                          path, cause.pos.line if cause is not None else line)


def _first_h1(root: Section) -> str | None:
    for child in root.children:
        if child.level == 1:
            return child.title
    return None


def _title_from_name(path: Path) -> str:
    stem = _FILE_NUMBER.sub("", path.stem)
    return stem.replace("%20", " ").strip() or path.stem


def _fields(meta: dict[str, Any], front: FrontMatter, path: Path,
            diagnostics: list[Diagnostic]) -> dict[str, Any]:
    """The keys srs uses, type-checked; a wrong type is an error and the key is ignored."""

    def bad(key: str, expected: str) -> None:
        diagnostics.append(Diagnostic(
            SourcePos(path, front.key_lines.get(key, 1)), Severity.ERROR,
            f"invalid front matter: `{key}` must be {expected}"))

    def text(key: str) -> str | None:
        value = meta.get(key)
        if value is None:
            return None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value).strip() or None
        bad(key, "a string")
        return None

    def strings(key: str) -> tuple[str, ...]:
        value = meta.get(key)
        if value is None:
            return ()
        if isinstance(value, str):  # `tags: go, unsafe`, as a list would be written inline
            value = value.split(",")
        if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
            return tuple(str(v).strip() for v in value if str(v).strip())
        bad(key, "a list of strings")
        return ()

    for key in meta:
        meant = None if key in _KNOWN_KEYS else _meant_key(key)
        if meant is not None:
            diagnostics.append(Diagnostic(
                SourcePos(path, front.key_lines.get(key, 1)), Severity.WARNING,
                f"unknown front matter key `{key}`; did you mean `{meant}`? It is ignored"))
    number = meta.get("number")
    if number is not None and not (isinstance(number, int) and not isinstance(number, bool)
                                   and number >= 0):
        if isinstance(number, str) and number.strip().isdigit():
            number = int(number)
        else:
            bad("number", "a whole number, 0 or more")
            number = None
    return {
        "title": text("title"),
        "slug": text("slug"),
        "canonical_id": text("canonical_id"),
        "level": text("level") or "",
        "number": number,
        "tags": strings("tags"),
        "prerequisites": strings("prerequisites"),
    }


# The keys srs reads, and the informational ones lessons carry; any other key is kept and
# ignored, but one that looks like a misspelt key srs reads is warned about.
_USED_KEYS = ("title", "slug", "canonical_id", "level", "number", "tags", "prerequisites")
_KNOWN_KEYS = frozenset({*_USED_KEYS, "estimated_minutes", "contributors", "diagrams",
                         "examples"})


def _meant_key(key: str) -> str | None:
    """The key srs reads that `key` looks like a misspelling of (`prerequisities`,
    `Tags`, `canonical-id`), or None."""
    folded = key.strip().lower().replace("-", "_").replace(" ", "_")
    if folded in _USED_KEYS:
        return folded
    import difflib  # only for a lesson with a key srs does not know

    close = difflib.get_close_matches(folded, _USED_KEYS, n=1, cutoff=0.8)
    return close[0] if close else None


# Tags Anki gives a meaning of its own: a lesson's note would arrive starred or as a leech.
ANKI_OWN_TAGS = frozenset({"marked", "leech"})


def _tags(raw: tuple[str, ...], level: str, slug: str) -> tuple[str, ...]:
    """Anki tags cannot hold spaces: `low level` becomes `low-level`. Anki folds case, so
    `Go` after `go` is the same tag, kept once as first written."""
    found: dict[str, str] = {}
    for tag in (*raw, level, slug):
        clean = re.sub(r"\s+", "-", tag.strip())
        if clean and clean.lower() not in ANKI_OWN_TAGS:
            found.setdefault(clean.lower(), clean)
    return tuple(found.values())
