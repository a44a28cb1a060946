"""A tolerant Go tokenizer: identifiers, literals, operators, with Go's automatic semicolons.

Lesson snippets are often not whole files, so nothing here rejects input: an unknown
character becomes a one-character operator token.
"""

from __future__ import annotations

import re
from typing import NamedTuple

IDENT, INT, FLOAT, IMAG, CHAR, STRING, OP = "ident", "int", "float", "imag", "char", "string", "op"


class Token(NamedTuple):
    # A tuple: lessons are tokenized on every load, and tuples are made several times
    # faster than frozen dataclass instances.
    kind: str
    text: str
    start: int  # offset into the block text
    end: int
    line: int  # 0-based line inside the block


_OPS = sorted(
    "<<= >>= &^= ... && || <- ++ -- == != <= >= := += -= *= /= %= &= |= ^= << >> &^ "
    "+ - * / % & | ^ < > = ! ( ) [ ] { } , ; . : ~".split(),
    key=len, reverse=True,
)
# Blanks before a token are part of its match (one match a token, not two); possessive,
# so blanks at the very end are never given back to the one-character fallback, and matched
# by `end` instead (without it each of their positions would be tried again, in turn).
_TOKEN = re.compile(
    r"[ \t\r\f\v]*+(?:"
    r"(?P<nl>\n)"
    r"|(?P<ident>[^\W\d]\w*)"
    r"|(?P<lc>//[^\n]*)"
    r"|(?P<bc>/\*.*?(?:\*/|\Z))"
    r"|(?P<op>[(){}\[\],;](?!\d))"
    r"|(?P<imag>(?:\d[\d_]*(?:\.[\d_]*)?(?:[eE][+-]?\d+)?|\.\d[\d_]*(?:[eE][+-]?\d+)?)i)"
    r"|(?P<float>\d[\d_]*\.[\d_]*(?:[eE][+-]?\d+)?|\d[\d_]*[eE][+-]?\d+|\.\d[\d_]*(?:[eE][+-]?\d+)?)"
    r"|(?P<int>0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|\d[\d_]*)"
    r"|(?P<char>'(?:\\.|[^'\\\n])*'?)"
    r"|(?P<string>\"(?:\\.|[^\"\\\n])*\"?|`[^`]*`?)"
    r"|(?P<op2>" + "|".join(re.escape(o) for o in _OPS) + r"|.)"
    r"|(?P<end>\Z))",
    re.DOTALL,
)


def go_int(text: str) -> int:
    """The value of a Go integer literal: decimal, `0x`, `0b`, `0o` or a leading-zero octal
    (`0644`), with `_` separators. Raises ValueError for one Go rejects (`089`)."""
    digits = text.replace("_", "")
    if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
        return int(digits, 8)
    return int(digits, 0)


_ENDS_STATEMENT = {IDENT, INT, FLOAT, IMAG, CHAR, STRING}
_ENDING_OPS = {")", "]", "}", "++", "--"}
_ENDING_WORDS = {"break", "continue", "fallthrough", "return"}
KEYWORDS = frozenset(
    "break case chan const continue default defer else fallthrough for func go goto if "
    "import interface map package range return select struct switch type var".split()
)


# The token kind of each group of `_TOKEN`, by group number ("nl", "lc", "bc" and "end"
# are not tokens). Every alternative is a group, so group 0 is never the last one matched.
_KINDS: list[str] = [OP, *(
    OP if name in ("op", "op2") else name
    for name in sorted(_TOKEN.groupindex, key=_TOKEN.groupindex.__getitem__)
)]
# `Token(...)` goes through the named tuple's Python-level `__new__`; this does not.
_new_token = tuple.__new__


def _ends_statement(kind: str, text: str) -> bool:
    """Whether Go inserts a `;` after a token of this kind and text at a line end."""
    if kind == IDENT:
        return text not in KEYWORDS or text in _ENDING_WORDS
    return kind in _ENDS_STATEMENT or (kind == OP and text in _ENDING_OPS)


def tokenize(text: str) -> list[Token]:
    """Tokens of `text`, with `;` inserted where Go inserts them (text ";" at a newline)."""
    tokens: list[Token] = []
    append = tokens.append
    kinds = _KINDS
    line = 0
    last_kind = ""
    last_text = ""
    for m in _TOKEN.finditer(text):
        group = m.lastindex or 0
        kind = kinds[group]
        if kind == "lc" or kind == "end":
            continue
        start, end = m.span(group)
        value = text[start:end]
        if kind == "nl" or kind == "bc":
            if "\n" in value:
                if last_kind and _ends_statement(last_kind, last_text):
                    append(_new_token(Token, (OP, ";", start, start, line)))
                    last_kind, last_text = OP, ";"
                line += value.count("\n")
            continue
        append(_new_token(Token, (kind, value, start, end, line)))
        last_kind = kind
        last_text = value
        if kind == STRING and "\n" in value:
            line += value.count("\n")  # raw strings
    if last_kind and _ends_statement(last_kind, last_text):
        append(_new_token(Token, (OP, ";", len(text), len(text), line)))
    return tokens



