"""Markdown to safe HTML, with Pygments highlighting by CSS class.

Used by the Anki exporter (and by anyone who needs the same HTML). Raw HTML in the
Markdown is shown as text, never passed through; markdown-it refuses `javascript:`,
`vbscript:`, `file:` and non-image `data:` link targets. Images are handed to a caller's
resolver, which returns the `src` to emit or raises.

markdown-it and Pygments are imported on first use, so importing this module is cheap.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from srs.model import stable_digest

ImageResolver = Callable[[str], str]

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
HIGHLIGHT_CLASS = "highlight"
NIGHT_SELECTORS = (".nightMode", ".night_mode")

# Anki turns these into audio / TTS players when they appear in a field.
_ANKI_MARKERS = (("[sound:", "&#91;sound:"), ("[anki:", "&#91;anki:"))


class Renderer:
    """Renders Markdown; keeps a highlight cache keyed by a digest of (language, code)."""

    def __init__(self) -> None:
        from markdown_it import MarkdownIt

        self._md = MarkdownIt("commonmark", {"html": False, "highlight": self._highlight})
        self._md.validateLink = _validate_link  # type: ignore[method-assign]
        self._highlighted: dict[str, str] = {}
        self._lexers: dict[str, Any] = {}
        self._formatter: Any = None
        self.highlight_hits = 0
        self.highlight_misses = 0

    # -- public ---------------------------------------------------------------------------

    def render(self, text: str, resolve_image: ImageResolver | None = None) -> str:
        """HTML for one Markdown text; `resolve_image(src)` gives each image's new `src`."""
        if not text:
            return ""
        if _is_plain(text):
            return _finish(f"<p>{html.escape(text.strip(), quote=False)}</p>")
        env: dict[str, Any] = {}
        tokens = self._md.parse(text, env)
        for token in tokens:
            if token.type == "inline" and token.children:
                for child in token.children:
                    if child.type == "image":
                        src = str(child.attrGet("src") or "")
                        child.attrSet("src", resolve_image(src) if resolve_image else src)
        return _finish(self._md.renderer.render(tokens, self._md.options, env).rstrip("\n"))

    def parse(self, text: str) -> list[Any]:
        """markdown-it tokens of `text` (for callers that inspect references)."""
        return list(self._md.parse(text, {}))

    def code(self, code: str, lang: str) -> str:
        """A highlighted `<pre>` block for `code` in `lang` (plain escaped text if unknown)."""
        return self._highlight(code, lang, "")

    # -- highlighting ---------------------------------------------------------------------

    def _highlight(self, code: str, lang: str, _attrs: str) -> str:
        key = stable_digest(lang, code)
        hit = self._highlighted.get(key)
        if hit is not None:
            self.highlight_hits += 1
            return hit
        self.highlight_misses += 1
        lexer = self._lexer(lang)
        if lexer is None or "{{c" in code:
            # Unknown language, or cloze markup that token spans would split: plain text.
            body = html.escape(code, quote=False)
            out = f'<pre class="{HIGHLIGHT_CLASS}"><code>{body}</code></pre>'
        else:
            from pygments import highlight  # type: ignore[import-untyped]

            if self._formatter is None:
                from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]

                self._formatter = HtmlFormatter(nowrap=True)
            body = highlight(code, lexer, self._formatter)
            out = f'<pre class="{HIGHLIGHT_CLASS}"><code>{body}</code></pre>'
        if lang:
            label = html.escape(lang, quote=True)
            out = out.replace("<pre ", f'<pre data-lang="{label}" ', 1)
        self._highlighted[key] = out
        return out

    def _lexer(self, lang: str) -> Any:
        name = lang.strip().split(maxsplit=1)[0].lower() if lang.strip() else ""
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


def _validate_link(url: str) -> bool:
    """markdown-it's default check, stricter: only http(s), mailto, relative and fragments."""
    from markdown_it.common.normalize_url import validateLink

    if not validateLink(url):
        return False
    lowered = url.strip().lower()
    if ":" not in lowered.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return True  # no scheme: relative path, fragment or query
    return lowered.startswith(("http:", "https:", "mailto:"))


_SPECIAL = frozenset("\\`*_[]<>!&#|~=+-{}\n\r\t") | frozenset("0123456789")


def _is_plain(text: str) -> bool:
    """Text that CommonMark would render as one paragraph of itself, escaped."""
    stripped = text.strip()
    return bool(stripped) and not _SPECIAL.intersection(stripped) and "  " not in stripped


def _finish(out: str) -> str:
    for marker, escaped in _ANKI_MARKERS:
        if marker in out:
            out = out.replace(marker, escaped)
    return out


def pygments_css() -> str:
    """Token colours for light mode and, under Anki's night-mode classes, for dark mode."""
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(f".{HIGHLIGHT_CLASS}")
    dark_prefixes = [f"{sel} .{HIGHLIGHT_CLASS}" for sel in NIGHT_SELECTORS]
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(dark_prefixes)
    return f"{light}\n{dark}\n"
