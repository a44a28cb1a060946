"""A tolerant Go tokenizer: identifiers, literals, operators, with Go's automatic semicolons.

Lesson snippets are often not whole files, so nothing here rejects input: an unknown
character becomes a one-character operator token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IDENT, INT, FLOAT, IMAG, CHAR, STRING, OP = "ident", "int", "float", "imag", "char", "string", "op"


@dataclass(frozen=True, slots=True)
class Token:
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
_TOKEN = re.compile(
    r"(?P<ws>[ \t\r\f\v]+)"
    r"|(?P<nl>\n)"
    r"|(?P<lc>//[^\n]*)"
    r"|(?P<bc>/\*.*?(?:\*/|\Z))"
    r"|(?P<imag>(?:\d[\d_]*(?:\.[\d_]*)?(?:[eE][+-]?\d+)?|\.\d[\d_]*(?:[eE][+-]?\d+)?)i)"
    r"|(?P<float>\d[\d_]*\.[\d_]*(?:[eE][+-]?\d+)?|\d[\d_]*[eE][+-]?\d+|\.\d[\d_]*(?:[eE][+-]?\d+)?)"
    r"|(?P<int>0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|\d[\d_]*)"
    r"|(?P<ident>[^\W\d]\w*)"
    r"|(?P<char>'(?:\\.|[^'\\\n])*'?)"
    r"|(?P<string>\"(?:\\.|[^\"\\\n])*\"?|`[^`]*`?)"
    r"|(?P<op>" + "|".join(re.escape(o) for o in _OPS) + r"|.)",
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
    line = 0
    pos = 0

    def semicolon_needed() -> bool:
        if not tokens:
            return False
        last = tokens[-1]
        if last.kind == IDENT:
            return last.text not in KEYWORDS or last.text in _ENDING_WORDS
        return last.kind in _ENDS_STATEMENT or (last.kind == OP and last.text in _ENDING_OPS)

    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m is not None  # the last alternative matches any character
        kind = m.lastgroup or OP
        value = m.group()
        if kind == "nl" or (kind == "bc" and "\n" in value):
            if semicolon_needed():
                tokens.append(Token(OP, ";", m.start(), m.start(), line))
            line += value.count("\n")
        elif kind not in ("ws", "lc", "bc"):
            tokens.append(Token(kind, value, m.start(), m.end(), line))
            line += value.count("\n")  # raw strings
        pos = m.end()
    if semicolon_needed():
        tokens.append(Token(OP, ";", len(text), len(text), line))
    return tokens
