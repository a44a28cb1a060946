"""The Go tokenizer: token kinds, positions, lines and Go's automatic semicolons."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srs.facts.golex import Token, go_text, tokenize


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


_TYPES = {
    "Pair [ int8 , int64 ]": "Pair[int8, int64]",
    "atomic.Pointer[Stats]": "atomic.Pointer[Stats]",
    "func(a,b int,rest ... string)(int,error)": "func(a, b int, rest ...string) (int, error)",
    "func() *T": "func() *T",
    "chan<- struct{}": "chan<- struct{}",
    "<-chan []byte": "<-chan []byte",
    "chan *int": "chan *int",
    "map[string]*[4]int": "map[string]*[4]int",
    "struct {\n\tflag bool\n\tn    int64\n}": "struct{ flag bool; n int64 }",
    "interface {\n\tWrite(p []byte) (n int, err error)\n}":
        "interface{ Write(p []byte) (n int, err error) }",
    "[N*2]int": "[N * 2]int",
}
_EXPRESSIONS = {
    "Pair[int8,int64]{}": "Pair[int8, int64]{}",
    "struct {\n\ta bool\n\tb int32\n}{}": "struct{ a bool; b int32 }{}",
    "T{a: 1, b: 2}": "T{a: 1, b: 2}",
    "&s.b": "&s.b",
    "arr[i][1:2]": "arr[i][1:2]",
    "x+1": "x + 1",
    "x - -1": "x - -1",
    "- -x": "- -x",
    "f(xs...)": "f(xs...)",
    "<-ch": "<-ch",
    "*p": "*p",
}


@pytest.mark.parametrize(("written", "one_line", "type_only"), [
    *((written, one_line, True) for written, one_line in _TYPES.items()),
    *((written, one_line, False) for written, one_line in _EXPRESSIONS.items()),
])
def test_go_is_written_on_one_line_as_gofmt_spaces_it(
        written: str, one_line: str, type_only: bool) -> None:
    assert go_text(tokenize(written), type_only=type_only) == one_line


_GO_BITS = st.sampled_from([
    "x", "T", "int8", "0", "1.5", '"s"', "'c'", "struct", "interface", "func", "map", "chan",
    "(", ")", "[", "]", "{", "}", ",", ";", ".", ":", "...", "*", "&", "-", "+", "<-", "<",
    "^", "!", "=", ":=", "\n",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_GO_BITS, max_size=30), st.booleans())
def test_one_line_keeps_every_token(bits: list[str], type_only: bool) -> None:
    """What is written tokenizes back to the same tokens: no two are joined or split. Only
    the statement ends before a closing bracket, which say nothing, are left out."""
    tokens = tokenize(" ".join(bits))

    def texts(toks: list[Token]) -> list[str]:
        kept: list[str] = []
        for tok in reversed(toks):  # a `;` is dropped when only `;`s lie before a closer
            if tok.text != ";" or (kept and kept[-1] not in ")]}"):
                kept.append(tok.text)
        return kept[::-1]

    assert texts(tokenize(go_text(tokens, type_only=type_only))) == texts(tokens)
