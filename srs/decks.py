"""Deck manifests: `decks/*.toml` name a deck, the lessons it holds and its options."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from srs.errors import ManifestError, ManifestWarning
from srs.model import DEFAULT_DECK, Deck, DeckOptions, Diagnostic, Severity, SourcePos

TOP_KEYS = ("name", "lessons", "options")
OPTION_KEYS = ("desired_retention", "new_per_day", "reviews_per_day", "maximum_interval",
               "leech_threshold")


def load_manifest(path: Path) -> tuple[Deck, list[Diagnostic]]:
    """Read one manifest, and warn of the keys it does not know (a misspelt option would
    otherwise be left at its default without a word). Example:

    name = "Go Systems::Memory"
    lessons = ["../lessons/*.md"]
    [options]
    desired_retention = 0.9
    new_per_day = 20
    reviews_per_day = 200
    leech_threshold = 8
    """
    import tomllib  # only when there is a manifest to read

    try:
        text = path.read_text(encoding="utf-8-sig")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ManifestError(f"cannot read deck manifest: {exc.strerror}", path) from exc
    except UnicodeDecodeError as exc:
        raise ManifestError("deck manifest is not valid UTF-8", path) from exc
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc), text)
        raise ManifestError(f"invalid TOML: {exc}", path, line) from exc

    problems: list[ManifestError] = []  # every one is told, not only the first

    def fail(message: str, key: str, table: str = "") -> None:
        problems.append(ManifestError(message, path, _key_line(text, key, table)))

    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        fail("deck manifest needs a `name` string", "name")
        name = ""
    # Control characters and line breaks in a deck name: Anki drops them, joining words.
    # srs makes them spaces.
    name = " ".join(_CONTROL.sub(" ", name).split())
    if name and any(not part.strip() for part in name.split("::")):
        # Anki would name the missing level "blank".
        fail(f"deck name {name!r} has an empty part between `::`", "name")
    elif any(part.strip().startswith(":") or part.strip().endswith(":")
             for part in name.split("::")):
        # `a:::b`: Anki and srs could split it at different places.
        fail(f"deck name {name!r} has a `:` beside a `::`", "name")
    name = "::".join(part.strip() for part in name.split("::"))
    globs = data.get("lessons", ["*.md"])
    if isinstance(globs, str):
        globs = [globs]
    if not isinstance(globs, list) or not all(isinstance(g, str) and g.strip() for g in globs):
        fail("`lessons` must be a list of non-empty glob strings", "lessons")
        globs = []
    absolute = next((g for g in globs if Path(g).is_absolute()), None)
    if absolute is not None:
        fail(f"`lessons` globs are relative to the manifest's folder, not {absolute!r}",
             "lessons")
    raw = data.get("options", {})
    if not isinstance(raw, dict):
        fail("`options` must be a table", "options")
        raw = {}
    options = _options(raw, fail)
    unknown: list[tuple[str, str, tuple[str, ...]]] = [
        ("", key, TOP_KEYS) for key in data if key not in TOP_KEYS]
    unknown += [("options", key, OPTION_KEYS) for key in raw if key not in OPTION_KEYS]
    warnings = [Diagnostic(SourcePos(path, _key_line(text, key, table)), Severity.WARNING,
                           f"unknown key `{key}`{' in [options]' if table else ''}, ignored; "
                           f"the keys are {', '.join(known)}")
                for table, key, known in unknown]
    if problems:
        problems.sort(key=lambda problem: problem.line or 0)
        # A misspelt key often is the errors' cause (`nmae`: no `name`): told after them.
        problems += [ManifestWarning(w.message, path, w.pos.line) for w in warnings]
        problems[0].others = tuple(problems[1:])
        raise problems[0]
    deck = Deck(name=name, path=path, lesson_globs=tuple(globs), options=options)
    return deck, warnings


def _options(raw: dict[str, Any], fail: Callable[[str, str, str], None]) -> DeckOptions:
    """The options, each out of range or of the wrong type told through `fail` (and left
    at its default)."""
    defaults = DeckOptions()
    retention = raw.get("desired_retention", defaults.desired_retention)
    if not isinstance(retention, int | float) or not 0.5 <= retention <= 0.99:
        fail("desired_retention must be a number from 0.5 to 0.99", "desired_retention",
             "options")
        retention = defaults.desired_retention
    values: dict[str, int] = {}
    for key in OPTION_KEYS[1:]:  # the whole numbers
        value = raw.get(key, getattr(defaults, key))
        low, high = WHOLE_NUMBER_RANGES[key]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            fail(f"{key} must be a whole number from {low} to {high:,}", key, "options")
            value = getattr(defaults, key)
        values[key] = value
    return DeckOptions(desired_retention=float(retention), **values)


# Anki's own limits where it has them (days of interval, leech lapses); the daily limits are
# bounded only so that no count overflows.
WHOLE_NUMBER_RANGES = {"new_per_day": (0, 1_000_000), "reviews_per_day": (0, 1_000_000),
                       "maximum_interval": (1, 36_500), "leech_threshold": (0, 9_999)}


def _key_line(text: str, key: str, table: str) -> int:
    """The line where `key` is set in `table` ("" for the top level), or where the table
    starts; 1 when neither is found (tomllib gives no positions)."""
    current, table_line = "", 0
    for number, line in enumerate(text.splitlines(), 1):
        header = _TABLE.match(line)
        if header:
            current = header.group(1).strip().strip('"\'')
            if current == table:
                table_line = number
            continue
        found = _KEY.match(line)
        if current == table and found and found.group(1).strip('"\'') == key:
            return number
    return table_line or 1


# With the bidirectional overrides and isolates, which would show a deck name reversed.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TABLE = re.compile(r"\s*\[([^\[\]]+)\]\s*(?:#.*)?$")
_KEY = re.compile(r"\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)\s*=")


def _toml_error_line(message: str, text: str) -> int | None:
    if message.endswith("(at end of document)"):  # the last line that holds anything
        return max(1, len(text.rstrip().split("\n")))
    marker = "(at line "
    start = message.find(marker)
    if start < 0:
        return None
    digits = message[start + len(marker):].split(",", 1)[0]
    return int(digits) if digits.isdigit() else None


def manifest_lessons(deck: Deck) -> list[Path]:
    """The lesson files a manifest names, in a stable order, each once: the `.md` files its
    globs match (images and other files beside the lessons are not lessons)."""
    assert deck.path is not None
    base = deck.path.parent
    found: dict[Path, Path] = {}
    for pattern in deck.lesson_globs:
        for match in sorted(base.glob(pattern)):
            if match.suffix == ".md" and is_lesson_file(match):
                # Shown in messages as the user would write it: `lessons/01.md`, not `decks/../`.
                found.setdefault(match.resolve(), Path(os.path.normpath(match)))
    return list(found.values())


def is_lesson_file(path: Path) -> bool:
    """A file a folder or a glob gives as a lesson: a regular file, or a symbolic link that
    leads nowhere (read, it is an error naming it, not a lesson silently missing)."""
    return path.is_file() or (path.is_symlink() and not path.exists())


def default_deck() -> Deck:
    return Deck(name=DEFAULT_DECK, path=None, lesson_globs=())
