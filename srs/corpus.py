"""A corpus: the decks and lessons named on the command line, turned into cards.

Resolves PATH arguments (lesson files, directories, deck manifests), parses each lesson
once, adds the code-fact cards, and runs the checks that need every lesson at once:
duplicate card ids, prerequisite cycles, prerequisites naming unknown slugs.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from srs.decks import default_deck, is_lesson_file, load_manifest, manifest_lessons
from srs.errors import LessonError, ManifestError, UsageError
from srs.model import Card, Deck, DeckOptions, Diagnostic, Lesson, Severity, SourcePos

MANIFEST_SUFFIX = ".toml"


@dataclass(frozen=True, slots=True)
class LessonSource:
    """A lesson file and the deck it belongs to; cheap to build, nothing parsed yet."""

    path: Path
    deck: Deck


@dataclass
class Corpus:
    decks: list[Deck]
    lessons: list[Lesson]
    deck_of: dict[Path, Deck]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def cards(self) -> list[Card]:
        return [card for lesson in self.lessons for card in lesson.cards]

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    def unnamed_lessons(self, deck: Deck) -> list[Path]:
        """The lessons of `deck`'s manifest that the PATHs did not name (none for a deck
        without a manifest). A lesson named through another manifest is that deck's."""
        if deck.path is None:
            return []
        named = {path.resolve() for path in self.deck_of}
        return [path for path in manifest_lessons(deck) if path.resolve() not in named]

    @property
    def deck_options(self) -> dict[str, DeckOptions]:
        """The options of the manifest decks that hold the lessons, by deck name (a name two
        manifests give is one deck, with the first one's options)."""
        return {deck.name: deck.options for deck in self.deck_of.values()
                if deck.path is not None}

    @property
    def input_paths(self) -> list[Path]:
        """Every lesson file named (those that failed to load too) and every manifest."""
        return [*self.deck_of, *(deck.path for deck in self.decks if deck.path is not None)]

    @property
    def unread(self) -> list[Diagnostic]:
        """The errors of the lesson files that could not be read at all, so none of their
        cards are in `lessons`."""
        loaded = {lesson.path for lesson in self.lessons}
        return [d for d in self.diagnostics if d.severity is Severity.ERROR
                and d.pos.path in self.deck_of and d.pos.path not in loaded]


def resolve_sources(paths: Sequence[Path], cwd: Path | None = None) -> list[LessonSource]:
    """The lesson files named by PATHs; none given: `./decks/*.toml`, else `./lessons`.

    A manifest contributes its lessons under its deck; a file is a lesson whatever its
    extension; a directory contributes its `.md` files, recursively. A lesson named by its
    file or folder is in the deck of the project manifest that names it (see
    `_ProjectDecks`), else in the default deck. Raises `UsageError` for a path that does
    not exist, `ManifestError` for an unreadable manifest.
    """
    return _resolve(paths, cwd)[0]


