"""Export, then import with the real Anki importer (the `anki` package)."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest
from anki.collection import Collection
from anki_helpers import (
    FIXTURES,
    T0,
    copy_fixtures,
    fresh_collection,
    import_package,
    notes_by_guid,
    unsafe_html,
    visible_text,
)
from typer.testing import CliRunner, Result

from srs.cli import app
from srs.corpus import Corpus, load_corpus
from srs.errors import ExportError
from srs.export import NOTE_TYPES, build_notes, export_lessons
from srs.model import Card, CardKind, card_id, choice_order

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _corpus(root: Path) -> Corpus:
    return load_corpus([root / "decks" / "go.toml", root / "decks" / "rust.toml"])


def _export(root: Path, out: Path, when: float) -> list[Card]:
    corpus = _corpus(root)
    export_lessons(corpus.lessons, out, timestamp=when)
    return corpus.cards


def _expected_guids(root: Path) -> set[str]:
    corpus = _corpus(root)
    guids = set()
    for lesson in corpus.lessons:
        for card in lesson.cards:
            if card.kind is CardKind.CLOZE:
                guids.add(card_id(lesson.root, CardKind.CLOZE, card.note_key))
            else:
                guids.add(card.id)
    return guids


def test_fixture_lessons_import_with_every_card_deck_field_and_tag(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    out = tmp_path / "out" / "all.apkg"
    out.parent.mkdir()
    cards = _export(root, out, T0)
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        log = import_package(col, out)
        guids = _expected_guids(root)
        assert len(log.new) == len(guids) and not log.updated and not log.conflicting
        assert col.card_count() == len(cards)
        note_ids = col.find_notes("")
        notes = [col.get_note(nid) for nid in note_ids]
        assert {n.guid for n in notes} == guids
        assert {d.name for d in col.decks.all_names_and_ids()} >= {
            "Go Systems", "Go Systems::06 Channels and Memory",
            "Rust Basics", "Rust Basics::03 Ownership",
        }
        by_guid = {n.guid: n for n in notes}
        go = [c for c in cards if c.deck == "Go Systems"]
        for card in go:
            if card.kind is CardKind.CLOZE:
                continue
            note = by_guid[card.id]
            assert note.note_type()["name"] == NOTE_TYPES[card.kind].name
            assert sorted(note.tags) == sorted(card.tags)
            assert {"go", "channels"} <= set(note.tags)
            assert note["Source"] == "Channels and Memory · 06. Channels and Memory.md"
            for cid in note.card_ids():
                assert col.decks.name(col.get_card(cid).did) == "Go Systems::06 Channels and Memory"
        rust = next(c for c in cards if c.deck == "Rust Basics" and c.kind is CardKind.CODE)
        assert sorted(by_guid[rust.id].tags) == sorted(rust.tags)
        assert {"rust", "ownership"} <= set(by_guid[rust.id].tags)

        rendered = []
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            question, answer = card.question(), card.answer()
            assert unsafe_html(question) == [] and unsafe_html(answer) == []
            rendered.append(visible_text(answer))
        text = "\n".join(rendered)
        # Code shows literally (escaped in the HTML, decoded in the text).
        assert "var in <-chan int" in text and "ok := a && b" in text
        assert "let v: Vec<T> = Vec::new();" in text
        html_all = "\n".join(col.get_card(cid).answer() for cid in col.find_cards(""))
        assert "<code>&lt;-chan int</code>" in html_all
        assert "<code>a &amp;&amp; b</code>" in html_all
        assert "<-chan" not in html_all and "<T>" not in html_all and "&& b" not in html_all
        assert 'class="highlight"' in html_all and '<span class="o">&amp;&amp;</span>' in html_all
        # The image travels with a content-hashed flat name.
        media = sorted(p.name for p in Path(col.media.dir()).iterdir())
        assert len(media) == 1 and re.fullmatch(r"srs-[0-9a-f]{24}\.png", media[0])
        assert f'src="{media[0]}"' in html_all


def test_manifest_options_are_the_decks_preset_when_anki_imports_presets(
        tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    (root / "decks" / "go.toml").write_text(
        'name = "Go Systems"\nlessons = ["../go/*.md"]\n\n[options]\ndesired_retention = 0.85\n'
        "new_per_day = 7\nreviews_per_day = 77\nmaximum_interval = 365\nleech_threshold = 0\n",
        encoding="utf-8")
    out = tmp_path / "all.apkg"
    done = runner.invoke(app, ["export", str(root / "decks" / "go.toml"),
                               str(root / "decks" / "rust.toml"), str(root / "hostile"),
                               "-o", str(out), "--timestamp", str(int(T0))])
    assert done.exit_code == 0, done.output

    def presets(col: Collection) -> dict[str, tuple[object, ...]]:
        shown = {}
        for deck in col.decks.all_names_and_ids():
            conf = col._backend.get_deck_config(col.decks.config_dict_for_deck_id(deck.id)["id"])
            shown[deck.name] = (conf.name, conf.config.new_per_day, conf.config.reviews_per_day,
                                conf.config.maximum_review_interval, conf.config.leech_threshold,
                                conf.config.leech_action, round(conf.config.desired_retention, 2))
        return shown

    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        import_package(col, out, deck_presets=True)
        shown = presets(col)
        go = ("Go Systems", 7, 77, 365, 9999, 0, 0.85)  # leech 0 is never: Anki's largest
        assert shown["Go Systems"] == shown["Go Systems::06 Channels and Memory"] == go
        assert shown["Rust Basics"] == shown["Rust Basics::03 Ownership"] == (
            "Rust Basics", 20, 200, 36500, 8, 0, 0.9)  # a manifest without [options]
        default = shown["Default"]
        assert default[0] == "Default"
        # a lesson no manifest holds keeps the collection's own default preset
        assert [shown[name] for name in shown if name.startswith("srs")] == [default, default]
    with fresh_collection(tmp_path / "col2" / "collection.anki2") as col:
        import_package(col, out)  # "Import any deck presets" left unticked, as by default
        assert set(presets(col).values()) == {default}


def test_mcq_front_letters_choices_and_back_marks_the_right_one(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    out = tmp_path / "mcq.apkg"
    cards = _export(root, out, T0)
    q1 = next(c for c in cards if c.kind is CardKind.MCQ and c.deck == "Go Systems")
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        import_package(col, out)
        card = col.get_card(notes_by_guid(col)[q1.id].card_ids()[0])
        front = visible_text(card.question())
        assert "What may a function do with a <-chan int parameter?" in front
        # The choices are shuffled by the card id, lettered A-D as shown.
        written = ["Send only", "Receive only", "Send and receive", "Close it"]
        shown = [written[i] for i in choice_order(f"{q1.id}:anki", written, q1.explanation)]
        assert shown != written  # this card's order is not the lesson's
        assert front.endswith("".join(f"{letter}) {choice}"
                                      for letter, choice in zip("ABCD", shown, strict=True)))
        assert "Answer" not in front and "values only come out" not in front
        back = card.answer()
        letter = "ABCD"[shown.index("Receive only")]
        right = re.search(r'<li class="srs-right">(.*?)</li>', back)
        assert right is not None and visible_text(right.group(1)).startswith(
            f"{letter}) Receive only")
        assert back.count('class="srs-right"') == 1
        assert f"Answer: {letter}" in visible_text(back)
        assert "values only come out" in visible_text(back)


def test_mcq_choices_are_inline_text_never_lists_or_headings(tmp_path: Path) -> None:
    lesson = tmp_path / "ops.md"
    lesson.write_text(
        "---\ntitle: Operators [sound:x.mp3]\ncanonical_id: ops\n---\n\n# Operators\n\n"
        "## Quiz\n\n### Question 1\nWhich operator dereferences a pointer?\n\n"
        "**A)** &  \n**B)** *  \n**C)** -  \n**D)** 8.  \n**E)** # x  \n**F)** `a && b`\n\n"
        "**Answer: B** - `*p` is the value p points to.\n", encoding="utf-8")
    out = tmp_path / "ops.apkg"
    export_lessons(load_corpus([lesson]).lessons, out, timestamp=T0)
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        import_package(col, out)
        [nid] = col.find_notes("")
        card = col.get_card(col.get_note(nid).card_ids()[0])
        front = visible_text(card.question())
        written = ["&", "*", "-", "8.", "# x", "a && b"]
        shown = [written[i] for i in choice_order(f"{col.get_note(nid).guid}:anki", written)]
        for letter, choice in zip("ABCDEF", shown, strict=True):
            assert f"{letter}) {choice}" in front
        assert "<ul" not in card.question() and "<h1" not in card.question()
        right = re.search(r'<li class="srs-right">(.*?)</li>', card.answer())
        assert right is not None and visible_text(right.group(1)).startswith(
            f"{'ABCDEF'[shown.index('*')]}) *")
        # Text outside Markdown still cannot make Anki play a sound.
        assert col.get_note(nid)["Source"] == "Operators &#91;sound:x.mp3] · ops.md"
        assert card.answer_av_tags() == []


def test_package_does_not_depend_on_the_folder_or_how_the_path_was_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_fixtures(tmp_path / "src")
    monkeypatch.chdir(root)
    relative = load_corpus([Path("go")]).lessons
    absolute = load_corpus([root / "go"]).lessons
    export_lessons(relative, tmp_path / "a.apkg", timestamp=T0)
    monkeypatch.chdir(tmp_path)
    export_lessons(absolute, tmp_path / "b.apkg", timestamp=T0)
    assert (tmp_path / "a.apkg").read_bytes() == (tmp_path / "b.apkg").read_bytes()


def test_cloze_note_uses_anki_cloze_semantics(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    out = tmp_path / "cloze.apkg"
    cards = _export(root, out, T0)
    clozes = [c for c in cards if c.kind is CardKind.CLOZE]
    assert len(clozes) == 2
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        import_package(col, out)
        (nid,) = col.find_notes('"note:srs Cloze v1"')
        note = col.get_note(nid)
        assert note.note_type()["type"] == 1  # Anki's cloze kind
        assert "{{c1::receive-only}}" in note["Text"]
        assert "{{c2::<code>&lt;-chan T</code>}}" in note["Text"]
        by_ord = {col.get_card(cid).ord: col.get_card(cid) for cid in note.card_ids()}
        assert sorted(by_ord) == [0, 1]
        q1 = visible_text(by_ord[0].question())
        assert "[...]" in q1 and "receive-only" not in q1 and "<-chan T" in q1
        q2 = visible_text(by_ord[1].question())
        assert "receive-only" in q2 and "<-chan T" not in q2
        assert "<-chan T" in visible_text(by_ord[1].answer())


def test_reimport_of_unchanged_lessons_changes_nothing(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    out = tmp_path / "deck.apkg"
    _export(root, out, T0)
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        first = import_package(col, out)
        assert first.new
        before = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
        # A later export of the same lessons, with the sidecar remembering the old times.
        _export(root, out, T0 + 86_400)
        again = import_package(col, out)
        assert again.new == [] and again.updated == [] and again.conflicting == []
        assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == before


def test_a_package_under_a_new_name_leaves_the_imported_notes_and_their_tags_alone(
        tmp_path: Path) -> None:
    # A renamed deck writes its package under a new name, beside the old one.
    root = copy_fixtures(tmp_path / "src")
    _export(root, tmp_path / "Old name.apkg", T0)
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        import_package(col, tmp_path / "Old name.apkg")
        marked = col.find_notes("")[:3]
        for nid in marked:
            note = col.get_note(nid)
            note.add_tag("marked")
            col.update_note(note)
        _export(root, tmp_path / "New name.apkg", T0 + 86_400)
        again = import_package(col, tmp_path / "New name.apkg")
        assert again.new == [] and again.updated == [] and again.conflicting == []
        assert sorted(col.find_notes("tag:marked")) == sorted(marked)


def test_a_note_changed_back_after_another_package_gave_anki_the_change_is_updated(
        tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    lesson = root / "rust" / "03. Ownership.md"
    text = lesson.read_text(encoding="utf-8")
    _export(root, tmp_path / "deck.apkg", T0)
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        import_package(col, tmp_path / "deck.apkg")
        lesson.write_text(text.replace("let w = v;", "let w = v.clone();"), encoding="utf-8")
        _export(root, tmp_path / "all.apkg", T0 + 60)  # the same folder, another package
        assert len(import_package(col, tmp_path / "all.apkg").updated) == 1
        lesson.write_text(text, encoding="utf-8")  # the edit undone
        _export(root, tmp_path / "deck.apkg", T0 + 120)
        back = import_package(col, tmp_path / "deck.apkg")
        assert len(back.updated) == 1 and back.new == []
        assert not col.find_notes('"v.clone()"')
        again = export_lessons(_corpus(root).lessons, tmp_path / "deck.apkg", timestamp=T0 + 180)
        assert (again.updated, again.unchanged) == (0, again.notes)  # stamped once


@pytest.mark.parametrize("moved_to", ["One", "Two"])
@pytest.mark.parametrize("joining_first", [False, True])
def test_a_lesson_moved_to_another_decks_package_is_left_alone_in_anki(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moved_to: str,
        joining_first: bool) -> None:
    """Whichever package is written first, the one the lesson leaves or the one it joins,
    its notes keep their times: Anki updates none (which would drop the tags added there)."""
    for name in "abc":
        (tmp_path / "lessons").mkdir(exist_ok=True)
        (tmp_path / "lessons" / f"{name}.md").write_text(
            f"---\ntitle: Lesson {name}\ncanonical_id: l-{name}\n---\n\n## Cards\n\n"
            f"Q: Question {name}? {{#q}}\nA: Answer {name}.\n", encoding="utf-8")
    decks = tmp_path / "decks"
    decks.mkdir()
    stay, move = ("One", "Two") if moved_to == "Two" else ("Two", "One")

    def manifests(members: dict[str, str]) -> None:
        for deck in ("One", "Two"):
            lessons = ", ".join(f'"../lessons/{n}.md"' for n in "abc" if members[n] == deck)
            (decks / f"{deck}.toml").write_text(f'name = "{deck}"\nlessons = [{lessons}]\n')

    monkeypatch.chdir(tmp_path)
    manifests({"a": stay, "b": stay, "c": move})
    assert runner.invoke(app, ["export", "--timestamp", str(int(T0))]).exit_code == 0
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        for deck in ("One", "Two"):
            import_package(col, tmp_path / f"{deck}.apkg")
        manifests({"a": stay, "b": move, "c": move})
        # In one export, or the package it joins alone first (its record the newer one).
        for paths in ([[f"decks/{moved_to}.toml"], [f"decks/{stay}.toml"]] if joining_first
                      else [[]]):
            done = runner.invoke(app, ["export", *paths, "--timestamp", str(int(T0) + 86_400)])
            assert done.exit_code == 0, done.output
        for deck in ("One", "Two"):
            again = import_package(col, tmp_path / f"{deck}.apkg")
            assert again.new == [] and again.updated == [], deck


def test_a_lesson_whose_canonical_id_breaks_is_left_out_and_comes_back_unchanged(
        tmp_path: Path) -> None:
    lesson = tmp_path / "lessons" / "a.md"
    lesson.parent.mkdir()
    text = ('---\ntitle: Atomics\ncanonical_id: "go-atomics"\n---\n\n## Cards\n\n'
            "Q: What does a failed CAS return? {#cas}\nA: false\n\n"
            "C: Loads are {{c1::acquire}} {#acq}\n")
    lesson.write_text(text, encoding="utf-8")
    (tmp_path / "lessons" / "b.md").write_text(
        "---\ntitle: Other\ncanonical_id: other\n---\n\n## Cards\n\nQ: Why? {#w}\nA: So.\n",
        encoding="utf-8")
    out = tmp_path / "a.apkg"

    def export(when: float) -> Result:
        return runner.invoke(app, ["export", str(lesson.parent), "-o", str(out),
                                   "--timestamp", str(int(when))])

    assert export(T0).exit_code == 0
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        import_package(col, out)
        lesson.write_text(text.replace('"go-atomics"', '"go-atomics'), encoding="utf-8")
        broken = export(T0 + 86_400)
        assert broken.exit_code == 1
        assert f"{lesson}:3: error: invalid front matter: " in broken.stderr
        assert "left out until it reads" in broken.stderr
        assert "among them are the notes of the lessons that could not be read" in broken.stdout
        assert import_package(col, out).new == []
        lesson.write_text(text, encoding="utf-8")
        assert export(T0 + 2 * 86_400).exit_code == 0
        again = import_package(col, out)
        assert again.new == [] and again.updated == []
        assert len(col.find_notes("")) == 3


def test_edited_question_and_code_line_update_exactly_those_notes_keeping_history(
    tmp_path: Path,
) -> None:
    root = copy_fixtures(tmp_path / "src")
    out = tmp_path / "deck.apkg"
    cards = _export(root, out, T0)
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        import_package(col, out)
        # Review every card once, so each has history to lose.
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            card.start_timer()
            col.sched.answerCard(card, 3)
        revlog_before = {cid: col.card_stats_data(cid).revlog for cid in col.find_cards("")}
        assert all(len(r) == 1 for r in revlog_before.values())
        cards_before = set(col.find_cards(""))

        lesson = root / "go" / "06. Channels and Memory.md"
        text = lesson.read_text(encoding="utf-8")
        text = text.replace("What may a function do with a `<-chan int` parameter?",
                            "What can a function do with a parameter of type `<-chan int`?", 1)
        text = text.replace("ok := a && b", "ok := a && !b", 1)
        # Lines inserted above every card move them all, and change none of their notes.
        text = text.replace("## Overview\n", "## Overview\n\nA new paragraph,\nthree\nlines.\n", 1)
        lesson.write_text(text, encoding="utf-8")
        edited = _export(root, out, T0 + 3600)
        old = {c.id: c.content_hash for c in cards}
        changed = {c.id for c in edited if old.get(c.id) != c.content_hash}
        assert len(changed) == 2  # the go MCQ q1 and the channel code card; ids unchanged
        assert {c.id for c in edited} == {c.id for c in cards}

        log = import_package(col, out)
        assert log.new == [] and log.conflicting == []
        updated = {col.get_note(nid).guid for nid in log.updated}
        assert updated == changed
        assert set(col.find_cards("")) == cards_before
        revlog_after = {cid: col.card_stats_data(cid).revlog for cid in col.find_cards("")}
        assert {cid: len(r) for cid, r in revlog_after.items()} == dict.fromkeys(
            revlog_before, 1
        )
        by_guid = notes_by_guid(col)
        for guid in changed:
            note = by_guid[guid]
            html_fields = " ".join(note.fields)
            assert "a parameter of type" in html_fields or '<span class="o">!</span>' in html_fields
            for cid in note.card_ids():
                assert col.get_card(cid).reps == 1


def test_a_new_note_type_version_is_told_and_merging_it_in_anki_keeps_history(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_fixtures(tmp_path / "src")
    out = tmp_path / "deck.apkg"
    _export(root, out, T0)
    plain, merged = (fresh_collection(tmp_path / name / "collection.anki2")
                     for name in ("plain", "merged"))
    with plain as plain_col, merged as merged_col:
        for col in (plain_col, merged_col):
            import_package(col, out)
            for cid in col.find_cards(""):
                card = col.get_card(cid)
                card.start_timer()
                col.sched.answerCard(card, 3)
        code_notes = set(plain_col.find_notes('note:"srs Code v1"'))
        assert code_notes

        code = NOTE_TYPES[CardKind.CODE]
        monkeypatch.setitem(NOTE_TYPES, CardKind.CODE, dataclasses.replace(
            code, version=2, afmt=code.afmt + "<hr>"))
        result = runner.invoke(app, [
            "export", str(root / "decks" / "go.toml"), str(root / "decks" / "rust.toml"),
            "-o", str(out), "--timestamp", str(T0 + 60)])
        assert result.exit_code == 0, result.output
        assert ("note types changed since the last export: srs Code v1 -> srs Code v2. In "
                "Anki's import options tick \"Merge note types\"") in result.stdout
        # Only the code notes changed.
        assert f"since the last export: {len(code_notes)} changed," in result.stdout

        log = import_package(plain_col, out)
        # (The log names a conflicting note by the package's note id.)
        assert len(log.conflicting) == len(code_notes) and log.updated == [] and log.new == []
        assert set(plain_col.find_notes('note:"srs Code v1"')) == code_notes
        log = import_package(merged_col, out, merge_notetypes=True)
        assert set(log.updated) == code_notes and log.conflicting == [] and log.new == []
        assert set(merged_col.find_notes('note:"srs Code v2"')) == code_notes
        assert merged_col.find_notes('note:"srs Code v1"') == []
        for nid in code_notes:
            for cid in merged_col.get_note(nid).card_ids():
                assert merged_col.get_card(cid).reps == 1
                assert len(merged_col.card_stats_data(cid).revlog) == 1

        corpus = _corpus(root)
        again = export_lessons(corpus.lessons, out, timestamp=T0 + 120)
        assert again.retyped == [] and again.updated == 0


def test_identical_question_text_in_two_lessons_gives_two_notes(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "src")
    out = tmp_path / "deck.apkg"
    cards = _export(root, out, T0)
    same = [c for c in cards if c.kind is CardKind.MCQ and c.front.startswith("What may")]
    assert len(same) == 2 and same[0].front == same[1].front and same[0].id != same[1].id
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        log = import_package(col, out)
        assert log.duplicate == [] and log.conflicting == []
        by_guid = notes_by_guid(col)
        for card in same:
            assert card.id in by_guid
        assert by_guid[same[0].id].id != by_guid[same[1].id].id


HOSTILE = FIXTURES / "hostile" / "hostile.md"


def test_hostile_lesson_exports_as_inert_text(tmp_path: Path) -> None:
    lesson = tmp_path / "hostile.md"
    lesson.write_bytes(HOSTILE.read_bytes())
    corpus = load_corpus([lesson])
    assert len(corpus.cards) >= 3
    out = tmp_path / "hostile.apkg"
    export_lessons(corpus.lessons, out, timestamp=T0)
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        log = import_package(col, out)
        assert len(log.new) == len(corpus.cards)
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            for side in (card.question(), card.answer()):
                assert unsafe_html(side) == []
                assert "[sound:" not in side
            for field in card.note().fields:
                assert unsafe_html(field) == []
        answers = "\n".join(visible_text(col.get_card(c).answer()) for c in col.find_cards(""))
        # Shown as the author wrote it, not interpreted.
        assert "<script>alert(1)</script>" in answers
        assert '<div onclick="alert(9)">text</div>' in answers
        assert "[click](javascript:alert(4))" in answers
        names = [d.name for d in col.decks.all_names_and_ids()]
        assert any("Hostile <script>" in n for n in names)
        tags = {t for nid in col.find_notes("") for t in col.get_note(nid).tags}
        assert all(" " not in t for t in tags)


def test_field_separator_in_card_text_cannot_shift_fields(tmp_path: Path) -> None:
    # Anki joins a note's fields with U+001F; one inside a field would start a new field.
    # The parser already replaces control characters; cards built another way still
    # must not break the package.
    lesson = tmp_path / "sep.md"
    lesson.write_text(
        "---\ntitle: Separators\ncanonical_id: separators\n---\n\n# Separators\n\n"
        "## Cards\n\nQ: Which byte is this: US? {#sep}\n"
        "A: The unit separator:\n\n```go\nconst us = 'US'\n```\n",
        encoding="utf-8",
    )
    [parsed] = load_corpus([lesson]).lessons
    cards = tuple(dataclasses.replace(card, front=card.front.replace("US", "\x1f"),
                                      back=card.back.replace("US", "\x1f"))
                  for card in parsed.cards)
    out = tmp_path / "sep.apkg"
    export_lessons([dataclasses.replace(parsed, cards=cards)], out, timestamp=T0)
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        assert len(import_package(col, out).new) == 1
        note = col.get_note(col.find_notes("")[0])
        assert note.keys() == list(NOTE_TYPES[CardKind.QA].fields)
        assert "Which byte is this: ?" in visible_text(note["Front"])
        assert "const us = ''" in visible_text(note["Back"])
        assert note["Sort"] == "999 separators 6 qa/sep"


def _image_lesson(folder: Path, ref: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lesson = folder / "lesson.md"
    lesson.write_text(
        "---\ntitle: Images\ncanonical_id: images\n---\n\n# Images\n\n## Cards\n\n"
        "Q: What does the diagram show? {#diagram}\n"
        f"A: The layout:\n\n![diagram]({ref})\n",
        encoding="utf-8",
    )
    return lesson


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "missing"])
def test_image_leaving_the_lesson_folder_or_missing_is_an_error_and_nothing_is_written(
    tmp_path: Path, kind: str
) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n secret")
    folder = tmp_path / "lesson"
    folder.mkdir()
    if kind == "symlink":
        (folder / "link.png").symlink_to(outside)
    ref = {"dotdot": "../secret.png", "absolute": str(outside), "symlink": "link.png",
           "missing": "nowhere.png"}[kind]
    lesson = _image_lesson(folder, ref)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "images.apkg"
    out.write_bytes(b"previous package")
    with pytest.raises(ExportError) as caught:
        export_lessons(load_corpus([lesson]).lessons, out, timestamp=T0)
    err = caught.value
    assert err.path == lesson and err.line == 13
    assert str(err).startswith(f"{lesson}:13: image ")
    expected = {"dotdot": "leaves the lesson's folder", "absolute": "absolute paths",
                "symlink": "symbolic link", "missing": "no such file"}[kind]
    assert expected in err.message
    assert out.read_bytes() == b"previous package"
    assert sorted(p.name for p in out_dir.iterdir()) == ["images.apkg"]


@pytest.mark.parametrize(("ref", "message"), [
    ("file:///etc/secret.png", "image `file:///etc/secret.png`: only images inside the "
                               "lesson's folder (or http/https URLs) can be used"),
    ("data:image/png;base64,iVBORw0KGgo=", "image `data:image/png;base64,iVBORw0KGgo=`: "
                                           "only images inside the lesson's folder"),
    ("//evil.example/x.png", "image `//evil.example/x.png`: only images inside"),
    ("img/a#1.png", "image `img/a#1.png`: no such file (in a link `#` and `?` end the path: "
                    "write them as %23 and %3F)"),
])
def test_an_image_that_cannot_be_packed_is_named_as_written(
        tmp_path: Path, ref: str, message: str) -> None:
    lesson = _image_lesson(tmp_path / "lesson", ref)
    (tmp_path / "lesson" / "img").mkdir()
    (tmp_path / "lesson" / "img" / "a#1.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ExportError) as caught:
        export_lessons(load_corpus([lesson]).lessons, tmp_path / "x.apkg", timestamp=T0)
    assert (caught.value.line, caught.value.message[:len(message)]) == (13, message)
    assert not (tmp_path / "x.apkg").exists()


def test_image_error_line_counts_lines_as_the_parser_does(tmp_path: Path) -> None:
    lesson = tmp_path / "lesson.md"
    lesson.write_text(
        "---\ntitle: Images\ncanonical_id: images\n---\n\n# Images\n\n"
        "A line holding a line separator \u2028 and a next-line \x85 character.\n\n"
        "## Cards\n\nQ: Which? {#which}\nA: ![x](missing.png)\n", encoding="utf-8")
    with pytest.raises(ExportError) as caught:
        export_lessons(load_corpus([lesson]).lessons, tmp_path / "x.apkg", timestamp=T0)
    assert caught.value.line == 13


def test_images_no_card_or_page_shows_are_not_checked(tmp_path: Path) -> None:
    # In front matter (a key srs ignores), or in a draft commented out on lines of its own.
    lesson = tmp_path / "lesson.md"
    lesson.write_text(
        '---\ntitle: Drafts\ncanonical_id: drafts\ndiagrams: ["![arch](diagrams/arch.png)"]\n'
        "---\n\n# Drafts\n\n<!-- TODO: redraw\n![old](img/old.png)\n-->\n\n"
        "  <!-- ![gone](gone.png) -->\n\n## Cards\n\nQ: Which? {#which}\nA: This one.\n",
        encoding="utf-8")
    export_lessons(load_corpus([lesson]).lessons, tmp_path / "x.apkg", timestamp=T0)
    # A comment inside a paragraph is text a card shows, image included: still checked.
    lesson.write_text(lesson.read_text(encoding="utf-8").replace(
        "A: This one.", "A: This <!-- ![x](missing.png) --> one."), encoding="utf-8")
    with pytest.raises(ExportError) as caught:
        export_lessons(load_corpus([lesson]).lessons, tmp_path / "x.apkg", timestamp=T0)
    assert caught.value.line == 18


def test_an_image_error_met_on_several_lines_is_told_at_each(tmp_path: Path) -> None:
    lesson = tmp_path / "lesson.md"
    lesson.write_text(
        "---\ntitle: Images\ncanonical_id: images\n---\n\n## Cards\n\n"
        "Q: Twice? ![a](../x.png) {#twice}\nA: And again: ![b](../x.png)\n\n"
        "Q: By reference? ![c][r] {#ref}\nA: And again: ![d][r]\n\n[r]: /etc/x.png\n",
        encoding="utf-8")
    with pytest.raises(ExportError) as caught:
        export_lessons(load_corpus([lesson]).lessons, tmp_path / "x.apkg", timestamp=T0)
    found = [caught.value, *caught.value.others]
    assert [error.line for error in found] == [8, 9, 11, 12]
    assert not (tmp_path / "x.apkg").exists()


def test_bundled_lessons_export_and_import_completely(tmp_path: Path) -> None:
    lessons_dir = REPO / "lessons"
    bundled = sorted(lessons_dir.glob("*.md"))
    assert bundled, "the repository ships lessons in lessons/"
    corpus = load_corpus([lessons_dir])
    out = tmp_path / "bundled.apkg"
    export_lessons(corpus.lessons, out, timestamp=T0)
    with fresh_collection(tmp_path / "col" / "collection.anki2") as col:
        log = import_package(col, out)
        assert log.conflicting == [] and log.duplicate == [] and log.other == 0
        assert col.card_count() == len(corpus.cards)
        names = {d.name for d in col.decks.all_names_and_ids()}
        for lesson in corpus.lessons:
            if lesson.cards:
                # Named by their folder, they are still in the bundled manifest's deck.
                assert any(n.startswith("Go Systems::") and lesson.title in n for n in names)
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            assert unsafe_html(card.question()) == [] and unsafe_html(card.answer()) == []


def test_the_right_choice_is_not_where_the_lessons_tend_to_put_it() -> None:
    # The bundled quizzes have the answer at B 13 times out of 24; in Anki, where one order
    # is shown for good, the shuffle spreads it.
    lessons = load_corpus([Path(__file__).resolve().parents[2] / "lessons"]).lessons
    notes, _ = build_notes(lessons)
    shown = Counter(re.search(r"Answer: ([A-Z])", n.fields[3]).group(1)  # type: ignore[union-attr]
                    for n in notes if n.kind is CardKind.MCQ)
    written = Counter(c.answer for lesson in lessons for c in lesson.cards
                      if c.kind is CardKind.MCQ)
    assert sum(shown.values()) == sum(written.values()) == 24
    assert max(written.values()) == 13 and max(shown.values()) <= 9 and len(shown) == 4


def test_the_sort_field_follows_the_lesson_and_numbers_questions_in_order(
        tmp_path: Path) -> None:
    questions = "".join(f"### Question {n}\nWhich {n}?\n\n**A)** x  \n**B)** y\n\n"
                        f"**Answer: A** - Because.\n\n" for n in range(1, 12))
    lesson = tmp_path / "order.md"
    lesson.write_text(
        "---\ntitle: Order\nnumber: 7\ncanonical_id: order\n---\n# Order\n\n## Cards\n\n"
        "Q: Last? {#step10}\nA: Yes.\n\nQ: First? {#step2}\nA: Yes.\n\n## Quiz\n\n" + questions +
        "## Deep Explanation\n\n### Sizes\n\n"
        "```go\n// Size of an int\nn := unsafe.Sizeof(0)\n```\n",
        encoding="utf-8")
    notes, _ = build_notes(load_corpus([lesson]).lessons)
    by_sort = sorted(notes, key=lambda n: n.sort_field)
    assert [n.kind for n in by_sort] == [
        CardKind.CODE, CardKind.FACT, CardKind.FACT, *[CardKind.MCQ] * 11, CardKind.QA,
        CardKind.QA]
    assert [n.sort_field.decode() for n in by_sort[-2:]] == [
        "007 order 6 qa/step002", "007 order 6 qa/step010"]
    mcq_sorts = [n.sort_field.decode() for n in by_sort if n.kind is CardKind.MCQ]
    assert mcq_sorts[:3] == ["007 order 5 q001", "007 order 5 q002", "007 order 5 q003"]
    assert mcq_sorts[-1] == "007 order 5 q011"


def test_choices_naming_other_choices_keep_their_letters_in_anki(tmp_path: Path) -> None:
    lesson = tmp_path / "refs.md"
    lesson.write_text("---\ntitle: Refs\ncanonical_id: refs\n---\n# Refs\n\n## Quiz\n\n"
                      "### Question 1\nWhich field orders give 16 bytes?\n\n"
                      "**A)** a, b, c  \n**B)** b, a, c  \n**C)** a, c, b  \n"
                      "**D)** Both B and C\n\n**Answer: D** - The int64 leads or ends.\n",
                      encoding="utf-8")
    [note], _ = build_notes(load_corpus([lesson]).lessons)
    assert visible_text(note.fields[1]) == "A) a, b, cB) b, a, cC) a, c, bD) Both B and C"
    assert note.fields[3].startswith('<p class="srs-answer"><b>Answer: D</b></p>')


def test_a_question_without_explanation_shows_only_the_shuffled_letter(
        tmp_path: Path) -> None:
    lesson = tmp_path / "bare.md"
    lesson.write_text("---\ntitle: Bare\ncanonical_id: bare-3\n---\n# Bare\n\n## Quiz\n\n"
                      "### Question 1\nWhich?\n\n**A)** one  \n**B)** two  \n**C)** three\n\n"
                      "**Answer: A**\n", encoding="utf-8")
    [note], _ = build_notes(load_corpus([lesson]).lessons)
    letter = "ABC"[choice_order(f"{note.guid}:anki", ["one", "two", "three"]).index(0)]
    assert letter != "A"  # this card's shuffle moves the answer: the lesson's letter would lie
    assert note.fields[3] == f'<p class="srs-answer"><b>Answer: {letter}</b></p>'

