"""Markdown to safe HTML, with Pygments highlighting by CSS class.

Used by the Anki exporter (and by anyone who needs the same HTML). Raw HTML in the
Markdown is shown as text, never passed through; markdown-it refuses `javascript:`,
`vbscript:`, `file:` and non-image `data:` link targets. Images are handed to a caller's
resolver, which returns the `src` to emit or raises.

markdown-it and Pygments are imported on first use, so importing this module is cheap.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from srs.model import fence_language

ImageResolver = Callable[[str], str]

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
HIGHLIGHT_CLASS = "highlight"
NIGHT_SELECTORS = (".nightMode", ".night_mode")

# Anki turns these into audio / TTS players when they appear in a field.
_ANKI_MARKERS = (("[sound:", "&#91;sound:"), ("[anki:", "&#91;anki:"))
# ... and these (`[latex]`, `[$]`, `[$$]`, in any case) into LaTeX images.
_ANKI_LATEX = re.compile(r"\[(?=(?:latex|\$\$?)\])", re.IGNORECASE)


class Renderer:
    """Renders Markdown; keeps a highlight cache keyed by (language, code)."""

    def __init__(self) -> None:
        from markdown_it import MarkdownIt

        self._md = MarkdownIt("commonmark", {"html": False, "highlight": self._highlight})
        self._md.validateLink = _validate_link  # type: ignore[method-assign]
        self._highlighted: dict[tuple[str, str], str] = {}
        self._cached_chars = 0
        self._lexers: dict[str, Any] = {}
        self._formatter: Any = None
        self.highlight_hits = 0
        self.highlight_misses = 0

    # -- public ---------------------------------------------------------------------------

    def render(self, text: str, resolve_image: ImageResolver | None = None) -> str:
        """HTML for one Markdown text; `resolve_image(src)` gives each image's new `src`."""
        if not text:
            return ""
        env: dict[str, Any] = {}
        # The shortcuts below read text as written; markdown-it first rewrites NUL and CR,
        # and strips only blanks and tabs, so text holding those goes to it directly.
        if not _NEEDS_MARKDOWN_IT.search(text):
            if _is_plain(text):
                return _finish(f"<p>{_escape_text(text.rstrip(' '))}</p>")
            fence = _lone_fence(text)
            if fence is not None:
                return _finish(self._highlight(fence[1], fence[0], ""))
            paragraphs = _one_line_paragraphs(text)
        else:
            paragraphs = None
        if paragraphs is not None:
            # Block structure known: only the inline parser is needed, paragraph by paragraph.
            return "\n".join(f"<p>{self.render_inline(paragraph, resolve_image)}</p>"
                             for paragraph in paragraphs)
        tokens = self._md.parse(text, env)
        self._rewrite_references(tokens, resolve_image)
        return _finish(self._md.renderer.render(tokens, self._md.options, env).rstrip("\n"))

    def render_inline(self, text: str, resolve_image: ImageResolver | None = None) -> str:
        """HTML for Markdown read as inline text alone, without a `<p>`: a multiple-choice
        option such as `*`, `-`, `8.` or `# x` stays itself instead of becoming a list or a
        heading."""
        text = text.strip(" \t\n")
        if not text:
            return ""
        if not _NEEDS_MARKDOWN_IT.search(text):
            simple = _simple_inline(text)
            if simple is not None:
                return _finish(simple)
        env: dict[str, Any] = {}
        inline = self._md.parseInline(text, env)
        self._rewrite_references(inline, resolve_image)
        return _finish(self._md.renderer.render(inline, self._md.options, env))

    @staticmethod
    def _rewrite_references(tokens: Any, resolve_image: ImageResolver | None) -> None:
        """Images get the `src` that `resolve_image` gives. A link without a scheme (a
        sibling lesson, a file beside the lesson, a heading's fragment) leads nowhere from
        inside Anki, so it becomes its text alone."""
        for token in tokens:
            if token.type != "inline" or not token.children:
                continue
            kept = []
            dropped_link = False  # links do not nest: the next link_close is this one's
            for child in token.children:
                if child.type == "image":
                    src = str(child.attrGet("src") or "")
                    child.attrSet("src", resolve_image(src) if resolve_image else src)
                elif child.type == "link_open" and not _has_scheme(str(child.attrGet("href"))):
                    dropped_link = True
                    continue
                elif child.type == "link_close" and dropped_link:
                    dropped_link = False
                    continue
                kept.append(child)
            token.children = kept

    def parse(self, text: str) -> list[Any]:
        """markdown-it tokens of `text` (for callers that inspect references)."""
        return list(self._md.parse(text, {}))

    def code(self, code: str, lang: str) -> str:
        """A highlighted `<pre>` block for `code` in `lang` (plain escaped text if unknown)."""
        return self._highlight(code, lang, "")

    # -- highlighting ---------------------------------------------------------------------

    def _highlight(self, code: str, lang: str, _attrs: str) -> str:
        key = (lang, code)
        hit = self._highlighted.get(key)
        if hit is not None:
            self.highlight_hits += 1
            return hit
        self.highlight_misses += 1
        lexer = self._lexer(lang)
        if lexer is None or "{{c" in code:
            # Unknown language, or cloze markup that token spans would split: plain text.
            body = html.escape(code, quote=False)
        else:
            fused = highlight_fused(lexer, code)
            body = fused if fused is not None else format_tokens(_tokens(lexer, code))
        label = f' data-lang="{html.escape(lang.strip(), quote=True)}"' if lang.strip() else ""
        out = f'<pre class="{HIGHLIGHT_CLASS}"{label}><code>{body}</code></pre>'
        size = len(out) + len(code)
        if self._cached_chars + size <= HIGHLIGHT_CACHE_CHARS:
            self._highlighted[key] = out
            self._cached_chars += size
        return out

    def _lexer(self, lang: str) -> Any:
        name = fence_language(lang)
        if not name:
            return None
        if name in self._lexers:
            return self._lexers[name]
        from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
        from pygments.util import ClassNotFound  # type: ignore[import-untyped]

        try:
            lexer: Any = get_lexer_by_name(name, stripnl=False, ensurenl=True)
        except ClassNotFound:
            lexer = None
        self._lexers[name] = lexer
        return lexer


