"""The Go tokenizer: token kinds, positions, lines and Go's automatic semicolons."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from srs.facts.golex import tokenize


def _pairs(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


def test_kinds_of_literals_names_and_operators() -> None:
    assert _pairs("x := 0x1F + 1_000 + 1.5e3 + 2i + .5 + 'a' + \"s\\\"q\" + `raw`") == [
        ("ident", "x"), ("op", ":="), ("int", "0x1F"), ("op", "+"), ("int", "1_000"),
        ("op", "+"), ("float", "1.5e3"), ("op", "+"), ("imag", "2i"), ("op", "+"),
        ("float", ".5"), ("op", "+"), ("char", "'a'"), ("op", "+"), ("string", '"s\\"q"'),
        ("op", "+"), ("string", "`raw`"), ("op", ";"),
    ]
    assert _pairs("a &^= b <<= c ... <-ch") == [
        ("ident", "a"), ("op", "&^="), ("ident", "b"), ("op", "<<="), ("ident", "c"),
        ("op", "..."), ("op", "<-"), ("ident", "ch"), ("op", ";"),
    ]


def test_semicolons_where_go_inserts_them() -> None:
    text = "func f() {\n\treturn\n}\nx++\ny := f(\n\ta,\n)\nfor {\n}"
    assert [t.text for t in tokenize(text)] == [
        "func", "f", "(", ")", "{", "return", ";", "}", ";", "x", "++", ";", "y", ":=",
        "f", "(", "a", ",", ")", ";", "for", "{", "}", ";",
    ]


def test_comments_are_skipped_and_a_multi_line_one_ends_a_statement() -> None:
    assert _pairs("a // note\nb /* one\ntwo */ c /* inline */ d") == [
        ("ident", "a"), ("op", ";"), ("ident", "b"), ("op", ";"), ("ident", "c"),
        ("ident", "d"), ("op", ";"),
    ]


def test_positions_and_lines() -> None:
    text = "  a\n\tbb  \n`x\ny` c  "
    tokens = tokenize(text)
    assert [(t.text, t.start, t.end, t.line) for t in tokens] == [
        ("a", 2, 3, 0), (";", 3, 3, 0), ("bb", 5, 7, 1), (";", 9, 9, 1),
        ("`x\ny`", 10, 15, 2), ("c", 16, 17, 3), (";", 19, 19, 3),
    ]


def test_unknown_characters_are_one_character_operators() -> None:
    assert _pairs("a @ é\u00a0#") == [
        ("ident", "a"), ("op", "@"), ("ident", "é"), ("op", "\u00a0"), ("op", "#"),
    ]


go_like = st.lists(
    st.sampled_from(list("abx_09.+-*/%&|^<>=!:;,(){}[]'\"`\\ \t\r\n@é")
                    + ["func ", "return", "//c", "/*", "*/", "0x1F", "1e3", "2i", "<-", "&^=",
                       "...", "\u00a0", "\f"]),
    max_size=60,
).map("".join)

_COMMENT = re.compile(r"//[^\n]*|/\*.*?(?:\*/|\Z)", re.S)


@settings(max_examples=500, deadline=None)
@given(go_like)
def test_tokens_cover_the_text_in_order(text: str) -> None:
    tokens = tokenize(text)
    pos = 0
    for token in tokens:
        assert token.start >= pos
        gap = text[pos:token.start]
        # Between tokens: only blanks, newlines and comments.
        assert _COMMENT.sub("", gap).strip(" \t\r\f\v\n") == "", (gap, token)
        if token.text == ";" and token.start == token.end:
            pos = token.start  # an inserted semicolon takes no text
        else:
            assert text[token.start:token.end] == token.text != ""
            pos = token.end
        assert token.line == text.count("\n", 0, token.start)
    assert _COMMENT.sub("", text[pos:]).strip(" \t\r\f\v\n") == ""
