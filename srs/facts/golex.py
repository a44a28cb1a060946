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