# -- highlighting -----------------------------------------------------------------------------
#
# One-state lexers (Go's, and the others `highlight_fused` accepts) are highlighted in one
# pass below; every other lexer goes through Pygments' own tokenizer and `format_tokens`.

# The highlight cache holds at most this much HTML (a block repeated across cards, such as
# an example shown by several of them, is highlighted once).
HIGHLIGHT_CACHE_CHARS = 16_000_000


def _tokens(lexer: Any, code: str) -> Any:
    """(type, text) pairs as `lexer.get_tokens` gives them, minus its extra generator layers
    when the lexer has no filters."""
    if lexer.filters:
        return lexer.get_tokens(code)
    text = lexer._preprocess_lexer_input(code)
    return ((t, v) for _, t, v in lexer.get_tokens_unprocessed(text))


_CLASS_CACHE: dict[Any, str] = {}


def _looks_plain(ttype: Any) -> bool:
    """True when neither the light nor the night style draws `ttype` differently from the
    code block's own text colour."""
    from pygments.styles import get_style_by_name  # type: ignore[import-untyped]
    from pygments.token import Token  # type: ignore[import-untyped]

    if ttype in Token.Text.Whitespace:
        return True  # only its colour would differ, and blank space shows none
    for name in (LIGHT_STYLE, DARK_STYLE):
        style = get_style_by_name(name)
        base = style.style_for_token(Token)["color"]
        known = ttype
        while known not in style._styles and known.parent is not None:
            known = known.parent  # a token type the style has never heard of: its parent's
        spec = style.style_for_token(known)
        if spec["color"] not in (None, base) or spec["bgcolor"] or spec["border"]:
            return False
        if spec["bold"] or spec["italic"] or spec["underline"]:
            return False
    return True


