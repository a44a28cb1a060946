"""Shared by the export tests: copy fixtures, export, import with the real Anki importer."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.notes import Note

FIXTURES = Path(__file__).parent / "fixtures"
T0 = 1_750_000_000.0


def copy_fixtures(dest: Path) -> Path:
    shutil.copytree(FIXTURES, dest, dirs_exist_ok=True)
    return dest


@dataclass
class ImportLog:
    new: list[int]
    updated: list[int]
    duplicate: list[int]
    conflicting: list[int]
    other: int


@contextmanager
def fresh_collection(path: Path) -> Iterator[Collection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    col = Collection(str(path))
    try:
        yield col
    finally:
        col.close()


def import_package(col: Collection, package: Path, *, merge_notetypes: bool = False,
                   deck_presets: bool = False) -> ImportLog:
    """Import as Anki's dialog does by default (`merge_notetypes`: its "Merge note types";
    `deck_presets`: its "Import any deck presets")."""
    options = ImportAnkiPackageOptions(with_scheduling=False, with_deck_configs=deck_presets,
                                       merge_notetypes=merge_notetypes)
    response = col.import_anki_package(
        ImportAnkiPackageRequest(package_path=str(package), options=options)
    )
    log = response.log
    other = (len(log.first_field_match) + len(log.missing_notetype) + len(log.missing_deck)
             + len(log.empty_first_field))
    return ImportLog(
        new=[n.id.nid for n in log.new],
        updated=[n.id.nid for n in log.updated],
        duplicate=[n.id.nid for n in log.duplicate],
        conflicting=[n.id.nid for n in log.conflicting],
        other=other,
    )


def notes_by_guid(col: Collection) -> dict[str, Note]:
    return {note.guid: note for note in (col.get_note(nid) for nid in col.find_notes(""))}


class TagCollector(HTMLParser):
    """Every start tag with its attributes, from the HTML Anki renders for a card."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text.append(data)


def unsafe_html(markup: str) -> list[str]:
    """What a field must never carry: script elements, event handlers, javascript: URLs,
    embedded frames/objects."""
    parser = TagCollector()
    parser.feed(markup)
    parser.close()
    found: list[str] = []
    for tag, attrs in parser.tags:
        if tag in ("script", "iframe", "object", "embed", "form", "base", "meta", "link"):
            found.append(f"<{tag}>")
        for name, value in attrs:
            if name.lower().startswith("on"):
                found.append(f"{tag} {name}=")
            cleaned = "".join((value or "").split()).lower()
            if name.lower() in ("href", "src", "xlink:href", "action", "formaction") and (
                cleaned.startswith(("javascript:", "vbscript:", "data:text"))
            ):
                found.append(f"{tag} {name}={value}")
    return found


def visible_text(markup: str) -> str:
    parser = TagCollector()
    parser.feed(markup)
    parser.close()
    return "".join(parser.text)
