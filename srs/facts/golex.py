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


def tokenize(text: str) -> list[Token]:
    """Tokens of `text`, with `;` inserted where Go inserts them (text ";" at a newline)."""
    tokens: list[Token] = []
    append = tokens.append
    line = 0
    ends_ops = _ENDING_OPS
    ends_kinds = _ENDS_STATEMENT
    keywords = KEYWORDS
    ending_words = _ENDING_WORDS
    last_kind = ""
    last_text = ""

    def needs_semicolon() -> bool:
        if last_kind == IDENT:
            return last_text not in keywords or last_text in ending_words
        return last_kind in ends_kinds or (last_kind == OP and last_text in ends_ops)

    for m in _TOKEN.finditer(text):
        group = m.lastgroup or "op2"
        if group == "lc" or group == "end":
            continue
        value = m.group(group)
        kind = OP if group == "op2" else group
        if kind == "nl" or kind == "bc":
            if "\n" in value:
                if last_kind and needs_semicolon():
                    start = m.start(group)
                    append(Token(OP, ";", start, start, line))
                    last_kind, last_text = OP, ";"
                line += value.count("\n")
            continue
        append(Token(kind, value, m.start(group), m.end(), line))
        last_kind, last_text = kind, value
        if kind == STRING and "\n" in value:
            line += value.count("\n")  # raw strings
    if last_kind and needs_semicolon():
        append(Token(OP, ";", len(text), len(text), line))
    return tokens
