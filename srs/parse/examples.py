"""Worked programs: `### Example: Name` under `## Real Code Examples`, and
`## Hard Use-Case: Name` with a problem statement and a solution."""

from __future__ import annotations

import re

from srs.model import CardKind, Severity
from srs.parse.context import LessonContext, plain_markdown, slugify
from srs.parse.document import Block, Section

_EXAMPLE = re.compile(r"^example\s*:\s*(.+)$", re.IGNORECASE)
_USE_CASE = re.compile(r"^hard\s+use[- ]?case\s*:\s*(.+)$", re.IGNORECASE)


def _markdown(ctx: LessonContext, blocks: list[Block]) -> str:
    return "\n\n".join(ctx.source(block) for block in blocks)


def _all_blocks(section: Section) -> list[Block]:
    found = list(section.blocks)
    for child in section.children:
        found.extend(_all_blocks(child))
    return found


def extract_examples(ctx: LessonContext, examples: Section) -> None:
    for heading in examples.children:
        match = _EXAMPLE.match(heading.title)
        name = match.group(1).strip() if match else heading.title
        blocks = _all_blocks(heading)
        code = [b for b in blocks if b.kind == "fence"]
        if not code:
            ctx.report(heading.line, Severity.WARNING,
                       f"example {name!r} has no code block; no card made")
            continue
        first_code = blocks.index(code[0])
        intro = _markdown(ctx, blocks[:first_code])
        front = f"*{plain_markdown(ctx.title)}*\n\nWrite the example program **{name}**."
        if intro:
            front += f"\n\n{intro}"
        else:
            ctx.report(heading.line, Severity.WARNING,
                       f"example {name!r} has no text before its code: the card asks for the "
                       "program by its name alone")
        ctx.add(CardKind.EXAMPLE, f"example/{slugify(name)}", front,
                _markdown(ctx, blocks[first_code:]), heading.line, "examples")


def is_use_case(title: str) -> str | None:
    match = _USE_CASE.match(title)
    return match.group(1).strip() if match else None


def extract_problem(ctx: LessonContext, section: Section, name: str) -> None:
    statement: list[Block] = list(section.blocks)
    solution: list[Block] = []
    for child in section.children:
        target = solution if "solution" in child.title.lower() else statement
        target.extend(_all_blocks(child))
    if not solution:
        # No `### Solution` heading: the statement is what precedes the first code block.
        first_code = next((i for i, b in enumerate(statement) if b.kind == "fence"), None)
        if first_code is not None:
            statement, solution = statement[:first_code], statement[first_code:]
    if not solution:
        ctx.report(section.line, Severity.WARNING,
                   f"hard use-case {name!r} has no solution; no card made")
        return
    front = f"*{plain_markdown(ctx.title)}* — hard use-case: **{name}**"
    if statement:
        front += f"\n\n{_markdown(ctx, statement)}"
    ctx.add(CardKind.PROBLEM, f"problem/{slugify(name)}", front, _markdown(ctx, solution),
            section.line, f"problem/{slugify(name)}")