def format_tokens(tokens: Any) -> str:
    """Tokens to HTML spans with Pygments' short class names (`kd`, `nx`, ...); a span never
    crosses a line end, like Pygments' HtmlFormatter output; whitespace stays bare."""
    from pygments.formatters.html import _get_ttype_class  # type: ignore[import-untyped]

    out: list[str] = []
    classes = _CLASS_CACHE
    escape = html.escape
    for ttype, value in tokens:
        cls = classes.get(ttype)
        if cls is None:
            # A token drawn like plain text in both styles needs no span: leaving those out
            # (whitespace, and in Go most names and punctuation) halves a note's size.
            cls = classes[ttype] = "" if _looks_plain(ttype) else _get_ttype_class(ttype)
        text = escape(value, quote=False) if ("<" in value or ">" in value or "&" in value) \
            else value
        if not cls:
            out.append(text)
        elif "\n" in text:
            out.append("\n".join(f'<span class="{cls}">{part}</span>' if part else ""
                                  for part in text.split("\n")))
        else:
            out.append(f'<span class="{cls}">{text}</span>')
    return "".join(out)


# -- one pass for one-state lexers ------------------------------------------------------------
#
# A lexer with a single state whose rules never change state (Go's is one) needs no state
# stack. At each position the first rule that matches is found by one alternation of just
# the rules that can start with the character there (worked out once from each rule's
# parsed pattern; any doubt keeps the rule in), ending with a one-character alternative
# for Pygments' fallback (a newline as whitespace, any other character as an error token).
# Tokens are turned into HTML as they are found, exactly as `format_tokens` writes them.
# `tests/export` checks the HTML against `format_tokens` of Pygments' own tokens.

_NO_FUSION = object()
_GAP = object()
# Plans per lexer class (the rules are the class's, whatever the instance's options).
_FUSED_PLANS: dict[type, Any] = {}


def _fused_plan(lexer: Any) -> Any:
    """The one-pass plan for `lexer`'s class, or `_NO_FUSION`; the lexer is not modified."""
    plan = _FUSED_PLANS.get(type(lexer))
    if plan is None:
        plan = _FUSED_PLANS[type(lexer)] = _make_fused_plan(lexer)
    return plan


def _joinable(rules: list[tuple[Any, Any, Any]]) -> bool:
    """True when the rules' patterns can be joined into one alternation that picks the same
    first matching rule (no back-references, named groups or inline flags, one flag set)."""
    parts: list[str] = []
    flags = None
    for rexmatch, _action, _new_state in rules:
        pattern = getattr(rexmatch, "__self__", None)
        if pattern is None or not hasattr(pattern, "pattern"):
            return False
        source = pattern.pattern
        if flags is None:
            flags = pattern.flags
        if pattern.flags != flags or pattern.groupindex or "(?P=" in source or re.search(
            r"\\[1-9]|^\(\?[aiLmsux]+\)|\(\?[aiLmsux]+\)", source
        ):
            return False
        parts.append(f"(?P<_r{len(parts)}>{source})")
    if not parts:
        return False
    try:
        re.compile("|".join(parts), flags or 0)
    except re.error:
        return False
    return True


def _make_fused_plan(lexer: Any) -> Any:
    from pygments.lexer import RegexLexer, _TokenType  # type: ignore[import-untyped]

    tokens = getattr(lexer, "_tokens", None)
    if (not isinstance(lexer, RegexLexer) or not isinstance(tokens, dict)
            or list(tokens) != ["root"]):
        return _NO_FUSION
    rules = tokens["root"]
    if any(new_state is not None for _m, _a, new_state in rules) or not _joinable(rules):
        return _NO_FUSION
    actions: list[Any] = []
    firsts: list[frozenset[str] | None] = []
    for rexmatch, action, _new_state in rules:
        if action is None:
            actions.append(None)
        elif type(action) is _TokenType:
            actions.append(_token_class(action))
        else:
            actions.append((rexmatch, action))
        firsts.append(_first_chars(rexmatch.__self__))
    flags = rules[0][0].__self__.flags
    sources = [rexmatch.__self__.pattern for rexmatch, _a, _n in rules]
    made: dict[tuple[int, ...], Any] = {}

    def scanner(chosen: tuple[int, ...]) -> Any:
        # The rules that can match at a position starting with a given character, in
        # their order, as one alternation, then the one-character fallback.
        known = made.get(chosen)
        if known is None:
            parts = [f"(?P<_r{i}>{sources[i]})" for i in chosen] + ["(?P<_gap>[\\s\\S])"]
            pattern = re.compile("|".join(parts), flags)
            by_group: list[Any] = [None] * (pattern.groups + 1)
            for i in chosen:
                by_group[pattern.groupindex[f"_r{i}"]] = actions[i]
            by_group[pattern.groupindex["_gap"]] = _GAP
            known = made[chosen] = (pattern.match, by_group)
        return known

    every = scanner(tuple(range(len(rules))))
    table = {}
    for code in range(128):
        char = chr(code)
        table[char] = scanner(tuple(i for i, first in enumerate(firsts)
                                    if first is None or char in first))
    return table, every


