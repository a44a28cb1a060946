"""Lesson Markdown to `Lesson`: front matter, then one extractor per card family."""

from srs.parse.lesson import parse_lesson_file, parse_lesson_text

__all__ = ["parse_lesson_file", "parse_lesson_text"]
