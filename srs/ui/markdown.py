"""Card Markdown to rich renderables, without markdown-it or Pygments.

`rich.markdown` imports markdown-it and `rich.syntax` imports Pygments; together they add
tens of milliseconds before the first card shows. Card text is a small subset of Markdown,
so this module renders that subset itself: fenced code blocks (highlighted by
`srs.ui.highlight`), ATX headings, bullet and numbered lists, block quotes, paragraphs with
soft and hard line breaks, and inline `code`, **bold**, *emphasis*, [links](url) and
backslash escapes. Raw HTML is shown as text. Anything else is shown as written.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from srs.model import fence_language
from srs.ui.highlight import highlight

CODE_STYLE = "bold cyan"
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
# CommonMark: a backslash escapes any ASCII punctuation character.
_ESCAPABLE = frozenset(string.punctuation)


def render_markdown(source: str) -> RenderableType:
    """All blocks of `source`, separated by blank lines as Markdown would show them."""
    blocks = list(_blocks(source.replace("\r\n", "\n").replace("\r", "\n")))
    parts: list[RenderableType] = []
    for index, block in enumerate(blocks):
        if index:
            parts.append(Text(""))
        parts.append(block)
    return Group(*parts)


def inline(source: str, style: str = "") -> Text:
    """One paragraph's inline Markdown as a Text (line breaks already resolved).

    A hand-written scanner rather than one regular expression: compiling such an expression
    costs several milliseconds, paid before the first card shows."""
    text = Text(style=style)
    plain: list[str] = []

    def flush() -> None:
        if plain:
            text.append("".join(plain))
            plain.clear()

    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\" and i + 1 < n and source[i + 1] in _ESCAPABLE:
            plain.append(source[i + 1])
            i += 2
            continue
        if ch == "`":
            run = _run_length(source, i, "`")
            close = _closing_ticks(source, i + run, run)
            if close >= 0:
                code = source[i + run:close]
                if code.startswith(" ") and code.endswith(" ") and code.strip():
                    code = code[1:-1]
                flush()
                text.append(code, style=CODE_STYLE)
                i = close + run
                continue
            plain.append(source[i:i + run])
            i += run
            continue
        if ch in "*_" and source.startswith(ch * 2, i):
            close = _closing_strong(source, i + 2, ch * 2)
            if close >= 0:
                flush()
                text.append_text(inline(source[i + 2:close], "bold"))
                i = close + 2
                continue
        if ch == "*" and i + 1 < n and not source[i + 1].isspace() and source[i + 1] != "*" \
                and (i == 0 or not (source[i - 1].isalnum() or source[i - 1] == "*")):
            close = _closing_em(source, i + 1)
            if close >= 0:
                flush()
                text.append_text(inline(source[i + 1:close], "italic"))
                i = close + 1
                continue
        if ch == "[":
            link = _link(source, i)
            if link is not None:
                label, url, end = link
                flush()
                text.append_text(inline(label, "underline"))
                text.append(f" ({url})", style="dim")
                i = end
                continue
        plain.append(ch)
        i += 1
    flush()
    return text


def _run_length(source: str, start: int, ch: str) -> int:
    end = start
    while end < len(source) and source[end] == ch:
        end += 1
    return end - start


def _closing_ticks(source: str, start: int, run: int) -> int:
    """Index of a backtick run of exactly `run` after `start`, or -1."""
    i = source.find("`", start)
    while i >= 0:
        length = _run_length(source, i, "`")
        if length == run:
            return i
        i = source.find("`", i + length)
    return -1


def _closing_strong(source: str, start: int, marker: str) -> int:
    if start >= len(source) or source[start].isspace():
        return -1
    i = source.find(marker, start + 1)
    while i >= 0:
        if not source[i - 1].isspace():
            return i
        i = source.find(marker, i + 1)
    return -1


def _closing_em(source: str, start: int) -> int:
    i = source.find("*", start + 1)
    while i >= 0:
        after = source[i + 1] if i + 1 < len(source) else " "
        if not source[i - 1].isspace() and after != "*" and not after.isalnum():
            return i
        i = source.find("*", i + 1)
    return -1


def _link(source: str, start: int) -> tuple[str, str, int] | None:
    """`[label](url)` or `[label](url "title")` at `start`: label, url, end index."""
    close = source.find("](", start + 1)
    if close < 0 or "]" in source[start + 1:close]:
        return None
    end = source.find(")", close + 2)
    if end < 0:
        return None
    target = source[close + 2:end].split()
    if not target or close == start + 1:
        return None
    return source[start + 1:close], target[0], end + 1


def _join(lines: list[str]) -> str:
    """Paragraph lines: a hard break (two trailing spaces or a backslash) keeps the newline,
    a soft break becomes a space."""
    out: list[str] = []
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        if not last and line.endswith("\\") and not line.endswith("\\\\"):
            out.append(line[:-1].rstrip() + "\n")
        elif not last and line.endswith("  "):
            out.append(line.rstrip() + "\n")
        else:
            out.append(line.strip() + ("" if last else " "))
    return "".join(out).strip()


def _blocks(source: str) -> Iterator[RenderableType]:
    lines = source.split("\n")
    i = 0
    paragraph: list[str] = []

    def flush() -> Iterator[RenderableType]:
        if paragraph:
            yield inline(_join(paragraph))
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            yield from flush()
            marker = fence.group("fence")
            indent = len(fence.group("indent"))
            lang = fence_language(fence.group("info"))
            body: list[str] = []
            i += 1
            while i < len(lines):
                closing = lines[i].strip()
                if closing.startswith(marker[0] * len(marker)) and not closing.strip(marker[0]):
                    break
                body.append(_dedent(lines[i], indent))
                i += 1
            i += 1
            yield Padding(highlight("\n".join(body), lang), (0, 0, 0, 2))
            continue
        if not line.strip():
            yield from flush()
            i += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            yield from flush()
            yield inline(heading.group(2), "bold underline")
            i += 1
            continue
        bullet = _BULLET.match(line)
        if bullet and (not paragraph or not bullet.group(2)[0].isdigit()):
            yield from flush()
            items: list[Text] = []
            while i < len(lines):
                item = _BULLET.match(lines[i])
                if item:
                    depth = len(item.group(1).expandtabs(4)) // 2
                    marker = "•" if item.group(2) in "-*+" else item.group(2)
                    entry = Text("  " * depth + marker + " ")
                    entry.append_text(inline(item.group(3).rstrip()))
                    items.append(entry)
                elif lines[i].strip() and lines[i].startswith((" ", "\t")) and items:
                    items[-1].append(" ")
                    items[-1].append_text(inline(lines[i].strip()))
                else:
                    break
                i += 1
            yield Text("\n").join(items)
            continue
        quote = _QUOTE.match(line)
        if quote:
            yield from flush()
            quoted: list[str] = []
            while i < len(lines):
                q = _QUOTE.match(lines[i])
                if not q:
                    break
                quoted.append(q.group(1))
                i += 1
            body_text = Text("│ ", style="dim")
            body_text.append_text(inline(_join(quoted), "italic"))
            yield body_text
            continue
        paragraph.append(line)
        i += 1
    yield from flush()


def _dedent(line: str, indent: int) -> str:
    strip = len(line) - len(line.lstrip(" "))
    return line[min(strip, indent):]