_WORDS = frozenset({IDENT, INT, FLOAT, IMAG, CHAR, STRING})
_CLOSERS = frozenset({")", "]", "}"})
_BINARY = frozenset(
    "= := += -= *= /= %= &= |= ^= <<= >>= &^= == != < <= > >= && || + - * / % & | ^ << >> &^"
    .split())


# Two operator characters that begin a longer operator: kept apart by a space when they
# come from two tokens.
_LONGER_OPS = frozenset(op[:2] for op in _OPS if len(op) > 1)


def go_text(tokens: list[Token], *, type_only: bool = False) -> str:
    """Tokens written on one line, spaced as gofmt spaces them: `Pair[int8, int64]`,
    `func(a int, b ...string) (int, error)`, `chan<- int`, `<-chan T`,
    `struct{ a int; b string }`, `x + 1`, `&T{}`. A statement's line end becomes `; `
    (none before a closing bracket). In a type (`type_only`) no operator is binary, so
    `p *T` is a parameter, not a product."""
    if len(tokens) == 1:  # most types in a lesson are one name
        return tokens[0].text
    # The same text always tokenizes the same way, so the texts alone are the key; lessons
    # repeat their types and arguments (`[]byte`, `&counter`) many times.
    key = " ".join([t.text for t in tokens]) + (" T" if type_only else " E")
    written = _WRITTEN.get(key)
    if written is None:
        if len(_WRITTEN) >= 4096:
            _WRITTEN.clear()
        written = _WRITTEN[key] = _spaced(tokens, type_only)
    return written


_WRITTEN: dict[str, str] = {}


def _spaced(tokens: list[Token], type_only: bool) -> str:
    out: list[str] = []
    before = ""  # the role of the token written last
    braces: list[bool] = []  # per open `{`: whether it opens a struct or interface type
    brackets = 0  # open `[`: a `:` inside is a slice expression's, unspaced
    for i, (kind, text, _, _, _) in enumerate(tokens):
        if text == ";" and (i + 1 == len(tokens) or tokens[i + 1].text in _CLOSERS):
            continue
        last = out[-1] if out else ""
        after_word = before in ("word", "call-end")  # where a binary operator may follow
        result = before == "call-end" and type_only  # `func() (int, error)`, `func() []T`
        if kind in _WORDS:
            role, space = "word", before in ("word", "call-end", "sep", "binary", "chan<-")
        elif text in ("(", "["):
            role = "open"
            space = before in ("sep", "binary") or result or last == "chan" or (
                # `p []byte`, `buf [4]byte`: a slice or array type after a parameter's name
                # (type arguments, `Pair[int8]`, are never empty or a number)
                type_only and text == "[" and before == "word" and i + 1 < len(tokens)
                and (tokens[i + 1].text == "]" or tokens[i + 1].kind == INT))
            brackets += text == "["
        elif text == "{":
            role, space = "brace", before in ("sep", "binary")
            braces.append(last in ("struct", "interface"))
        elif text in _CLOSERS:
            role = "call-end" if text == ")" else "close"
            space = text == "}" and before != "brace" and bool(braces) and braces[-1]
            if text == "}" and braces:
                braces.pop()
            brackets -= text == "]" and brackets > 0
        elif text in (",", ";") or text == ":" and not brackets:
            role, space = "sep", False
        elif text == ":":
            role, space = "colon", False
        elif text == "<-" and last == "chan":
            role, space = "chan<-", False
        elif text in _BINARY and (after_word or before == "close") and (
                not type_only or brackets):  # an array length is an expression
            role, space = "binary", True
        elif text == "...":  # `b ...string` in a signature, `f(xs...)` in a call
            role, space = "prefix", type_only and after_word
        else:  # a prefix: `*T`, `&v`, `<-ch`, `-1`, and the `.` of a selector
            role = "dot" if text == "." else "prefix"
            space = role == "prefix" and (before in ("sep", "binary") or after_word or
                                          last == "chan")
        if before == "brace" and text != "}" and braces and braces[-1]:
            space = True  # `struct{ a int }` on one line, as gofmt writes it
        if kind == OP and last + text[:1] in _LONGER_OPS:
            space = True  # `- -x`, not `--x`
        elif (text[:1] == "." and last[-1:].isdigit()) or (last == "." and text[:1].isdigit()):
            space = True  # a number and a dot would read as one number
        if space and out:
            out.append(" ")
        out.append(text)
        before = role
    return "".join(out)
