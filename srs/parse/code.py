"""Code statements: inside an explanation's code block, an unindented comment line such as
`// Sizeof` labels the statements under it, up to a blank line or the next label. Each
labelled group is a card: the topic and label ask, the statements answer. A block without
any label is one card for the topic as a whole.
"""

from __future__ import annotations

import re

from srs.model import CardKind, fence_language
from srs.parse.context import LessonContext, fenced, plain_markdown, slugify
from srs.parse.document import Block

LABEL = re.compile(r"^(?://|#)\s*(\S.*?)\s*$")
NOT_A_LABEL = re.compile(r"^(?://(?:go:|line |export |extern |nolint)|#!)")
LINK = re.compile(r"^<?[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
# By a block's language: what starts a label comment, and what its cards ask for.
_LANGUAGES = {"go": ("//", "Go code"), "golang": ("//", "Go code"), "": ("//", "Go code"),
              "c": ("//", "C code"), "rust": ("//", "Rust code"),
              "python": ("#", "Python code"), "sh": ("#", "commands"), "bash": ("#", "commands")}


def extract_code(ctx: LessonContext, block: Block, path: tuple[str, ...], ordinal: int) -> int:
    """Cards from one fenced block; `ordinal` numbers groups within the topic. Returns the next."""
    lang = fence_language(block.info)
    if lang not in _LANGUAGES:
        return ordinal
    marker, what = _LANGUAGES[lang]
    lines = block.content.split("\n")
    first_line = block.start + 1  # body line of the first content line
    groups = _groups(lines, marker)
    topic = path[-1]
    section = "/".join(slugify(p) for p in path)
    if not groups:
        body = _without_preamble(lines)
        if any(line.strip() for line in body):
            ordinal += 1
            front = f"*{plain_markdown(ctx.title)}* › {topic}\n\nWrite the {what} for **{topic}**."
            ctx.add(CardKind.CODE, f"{section}#{ordinal}", front, fenced("\n".join(body), lang),
                    first_line, section)
        return ordinal
    for label, at, statements in groups:
        ordinal += 1
        front = (f"*{plain_markdown(ctx.title)}* › {topic}\n\n"
                 f"Write the {what} for: **{plain_markdown(label)}**")
        ctx.add(CardKind.CODE, f"{section}#{ordinal}", front,
                fenced("\n".join(statements), lang), first_line + at, section)
    return ordinal


def _without_preamble(lines: list[str]) -> list[str]:
    """The code without its `package` clause and imports (an import group up to its `)`);
    a `)` closing a `const` or `var` group stays."""
    kept: list[str] = []
    in_imports = False
    for line in lines:
        text = line.strip()
        if in_imports:
            in_imports = text != ")"
        elif text.startswith("import") and text[6:7] in ("", " ", "(", "\t", '"'):
            in_imports = text.endswith("(")
        elif not re.match(r"package\s+\w+\s*$", text):
            kept.append(line)
    return kept


def _groups(lines: list[str], marker: str) -> list[tuple[str, int, list[str]]]:
    """(label, index of the label line, statements) for each labelled group with statements."""
    groups: list[tuple[str, int, list[str]]] = []
    label: str | None = None
    at = 0
    statements: list[str] = []

    def close() -> None:
        if label is not None and any(s.strip() for s in statements):
            groups.append((label, at, list(statements)))

    for index, line in enumerate(lines):
        match = None
        if line.startswith(marker) and not line.startswith(marker + marker[0]):
            match = LABEL.match(line.replace(marker, "//", 1))
        # Not labels, but code: a compiler directive (`//go:noinline`, `#!/bin/sh`), a bare
        # link, or an empty comment line spacing out the statements.
        if match and not NOT_A_LABEL.match(line) and not LINK.match(match.group(1)):
            if label is not None and not statements:
                # Consecutive label lines read as one label.
                label = f"{label} {match.group(1)}"
                continue
            close()
            label, at, statements = match.group(1), index, []
        elif not line.strip():
            close()
            label, statements = None, []
        elif label is not None:
            statements.append(line)
    close()
    return groups
