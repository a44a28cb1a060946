"""Resolving PATH arguments, deck manifests, and the checks that need every lesson."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srs.corpus import lesson_order, load_corpus, resolve_sources
from srs.decks import load_manifest
from srs.errors import ManifestError, SrsError
from srs.model import Lesson, Severity


def lesson(slug: str, number: int, prereqs: list[str], canonical: str | None = None) -> str:
    cid = f"canonical_id: {canonical or slug}\n" if canonical != "" else ""
    return (f"---\ntitle: {slug}\nslug: {slug}\nnumber: {number}\n"
            f"prerequisites: {prereqs}\n{cid}---\n# {slug}\n\n## Cards\n\nQ: {slug}?\nA: yes\n")


def make(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_directory_file_and_manifest(tmp_path: Path) -> None:
    make(tmp_path, {
        "lessons/01. A.md": lesson("a", 1, []),
        "lessons/sub/02. B.md": lesson("b", 2, ["a"]),
        "extra.txt": lesson("c", 3, []),
        "decks/go.toml": 'name = "Go::Core"\nlessons = ["../lessons/**/*.md"]\n'
                         "[options]\nnew_per_day = 5\n",
    })
    by_dir = resolve_sources([tmp_path / "lessons"])
    assert [s.path.name for s in by_dir] == ["01. A.md", "02. B.md"]
    by_manifest = resolve_sources([tmp_path / "decks/go.toml"])
    assert {s.deck.name for s in by_manifest} == {"Go::Core"}
    assert by_manifest[0].deck.options.new_per_day == 5
    corpus = load_corpus([tmp_path / "decks/go.toml", tmp_path / "extra.txt"])
    assert [c.deck for c in corpus.cards] == ["Go::Core", "Go::Core", "srs"]
    assert not corpus.diagnostics


def test_a_folder_of_manifests_without_lessons_stands_for_its_manifests(tmp_path: Path) -> None:
    make(tmp_path, {
        "lessons/01. A.md": lesson("a", 1, []),
        "lessons/02. B.md": lesson("b", 2, []),
        "decks/one.toml": 'name = "One"\nlessons = ["../lessons/01*.md"]\n',
        "decks/two.toml": 'name = "Two"\nlessons = ["../lessons/02*.md"]\n',
    })
    by_folder = resolve_sources([tmp_path / "decks"])
    assert [(s.path.name, s.deck.name) for s in by_folder] == [
        ("01. A.md", "One"), ("02. B.md", "Two")]
    by_default = resolve_sources([], cwd=tmp_path)  # paths relative to the current folder
    assert [(s.path.resolve(), s.deck.name) for s in by_default] == [
        (s.path.resolve(), s.deck.name) for s in by_folder]


def test_a_manifest_glob_takes_only_the_markdown_files_it_matches(tmp_path: Path) -> None:
    # Images and notes sit beside the lessons; `*` names them too, but they are not lessons.
    make(tmp_path, {
        "lessons/01. A.md": lesson("a", 1, []),
        "lessons/layout.png": "\x89PNG",
        "lessons/notes.txt": "to do",
        "decks/go.toml": 'name = "Go"\nlessons = ["../lessons/*"]\n',
        "decks/none.toml": 'name = "None"\nlessons = ["../lessons/*.png"]\n',
    })
    corpus = load_corpus([tmp_path / "decks/go.toml"])
    assert [lesson.path.name for lesson in corpus.lessons] == ["01. A.md"]
    assert not corpus.diagnostics
    empty = load_corpus([tmp_path / "decks/none.toml"])
    assert not empty.lessons
    assert [d.message for d in empty.diagnostics] == [
        "the manifest's `lessons` globs match no lesson file"]


def test_a_lesson_link_leading_nowhere_is_an_error_naming_it_not_left_out_silently(
        tmp_path: Path) -> None:
    make(tmp_path, {"lessons/01. A.md": lesson("a", 1, []),
                    "decks/go.toml": 'name = "Go"\nlessons = ["../lessons/*.md"]\n'})
    (tmp_path / "lessons" / "02. B.md").symlink_to(tmp_path / "moved" / "02. B.md")
    for path in (tmp_path / "decks/go.toml", tmp_path / "lessons"):
        corpus = load_corpus([path])
        assert [lesson.slug for lesson in corpus.lessons] == ["a"]
        assert [(d.pos.path.name, d.severity, d.message) for d in corpus.diagnostics] == [
            ("02. B.md", Severity.ERROR, "cannot read lesson: No such file or directory")]


def test_a_folder_with_no_lesson_file_is_a_warning_naming_it(tmp_path: Path) -> None:
    make(tmp_path, {"lessons/01. A.md": lesson("a", 1, []), "notes/todo.txt": "later"})
    corpus = load_corpus([tmp_path / "lessons", tmp_path / "notes"])
    assert [lesson.slug for lesson in corpus.lessons] == ["a"]
    assert [str(d) for d in corpus.diagnostics] == [
        f"{tmp_path / 'notes'}: warning: the folder holds no lesson file (*.md)"]


def test_a_lesson_two_manifests_name_stays_in_the_first_deck_with_a_warning(
        tmp_path: Path) -> None:
    make(tmp_path, {
        "lessons/01. A.md": lesson("a", 1, []),
        "lessons/02. B.md": lesson("b", 2, []),
        "decks/one.toml": 'name = "One"\nlessons = ["../lessons/01*.md"]\n',
        "decks/two.toml": 'name = "Two"\nlessons = ["../lessons/0[12]*.md"]\n',
    })
    one, two = tmp_path / "decks/one.toml", tmp_path / "decks/two.toml"
    corpus = load_corpus([one, two, one])
    assert [(c.lesson, c.deck) for c in corpus.cards] == [("a", "One"), ("b", "Two")]
    assert [(d.pos.path, d.severity, d.message) for d in corpus.diagnostics] == [
        (two, Severity.WARNING,
         f"{tmp_path / 'lessons/01. A.md'} is also in deck 'One' ({one}), and a "
         "lesson belongs to one deck: it stays there")]


def test_a_lesson_named_by_file_or_folder_is_in_the_deck_its_project_manifest_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, {
        "track/lessons/01. A.md": lesson("a", 1, []),
        "track/lessons/sub/02. B.md": lesson("b", 2, []),
        "track/lessons/03. C.md": lesson("c", 3, []),
        "track/decks/a.toml": 'name = "Go::A"\nlessons = ["../lessons/01*.md"]\nmistake = 1\n',
        "track/decks/b.toml": 'name = "Go::B"\nlessons = ["../lessons/**/0[12]*.md"]\n'
                              "[options]\nnew_per_day = 4\n",
    })
    monkeypatch.chdir(tmp_path)  # above the track: its decks folder is found from the lesson
    lessons = Path("track/lessons")
    by_file = resolve_sources([lessons / "sub/02. B.md", lessons / "01. A.md"])
    assert [(s.path, s.deck.name) for s in by_file] == [
        (lessons / "sub/02. B.md", "Go::B"), (lessons / "01. A.md", "Go::A")]
    assert by_file[0].deck.options.new_per_day == 4
    corpus = load_corpus([lessons, Path("track/decks/a.toml")])
    assert [(c.lesson, c.deck) for c in corpus.cards] == [
        ("a", "Go::A"), ("c", "srs"), ("b", "Go::B")]  # C: no manifest names it
    # The manifest read to find the deck, then named itself: its warning is told once.
    assert [(d.pos.path, d.pos.line) for d in corpus.diagnostics] == [
        (Path("track/decks/a.toml"), 3)]
    make(tmp_path, {"track/decks/c.toml": 'name = "C"\noptions = 1\n'})
    with pytest.raises(ManifestError, match="`options` must be a table"):
        resolve_sources([lessons / "03. C.md"])
    outside = make(tmp_path, {"elsewhere/04. D.md": lesson("d", 4, [])}) / "elsewhere/04. D.md"
    assert resolve_sources([outside])[0].deck.name == "srs"


def test_project_decks_are_found_above_the_path_as_given_and_past_a_folder_not_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, {
        "outer/decks/outer.toml": 'name = "Outer"\nlessons = ["../inner/lessons/*.md"]\n',
        "outer/inner/decks/inner.toml": 'name = "Inner"\nlessons = ["../lessons/a.md"]\n',
        "outer/inner/lessons/a.md": lesson("a", 1, []),
        "outer/inner/lessons/b.md": lesson("b", 2, []),
        "shared/s.md": lesson("s", 3, []),
        "linked/decks/d.toml": 'name = "Linked"\nlessons = ["../lessons/*.md"]\n',
    })
    (tmp_path / "linked" / "lessons").symlink_to(tmp_path / "shared")
    monkeypatch.chdir(tmp_path)
    inner = Path("outer/inner/lessons")
    assert [s.deck.name for s in resolve_sources([inner / "a.md", inner / "b.md"])] == [
        "Inner", "Outer"]  # the nearest manifest naming it, past one that does not
    assert [s.deck.name for s in resolve_sources([Path("linked/lessons/s.md")])] == ["Linked"]
    assert [s.deck.name for s in resolve_sources([Path("linked/lessons")])] == ["Linked"]
    # By its own path, no project folder is above it.
    assert [s.deck.name for s in resolve_sources([Path("shared/s.md")])] == ["srs"]


def test_default_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, {"lessons/01. A.md": lesson("a", 1, [])})
    monkeypatch.chdir(tmp_path)
    assert [s.path for s in resolve_sources([])] == [Path("lessons/01. A.md")]
    make(tmp_path, {"decks/d.toml": 'name = "D"\nlessons = ["../lessons/*.md"]\n'})
    [source] = resolve_sources([])
    assert (source.path, source.deck.name) == (Path("lessons/01. A.md"), "D")


def test_missing_path_and_bad_manifest(tmp_path: Path) -> None:
    with pytest.raises(SrsError, match="no such file"):
        resolve_sources([tmp_path / "nope.md"])
    bad = make(tmp_path, {"d.toml": "name = \n"}) / "d.toml"
    with pytest.raises(ManifestError) as info:
        load_manifest(bad)
    assert str(info.value).startswith(f"{bad}:1: invalid TOML")
    retention = make(tmp_path, {"r.toml": 'name = "R"\n\n[options]\ndesired_retention = 2\n'})
    with pytest.raises(ManifestError, match="desired_retention") as info:
        load_manifest(retention / "r.toml")
    assert info.value.line == 4  # the key's own line


@pytest.mark.parametrize(("text", "line"), [
    ('# a deck\nlessons = ["*.md"]\nname = ""\n', 3),
    ('name = "D"\n\n"lessons" = 3\n', 3),
    ('name = "D"\n\n[ "options" ]  # scheduling\nreviews_per_day = -1\n', 4),
    ('name = "D"\noptions = 3\n', 2),
    ('new_per_day = 5\nname = "D"\n[options]\nmaximum_interval = 0\n', 4),
    ('name = "D"\n[options]\nleech_threshold = "8"\n', 3),
    ('name = "D"\n[options]\n\nleech_threshold = 99999999999999999999\n', 4),
    ('name = "D"\n[options]\nmaximum_interval = 36501\n', 3),
])
def test_a_manifest_error_names_the_line_of_its_key(tmp_path: Path, text: str,
                                                    line: int) -> None:
    path = tmp_path / "d.toml"
    path.write_text(text)
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert info.value.line == line, str(info.value)


def test_every_manifest_problem_is_told_at_once_in_line_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, {
        "decks/a.toml": 'name = "Good"\nlessons = ["../lessons/*.md"]\n',
        "decks/b.toml": 'lessons = "/abs/*.md"\n[options]\nnew_per_day = -3\n'
                        'desired_retention = 1.5\n',
        "decks/c.toml": 'name = "C"\nlessons = [\n',
        "lessons/01. A.md": "# A\n",
    })
    monkeypatch.chdir(tmp_path)
    for paths in ([], [Path("lessons/01. A.md")], [Path("decks/b.toml"), Path("decks/c.toml")]):
        with pytest.raises(ManifestError) as info:
            resolve_sources(paths)
        told = [str(error) for error in (info.value, *info.value.others)]
        assert told[:4] == [
            "decks/b.toml:1: deck manifest needs a `name` string",
            "decks/b.toml:1: `lessons` globs are relative to the manifest's folder, "
            "not '/abs/*.md'",
            "decks/b.toml:3: new_per_day must be a whole number from 0 to 1,000,000",
            "decks/b.toml:4: desired_retention must be a number from 0.5 to 0.99",
        ], told
        # an error at the end of the document is told at its last line
        assert told[4:] == ["decks/c.toml:2: invalid TOML: Invalid value (at end of document)"]


def test_control_characters_in_a_deck_name_are_spaces(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text('name = "Go\\u202eSys::\\tMemory\\u2028Model\\u2066"\nlessons = []\n',
                    encoding="utf-8")
    assert load_manifest(path)[0].name == "Go Sys::Memory Model"


def test_unknown_manifest_keys_are_warnings_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text('name = "D"\nlesson = ["x/*.md"]\n[options]\nnew_per_dya = 5\n'
                    'new_per_day = 3\n')
    deck, warnings = load_manifest(path)
    assert deck.options.new_per_day == 3 and deck.lesson_globs == ("*.md",)
    assert [str(w) for w in warnings] == [
        f"{path}:2: warning: unknown key `lesson`, ignored; the keys are name, lessons, options",
        f"{path}:4: warning: unknown key `new_per_dya` in [options], ignored; the keys are "
        "desired_retention, new_per_day, reviews_per_day, maximum_interval, leech_threshold"]


def test_unknown_manifest_keys_are_told_after_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text('nmae = "D"\n[options]\nnew_per_day = -1\n')
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert [str(e) for e in (info.value, *info.value.others)] == [
        f"{path}:1: deck manifest needs a `name` string",
        f"{path}:3: new_per_day must be a whole number from 0 to 1,000,000",
        f"{path}:1: warning: unknown key `nmae`, ignored; the keys are name, lessons, options"]


def test_two_manifests_naming_one_deck_are_one_deck_with_the_first_ones_options(
        tmp_path: Path) -> None:
    make(tmp_path, {
        "lessons/01. A.md": lesson("a", 1, []),
        "lessons/02. B.md": lesson("b", 2, []),
        "decks/a.toml": 'name = "Go"\nlessons = ["../lessons/01*.md"]\n',
        "decks/b.toml": 'name = "Go"\nlessons = ["../lessons/02*.md"]\n'
                        '[options]\nnew_per_day = 5\n',
    })
    corpus = load_corpus([tmp_path / "decks/a.toml", tmp_path / "decks/b.toml"])
    assert len(corpus.decks) == 1 and corpus.decks[0].options.new_per_day == 20
    assert {corpus.deck_of[lesson.path].name for lesson in corpus.lessons} == {"Go"}
    [warning] = [d for d in corpus.diagnostics if "also named by" in d.message]
    assert warning.severity is Severity.WARNING and warning.pos.path.name == "b.toml"
    assert "with that manifest's options (its options differ from these)" in warning.message


def test_cross_lesson_findings(tmp_path: Path) -> None:
    make(tmp_path, {
        "a.md": lesson("a", 1, ["c"]),
        "b.md": lesson("b", 2, ["a", "ghost"]),
        "c.md": lesson("c", 3, ["b"]),
        "d.md": lesson("d", 4, [], canonical="a"),  # same root as a: same card ids
    })
    corpus = load_corpus([tmp_path])
    found = sorted(str(d).replace(str(tmp_path) + "/", "") for d in corpus.diagnostics)
    assert found == sorted([
        "a.md:5: error: prerequisite cycle: a -> c -> b -> a",
        "b.md:5: warning: prerequisite 'ghost' is not among the checked lessons",
        f"d.md:12: error: duplicate card id {corpus.lessons[3].cards[0].id} (first at a.md:12)",
    ])
    assert corpus.has_errors


def test_lesson_order_is_topological_then_by_number(tmp_path: Path) -> None:
    make(tmp_path, {
        "1.md": lesson("runtime", 1, []),
        "2.md": lesson("atomics", 2, ["layout"]),
        "3.md": lesson("layout", 3, ["runtime"]),
        "4.md": lesson("testing", 4, ["runtime", "unknown"]),
        "5.md": lesson("loose", 0, []),
    })
    corpus = load_corpus([tmp_path])
    assert [x.slug for x in lesson_order(corpus.lessons)] == [
        "loose", "runtime", "layout", "atomics", "testing"]


def test_cycle_members_still_ordered(tmp_path: Path) -> None:
    make(tmp_path, {"1.md": lesson("x", 2, ["y"]), "2.md": lesson("y", 1, ["x"])})
    corpus = load_corpus([tmp_path])
    assert [x.slug for x in lesson_order(corpus.lessons)] == ["y", "x"]
    assert sum(d.severity is Severity.ERROR for d in corpus.diagnostics) == 1


def test_a_cycle_drops_only_its_own_edges(tmp_path: Path) -> None:
    # c and d need each other; c also needs a, which is outside the cycle and still first.
    make(tmp_path, {"a.md": lesson("a", 3, []), "c.md": lesson("c", 1, ["a", "d"]),
                    "d.md": lesson("d", 2, ["c"]), "e.md": lesson("e", 0, ["d"])})
    order = [x.slug for x in lesson_order(load_corpus([tmp_path]).lessons)]
    assert order.index("a") < order.index("c")
    assert order.index("e") > order.index("d")
    assert order == ["d", "e", "a", "c"]


@given(st.dictionaries(st.integers(0, 7), st.sets(st.integers(0, 7), max_size=3), max_size=8))
def test_lesson_order_keeps_every_edge_outside_a_cycle(graph: dict[int, set[int]]) -> None:
    lessons = [Lesson(path=Path(f"{n}.md"), title=str(n), slug=f"s{n}", number=n, level="",
                      tags=(), prerequisites=tuple(f"s{d}" for d in sorted(graph.get(n, ()))),
                      canonical_id=None) for n in range(8)]
    order = [int(x.slug[1:]) for x in lesson_order(lessons)]
    assert sorted(order) == list(range(8))

    def reaches(start: int, goal: int) -> bool:
        todo, seen = [start], {start}
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            for nxt in graph.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    for lesson_n, deps in graph.items():
        for dep in deps:
            if not reaches(dep, lesson_n):  # not on a cycle: the prerequisite comes first
                assert order.index(dep) < order.index(lesson_n)


@pytest.mark.parametrize(("text", "message"), [
    ('name = "D"\nlessons = ["/etc/*.md"]\n', "relative to the manifest"),
    ('name = "D"\nlessons = [""]\n', "non-empty glob"),
    ('name = "D"\nlessons = [3]\n', "non-empty glob"),
    (b'name = "\xff"\n', "not valid UTF-8"),
    ('lessons = ["*.md"]\n', "needs a `name`"),
])
def test_bad_manifests_are_clean_errors(tmp_path: Path, text: str | bytes, message: str) -> None:
    path = tmp_path / "d.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(ManifestError, match=message):
        load_manifest(path)
