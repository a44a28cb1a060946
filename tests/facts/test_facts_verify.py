"""`srs verify` against the real Go toolchain: agreement, detected disagreement, cache,
exit codes."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from srs.cli import app
from srs.corpus import load_corpus
from srs.facts.extract import analyze
from srs.facts.verify import runnable, source_key, toolchain_identity, verify
from srs.parse import parse_lesson_file

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fixtures" / "seed_lesson.md"
LESSONS = ROOT / "lessons"
needs_go = pytest.mark.skipif(shutil.which("go") is None,
                              reason="go (the Go toolchain) is not on PATH")


ZOO = Path(__file__).resolve().parent / "fixtures" / "layout_zoo.md"


def _bundled() -> list[Path]:
    return [SEED, ZOO, *([LESSONS] if LESSONS.is_dir() else [])]


@needs_go
def test_seed_and_bundled_lessons_agree_with_go(tmp_path: Path) -> None:
    corpus = load_corpus(_bundled())
    analyses = [analyze(lesson) for lesson in corpus.lessons]
    report = verify(analyses, tmp_path)
    assert report.facts >= 4
    assert report.mismatches == []
    assert not report.cached
    assert report.ran and set(report.ran) <= set(report.arches)
    again = verify(analyses, tmp_path)
    assert again.cached and again.mismatches == [] and again.facts == report.facts


@needs_go
def test_a_wrong_number_is_reported_for_run_and_cross_built_arches(tmp_path: Path) -> None:
    analysis = analyze(parse_lesson_file(SEED))
    index = next(i for i, f in enumerate(analysis.facts) if f.key == "offsetof:Struct.B")
    wrong = dict(analysis.facts[index].values, amd64=9, arm=5)
    analysis.facts[index] = dataclasses.replace(analysis.facts[index], values=wrong)
    report = verify([analysis], None)
    got = sorted((m.key, m.arch, m.ours, m.go) for m in report.mismatches)
    assert got == [("offsetof:Struct.B", "amd64", "9", "8"), ("offsetof:Struct.B", "arm", "5", "4")]
    line = analysis.facts[index].pos.line
    assert str(report.mismatches[0]).startswith(f"{SEED}:{line}: offsetof:Struct.B on ")


@needs_go
def test_cli_verify_passes_then_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRS_CACHE_DIR", str(tmp_path / "cache"))
    runner = CliRunner()
    first = runner.invoke(app, ["verify", *map(str, _bundled())])
    assert first.exit_code == 0, first.output
    assert "0 mismatches" in first.output
    second = runner.invoke(app, ["verify", *map(str, _bundled())])
    assert second.exit_code == 0 and "(cached)" in second.output
    assert (tmp_path / "cache" / "verify.json").is_file()


@needs_go
def test_cli_verify_single_lesson_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lesson = tmp_path / "bad.md"
    lesson.write_text("---\ntitle: Bad\nslug: bad\n---\n\n# Bad\n\n## Deep Explanation\n\n"
                      "```go\ntype T struct {\n    A int\n}\n"
                      "var _ = unsafe.Offsetof(T{}.A)\n```\n", encoding="utf-8")
    monkeypatch.setenv("SRS_CACHE_DIR", str(tmp_path / "cache"))
    assert "2 facts from 1 lesson," in _verify_passes(lesson)


def test_cli_verify_without_go_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("SRS_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(app, ["verify", str(SEED)])
    assert result.exit_code == 2
    assert "apt-get install golang-go" in result.output and "go.dev/dl" in result.output


@needs_go
def test_cross_arch_only_check_writes_no_cache_without_a_dir(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    analysis = analyze(parse_lesson_file(SEED))
    report = verify([analysis], None, arches=("arm64",))
    assert report.arches == ("arm64",) and report.mismatches == [] and not report.cached
    assert report.ran == () or report.ran == ("arm64",)  # run only on an arm64 host
    assert os.listdir(tmp_path) == []


def _go_lesson(path: Path, code: str) -> Path:
    """A lesson file whose explanation holds one Go block, `code`."""
    path.write_text(f"---\ntitle: {path.stem}\ncanonical_id: {path.stem}-1\n---\n\n"
                    f"# {path.stem}\n\n## Deep Explanation\n\n```go\n{code}```\n",
                    encoding="utf-8")
    return path


def _verify_passes(lesson: Path) -> str:
    """`srs verify LESSON`'s output, after checking it exits 0."""
    result = CliRunner().invoke(app, ["verify", str(lesson)])
    assert result.exit_code == 0, result.output
    return result.output


