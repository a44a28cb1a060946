"""`## Quiz`: each `### Question N` becomes a self-grading multiple-choice card.

Accepted shapes, as lessons are written by hand: options `**A)** text`, `A) text`, `**A.** text`,
`- A) text`; answers `**Answer: C** - why`, `**Answer:** B`, `Answer: b`, with `-`, an en or em
dash or a colon before the explanation, or no explanation at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from srs.model import LETTERS, CardKind, Severity
from srs.parse.context import LessonContext, shows_nothing, slugify
from srs.parse.document import Section

_BOLD = r"(?:\*\*|__)?"
# The text groups are greedy and trimmed afterwards: a lazy group followed by optional
# trailing blanks would cost the regex engine a step per character.
OPTION = re.compile(
    r"^\s*(?:[-*+]\s+)?(\*\*|__)?\(?([A-Za-z])[).](\*\*|__)?\s+(.*)"
)
ANSWER = re.compile(
    rf"^\s*{_BOLD}\s*(?:correct\s+)?answer\s*{_BOLD}\s*[:：]\s*{_BOLD}\s*\(?([A-Za-z])\)?"
    rf"(?![A-Za-z0-9])\.?\s*{_BOLD}\s*(?:[-–—:]\s*)?(.*)",
    re.IGNORECASE,
)
_DASH = re.compile(r"^\s*[-–—:]\s*")
QUESTION_HEADING = re.compile(r"^question\s*#?\s*(\d+)\b", re.IGNORECASE)
# What may follow an answer's letter when the line names more letters (`**Answer: A, B**`,
# `Answer: B and C`): another letter, then the end of the bold part, a dash or the line's end.
MORE_LETTERS = re.compile(
    r"^\s*(?:[,/&+]|and|or)\s*\(?[A-Za-z]\)?\s*(?:\*\*|__|[-–—:.?]|$)", re.IGNORECASE
)
# A second answer line after the first: only the bold form, which prose does not take.
BOLD_ANSWER = re.compile(
    rf"^\s*(?:\*\*|__)\s*(?:correct\s+)?answer\s*{_BOLD}\s*[:：]\s*{_BOLD}\s*"
    r"\(?[A-Za-z]\)?(?![A-Za-z0-9])", re.IGNORECASE,
)


@dataclass
class _Question:
    number: str
    line: int
    prompt: list[str] = field(default_factory=list)
    choices: list[tuple[str, str, int]] = field(default_factory=list)  # letter, text, line
    answer: str | None = None
    answer_line: int = 0
    explanation: list[str] = field(default_factory=list)
    problem: tuple[int, str] | None = None  # line and message of an error that skips it
    option_mark: str | None = None  # the bold the first option opens with ("" for none)


def extract_quiz(ctx: LessonContext, quiz: Section, path: tuple[str, ...]) -> None:
    seen: dict[str, int] = {}
    for ordinal, heading in enumerate(quiz.children, start=1):
        match = QUESTION_HEADING.match(heading.title)
        number = (match.group(1).lstrip("0") or "0") if match else f"#{ordinal}"
        if number in seen:
            ctx.report(heading.line, Severity.ERROR,
                       f"duplicate question number {number} (first at line "
                       f"{ctx.pos(seen[number]).line}); this question is skipped")
            continue
        seen[number] = heading.line
        question = _read_question(ctx, heading, number)
        _emit(ctx, question, heading.title, "/".join(slugify(p) for p in path))


def _read_question(ctx: LessonContext, heading: Section, number: str) -> _Question:
    question = _Question(number, heading.line)
    blocks = [*heading.blocks, *(b for child in heading.children for b in child.blocks)]
    for block in blocks:
        if block.kind == "fence":
            if question.choices and question.answer is None and question.problem is None:
                # shown above the options it would no longer be next to: the card would lie
                question.problem = (block.start, "has a code block among its options; an "
                                    "option is one line (write its code inline, `x := 1`), "
                                    "and a block belongs in the question, above the options")
            _part(question).append(ctx.source(block))
            continue
        paragraph: list[str] = []
        in_choice = False  # the previous line of this block was an option
        for offset, line in enumerate(ctx.body_lines[block.start:block.end]):
            line_no = block.start + offset
            if question.answer is None:
                option = OPTION.match(line)
                expected = LETTERS[len(question.choices)] if len(question.choices) < 26 else ""
                if option and option.group(2).upper() == expected:
                    _flush(question, paragraph)
                    text = option.group(4).rstrip()
                    if text.endswith("\\"):  # a hard line break
                        text = text[:-1].rstrip()
                    bold = option.group(1)
                    if bold and not option.group(3) and text.endswith(bold):
                        text = text[:-2].rstrip()  # `**A) text**`: the bold wraps the line
                    question.choices.append((expected, text, line_no))
                    if question.option_mark is None:
                        question.option_mark = bold or ""
                    in_choice = True
                    continue
                if (option and option.group(2).isupper() and question.problem is None
                        and (option.group(1) or "") == question.option_mark):
                    # lettered as the options are: an option out of order, not prose
                    question.problem = (line_no, f"has option {option.group(2)} where "
                                        f"{expected or 'no more'} was expected; options are "
                                        "lettered A, B, C... in order")
                # Every answer line has a colon: most lines are not tried at all.
                answer = ANSWER.match(line) if ":" in line or "：" in line else None
                if answer:
                    _flush(question, paragraph)
                    question.answer = answer.group(1).upper()
                    question.answer_line = line_no
                    rest = answer.group(2).rstrip()
                    if MORE_LETTERS.match(rest):
                        question.problem = (line_no, "names more than one answer; a quiz "
                                            "question has exactly one right choice")
                        continue
                    for bold in ("**", "__"):
                        if line.lstrip().startswith(bold) and rest.count(bold) % 2:
                            # `**Answer: B) the text** - why`: the bold closes after the
                            # choice's text, which the card shows already
                            rest = _DASH.sub("", rest.split(bold, 1)[1]).strip()
                    if rest:
                        paragraph.append(rest)
                    continue
                if in_choice and line.strip():
                    # A wrapped option: the line continues the previous choice.
                    letter, text, at = question.choices[-1]
                    question.choices[-1] = (letter, f"{text} {line.strip()}", at)
                    continue
            elif question.problem is None and BOLD_ANSWER.match(line):
                question.problem = (line_no, f"has a second answer line (the first is line "
                                    f"{ctx.pos(question.answer_line).line}); a quiz question "
                                    "has exactly one right choice")
            in_choice = False
            paragraph.append(line)
        _flush(question, paragraph)
    return question


def _part(question: _Question) -> list[str]:
    return question.prompt if question.answer is None else question.explanation


def _flush(question: _Question, paragraph: list[str]) -> None:
    text = "\n".join(paragraph).strip()
    if text:
        _part(question).append(text)
    paragraph.clear()


def _emit(ctx: LessonContext, q: _Question, title: str, section: str) -> None:
    label = f"question {q.number}" if not q.number.startswith("#") else f"`{title}`"
    prompt = "\n\n".join(q.prompt).strip()
    if shows_nothing(prompt):
        ctx.report(q.line, Severity.ERROR, f"{label} has no question text")
        return
    if q.problem is not None:  # first: an option out of order leaves too few choices
        ctx.report(q.problem[0], Severity.ERROR, f"{label} {q.problem[1]}; it is skipped")
        return
    if len(q.choices) < 2:
        ctx.report(q.line, Severity.ERROR,
                   f"{label} has {'one choice' if q.choices else 'no choices'}; write "
                   "options as `**A)** text`, one a line")
        return
    if q.answer is None:
        ctx.report(q.line, Severity.ERROR,
                   f"{label} has no answer; add a line such as `**Answer: B** - why`")
        return
    letters = [letter for letter, _, _ in q.choices]
    if q.answer not in letters:
        ctx.report(q.answer_line, Severity.ERROR,
                   f"{label}: answer {q.answer} matches no choice ({letters[0]}-{letters[-1]})")
        return
    explanation = "\n\n".join(q.explanation).strip()
    if not explanation:
        ctx.report(q.answer_line, Severity.WARNING, f"{label}: the answer has no explanation")
    _warn_alike_choices(ctx, label, q)
    choices = tuple(text for _, text, _ in q.choices)
    front = prompt + "\n\n" + "\n".join(
        f"**{letter})** {text}  " for letter, text in zip(letters, choices, strict=True)
    ).rstrip()
    correct = choices[letters.index(q.answer)]
    back = f"**{q.answer})** {correct}" + (f"\n\n{explanation}" if explanation else "")
    ctx.add(CardKind.MCQ, f"q{q.number}", front, back, q.line, section,
            question=prompt, choices=choices, answer=q.answer, explanation=explanation)


def _warn_alike_choices(ctx: LessonContext, label: str, q: _Question) -> None:
    """Two choices that read the same (case and spacing aside) cannot both be meant: one
    graded right and the other wrong would fail a reader who picked the right text."""
    seen: dict[str, str] = {}
    for letter, text, at in q.choices:
        same = " ".join(text.split()).casefold()
        first = seen.setdefault(same, letter)
        if first != letter:
            ctx.report(at, Severity.WARNING,
                       f"{label}: choice {letter} reads the same as choice {first}")
