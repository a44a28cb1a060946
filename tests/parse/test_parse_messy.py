"""Hand-written lessons are messy: each case becomes the right cards or a `path:line` finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from srs.errors import LessonError
from srs.facts import fact_cards
from srs.model import CardKind, Lesson, Severity, fence_language
from srs.parse import parse_lesson_file, parse_lesson_text

FRONT = "---\ntitle: T\nslug: t\ncanonical_id: t-1\n---\n"


def parse(body: str, front: str = FRONT) -> Lesson:
    return parse_lesson_text(front + body, Path("l.md"))


def quiz(answer_line: str, options: str = "**A)** one  \n**B)** two  \n**C)** three") -> str:
    return f"# T\n\n## Quiz\n\n### Question 1\nPick one.\n\n{options}\n\n{answer_line}\n"


def messages(lesson: Lesson, severity: Severity | None = None) -> list[str]:
    return [f"{d.pos.line}: {d.message}" for d in lesson.diagnostics
            if severity is None or d.severity is severity]


@pytest.mark.parametrize(("line", "letter", "explanation"), [
    ("**Answer: C** - because", "C", "because"),
    ("**Answer:** B", "B", ""),
    ("Answer: b", "B", ""),
    ("**Answer: A** – en dash", "A", "en dash"),
    ("**Answer: A** — em dash", "A", "em dash"),
    ("**Answer**: C: colon", "C", "colon"),
    ("Correct answer: (B) parenthesised", "B", "parenthesised"),
    ("__Answer: A__ - underscores", "A", "underscores"),
])
def test_answer_line_variants(line: str, letter: str, explanation: str) -> None:
    [card] = parse(quiz(line)).cards
    assert card.answer == letter
    assert card.explanation == explanation


def test_missing_explanation_is_a_warning() -> None:
    lesson = parse(quiz("**Answer:** B"))
    assert messages(lesson, Severity.WARNING) == ["17: question 1: the answer has no explanation"]
    assert len(lesson.cards) == 1


def test_choices_that_read_the_same_are_a_warning_at_the_later_one() -> None:
    lesson = parse(quiz("**Answer: B** - x", "**A)** Sizeof  \n**B)** 24  \n**C)**  sizeof\n"
                                              "**D)** 16"))
    assert messages(lesson, Severity.WARNING) == ["15: question 1: choice C reads the same as "
                                                  "choice A"]
    assert len(lesson.cards) == 1


@pytest.mark.parametrize("options", [
    "**A)** one  \n**B)** two",
    "A) one\nB) two\nC) three\nD) four\nE) five\nF) six",
    "- A) one\n- B) two\n- C) three",
    "**A.** one  \n**B.** two  \n**C.** three",
    "**A)** one\\\n**B)** two\\\n**C)** three",
])
def test_option_shapes_and_counts(options: str) -> None:
    [card] = parse(quiz("**Answer: B** - x", options)).cards
    assert card.choices[:2] == ("one", "two")
    assert card.answer == "B"


def test_wrapped_option_continues_the_choice() -> None:
    [card] = parse(quiz("**Answer: A** - x", "**A)** a long\noption text\n**B)** short")).cards
    assert card.choices == ("a long option text", "short")


def test_answer_matching_no_choice_is_an_error_with_line() -> None:
    lesson = parse(quiz("**Answer: E** - x"))
    assert lesson.cards == ()
    assert messages(lesson, Severity.ERROR) == ["17: question 1: answer E matches no choice (A-C)"]


def test_question_without_answer() -> None:
    lesson = parse(quiz(""))
    assert "question 1 has no answer" in messages(lesson, Severity.ERROR)[0]


def test_duplicate_question_numbers() -> None:
    body = quiz("**Answer: A** - x") + (
        "\n### Question 1\nAgain?\n\n**A)** y  \n**B)** n\n\nAnswer: A - y\n")
    lesson = parse(body)
    assert len(lesson.cards) == 1
    assert messages(lesson, Severity.ERROR) == [
        "19: duplicate question number 1 (first at line 10); this question is skipped"]


def test_question_holding_code() -> None:
    body = ("# T\n\n## Quiz\n\n### Question 2\nWhat does this print?\n\n```go\n"
            "fmt.Println(unsafe.Sizeof(struct{ a bool; b int64 }{}))\n```\n\n"
            "**A)** `9`  \n**B)** `16`\n\n**Answer: B** - padding after `a`.\n\n"
            "```go\n// A) not an option\n```\n")
    [card] = parse(body).cards
    assert "```go\nfmt.Println" in card.front
    assert card.choices == ("`9`", "`16`")
    assert card.explanation.startswith("padding after `a`.")
    assert "// A) not an option" in card.explanation


def test_crlf_and_bom(seed_text: str, write_lesson: Callable[..., Path]) -> None:
    plain = parse_lesson_file(write_lesson(seed_text, "a.md"))
    messy = parse_lesson_file(
        write_lesson(b"\xef\xbb\xbf" + seed_text.replace("\n", "\r\n").encode(), "b.md"))
    assert [(c.id, c.content_hash, c.source.line) for c in plain.cards] == [
        (c.id, c.content_hash, c.source.line) for c in messy.cards]
    assert messy.canonical_id == "golang-advanced-06"


def test_invalid_yaml_points_at_its_line_and_body_still_parses() -> None:
    front = "---\ntitle: T\ntags: [a, b\nslug: s\n---\n"
    lesson = parse(quiz("**Answer: A** - x"), front=front)
    errors = messages(lesson, Severity.ERROR)
    # PyYAML notices the unclosed `[` only on the line after it; the error names its own line
    assert len(errors) == 1 and errors[0].startswith("3: invalid front matter")
    assert lesson.slug == "s"
    assert len(lesson.cards) == 1


def test_one_broken_key_leaves_the_others_and_every_card_id() -> None:
    clean = "---\ntitle: T\nslug: s\ncanonical_id: c-1\nminutes: 45\ntags: [a, b]\n---\n"
    broken = clean.replace("minutes: 45", "minutes: 45 minutes: approx")
    body = quiz("**Answer: A** - x") + "\n## Cards\n\nQ: why?\nA: because\n"
    before, after = parse(body, front=clean), parse(body, front=broken)
    assert messages(after, Severity.ERROR) == [
        "5: invalid front matter: mapping values are not allowed in this context; "
        "`minutes` ignored"]
    assert (after.canonical_id, after.slug, after.tags) == ("c-1", "s", before.tags)
    assert [(c.id, c.content_hash) for c in after.cards] == [
        (c.id, c.content_hash) for c in before.cards]
    # Text before the first key is a part of its own.
    stray = parse(body, front="---\njust words\ncanonical_id: c-1\n---\n")
    assert stray.canonical_id == "c-1"
    assert messages(stray, Severity.ERROR) == [
        "2: invalid front matter: expected `key: value` lines; ignored"]


@pytest.mark.parametrize(("front", "line", "cause"), [
    ('---\ntitle: T\ncanonical_id: "c-1\n---\n', 3, "invalid front matter: "),
    ("---\ntitle: T\nslug: [s\n---\n", 3, "invalid front matter: "),
    ("---\ntitle: T\ncanonical_id: [c, 1]\n---\n", 3,
     "invalid front matter: `canonical_id` must be a string"),
    # The closing `---` mistyped: nothing of the front matter is read.
    ("---\ntitle: T\ncanonical_id: c-1\n--\n", 1,
     "front matter starts with `---` but never ends"),
])
def test_a_lesson_whose_identity_cannot_be_read_is_left_out(
        front: str, line: int, cause: str) -> None:
    with pytest.raises(LessonError) as raised:
        parse("# T\n\n## Cards\n\nQ: why?\nA: because\n", front=front)
    assert raised.value.line == line
    assert raised.value.message.startswith(cause)
    assert raised.value.message.endswith("(line 3): the lesson is left out until it reads")


def test_a_lesson_whose_identity_is_read_keeps_its_cards_despite_other_errors() -> None:
    body = "# T\n\n## Cards\n\nQ: why?\nA: because\n"
    for front in ("---\ntitle: T\ncanonical_id: c-1\nslug: [s\n---\n",  # slug not needed
                  "---\ntitle: T\nslug:\nnumber: six\n---\n",  # written empty
                  "---\ntitle: [T\n--\n"):  # never ends, but named no identity
        lesson = parse(body, front=front)
        assert len(lesson.cards) == 1 and messages(lesson, Severity.ERROR), front


def test_wrong_types_in_front_matter() -> None:
    lesson = parse("# T\n", front="---\ntitle: T\nnumber: six\ntags: {a: 1}\n---\n")
    assert sorted(messages(lesson, Severity.ERROR)) == [
        "3: invalid front matter: `number` must be a whole number, 0 or more",
        "4: invalid front matter: `tags` must be a list of strings",
    ]


def test_a_negative_lesson_number_is_an_error() -> None:
    lesson = parse("# T\n", front="---\ntitle: T\nnumber: -1\n---\n")
    assert messages(lesson, Severity.ERROR) == [
        "3: invalid front matter: `number` must be a whole number, 0 or more"]
    assert lesson.number is None


def test_a_misspelt_key_is_a_warning_and_other_keys_pass_quietly() -> None:
    front = ("---\ntitle: T\ncanonical_id: t-1\nprerequisities: [a]\nTags: [go]\n"
             "canonical-id: t-2\nauthor: me\nestimated_minutes: 30\nsource: book\n---\n")
    lesson = parse("# T\n", front=front)
    assert messages(lesson, Severity.WARNING) == [
        f"{line}: unknown front matter key `{key}`; did you mean `{meant}`? It is ignored"
        for line, key, meant in [(4, "prerequisities", "prerequisites"), (5, "Tags", "tags"),
                                 (6, "canonical-id", "canonical_id")]]
    assert lesson.prerequisites == () and lesson.canonical_id == "t-1"
    assert lesson.meta["author"] == "me"


@pytest.mark.parametrize("front", [
    "---\na: &x [1, 2]\nb: *x\n---\n",
    "---\nbomb: &a [&b [&c [x]]]\n---\n",
    "---\ntitle: !!python/object/apply:os.system ['true']\n---\n",
    "---\n" + "k: " + "x" * 70_000 + "\n---\n",
])
def test_unsafe_front_matter_is_refused(front: str) -> None:
    lesson = parse("# T\n", front=front)
    assert lesson.meta == {}
    assert messages(lesson, Severity.ERROR)


def test_unterminated_front_matter() -> None:
    lesson = parse("# T\n", front="---\ntitle: T\n")
    assert "never ends" in messages(lesson, Severity.ERROR)[0]


@pytest.mark.parametrize(("body", "line"), [
    ("# T\n\n## Deep Explanation\n\n```go\nx := 1\n\nQ: inside?\nA: no\n", 10),
    ("# T\n\n```go\na := 1\n```\n\n````\n```\n", 12),
    ("# T\n\n```", 8),
])
def test_a_fence_never_closed_is_a_warning_at_its_line(body: str, line: int) -> None:
    lesson = parse(body)
    assert messages(lesson) == [
        f"{line}: code fence is never closed; the rest of the lesson is read as its code"]
    assert not parse(body + "\n" + "`" * 4 + "\n").diagnostics  # closing it ends the warning


def test_control_characters_are_replaced_with_a_warning_at_the_first() -> None:
    body = "# T\n\n## Cards\n\nQ: red \x1b[31mtext\x07?\nA: \x9b2J and \x00 and\ttab\n"
    lesson = parse(body)
    assert messages(lesson) == [
        "10: control character U+001B in the text; shown as U+FFFD"]
    [card] = lesson.cards
    assert card.front == "red \ufffd[31mtext\ufffd?"
    assert card.back == "\ufffd2J and \ufffd and\ttab"


def test_bidirectional_overrides_are_replaced_as_control_characters_are() -> None:
    # "Trojan source": an override makes the code read other than it runs.
    body = ('# T\n\n## Cards\n\nQ: What runs?\nA: `if access != "user\u202e \u2066// admin'
            '\u2069\u2066" {`\n')
    lesson = parse(body)
    assert messages(lesson) == ["11: control character U+202E in the text; shown as U+FFFD"]
    assert "\u202e" not in lesson.cards[0].back and "\u2066" not in lesson.cards[0].back


def test_a_code_card_drops_the_imports_but_keeps_a_const_group_whole() -> None:
    body = ("# T\n\n## Deep Explanation\n\n### Sizes\n\n```go\npackage main\n\nimport (\n"
            "\t\"fmt\"\n)\n\nconst (\n\tSize = 16\n)\n\nfunc main() { fmt.Println(Size) }\n```\n")
    [card] = parse(body).cards
    assert "import" not in card.back and '"fmt"' not in card.back
    assert "const (\n\tSize = 16\n)\n" in card.back


def test_a_code_card_asks_for_what_its_block_holds() -> None:
    body = ("# T\n\n## Deep Explanation\n\n### Profiling\n\n```bash\n# Record a CPU profile\n"
            "go test -cpuprofile cpu.out\n```\n\n```python\nprint(1)\n```\n\n```go\nx := 1\n```\n")
    fronts = [card.front.split("\n\n")[1] for card in parse(body).cards]
    assert fronts == ["Write the commands for: **Record a CPU profile**",
                      "Write the Python code for **Profiling**.",
                      "Write the Go code for **Profiling**."]


def test_html_and_non_ascii() -> None:
    body = ("# Über\n\n<div class=\"note\">Aufmerksamkeit: <b>wichtig</b></div>\n\n"
            "## Cards\n\nQ: Was zählt `unsafe.Sizeof`? <script>x</script> {#größe}\n"
            "A: Nur den Kopf — 24 Bytes.\n")
    [card] = parse(body).cards
    assert card.key == "qa/größe"
    assert "<script>x</script>" in card.front  # kept as text; escaping is the renderer's job


def test_card_syntax_inside_code_fences_is_not_read() -> None:
    body = ("# T\n\n## Cards\n\n```text\nQ: not a card\nA: no\n```\n\n"
            "## Quiz\n\n```\n### Question 9\n**A)** x\n**Answer: A**\n```\n")
    lesson = parse(body)
    assert lesson.cards == ()


def test_explicit_qa_and_cloze() -> None:
    body = ("# T\n\n## Cards\n\nQ: What does `Swap` return?\n\nIt is a question. {#swap}\n"
            "A: The old value.\n\n```go\nold := atomic.SwapInt64(&v, 1)\n```\n\n"
            "C: Atomics are {{c1::sequentially consistent}}; Sizeof is {{c2::constant::when?}}.\n")
    qa, c1, c2 = parse(body).cards
    assert qa.kind is CardKind.QA and qa.key == "qa/#1"
    assert qa.front == "What does `Swap` return?\n\nIt is a question. {#swap}"
    assert qa.back.startswith("The old value.") and "atomic.SwapInt64" in qa.back
    assert (c1.kind, c1.cloze, c2.cloze) == (CardKind.CLOZE, 1, 2)
    assert c1.note_key == c2.note_key == "cloze/#2"
    assert c1.front == c2.front and "{{c1::" in c1.front
    assert c1.back == "Atomics are **sequentially consistent**; Sizeof is constant."
    assert c1.section == c2.section


def test_cards_under_a_wrong_heading_are_a_warning_where_they_start() -> None:
    text = ("# T\n\n## Card\n\nQ: One?\nA: Yes.\n\n## Notes\n\n### Cards\n\nQ: Two?\nA: No.\n\n"
            "## Cards\n\nQ: Three?\nA: Maybe.\n\n### Sub\n\nQ: Four?\nA: Sure.\n\n"
            "## FAQ\n\nQ: is not always a card: a lone question line is prose.\n")
    lesson = parse_lesson_text(text, Path("t.md"))
    assert [card.front for card in lesson.cards] == ["Three?", "Four?"]
    assert [(d.pos.line, d.message) for d in lesson.diagnostics
            if "make a card only" in d.message] == [
        (5, "`Q:` and `A:` lines make a card only under a `## Cards` heading: this one makes "
            "none"),
        (12, "`Q:` and `A:` lines make a card only under a `## Cards` heading: this one makes "
             "none")]


def test_a_cloze_deletion_cut_short_by_braces_is_a_warning() -> None:
    body = ("# T\n\n## Cards\n\nC: An empty value: {{c1::struct{}{}}}.\n\n"
            "C: Spaced: {{c1::struct{}{} }}.\n\n"
            "C: A map: map[string]int{ {{c1::\"a\": 1}}}.\n\n"  # the third `}` is the map's
            "C: Nested: {{c1::`[][]int{{1, 2}}`}}.\n\n"
            "C: Apart: {{c1::`[][]int{ {1, 2} }`}}.\n\n"
            "C: In code: {{c1::`x}}`}} here.\n\n"
            "C: Whole code: {{c1::`x`}} and `y}}` after.\n")
    lesson = parse(body)
    assert len(lesson.cards) == 7  # all still become cards, as Anki would show them
    assert messages(lesson, Severity.WARNING) == [
        "10: cloze deletion '{{c1::struct{}{}}' ends at the first '}}', before the '}' that "
        "follows it; put a space before the closing '}}'",
        "16: cloze deletion '{{c1::`[][]int{{1, 2}}' ends at the first '}}', inside braces it "
        "opens; Anki cuts it there too: write those braces apart ('} }') or keep them out of "
        "the deletion",
        "20: cloze deletion '{{c1::`x}}' ends at the first '}}', inside the inline code it "
        "opens; Anki cuts it there too: keep '}}' out of a deletion's code"]


def test_an_example_without_text_before_its_code_is_a_warning() -> None:
    body = ("# T\n\n## Real Code Examples\n\n### Example: Bare\n\n```go\nx := 1\n```\n\n"
            "### Example: Told\n\nCounts to one.\n\n```go\ny := 1\n```\n")
    lesson = parse(body)
    assert [c.front.split("\n\n", 2)[2:] for c in lesson.cards] == [[], ["Counts to one."]]
    assert messages(lesson, Severity.WARNING) == [
        "10: example 'Bare' has no text before its code: the card asks for the program by its "
        "name alone"]


def test_explicit_card_errors() -> None:
    body = ("# T\n\n## Cards\n\nA: orphan answer\n\nQ: no answer\n\nC: no deletion\n\n"
            "C: Zero {{c0::zero}} and {{c1::one}}.\n\n"
            "C: A {{c1::outer {{c2::inner}} deletion}}.\n\n"
            "C: Last {{c65536::ok}} then {{c65537::too far}}.\n")
    lesson = parse(body)
    assert lesson.cards == ()
    assert messages(lesson, Severity.ERROR) == [
        "10: `A:` without a `Q:` before it",
        "12: `Q:` card needs a question and an `A:` answer",
        "14: `C:` card has no deletion; mark one as {{c1::hidden text}}",
        "16: cloze deletions are numbered from 1, not {{c0::...}}; card skipped",
        "18: a cloze deletion inside another ({{c1::a {{c2::b}} c}}) is not supported; card "
        "skipped",
        "20: cloze deletions are numbered up to 65536, not {{c65537::...}}; card skipped",
    ]


def test_a_card_side_that_shows_nothing_is_an_empty_one() -> None:
    body = ("# T\n\n## Cards\n\nQ: &nbsp;\nA: an answer to nothing\n\n"
            "Q: A question\nA: &#8203; \u00a0\n\nQ: &amp;nbsp;\nA: shown as written\n")
    lesson = parse(body)
    assert [card.front for card in lesson.cards] == ["&amp;nbsp;"]
    assert messages(lesson, Severity.ERROR) == [
        "10: `Q:` card needs a question and an `A:` answer",
        "13: `Q:` card needs a question and an `A:` answer",
    ]
    blank_quiz = parse(quiz("**Answer: B** - x").replace("Pick one.", "&#x200B;&nbsp;"))
    assert blank_quiz.cards == ()
    assert messages(blank_quiz, Severity.ERROR) == ["10: question 1 has no question text"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_utf16_or_utf32_lesson_with_its_mark_is_read_with_a_warning(
        encoding: str, seed_text: str, write_lesson: Callable[..., Path]) -> None:
    plain = parse_lesson_file(write_lesson(seed_text, "a.md"))
    # "utf-16" writes its byte-order mark; the big-endian one is written by hand
    mark = b"\xfe\xff" if encoding == "utf-16-be" else b""
    wide = parse_lesson_file(write_lesson(mark + seed_text.encode(encoding), "b.md"))
    assert [(c.id, c.content_hash, c.source.line) for c in plain.cards] == [
        (c.id, c.content_hash, c.source.line) for c in wide.cards]
    name = encoding.upper()[:6]
    assert [(d.pos.line, d.message) for d in wide.diagnostics][0] == (
        1, f"the file is {name}, read as such; save it as UTF-8")
    assert not any("UTF-8;" in d.message or "U+0000" in d.message for d in wide.diagnostics)


def test_very_large_lesson(seed_text: str) -> None:
    head, quiz_part = seed_text.split("## Quiz", 1)
    questions = "".join(
        f"### Question {n}\nQ{n}?\n\n**A)** a  \n**B)** b\n\n**Answer: B** - b.\n\n"
        for n in range(1, 3001))
    lesson = parse_lesson_text(head + "## Quiz\n\n" + questions, Path("big.md"))
    assert sum(c.kind is CardKind.MCQ for c in lesson.cards) == 3000


def test_invalid_utf8_is_a_warning(write_lesson: Callable[..., Path]) -> None:
    path = write_lesson(b"# T\n\n## Cards\n\nQ: caf\xe9?\nA: yes\n")
    lesson = parse_lesson_file(path)
    assert len(lesson.cards) == 1
    assert "not valid UTF-8" in lesson.diagnostics[0].message
    assert lesson.diagnostics[0].pos.line == 5


@pytest.mark.parametrize("line", [
    "**Answer: A, B** - both", "**Answer: B and C** - x", "Answer: A/C", "**Answer: (A) or (B)**",
    "**Answer: A or B?** no - only B",
])
def test_an_answer_naming_two_letters_is_an_error(line: str) -> None:
    lesson = parse(quiz(line))
    assert lesson.cards == ()
    assert messages(lesson, Severity.ERROR) == [
        "17: question 1 names more than one answer; a quiz question has exactly one right "
        "choice; it is skipped"]


@pytest.mark.parametrize(("line", "letter", "explanation"), [
    ("**Answer: B** and C is wrong, since it copies.", "B", "and C is wrong, since it copies."),
    ("Answer: a slice is copied, or not.", "A", "slice is copied, or not."),
])
def test_prose_after_a_single_answer_is_its_explanation(line: str, letter: str,
                                                         explanation: str) -> None:
    [card] = parse(quiz(line)).cards
    assert (card.answer, card.explanation) == (letter, explanation)


def test_bold_around_a_whole_option_or_an_answer_with_its_text_is_not_kept() -> None:
    [card] = parse(quiz("**Answer: B) two** - because",
                        "**A) one**\n**B) two**\n**C) three**")).cards
    assert card.choices == ("one", "two", "three")
    assert (card.answer, card.explanation) == ("B", "because")


def test_an_option_out_of_order_is_an_error_at_its_line() -> None:
    lesson = parse(quiz("**Answer: B** - two", "**A)** one\n**B)** two\n**D)** four"))
    assert lesson.cards == ()
    assert messages(lesson, Severity.ERROR) == [
        "15: question 1 has option D where C was expected; options are lettered A, B, C... in "
        "order; it is skipped"]
    # With only one option before it, that is still what is told, not "one choice".
    for second in ("**A)** again", "**C)** three"):
        lesson = parse(quiz("**Answer: A** - one", f"**A)** one\n{second}"))
        assert messages(lesson, Severity.ERROR) == [
            f"14: question 1 has option {second[2]} where B was expected; options are lettered "
            "A, B, C... in order; it is skipped"]


@pytest.mark.parametrize("heading", [
    "## Quiz:", "## Quiz Questions", "## 7. Quiz", "## **Quiz**", "## Practice Quiz", "### Quiz",
])
def test_quiz_headings_as_lessons_write_them(heading: str) -> None:
    body = quiz("**Answer: B** - two").replace("## Quiz", heading).replace(
        "### Question 1", "#" * (heading.count("#") + 1) + " Question 1")
    lesson = parse(body)
    [card] = lesson.cards
    assert card.answer == "B" and lesson.diagnostics == ()


def test_a_question_heading_outside_a_quiz_is_a_warning() -> None:
    lesson = parse(quiz("**Answer: B** - two").replace("## Quiz", "## Review"))
    assert lesson.cards == ()
    assert messages(lesson) == [
        "10: `Question 1` is not under a quiz heading (`## Quiz`): it makes no card"]


def test_a_second_answer_line_is_an_error() -> None:
    lesson = parse(quiz("**Answer: B** - two\n\n**Answer: C** - three, rather"))
    assert lesson.cards == ()
    assert messages(lesson, Severity.ERROR) == [
        "19: question 1 has a second answer line (the first is line 17); a quiz question has "
        "exactly one right choice; it is skipped"]


def test_directives_links_and_empty_comments_are_code_not_labels() -> None:
    body = ("# T\n\n## Deep Explanation\n\n### Inlining\n\n```go\n// Escaping constructor\n"
            "//go:noinline\nfunc newT() *T { return &T{} }\n//\nvar sink *T\n\n"
            "// https://go.dev/ref/spec\nx := 1\n```\n\n```sh\n#!/bin/sh\ngo build ./...\n```\n")
    cards = parse(body).cards
    fronts = [card.front.split("\n\n")[1] for card in cards]
    assert fronts == ["Write the Go code for: **Escaping constructor**",
                      "Write the commands for **Inlining**."]
    assert "//go:noinline\nfunc newT() *T { return &T{} }\n//\nvar sink *T\n" in cards[0].back
    assert "#!/bin/sh\ngo build ./...\n" in cards[1].back


def test_tags_and_prerequisites_given_as_one_string_are_split_at_commas() -> None:
    lesson = parse("# T\n", front="---\ntitle: T\nslug: t\ntags: go, low level\n"
                                  "prerequisites: a, b\n---\n")
    assert lesson.tags == ("go", "low-level", "t")
    assert lesson.prerequisites == ("a", "b")


def test_a_title_is_one_line_whatever_its_yaml_escapes_hold() -> None:
    lesson = parse("# T\n", front='---\ntitle: "Line1\\nLine2\\tTab\\u0001 end "\nslug: t\n'
                                  "canonical_id: t-1\n---\n")
    assert lesson.title == "Line1 Line2 Tab end"


def test_tags_anki_owns_are_left_out_and_case_twins_kept_once() -> None:
    lesson = parse("# T\n", front="---\ntitle: T\nslug: t\ncanonical_id: t-1\n"
                                  "tags: [Go, marked, go, LEECH, Low Level, low-level]\n---\n")
    assert lesson.tags == ("Go", "Low-Level", "t")
    assert messages(lesson) == [
        "5: tags `marked` and `LEECH` are ones Anki sets itself (marked: starred notes, "
        "leech: cards often forgotten); left out"]


def test_without_slug_or_canonical_id_the_warning_names_the_file_name() -> None:
    lesson = parse("# T\n", front="---\ntitle: T\n---\n")
    assert messages(lesson) == [
        "1: no canonical_id in front matter; card ids derive from the file name and change "
        "if the file is renamed: add `canonical_id: \"l\"` to keep the ids they have (any "
        "other value gives every card, and its Anki note, a new one)"]
    # That value is the root the ids have now.
    kept = parse("# T\n", front="---\ntitle: T\ncanonical_id: l\n---\n")
    assert kept.root == lesson.root == "l"


def test_html_comments_and_details_wrappers_are_not_card_text() -> None:
    body = ("# T\n\n## Quiz\n\n### Question 1\nWhich one?\n\n**A)** x\n**B)** y\n<!--\n"
            "**C)** old option\n-->\n\n<details>\n<summary>Show answer</summary>\n\n"
            "**Answer: B** - because y.\n\n</details>\n\n### Question 2\nSecond?\n\n"
            "**A)** x\n**B)** y\n\n<!-- **Answer: A** - old -->\n**Answer: B** - new\n\n"
            "## Cards\n\n<!--\nQ: Draft question, commented out?\nA: Draft answer.\n-->\n\n"
            "Q: Kept?\nA: Yes.\n")
    lesson = parse(body)
    one, two, kept = lesson.cards
    assert one.choices == ("x", "y") and two.choices == ("x", "y")
    assert (one.answer, one.explanation) == ("B", "because y.")
    assert (two.answer, two.explanation) == ("B", "new")
    assert all("<" not in c.front and "<" not in c.back for c in lesson.cards)
    assert kept.back == "Yes." and lesson.diagnostics == ()
    # HTML that shows something is still card text (rendered as text, escaped).
    [card] = parse("# T\n\n## Cards\n\nQ: Which?\nA: This\n\n<div>kept</div>\n").cards
    assert "<div>kept</div>" in card.back


def test_card_lines_written_in_other_hands_each_start_a_card() -> None:
    body = ("# T\n\n## Cards\n\nQ: First?\nA: First answer.\n\nq: lowercase q?\na: lowercase a\n\n"
            "- Q: in a list item?\n  A: answer in list\n\n> Q: in a blockquote?\n> A: in quote\n\n"
            "**Q:** bold question?\n**A:** bold answer\n")
    lesson = parse(body)
    assert [(c.front.split("\n\n")[-1], c.back) for c in lesson.cards] == [
        ("First?", "First answer.\n\nq: lowercase q?\na: lowercase a"),
        ("in a list item?", "answer in list"), ("in a blockquote?", "in quote"),
        ("bold question?", "bold answer")]
    # a lower-case card line is text, and pointed out; an `a:` in an answer is just text
    assert messages(lesson) == [
        "13: `q:` is read as text of the card above; write `Q:` to start a card"]



def test_code_in_a_list_item_or_a_quote_gives_code_and_fact_cards() -> None:
    body = ("# T\n\n## Deep Explanation\n\n### Sizes\n\n```go\n// Top\nvar a = 1\n```\n\n"
            "1. First step:\n\n   ```go\n   // Size of int\n   n := unsafe.Sizeof(int(0))\n"
            "   ```\n\n> ```go\n> // Quoted\n> var q = 2\n> ```\n")
    lesson = parse(body)
    code = [c for c in lesson.cards if c.kind.value == "code"]
    assert [c.back.splitlines()[1] for c in code] == [
        "var a = 1", "n := unsafe.Sizeof(int(0))", "var q = 2"]
    assert [c.source.line for c in code] == [13, 20, 25]  # each at its label
    # the block's own card keeps the first ordinal, as before nested blocks were read
    assert code[0].id == parse(body.split("1. First")[0]).cards[0].id
    facts, _ = fact_cards(lesson)
    assert any("Sizeof(int(0))" in c.front for c in facts)


def test_underlined_headings_are_headings() -> None:
    lesson = parse("T\n=\n\nCards\n-----\n\nQ: Underlined?\nA: Yes.\n\n"
                   "Quiz\n----\n\n### Question 1\nPick one.\n\n**A)** one  \n**B)** two\n\n"
                   "**Answer: B** - two.\n")
    assert [(c.kind, c.section, c.key) for c in lesson.cards] == [
        (CardKind.QA, "cards/#1", "qa/#1"), (CardKind.MCQ, "quiz", "q1")]
    assert messages(lesson, Severity.ERROR) == [] and not any(
        "not under a quiz heading" in m for m in messages(lesson))


def test_a_code_block_among_the_options_is_an_error_at_the_block() -> None:
    body = ("# T\n\n## Quiz\n\n### Question 1\nWhich compiles?\n\n**A)** this:\n\n"
            "```go\nx := 1\n```\n\n**B)** that\n\n**Answer: A** - because.\n\n"
            "### Question 2\nWhich?\n\n```go\ny := 2\n```\n\n**A)** one  \n**B)** two\n\n"
            "**Answer: B** - it is.\n")
    lesson = parse(body)
    assert messages(lesson, Severity.ERROR) == [
        "15: question 1 has a code block among its options; an option is one line (write its "
        "code inline, `x := 1`), and a block belongs in the question, above the options; "
        "it is skipped"]
    assert [card.key for card in lesson.cards if card.kind is CardKind.MCQ] == ["q2"]


def test_a_question_with_one_choice_says_so() -> None:
    lesson = parse(quiz("**Answer: A** - x", "**A)** only"))
    assert messages(lesson, Severity.ERROR) == [
        "10: question 1 has one choice; write options as `**A)** text`, one a line"]


def test_a_malformed_card_id_is_a_warning_and_the_card_keeps_its_place() -> None:
    lesson = parse("# T\n\n## Cards\n\nQ: Bad id {#bad id!}\nA: yes\n\nQ: Good {#good}\nA: ok\n")
    assert messages(lesson, Severity.WARNING) == [
        "10: `{#...}` at the end is not a card id (a letter or digit, then letters, digits, "
        "`_`, `.`, `:` or `-`); it is kept as text and the card is known by its place"]
    assert [(card.key, card.front) for card in lesson.cards] == [
        ("qa/#1", "Bad id {#bad id!}"), ("qa/good", "Good")]


@pytest.mark.parametrize("info", ["go:main.go", "Go title=\"main.go\"", "golang{linenos=true}"])
def test_a_fence_naming_a_file_or_options_after_its_language_is_read_as_that_language(
        info: str) -> None:
    body = (f"# T\n\n## Deep Explanation\n\n### Atomics\n\n```{info}\n// Swap\n"
            "atomic.CompareAndSwapInt64(&n, 1, 2)\n```\n")
    lesson = parse(body)
    assert [b.lang for b in lesson.code_blocks] == [fence_language(info)]
    assert fence_language(info) in ("go", "golang")
    code = [c for c in lesson.cards if c.kind is CardKind.CODE]
    assert len(code) == 1 and "Write the Go code for" in code[0].front
    facts, _ = fact_cards(lesson)
    assert [c.key for c in facts] == ["api:atomic.CompareAndSwapInt64"]


def test_fence_language() -> None:
    assert [fence_language(info) for info in ("", "  ", "go", "GO  extra", "go:main.go",
                                              "rust{.numberLines}", "c++", ":x")] == [
        "", "", "go", "go", "go", "rust", "c++", ""]
