"""Language knowledge: Go memory layout and API semantics, turned into `fact` cards."""

from __future__ import annotations

from srs.model import Card, Diagnostic, Lesson


def fact_cards(lesson: Lesson) -> tuple[list[Card], list[Diagnostic]]:
    """The fact cards a lesson's code implies, and warnings for what cannot be resolved."""
    from srs.facts.extract import analyze

    result = analyze(lesson)
    return result.cards, result.diagnostics