@needs_go
def test_cache_follows_the_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lesson = tmp_path / "seed.md"
    text = SEED.read_text(encoding="utf-8")
    lesson.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SRS_CACHE_DIR", str(tmp_path / "cache"))

    def run() -> str:
        return _verify_passes(lesson)

    assert "(cached)" not in run()
    assert "(cached)" in run()
    # prose edited, facts unchanged: the program hash still matches
    lesson.write_text(text.replace("This guide covers", "This lesson covers"), encoding="utf-8")
    assert "(cached)" in run()
    # a new field changes the facts: the compiler is asked again
    lesson.write_text(text.replace("    B string\n", "    B string\n    C bool\n"),
                      encoding="utf-8")
    out = run()
    assert "(cached)" not in out and "0 mismatches" in out


@needs_go
def test_a_declaration_go_rejects_fails_verify(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    lesson = tmp_path / "dup.md"
    lesson.write_text("---\ntitle: Dup\nslug: dup\ncanonical_id: dup-1\n---\n\n# Dup\n\n"
                      "## Deep Explanation\n\n```go\ntype D struct {\n    a int\n    a string\n}\n"
                      "```\n", encoding="utf-8")
    monkeypatch.setenv("SRS_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(app, ["verify", str(lesson)])
    assert result.exit_code == 1, result.output
    assert f"{lesson}:12: type D on amd64: ours compiles, go compile error:" in result.output
    assert "redeclared" in result.output


@needs_go
def test_lesson_names_never_clash_with_the_checking_programs_own(tmp_path: Path) -> None:
    lesson = _go_lesson(tmp_path / "names.md",
                        "const perm = 0644\n"
                        "type Values struct {\n    ok   bool\n    n    int64\n"
                        "    buf [017]byte\n}\n"
                        "type checks struct {\n    a int8\n    b int32\n}\n"
                        "var size = unsafe.Sizeof(Values{})\n")
    report = verify([analyze(parse_lesson_file(lesson))], None)
    assert report.facts >= 3 and report.mismatches == [] and not report.unchecked


@needs_go
def test_interfaces_embedding_interfaces_agree_with_go(tmp_path: Path) -> None:
    # No import in the block: a standard package's interface is imported for the check.
    lesson = _go_lesson(tmp_path / "iface.md",
                        "type Named interface{ Name() string }\n"
                        "type ReadCloser interface {\n\tio.Reader\n\tNamed\n\tClose() error\n}\n"
                        "type Holder struct {\n\tr  ReadCloser\n\tok bool\n}\n"
                        "var a = unsafe.Sizeof(ReadCloser(nil))\nvar b = unsafe.Sizeof(Holder{})\n")
    analysis = analyze(parse_lesson_file(lesson))
    assert {"sizeof:ReadCloser(nil)", "sizeof:Holder{}"} <= {f.key for f in analysis.facts}
    report = verify([analysis], None)
    assert report.mismatches == [] and not report.unchecked


def test_toolchain_identity_follows_the_go_binary_and_its_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "go"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho go1.0\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    for name in ("GOROOT", "GOTOOLCHAIN"):
        monkeypatch.delenv(name, raising=False)
    settings = tmp_path / "go-env"
    monkeypatch.setenv("GOENV", str(settings))
    first = toolchain_identity(), source_key([SEED])
    assert str(fake) in first[0]
    assert (toolchain_identity(), source_key([SEED])) == first  # nothing changed
    link = tmp_path / "other" / "go"
    link.parent.mkdir()
    link.symlink_to(fake)
    monkeypatch.setenv("PATH", str(link.parent))
    assert toolchain_identity() == first[0]  # another way to the same binary
    fake.write_text("#!/bin/sh\necho go1.1, a newer release\n", encoding="utf-8")
    upgraded = toolchain_identity()
    assert upgraded != first[0] and source_key([SEED]) != first[1]
    monkeypatch.setenv("GOTOOLCHAIN", "go1.22.0")
    assert toolchain_identity() != upgraded
    chosen = toolchain_identity()
    settings.write_text("GOTOOLCHAIN=go1.23.0\n", encoding="utf-8")  # as `go env -w` does
    written = toolchain_identity()
    assert written != chosen
    monkeypatch.setenv("GOFLAGS", "-trimpath")  # srs runs go with GOFLAGS of its own
    assert toolchain_identity() == written
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert toolchain_identity().startswith("go=none|")


@needs_go
def test_results_cached_for_one_toolchain_setting_are_not_used_for_another(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GOTOOLCHAIN", raising=False)
    assert "(cached)" not in _verify_passes(SEED)
    assert "(cached)" in _verify_passes(SEED)
    monkeypatch.setenv("GOTOOLCHAIN", "local")  # the installed Go, named explicitly
    out = _verify_passes(SEED)
    assert "(cached)" not in out and "0 mismatches" in out


@needs_go
def test_facts_about_parameters_agree_with_go() -> None:
    report = verify([analyze(parse_lesson_file(ZOO.with_name("params.md")))], None)
    assert report.facts >= 8 and report.mismatches == []


def test_which_targets_run_on_which_host() -> None:
    assert runnable("linux", "amd64") == {"amd64", "386"}
    assert runnable("windows", "amd64") == {"amd64", "386"}
    assert runnable("darwin", "amd64") == {"amd64"}
    assert runnable("darwin", "arm64") == {"arm64"}
    assert runnable("linux", "arm64") == {"arm64"}


@needs_go
def test_cli_verify_with_an_unwritable_cache_still_verifies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # /proc refuses new folders: the cache is skipped, the verification is not.
    monkeypatch.setenv("SRS_CACHE_DIR", "/proc/nope")
    result = CliRunner().invoke(app, ["verify", str(SEED)])
    assert result.exit_code == 0, result.output
    assert "0 mismatches" in result.output and "(cached)" not in result.output


@needs_go
def test_a_cache_file_that_cannot_be_replaced_leaves_no_scratch_file(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "verify.json").mkdir(parents=True)  # os.replace onto a folder fails
    report = verify([analyze(parse_lesson_file(SEED))], cache_dir=cache)
    assert report.mismatches == [] and report.facts > 0
    assert sorted(p.name for p in cache.iterdir()) == ["verify.json"]
    assert list((cache / "verify.json").iterdir()) == []


@needs_go
def test_cli_verify_fails_on_a_lesson_it_cannot_read_every_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRS_CACHE_DIR", str(tmp_path / "cache"))
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "seed.md").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    with open(lessons / "huge.md", "wb") as huge:  # sparse: no disk space used
        huge.truncate(17 * 1024 * 1024)
    for _ in range(2):  # the second run is not a cache hit that passes
        result = CliRunner().invoke(app, ["verify", str(lessons)])
        assert result.exit_code == 1, result.output
        assert "huge.md:1: error: lesson is larger than 16 MiB" in result.output
        assert "0 mismatches, 1 lesson not read" in result.output
    (lessons / "huge.md").unlink()
    assert CliRunner().invoke(app, ["verify", str(lessons)]).exit_code == 0