def _resolve(paths: Sequence[Path], cwd: Path | None,
             ) -> tuple[list[LessonSource], list[Deck], list[Diagnostic]]:
    """`resolve_sources`; the manifests whose globs match no lesson file; and a warning
    for each lesson that a second manifest also names, and that stays in the first's deck."""
    base = cwd or Path.cwd()
    if not paths:
        decks_dir = base / "decks"
        manifests = sorted(decks_dir.glob(f"*{MANIFEST_SUFFIX}")) if decks_dir.is_dir() else []
        if manifests:
            paths = [_relative(m) for m in manifests]
        elif (base / "lessons").is_dir():
            paths = [_relative(base / "lessons")]
        else:
            raise UsageError("no PATH given, and no deck manifest (*.toml) in ./decks and no "
                             "./lessons folder here")
    # `srs review decks`: a folder of manifests and no lessons stands for its manifests.
    paths = [manifest for given in paths for manifest in _manifests_of(given) or [given]]
    sources: dict[Path, LessonSource] = {}
    empty: list[Deck] = []
    claimed: list[Diagnostic] = []
    named: dict[str, Deck] = {}  # a deck name is one deck: the first manifest's
    project = _ProjectDecks(named, claimed)
    for given in paths:
        if not given.exists():
            raise UsageError("no such file or directory", given)
        if not given.is_dir() and not given.is_file():
            # A device or a pipe would be read without end (`/dev/zero`) or wait forever.
            raise UsageError("not a lesson file, a folder or a deck manifest (a device or a "
                             "pipe?)", given)
        if given.is_dir():
            lessons = [lesson for lesson in sorted(given.rglob("*.md")) if is_lesson_file(lesson)]
            if not lessons:  # a mistyped folder, most likely: say so, not "0 cards"
                claimed.append(Diagnostic(SourcePos(given, 0), Severity.WARNING,
                                          "the folder holds no lesson file (*.md)"))
            for lesson in lessons:
                resolved = lesson.resolve()
                sources.setdefault(resolved, LessonSource(
                    lesson, project.deck_of(lesson, resolved)))
        elif given.suffix == MANIFEST_SUFFIX:
            try:
                manifest, warnings = project.load(given)
            except ManifestError as exc:
                project.broken.append(exc)
                continue
            claimed.extend(warnings)
            found = manifest_lessons(manifest)
            deck = named.setdefault(manifest.name, manifest)
            if deck.path is not None and deck.path.resolve() != given.resolve():
                differ = " (its options differ from these)" if (
                    deck.options != manifest.options) else ""
                claimed.append(Diagnostic(
                    SourcePos(given, 1), Severity.WARNING,
                    f"deck {deck.name!r} is also named by {deck.path}: its lessons and these "
                    f"are one deck, with that manifest's options{differ}"))
            if not found:
                empty.append(manifest)
            for lesson in found:
                first = sources.setdefault(lesson.resolve(), LessonSource(lesson, deck))
                if first.deck is not deck and first.deck.path is not None:
                    claimed.append(Diagnostic(
                        SourcePos(given, 1), Severity.WARNING,
                        f"{lesson} is also in deck {first.deck.name!r} ({first.deck.path}), "
                        "and a lesson belongs to one deck: it stays there"))
        else:
            resolved = given.resolve()
            sources.setdefault(resolved, LessonSource(given, project.deck_of(given, resolved)))
    if project.broken:
        # Every broken manifest at once; none is skipped, since the lessons it names would
        # be studied in the wrong deck.
        told = list({str(e): e for exc in project.broken for e in (exc, *exc.others)}.values())
        told[0].others = tuple(told[1:])
        raise told[0]
    return list(sources.values()), empty, claimed


class _ProjectDecks:
    """The deck of a lesson named by its file or folder rather than by a manifest: the first
    manifest (by file name) that names it in the nearest `decks/` folder above the lesson
    holding one that does (above the path as given, then above the file a link leads to).
    So `srs review lessons/03.md` studies those cards in the deck `srs review` puts them in,
    under its options and daily limits, and `srs export lessons/03.md` files them there.

    A lesson no such manifest names is in the default deck. Each manifest is read once per
    run, and its warnings are told once, as when it is named on the command line."""

    def __init__(self, named: dict[str, Deck], warnings: list[Diagnostic]) -> None:
        self._named = named
        self._warnings = warnings
        self._loaded: dict[Path, tuple[Deck, list[Diagnostic]]] = {}
        # folder -> for each `decks/` folder in and above it, nearest first: lesson -> deck
        self._chains: dict[Path, list[dict[Path, Deck]]] = {}
        self._loose = default_deck()
        self.broken: list[ManifestError] = []  # manifests that could not be used

    def load(self, manifest: Path) -> tuple[Deck, list[Diagnostic]]:
        """The manifest and its warnings; the warnings only the first time it is read."""
        key = manifest.resolve()
        if key in self._loaded:
            return self._loaded[key][0], []
        self._loaded[key] = load_manifest(manifest)
        return self._loaded[key]

    def deck_of(self, lesson: Path, resolved: Path) -> Deck:
        """`lesson` as named, `resolved` its real path."""
        for folder in dict.fromkeys((Path(os.path.abspath(lesson)).parent, resolved.parent)):
            for claims in self._chain(folder):
                deck = claims.get(resolved)
                if deck is not None:
                    return deck
        return self._loose

    def _chain(self, folder: Path) -> list[dict[Path, Deck]]:
        """The claims of the `decks/` folders in and above `folder`, nearest first; worked
        out once per folder, as a review may name a hundred lessons of one."""
        chain = self._chains.get(folder)
        if chain is None:
            here = self._folder_claims(folder / "decks")
            above = self._chain(folder.parent) if folder.parent != folder else []
            chain = self._chains[folder] = ([here] if here is not None else []) + above
        return chain

    def _folder_claims(self, folder: Path) -> dict[Path, Deck] | None:
        """Lesson -> deck for the manifests in `folder`; None when it holds none."""
        manifests = sorted(folder.glob(f"*{MANIFEST_SUFFIX}")) if folder.is_dir() else []
        if not manifests:
            return None
        claims: dict[Path, Deck] = {}
        for path in manifests:
            try:
                manifest, warnings = self.load(_relative(path))
            except ManifestError as exc:
                self.broken.append(exc)
                continue
            self._warnings.extend(warnings)
            deck = self._named.setdefault(manifest.name, manifest)
            for lesson in manifest_lessons(manifest):
                claims.setdefault(lesson.resolve(), deck)
        return claims


