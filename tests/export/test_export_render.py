"""Markdown to HTML for Anki fields: safety, literal code, Pygments equivalence, caching."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from anki_helpers import TagCollector, unsafe_html, visible_text
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.lexers import get_lexer_by_name

from srs.render import (
    Renderer,
    _simple_inline,
    escape_plain,
    format_tokens,
    highlight_fused,
    pygments_css,
)

REPO = Path(__file__).resolve().parents[2]
ALLOWED_TAGS = {"p", "em", "strong", "code", "pre", "span", "a", "img", "ul", "ol", "li",
                "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br"}
RENDERER = Renderer()


def _markdown_it(text: str) -> str:
    """What `render` makes of `text` without its shortcuts: markdown-it's tokens, links that
    lead nowhere in Anki made text, rendered."""
    tokens = RENDERER._md.parse(text, {})
    RENDERER._rewrite_references(tokens, None)
    return str(RENDERER._md.renderer.render(tokens, RENDERER._md.options, {})).rstrip("\n")

markdownish = st.lists(
    st.sampled_from(list("<>&\"'`*_[]()!#:/\\-=+{}| \n\tajsvcrtpion1") + [
        "<script>", "</script>", "javascript:", "onerror=", "<img ", "```", "](", "&#106;",
        "<a href=", "[sound:x.mp3]", "data:text/html,", "\u00a0", "ü", "[latex]", "[$]",
        "[/$$]",
    ]),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(markdownish)
def test_any_markdown_renders_to_inert_html(text: str) -> None:
    out = RENDERER.render(text)
    assert unsafe_html(out) == []
    parser = TagCollector()
    parser.feed(out)
    parser.close()
    assert {tag for tag, _ in parser.tags} <= ALLOWED_TAGS
    assert "[sound:" not in out and not re.search(r"\[(latex|\$\$?)\]", out, re.IGNORECASE)


def test_anki_latex_markup_reads_literally() -> None:
    # Anki would turn each into an image of the typeset LaTeX (or an error about LaTeX).
    text = "In prose [latex]x[/latex], [$]y[/$], [$$]z[/$$] and [LaTeX]w[/LaTeX]."
    for out in (RENDERER.render(text), RENDERER.render(f"```go\n// {text}\n```"),
                escape_plain(text)):
        assert not re.search(r"\[(latex|\$\$?)\]", out, re.IGNORECASE), out
        assert "&#91;latex]x[/latex]" in out and "&#91;$]y[/$]" in out


def test_code_reads_literally_inline_and_in_blocks() -> None:
    inline = RENDERER.render("Receive with `<-chan int`, collect a `Vec<T>`, test `a && b`.")
    assert "<code>&lt;-chan int</code>" in inline and "<code>Vec&lt;T&gt;</code>" in inline
    assert "<code>a &amp;&amp; b</code>" in inline
    prose = RENDERER.render("Vec<T> and a && b and <-chan int")
    assert visible_text(prose) == "Vec<T> and a && b and <-chan int"
    for lang in ("go", "rust", "", "nosuchlang"):
        block = RENDERER.render(f"```{lang}\nx := <-ch && ok\nlet v: Vec<T> = y;\n```")
        assert visible_text(block) == "x := <-ch && ok\nlet v: Vec<T> = y;\n"
        assert "<-" not in block and "<T>" not in block
    assert 'class="highlight"' in RENDERER.render("```go\nx := 1\n```")


def test_links_keep_only_safe_targets() -> None:
    out = RENDERER.render("[a](https://go.dev) [b](javascript:alert(1)) [c](JAVA\tscript:x) "
                          "<https://pkg.go.dev> [d](vbscript:x) [e](data:text/html,x) "
                          "[m](mailto:a@b.c)")
    parser = TagCollector()
    parser.feed(out)
    hrefs = [dict(attrs).get("href") for tag, attrs in parser.tags if tag == "a"]
    assert hrefs == ["https://go.dev", "https://pkg.go.dev", "mailto:a@b.c"]


def test_links_that_lead_nowhere_in_anki_are_their_text_alone() -> None:
    # A sibling lesson, a file beside the lesson or a heading is no place inside Anki.
    text = ("See [lesson *5*](./05.%20Runtime.md), [the program](prog.go), [above](#sizes) "
            "and [Go](https://go.dev).\n\n[![layout](fig.png)](fig.png)")
    out = RENDERER.render(text, lambda src: f"media-{src}")
    assert out == ('<p>See lesson <em>5</em>, the program, above and '
                   '<a href="https://go.dev">Go</a>.</p>\n'
                   '<p><img src="media-fig.png" alt="layout" /></p>')
    assert RENDERER.render_inline("[x](y.md) [z](<a b.md>)") == "x z"


def test_images_go_through_the_resolver() -> None:
    seen: list[str] = []

    def resolve(src: str) -> str:
        seen.append(src)
        return "srs-abc.png"

    out = RENDERER.render("Look: ![layout](img/pair%20layout.png \"t\")", resolve)
    assert seen == ["img/pair%20layout.png"]
    assert 'src="srs-abc.png"' in out


go_code = st.lists(
    st.sampled_from(list("abcfgiortnu{}()[]<>-=+*/&|!:;,.'\"`\\ \t\n0129x_")
                    + ["func ", "package ", "//", "/*", "*/", "chan ", "<-", ":=", "0x1F",
                       "1.5e3", "'a'", "\"s\"", "`raw`", "go ", "select {"]),
    max_size=80,
).map("".join)


def test_code_blocks_in_other_languages_are_pygments_own_html() -> None:
    # Lexers with several states are not highlighted in one pass: Pygments tokenizes them.
    samples = {
        "rust": 'fn main() { let v: Vec<T> = Vec::new(); println!("{}", r#"raw"#); } // c\n',
        "python": 'def f(x: int) -> str:\n    """doc"""\n    return f"{x!r}" + \'a\'  # c\n',
        "bash": 'echo "$HOME" | grep -v x && ls *.md\n',
        "javascript": "const a = `t ${x}`; /re+/g.test(a) && f(a => a * 2);\n",
        "c": '#include <stdio.h>\nint main(){ printf("%d\\n", 1<<3); }\n',
        "sql": "SELECT * FROM t WHERE a = 'x';\n",
        "html": '<a href="x">y</a><script>var a = 1;</script>\n',
        "json": '{"a": [1, 2.5, true, null]}\n',
    }
    renderer = Renderer()
    renderer.code("func f() {}\n", "go")
    for lang, code in samples.items():
        lexer = get_lexer_by_name(lang, stripnl=False, ensurenl=True)
        assert highlight_fused(lexer, code) is None, lang
        body = format_tokens(lexer.get_tokens(code))
        assert renderer.code(code, lang) == (
            f'<pre class="highlight" data-lang="{lang}"><code>{body}</code></pre>'), lang
    for lang in ("go", *samples):
        assert vars(renderer._lexers[lang]).keys() == vars(  # the lexers are left as they are
            get_lexer_by_name(lang, stripnl=False, ensurenl=True)).keys(), lang


def test_a_fence_naming_a_file_after_its_language_is_highlighted_in_that_language() -> None:
    renderer = Renderer()
    plain = renderer.code("func f() {}\n", "go")
    assert renderer.code("func f() {}\n", "go:main.go") == plain.replace(
        'data-lang="go"', 'data-lang="go:main.go"')
    assert '<span class="kd">func</span>' in plain


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["go", "rust", "", "text"]), go_code)
def test_lone_fence_shortcut_renders_as_markdown_it_does(lang: str, code: str) -> None:
    text = f"```{lang}\n{code}\n```"
    assert RENDERER.render(text) == _markdown_it(text)


fence_lines = st.lists(
    st.sampled_from(["```", "````", "  ```", "    ```", "```go", "``` ", "~~~", "x := 1", "",
                     "\t```", "`` `", "}", "```\xa0", "x\r", "\0"]),
    max_size=6,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["```", "````", "~~~"]), fence_lines, st.sampled_from(["", "\n", "  \n"]))
def test_lone_fence_shortcut_finds_early_closers_as_markdown_it_does(
        marker: str, body: str, tail: str) -> None:
    text = f"{marker}go\n{body}\n{marker}{tail}"
    assert RENDERER.render(text) == _markdown_it(text)


def test_highlighting_is_cached_by_content() -> None:
    renderer = Renderer()
    first = renderer.render("```go\nx := 1\n```")
    second = renderer.render("Intro\n\n```go\nx := 1\n```")
    assert renderer.highlight_misses == 1 and renderer.highlight_hits == 1
    assert first in second


def test_css_covers_light_and_night_mode() -> None:
    css = pygments_css()
    rules = css.splitlines()
    assert any(rule.startswith(".highlight .kd {") for rule in rules)
    assert any(rule.startswith(".nightMode .highlight .kd, .night_mode .highlight .kd {")
               for rule in rules)
    # Every rule is scoped to a code block: nothing leaks into the rest of the card, and the
    # night rules never apply in day mode.
    assert all(rule.startswith((".highlight .", ".nightMode .highlight .")) for rule in rules)


def test_exporter_keeps_heavy_imports_off_the_review_path() -> None:
    probe = (
        "import sys, srs.export, srs.render, srs.cli\n"
        "print(sorted(m for m in ('genanki', 'pygments', 'markdown_it') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                            text=True, check=True, env={"PYTHONPATH": str(REPO)})
    assert result.stdout.strip() == "[]"


paragraph_line = st.lists(
    st.sampled_from(list("ab Z1.)*_`~#>[]()!<&\\-+=|:\t\u00a0") + [
        "**", "`code`", "*em*", "__", "[x](https://go.dev)", "![i](a.png)", "&amp;", "\\*",
        "1. ", "- ", "* ", "---", "***", "```", "<-chan", "Vec<T>", "a && b", "{{c1::x}}",
    ]),
    min_size=1, max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(paragraph_line, min_size=1, max_size=4),
       st.sampled_from(["\n\n", "\n \n", "\n\n\n", "\n"]))
def test_paragraph_shortcut_renders_as_markdown_it_does(lines: list[str], sep: str) -> None:
    text = sep.join(lines)
    assert RENDERER.render(text) == _markdown_it(text)


def test_paragraph_shortcut_is_taken_for_typical_card_fronts() -> None:
    from srs.render import _one_line_paragraphs

    front = "*Channels* › Direction\n\nWrite the Go code for: **Direction**"
    assert _one_line_paragraphs(front) == ["*Channels* › Direction",
                                           "Write the Go code for: **Direction**"]
    assert _one_line_paragraphs("- item\n\ntext") is None
    assert _one_line_paragraphs("para\ncontinued") is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ab Z.,:;'\"?/()%$@^\u00a0\u2003\0") + ["word", "  "]),
                min_size=1, max_size=20).map("".join))
def test_plain_text_shortcut_renders_as_markdown_it_does(text: str) -> None:
    assert RENDERER.render(text) == _markdown_it(text)


emphasis_line = st.lists(
    st.sampled_from(list("ab Z19.,:;'\"?()%$@^#+-=/|{}") + [
        "*", "**", "***", "_", "word", "› ", "é", " *", "* ", "** ", " **", "`", "\\", "&",
        "<", "[", "!", "~", "\t", "\u00a0"]),
    min_size=1, max_size=14,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(emphasis_line)
def test_simple_emphasis_shortcut_renders_as_markdown_it_does(line: str) -> None:
    simple = _simple_inline(line)
    if simple is not None:
        assert simple == RENDERER._md.renderInline(line)


def test_simple_emphasis_shortcut_is_taken_for_typical_card_fronts() -> None:
    for line in ("*Lesson 3* › Workers", "*Memory-Mapped Files and Syscalls* › mmap",
                 "Write the Go code for: **Counting workers, v 5**",
                 "Why does *this* fail?", "a**b**c and 2*3*4"):
        simple = _simple_inline(line)
        assert simple is not None and simple == RENDERER._md.renderInline(line), line
    for line in ("**a*", "*a**b*", "***a***", "* a*", "_a_", "*a_b*"):
        assert _simple_inline(line) is None, line


def test_titles_headings_and_comment_labels_show_as_written() -> None:
    from srs.parse import parse_lesson_text

    lesson = parse_lesson_text(
        "---\ntitle: \"Pointers & *T_Values*\"\ncanonical_id: p\n---\n# P\n\n"
        "## Pointers and *T receivers\n\n```go\n// Deref *p into v\nv := *p\n\n"
        "// __init__ style <b>\nx := 1\n```\n", Path("p.md"))
    renderer = Renderer()
    fronts = [visible_text(renderer.render(card.front)) for card in lesson.cards]
    assert fronts == [
        "Pointers & *T_Values* › Pointers and *T receivers\nWrite the Go code for: Deref *p into v",
        "Pointers & *T_Values* › Pointers and *T receivers\nWrite the Go code for: __init__ "
        "style <b>",
    ]
    html = renderer.render(lesson.cards[1].front)
    assert html.count("<em>") == 1 and html.count("<strong>") == 1  # the title, the label
