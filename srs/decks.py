"""Deck manifests: `decks/*.toml` name a deck, the lessons it holds and its options."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from srs.errors import ManifestError
from srs.model import Deck, DeckOptions

DEFAULT_DECK_NAME = "srs"


def load_manifest(path: Path) -> Deck:
    """Read one manifest. Example:

    name = "Go Systems::Memory"
    lessons = ["../lessons/*.md"]
    [options]
    desired_retention = 0.9
    new_per_day = 20
    reviews_per_day = 200
    """
    import tomllib  # only when there is a manifest to read

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ManifestError(f"cannot read deck manifest: {exc.strerror}", path) from exc
    except UnicodeDecodeError as exc:
        raise ManifestError("deck manifest is not valid UTF-8", path) from exc
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        raise ManifestError(f"invalid TOML: {exc}", path, line) from exc
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ManifestError("deck manifest needs a `name` string", path, 1)
    if any(not part.strip() for part in name.split("::")):
        # Anki would name the missing level "blank".
        raise ManifestError(f"deck name {name!r} has an empty part between `::`", path, 1)
    name = "::".join(part.strip() for part in name.split("::"))
    globs = data.get("lessons", ["*.md"])
    if isinstance(globs, str):
        globs = [globs]
    if not isinstance(globs, list) or not all(isinstance(g, str) and g.strip() for g in globs):
        raise ManifestError("`lessons` must be a list of non-empty glob strings", path, 1)
    absolute = next((g for g in globs if Path(g).is_absolute()), None)
    if absolute is not None:
        raise ManifestError(
            f"`lessons` globs are relative to the manifest's folder, not {absolute!r}", path, 1)
    return Deck(name=name, path=path, lesson_globs=tuple(globs),
                options=_options(data.get("options", {}), path))


def _options(raw: Any, path: Path) -> DeckOptions:
    if not isinstance(raw, dict):
        raise ManifestError("`options` must be a table", path, 1)
    defaults = DeckOptions()
    retention = raw.get("desired_retention", defaults.desired_retention)
    if not isinstance(retention, int | float) or not 0.5 <= retention <= 0.99:
        raise ManifestError("desired_retention must be a number from 0.5 to 0.99", path, 1)
    values: dict[str, int] = {}
    for key in ("new_per_day", "reviews_per_day", "maximum_interval"):
        value = raw.get(key, getattr(defaults, key))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ManifestError(f"{key} must be a whole number of at least 0", path, 1)
        values[key] = value
    if values["maximum_interval"] < 1:
        raise ManifestError("maximum_interval must be at least 1 day", path, 1)
    return DeckOptions(desired_retention=float(retention), **values)


def _toml_error_line(message: str) -> int | None:
    marker = "(at line "
    start = message.find(marker)
    if start < 0:
        return None
    digits = message[start + len(marker):].split(",", 1)[0]
    return int(digits) if digits.isdigit() else None


def manifest_lessons(deck: Deck) -> list[Path]:
    """The lesson files a manifest names, in a stable order, each once."""
    assert deck.path is not None
    base = deck.path.parent
    found: dict[Path, Path] = {}
    for pattern in deck.lesson_globs:
        for match in sorted(base.glob(pattern)):
            if match.is_file():
                # Shown in messages as the user would write it: `lessons/01.md`, not `decks/../`.
                found.setdefault(match.resolve(), Path(os.path.normpath(match)))
    return list(found.values())


def default_deck() -> Deck:
    return Deck(name=DEFAULT_DECK_NAME, path=None, lesson_globs=())