def _manifests_of(folder: Path) -> list[Path]:
    """The deck manifests directly in `folder` when it holds no lesson file, else none."""
    if not folder.is_dir() or next(folder.rglob("*.md"), None) is not None:
        return []
    return sorted(folder.glob(f"*{MANIFEST_SUFFIX}"))


def _relative(path: Path) -> Path:
    """As the user would type it from the current folder, for `path:line` messages."""
    try:
        return Path(os.path.relpath(path, Path.cwd()))
    except ValueError:
        return path


def lesson_key(path: Path) -> str | None:
    """The lesson file's resolved path, as the review database keeps it; None when the name
    is not UTF-8 (its bytes kept as surrogates), which a database or Anki package of text
    cannot hold."""
    key = str(path.resolve())
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return key


def checked_lesson_key(path: Path) -> str:
    """`lesson_key`, or a `LessonError` for a name a database cannot hold."""
    key = lesson_key(path)
    if key is None:
        raise LessonError("the file name is not valid UTF-8; rename the file", path, 1)
    return key


def load_lesson(source: LessonSource) -> Lesson:
    """Parse one lesson and add its fact cards; every card carries the deck's name."""
    from srs.facts import fact_cards
    from srs.parse import parse_lesson_file

    checked_lesson_key(source.path)
    lesson = parse_lesson_file(source.path, deck=source.deck.name)
    facts, fact_diagnostics = fact_cards(lesson)
    return dataclasses.replace(
        lesson, cards=(*lesson.cards, *facts),
        diagnostics=(*lesson.diagnostics, *fact_diagnostics),
    )


def load_corpus(paths: Sequence[Path], cwd: Path | None = None) -> Corpus:
    """Every lesson the PATHs name; a lesson that cannot be read at all (too large,
    unreadable) is an error diagnostic, and the rest are still loaded; a manifest matching
    no lesson file is a warning."""
    sources, empty, claimed = _resolve(paths, cwd)
    lessons: list[Lesson] = []
    problems = [Diagnostic(SourcePos(deck.path or Path(), 1), Severity.WARNING,
                             "the manifest's `lessons` globs match no lesson file")
                for deck in empty]
    problems.extend(claimed)
    for source in sources:
        try:
            lessons.append(load_lesson(source))
        except LessonError as exc:
            problems.append(Diagnostic(SourcePos(source.path, exc.line or 1), Severity.ERROR,
                                         exc.message))
    decks = list({id(s.deck): s.deck for s in sources}.values())
    corpus = Corpus(decks=decks, lessons=lessons, deck_of={s.path: s.deck for s in sources},
                    diagnostics=problems)
    for lesson in lessons:
        corpus.diagnostics.extend(lesson.diagnostics)
    corpus.diagnostics.extend(cross_lesson_diagnostics(lessons))
    return corpus


