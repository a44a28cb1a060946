"""The one-pass highlighter gives the HTML that Pygments' own tokens give."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.lexers import get_all_lexers, get_lexer_by_name

from srs.render import _first_chars, _fused_plan, format_tokens, highlight_fused

REPO = Path(__file__).resolve().parents[2]


def _lexer(name: str) -> object:
    return get_lexer_by_name(name, stripnl=False, ensurenl=True)


def _reference(name: str, code: str) -> str:
    """HTML from a fresh, untouched Pygments lexer's tokens."""
    return format_tokens(_lexer(name).get_tokens(code))  # type: ignore[attr-defined]


GO = _lexer("go")

go_code = st.lists(
    st.sampled_from(list("abcfgiortnu{}()[]<>-=+*/&|!:;,.'\"`\\ \t\n\r0129x_eE^%~#@$?é€")
                    + ["func ", "package ", "import ", "//", "/*", "*/", "chan ", "<-", ":=",
                       "0x1F", "0b10", "0o17", "1_000", "1.5e3", "1e-3i", ".5", "'a'", "'\\n'",
                       "'\\x41'", "\"s\"", "\"a\\\"b\"", "`raw`", "go ", "select {", "len(",
                       "make(", "int64", "nil", "iota", "&^=", "...", "\\\n", "\u00a0"]),
    max_size=100,
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(go_code)
def test_go_html_equals_pygments(code: str) -> None:
    assert highlight_fused(GO, code) == _reference("go", code)


def test_go_html_equals_pygments_for_every_bundled_go_block() -> None:
    blocks = []
    for path in sorted([*REPO.glob("lessons/**/*.md"), *REPO.glob("tests/**/*.md")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        blocks += re.findall(r"```go[^\n]*\n(.*?)```", text, re.S)
    assert len(blocks) >= 40
    for code in blocks:
        assert highlight_fused(GO, code) == _reference("go", code)


FUSED = sorted(
    aliases[0] for _name, aliases, _files, _mimes in get_all_lexers()
    if aliases and isinstance(_fused_plan(_lexer(aliases[0])), tuple)
)

any_text = st.lists(st.sampled_from(list("aZ09_ #;:/\\*-+=<>&\"'`()[]{}.,!?@$%\n\t\r")
                                    + ["é", "\u00a0", "->", "//", "/*", "*/", "0x", "true"]),
                    max_size=60).map("".join)


def test_one_state_lexers_are_found() -> None:
    assert "go" in FUSED and len(FUSED) >= 20
    assert "rust" not in FUSED and "python" not in FUSED  # many states: the general path


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(FUSED), any_text)
def test_every_one_state_lexer_gives_pygments_html(name: str, code: str) -> None:
    assert highlight_fused(_lexer(name), code) == _reference(name, code)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(GO._tokens["root"]), go_code)  # type: ignore[attr-defined]
def test_first_characters_cover_every_match(rule: tuple[object, ...], text: str) -> None:
    pattern = rule[0].__self__  # type: ignore[attr-defined]
    first = _first_chars(pattern)
    for start in range(len(text)):
        m = pattern.match(text, start)
        if m is not None and first is not None and ord(text[start]) < 128:
            assert m.group() and text[start] in first


def test_first_characters_of_simple_patterns() -> None:
    assert _first_chars(re.compile(r"\d+i")) == frozenset("0123456789")
    assert _first_chars(re.compile(r"(?:ab|c)d")) == frozenset("ac")
    assert _first_chars(re.compile(r"\bx?y")) == frozenset("xy")
    assert _first_chars(re.compile(r"[^\W\d]")) == frozenset(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
    for anything in (r"x*", r".a", r"(?i)a", r"(a)?\1", r"(?=a)|b*"):
        assert _first_chars(re.compile(anything)) is None, anything
    assert _first_chars(re.compile(r"[^ab]")) == frozenset(chr(c) for c in range(128)) - {"a", "b"}
    assert _first_chars(re.compile(r"[^a]")) is None  # a single negated character: unsure
