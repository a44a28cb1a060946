"""The block structure of a lesson body, from markdown-it tokens.

Only the block level is needed to find cards: headings, fenced code, and everything else as
source line ranges. Inline parsing is switched off, which makes this cheaper than a full
markdown-it parse, and text inside code fences is never looked at for card syntax because a
fence is one opaque block here.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


class Block(NamedTuple):
    """A top-level block. Lines are 0-based indexes into the body, `end` exclusive.
    (A named tuple: a lesson has dozens, and tuples are made several times faster than
    frozen dataclass instances.)"""

    kind: str  # "heading", "fence", "nested fence" (in a list item or quote) or "text"
    start: int
    end: int
    level: int = 0  # heading level
    title: str = ""  # heading text
    info: str = ""  # fence info string
    content: str = ""  # fence content
    closed: bool = True  # False: a fence without its closing line, running to the end


class Section(NamedTuple):
    """A heading and the blocks under it up to the next heading of the same or a higher level."""

    title: str
    level: int
    line: int  # 0-based body line of the heading
    blocks: tuple[Block, ...]
    children: tuple[Section, ...]
    # Fences inside a list item or a quote: their lines are in one of `blocks` too, as
    # text, so only the code readers look at them.
    nested: tuple[Block, ...] = ()


@cache
def _markdown(underlined: bool = False) -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    # Cards are found by headings and fences; the rest is kept as source lines. Rules that
    # only refine what lies between them (inline markup, thematic breaks, link reference
    # definitions) are not run. Underlined (setext) headings are looked for only in a text
    # that may hold one: the rule costs about 3 % of a lesson's load, and lessons seldom
    # use them.
    md.disable(["inline", "hr", "reference", *(() if underlined else ("lheading",))])
    return md


# A line of text over a line of `=` or `-` alone: perhaps an underlined heading.
_UNDERLINE = re.compile(r"^ {0,3}\S.*\n {0,3}(?:=+|-+)[ \t]*$", re.MULTILINE)


def blocks_of(body: str) -> list[Block]:
    # Substring tests first: the pattern search alone would cost 6 % of this function.
    underlined = (("-\n" in body or "=\n" in body or body.rstrip(" \t").endswith(("-", "=")))
                  and _UNDERLINE.search(body) is not None)
    tokens = _markdown(underlined).parse(body)
    blocks: list[Block] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.map is None:
            i += 1
            continue
        start, end = token.map
        if token.level != 0:
            if token.type == "fence":
                blocks.append(Block("nested fence", start, end, info=token.info.strip(),
                                    content=token.content))
            i += 1
            continue
        if token.type == "heading_open":
            title = tokens[i + 1].content.strip() if i + 1 < len(tokens) else ""
            blocks.append(Block("heading", start, end, level=int(token.tag[1:]), title=title))
        elif token.type == "fence":
            # A closed fence spans its opening line, its content and its closing line.
            closed = end - start == token.content.count("\n") + 2
            blocks.append(Block("fence", start, end, info=token.info.strip(),
                                content=token.content, closed=closed))
        elif token.type == "html_block" and _hidden_html(token.content):
            pass  # a comment, or the tags of a <details> wrapper: nothing a reader sees
        elif token.nesting >= 0:
            blocks.append(Block("text", start, end))
        i += 1
    return blocks


_WRAPPER_TAGS = re.compile(r"<summary\b[^>]*>.*?</summary\s*>|</?details\b[^>]*>",
                           re.IGNORECASE | re.DOTALL)


def _hidden_html(html: str) -> bool:
    """Whether an HTML block shows nothing of a card's text when rendered: an HTML comment
    (a draft the author commented out), or the tags of a `<details>` block that folds an
    answer away (its summary is the fold's label)."""
    text = html.strip()
    if text.startswith("<!--") and text.endswith("-->") and "-->" not in text[4:-3]:
        return True
    return not _WRAPPER_TAGS.sub("", text).strip()


def sections_of(blocks: list[Block]) -> list[Section]:
    """Nest blocks under headings. Blocks before the first heading form a level-0 section."""

    def build(index: int, level: int, title: str, line: int) -> tuple[Section, int]:
        own: list[Block] = []
        nested: list[Block] = []
        children: list[Section] = []
        while index < len(blocks):
            block = blocks[index]
            if block.kind == "heading":
                if block.level <= level:
                    break
                child, index = build(index + 1, block.level, block.title, block.start)
                children.append(child)
            else:
                (nested if block.kind == "nested fence" else own).append(block)
                index += 1
        return Section(title, level, line, tuple(own), tuple(children), tuple(nested)), index

    root, _ = build(0, 0, "", 0)
    return [root]


def walk(
    section: Section, path: tuple[Section, ...] = ()
) -> list[tuple[tuple[Section, ...], Section]]:
    """Every section with the headings above it and itself (the untitled root left out)."""
    here = (*path, section) if section.level else path
    found = [(here, section)]
    for child in section.children:
        found.extend(walk(child, here))
    return found


def topic_path(path: tuple[Section, ...]) -> tuple[str, ...]:
    """Heading titles below the lesson's `# Title`: renaming the lesson keeps card keys."""
    return tuple(section.title for section in path if section.level >= 2)