_ASCII = [chr(code) for code in range(128)]


def _first_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The ASCII characters a match of `pattern` can start with; None for "any" (also when
    the pattern can match nothing at all, or when unsure: a superset is always safe)."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        parsed = _re_internals()[0].parse(pattern.pattern, pattern.flags)
        first, nullable = _first_of(parsed)
    except (re.error, _GiveUp):
        return None
    return None if nullable or first is None else frozenset(first)


class _GiveUp(Exception):
    pass


def _re_internals() -> tuple[Any, Any]:
    """The `re` module's pattern parser and its opcode constants."""
    import importlib

    return importlib.import_module("re._parser"), importlib.import_module("re._constants")


def _first_of(items: Any) -> tuple[set[str] | None, bool]:
    """(possible first ASCII characters or None for any, whether it can match empty)."""
    c = _re_internals()[1]

    found: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            found.add(chr(av)) if av < 128 else None
            return found, False
        if op is c.IN:
            found |= _in_set(av)
            return found, False
        if op is c.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            if add_flags & re.IGNORECASE:
                raise _GiveUp
            first, nullable = _first_of(sub)
        elif op is c.BRANCH:
            first, nullable = set(), False
            for alternative in av[1]:
                alt_first, alt_nullable = _first_of(alternative)
                if alt_first is None:
                    raise _GiveUp
                first |= alt_first
                nullable = nullable or alt_nullable
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _high, sub = av
            first, nullable = _first_of(sub)
            nullable = nullable or low == 0
        elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero width: the next item decides (ignoring the assertion is safe)
        else:
            raise _GiveUp  # ANY, NOT_LITERAL, back references, ...: could be anything
        if first is None:
            raise _GiveUp
        found |= first
        if not nullable:
            return found, False
    return found, True


def _in_set(items: Any) -> set[str]:
    c = _re_internals()[1]

    negate = bool(items) and items[0][0] is c.NEGATE
    checks: list[Callable[[str], bool]] = []
    categories = {c.CATEGORY_DIGIT: r"\d", c.CATEGORY_NOT_DIGIT: r"\D",
                  c.CATEGORY_SPACE: r"\s", c.CATEGORY_NOT_SPACE: r"\S",
                  c.CATEGORY_WORD: r"\w", c.CATEGORY_NOT_WORD: r"\W"}
    for op, av in items[1:] if negate else items:
        if op is c.LITERAL:
            checks.append(functools.partial(_in_range, av, av))
        elif op is c.RANGE:
            checks.append(functools.partial(_in_range, av[0], av[1]))
        elif op is c.CATEGORY and av in categories:
            checks.append(re.compile(categories[av]).fullmatch)  # type: ignore[arg-type]
        else:
            raise _GiveUp
    return {ch for ch in _ASCII if any(check(ch) for check in checks) != negate}


def _in_range(low: int, high: int, char: str) -> bool:
    return low <= ord(char) <= high


def _token_class(ttype: Any) -> str:
    cls = _CLASS_CACHE.get(ttype)
    if cls is None:
        from pygments.formatters.html import _get_ttype_class

        cls = _CLASS_CACHE[ttype] = "" if _looks_plain(ttype) else _get_ttype_class(ttype)
    return cls