def cross_lesson_diagnostics(lessons: Sequence[Lesson]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    seen: dict[str, Card] = {}
    for lesson in lessons:
        for card in lesson.cards:
            first = seen.setdefault(card.id, card)
            if first is not card:
                found.append(Diagnostic(card.source, Severity.ERROR,
                                        f"duplicate card id {card.id} (first at {first.source})"))
    by_slug: dict[str, Lesson] = {}
    for lesson in lessons:
        if lesson.slug:
            other = by_slug.setdefault(lesson.slug, lesson)
            if other is not lesson:
                found.append(Diagnostic(SourcePos(lesson.path, 1), Severity.ERROR,
                                        f"duplicate slug {lesson.slug!r} (also {other.path})"))
    for lesson in lessons:
        for slug in lesson.prerequisites:
            if slug not in by_slug:
                found.append(Diagnostic(SourcePos(lesson.path, lesson.prerequisites_line),
                                        Severity.WARNING,
                                        f"prerequisite {slug!r} is not among the checked lessons"))
    for cycle in prerequisite_cycles(lessons):
        head = cycle[0]
        chain = " -> ".join([*(lesson.slug for lesson in cycle), head.slug])
        found.append(Diagnostic(SourcePos(head.path, head.prerequisites_line), Severity.ERROR,
                                f"prerequisite cycle: {chain}"))
    return found


def prerequisite_cycles(lessons: Sequence[Lesson]) -> list[list[Lesson]]:
    """Each cycle once, as the lessons along it, starting from its first lesson in input order."""
    by_slug = {lesson.slug: lesson for lesson in lessons if lesson.slug}
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    cycles: list[list[Lesson]] = []
    for start in by_slug:
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, Iterable[str]]] = [(start, iter(by_slug[start].prerequisites))]
        state[start] = 1
        path.append(start)
        while stack:
            slug, pending = stack[-1]
            nxt = next((p for p in pending if p in by_slug), None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[slug] = 2
            elif state.get(nxt) == 1:
                cycles.append([by_slug[s] for s in path[path.index(nxt):]])
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(by_slug[nxt].prerequisites)))
    return cycles


def lesson_order(lessons: Sequence[Lesson]) -> list[Lesson]:
    """Prerequisites first (a topological order; edges in cycles or to unknown slugs are
    ignored), ties broken by lesson number, then path."""
    import heapq

    by_slug = {lesson.slug: lesson for lesson in lessons if lesson.slug}

    def rank(lesson: Lesson) -> tuple[int, float, str]:
        number = lesson.number if lesson.number is not None else float("inf")
        return (0, number, lesson.path.as_posix())

    needs: dict[int, set[int]] = {
        id(lesson): {id(by_slug[s]) for s in lesson.prerequisites if s in by_slug}
        for lesson in lessons
    }
    # An edge inside a cycle cannot be honoured; every other edge, even of a lesson on a
    # cycle, still can.
    component = _components(needs)
    for key, deps in needs.items():
        deps -= {dep for dep in deps if component[dep] == component[key]}
    unlocks: dict[int, list[Lesson]] = {id(lesson): [] for lesson in lessons}
    for lesson in lessons:
        for dep in needs[id(lesson)]:
            unlocks[dep].append(lesson)
    ready = [(rank(lesson), i, lesson) for i, lesson in enumerate(lessons) if not needs[id(lesson)]]
    heapq.heapify(ready)
    ordered: list[Lesson] = []
    index = {id(lesson): i for i, lesson in enumerate(lessons)}
    while ready:
        _, _, lesson = heapq.heappop(ready)
        ordered.append(lesson)
        for nxt in unlocks[id(lesson)]:
            needs[id(nxt)].discard(id(lesson))
            if not needs[id(nxt)]:
                heapq.heappush(ready, (rank(nxt), index[id(nxt)], nxt))
    return ordered


def _components(edges: dict[int, set[int]]) -> dict[int, int]:
    """Each node's strongly connected component (Kosaraju's algorithm, without recursion)."""
    finished: list[int] = []
    seen: set[int] = set()
    for root in edges:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(edges[root]))]
        while stack:
            node, pending = stack[-1]
            nxt = next((n for n in pending if n not in seen), None)
            if nxt is None:
                stack.pop()
                finished.append(node)
            else:
                seen.add(nxt)
                stack.append((nxt, iter(edges[nxt])))
    reverse: dict[int, list[int]] = {node: [] for node in edges}
    for node, targets in edges.items():
        for target in targets:
            reverse[target].append(node)
    component: dict[int, int] = {}
    for root in reversed(finished):
        if root in component:
            continue
        component[root] = root
        todo = [root]
        while todo:
            for other in reverse[todo.pop()]:
                if other not in component:
                    component[other] = root
                    todo.append(other)
    return component
