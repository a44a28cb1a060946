"""A small regex highlighter for code on review cards, so the review path never loads Pygments.

It knows comments, strings, numbers, keywords and builtin names of the languages lessons use
(Go first, then Python, C/C++, Rust, JavaScript/TypeScript, Java, shell, SQL); anything else
gets comments, strings and numbers only. It colours; it does not parse.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rich.text import Text

_C_KEYWORDS = (
    "break case const continue default do else enum extern for goto if inline return sizeof "
    "static struct switch typedef union volatile while"
)
_KEYWORDS: dict[str, str] = {
    "go": (
        "break case chan const continue default defer else fallthrough for func go goto if "
        "import interface map package range return select struct switch type var"
    ),
    "python": (
        "and as assert async await break class continue def del elif else except finally for "
        "from global if import in is lambda match case nonlocal not or pass raise return try "
        "while with yield"
    ),
    "c": _C_KEYWORDS,
    "cpp": _C_KEYWORDS + (
        " auto class constexpr delete explicit friend namespace new noexcept operator private "
        "protected public template this throw try catch typename using virtual"
    ),
    "rust": (
        "as async await break const continue crate dyn else enum extern fn for if impl in let "
        "loop match mod move mut pub ref return self Self static struct super trait type unsafe "
        "use where while"
    ),
    "javascript": (
        "async await break case catch class const continue debugger default delete do else "
        "export extends finally for function if import in instanceof let new of return static "
        "super switch this throw try typeof var void while yield interface type implements"
    ),
    "java": (
        "abstract break case catch class continue default do else enum extends final finally "
        "for if implements import instanceof interface new package private protected public "
        "return static super switch synchronized this throw throws try volatile while"
    ),
    "sh": "case do done elif else esac export fi for function if in local return then until while",
    "sql": (
        "select from where insert into values update set delete create table index on and or "
        "not null primary key foreign references join left inner outer group by order having "
        "limit as begin commit rollback pragma"
    ),
}
_BUILTINS: dict[str, str] = {
    "go": (
        "append cap clear close complex copy delete imag len make max min new panic print println "
        "real recover bool byte complex64 complex128 error float32 float64 int int8 int16 int32 "
        "int64 rune string uint uint8 uint16 uint32 uint64 uintptr any comparable true false nil "
        "iota"
    ),
    "python": (
        "True False None self print len range int str float bool list dict set tuple bytes "
        "object type isinstance super open"
    ),
    "c": "int char long short float double void unsigned signed size_t NULL true false bool",
    "rust": (
        "i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64 bool char str String Vec "
        "Option Some None Result Ok Err Box true false"
    ),
    "javascript": "true false null undefined NaN Infinity console Promise",
    "java": "int long short byte char boolean float double void String true false null",
    "sh": "echo cd test read exit set unset source",
    "sql": "integer text real blob",
}
_ALIASES = {
    "golang": "go", "py": "python", "python3": "python", "h": "c", "c++": "cpp", "cc": "cpp",
    "hpp": "cpp", "rs": "rust", "js": "javascript", "ts": "javascript", "typescript": "javascript",
    "jsx": "javascript", "tsx": "javascript", "bash": "sh", "shell": "sh", "zsh": "sh",
    "console": "sh", "kotlin": "java", "sqlite": "sql",
}
_HASH_COMMENTS = {"python", "sh"}
_DASH_COMMENTS = {"sql"}
_BUILTINS["cpp"] = _BUILTINS["c"]

STYLES = {
    "comment": "italic bright_black",
    "string": "green",
    "number": "magenta",
    "keyword": "bold blue",
    "builtin": "cyan",
}


def language(name: str) -> str:
    key = name.strip().lower()
    return _ALIASES.get(key, key)


@lru_cache(maxsize=32)
def _pattern(lang: str) -> re.Pattern[str]:
    comments = [r"/\*[\s\S]*?(?:\*/|$)"]
    if lang in _HASH_COMMENTS:
        comments.append(r"#[^\n]*")
    if lang in _DASH_COMMENTS:
        comments.append(r"--[^\n]*")
    if lang not in _HASH_COMMENTS or lang == "":
        comments.append(r"//[^\n]*")
    strings = [r'"(?:\\.|[^"\\\n])*"?', r"'(?:\\.|[^'\\\n])*'?"]
    if lang in ("go", "javascript", "sh", ""):
        strings.append(r"`[^`]*`?")
    if lang == "python":
        strings.insert(0, r'"""[\s\S]*?(?:"""|$)|\'\'\'[\s\S]*?(?:\'\'\'|$)')
    parts = [
        rf"(?P<comment>{'|'.join(comments)})",
        rf"(?P<string>{'|'.join(strings)})",
        r"(?P<number>\b(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|\d[\d_]*(?:\.\d+)?"
        r"(?:[eE][+-]?\d+)?)\b)",
    ]
    words = _KEYWORDS.get(lang, "").split()
    if words:
        flags = "(?i:" if lang == "sql" else "(?:"
        parts.append(rf"(?P<keyword>\b{flags}{'|'.join(map(re.escape, words))})\b)")
    builtins = _BUILTINS.get(lang, "").split()
    if builtins:
        parts.append(rf"(?P<builtin>\b(?:{'|'.join(map(re.escape, builtins))})\b)")
    return re.compile("|".join(parts))


def highlight(code: str, lang: str) -> Text:
    """`code` as a rich Text with token styles; never raises on odd input."""
    text = Text(code, no_wrap=False, tab_size=4)  # as the exported cards show it
    pattern = _pattern(language(lang))
    for match in pattern.finditer(code):
        kind = match.lastgroup
        if kind is not None and match.end() > match.start():
            text.stylize(STYLES[kind], match.start(), match.end())
    return text