def highlight_fused(lexer: Any, code: str) -> str | None:
    """`format_tokens(lexer.get_tokens(code))` in one pass, for one-state lexers; None when
    the lexer is not one or has filters (or a rule matches nothing, which Pygments itself
    never gets past)."""
    if lexer.filters:
        return None
    plan = _fused_plan(lexer)
    if plan is _NO_FUSION:
        return None
    table, every = plan
    from pygments.token import Error

    text = lexer._preprocess_lexer_input(code)
    needs_escape = "<" in text or ">" in text or "&" in text
    escape = html.escape
    out: list[str] = []
    append = out.append
    lookup = table.get
    pos = 0
    plain_from = 0  # tokens drawn as plain text since here are written out as one slice
    end = len(text)
    while pos < end:
        match, by_group = lookup(text[pos], every)
        m = match(text, pos)
        after = m.end()
        if after == pos:
            return None
        cls = by_group[m.lastindex]
        if cls == "":
            pos = after
            continue
        if plain_from < pos:
            chunk = text[plain_from:pos]
            if needs_escape and ("<" in chunk or ">" in chunk or "&" in chunk):
                chunk = escape(chunk, quote=False)
            append(chunk)
        if cls is _GAP:
            value = m.group()
            if value == "\n":
                plain_from = pos
                pos = after
                continue
            append(format_tokens(((Error, value),)))
        elif cls is None:
            pass  # a rule without a token: its text is left out, as Pygments leaves it
        elif type(cls) is tuple:
            rexmatch, action = cls
            append(format_tokens((t, v) for _, t, v in action(lexer, rexmatch(text, pos))))
        else:
            value = m.group()
            if needs_escape and ("<" in value or ">" in value or "&" in value):
                value = escape(value, quote=False)
            if "\n" in value:
                append("\n".join(f'<span class="{cls}">{part}</span>' if part else ""
                                  for part in value.split("\n")))
            else:
                append(f'<span class="{cls}">{value}</span>')
        pos = plain_from = after
    if plain_from < end:
        chunk = text[plain_from:]
        append(escape(chunk, quote=False) if needs_escape else chunk)
    return "".join(out)


def _validate_link(url: str) -> bool:
    """markdown-it's default check, stricter: only http(s), mailto, relative and fragments."""
    from markdown_it.common.normalize_url import validateLink

    if not validateLink(url):
        return False
    if not _has_scheme(url):
        return True  # relative path, fragment or query (shown as text: see the renderer)
    return url.strip().lower().startswith(("http:", "https:", "mailto:"))


def _has_scheme(url: str) -> bool:
    return ":" in url.strip().split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]


# NUL, and whitespace other than space, tab and newline (CR, form feed, no-break and other
# Unicode spaces): markdown-it rewrites or trims it where the shortcuts would not.
_NEEDS_MARKDOWN_IT = re.compile(r"\x00|[^\S \t\n]")


_SPECIAL = re.compile(r"[\\`*_\[\]<>!&#|~=+\-{}\n\t0-9]")


def _is_plain(text: str) -> bool:
    """One line of text, no Markdown syntax in it: CommonMark renders it as a paragraph of
    itself (trailing spaces trimmed), escaped."""
    return bool(text.strip(" ")) and not text.startswith(" ") and not _SPECIAL.search(text)


_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})([^\n]*)\n")


def _lone_fence(text: str) -> tuple[str, str] | None:
    """(language, code) when `text` is one fenced code block and nothing else, as markdown-it
    would read it; None otherwise (the caller then lets markdown-it decide)."""
    opening = _FENCE_OPEN.match(text)
    if opening is None:
        return None
    marker, info = opening.group(1), opening.group(2)
    if (marker[0] == "`" and "`" in info) or "\\" in info or "&" in info:
        return None
    body, newline, last = text[opening.end():].rstrip().rpartition("\n")
    last = last.rstrip()
    if last != marker[0] * len(last) or len(last) < len(marker):
        return None
    if newline and _fence_closer(marker[0], len(marker)).search(body):
        return None  # the block closes earlier: something follows it
    words = info.strip().split(maxsplit=1)
    return (words[0] if words else ""), body + newline


@functools.cache
def _fence_closer(char: str, length: int) -> re.Pattern[str]:
    """A line that closes a fence opened by `length` times `char`."""
    return re.compile(r"^ {0,3}" + re.escape(char) + "{" + str(length) + r",}[ \t]*$", re.M)


# A line that could start (or be) anything but a paragraph: indentation, headings, quotes,
# link reference definitions, list items, thematic breaks, fences, HTML.
_BLOCK_START = re.compile(
    r"[ \t#>\[+=<-]|`{3,}|~{3,}|\d{1,9}[.)]|[*_](?:[ \t]|[*_ \t]*$)"
)


def _one_line_paragraphs(text: str) -> list[str] | None:
    """The paragraphs of `text` when it is nothing but one-line paragraphs separated by
    blank lines (the shape of most card fronts), each stripped as markdown-it strips it;
    None for anything else."""
    paragraphs: list[str] = []
    after_blank = True
    for line in text.split("\n"):
        if not line.strip(" \t"):
            after_blank = True
            continue
        if not after_blank or _BLOCK_START.match(line):
            return None
        paragraphs.append(line.strip(" \t"))
        after_blank = False
    return paragraphs or None


# Text with nothing markdown-it's inline rules act on but `*` / `**` emphasis around words
# that start and end with a letter or digit (so the delimiters are left- and right-flanking
# as CommonMark requires), with no other `*` next to them.
_INLINE_TEXT = r"[^\\`*_\[\]<>!&~\n\r\t]"
_INLINE_PIECE = re.compile(
    rf"(?P<text>{_INLINE_TEXT}+)"
    rf"|(?<!\*)(?P<mark>\*\*?)(?P<inner>[^\W_](?:{_INLINE_TEXT}*[^\W_])?)(?P=mark)(?!\*)"
)


def _simple_inline(paragraph: str) -> str | None:
    """markdown-it's inline HTML for a paragraph of plain text and simple `*`/`**` emphasis;
    None for anything else (markdown-it then parses it)."""
    out = []
    pos = 0
    end = len(paragraph)
    while pos < end:
        m = _INLINE_PIECE.match(paragraph, pos)
        if m is None:
            return None
        text = m.group("text")
        if text is not None:
            out.append(_escape_text(text))
        else:
            tag = "em" if len(m.group("mark")) == 1 else "strong"
            out.append(f"<{tag}>{_escape_text(m.group('inner'))}</{tag}>")
        pos = m.end()
    return "".join(out)


def _escape_text(text: str) -> str:
    """Escaped as markdown-it escapes text: `&`, `<`, `>` and `"`."""
    return html.escape(text, quote=False).replace('"', "&quot;")


def escape_plain(text: str) -> str:
    """Text that is not Markdown, as field HTML: escaped, and no Anki sound or TTS tag."""
    return _finish(_escape_text(text))


def _finish(out: str) -> str:
    for marker, escaped in _ANKI_MARKERS:
        if marker in out:
            out = out.replace(marker, escaped)
    return _ANKI_LATEX.sub("&#91;", out)


def render_fingerprint() -> str:
    """What the HTML for a given Markdown text depends on besides the text: the libraries'
    versions and this module's own source, so that no change to it can leave the exporter
    reusing fields it rendered before."""
    import hashlib

    import markdown_it
    import pygments  # type: ignore[import-untyped]

    source = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=8).hexdigest()
    return f"{source}/{markdown_it.__version__}/{pygments.__version__}"


def pygments_css() -> str:
    """Token colours for light mode and, under Anki's night-mode classes, for dark mode."""
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]

    # Token rules only: the block's own colours come from the note type's CSS, and
    # Pygments' line-number and `pre` rules would apply in both modes, unscoped.
    light = HtmlFormatter(style=LIGHT_STYLE).get_token_style_defs(f".{HIGHLIGHT_CLASS}")
    dark_prefixes = [f"{sel} .{HIGHLIGHT_CLASS}" for sel in NIGHT_SELECTORS]
    dark = HtmlFormatter(style=DARK_STYLE).get_token_style_defs(dark_prefixes)
    return "\n".join([*light, *dark, ""])
