"""The seed lesson yields exactly the cards the format promises."""

from __future__ import annotations

from pathlib import Path

from srs.model import CardKind, Severity
from srs.parse import parse_lesson_file
from tests.conftest import SEED


def test_seed_front_matter() -> None:
    lesson = parse_lesson_file(SEED)
    assert lesson.title == "Systems Programming in Go"
    assert lesson.slug == "systems-programming-in-go"
    assert lesson.number == 6
    assert lesson.canonical_id == "golang-advanced-06"
    assert lesson.prerequisites == ("go-runtime-and-compiler-internals",)
    assert lesson.tags == ("go", "unsafe", "atomic", "low-level", "systems-programming",
                           "advanced", "systems-programming-in-go")
    assert lesson.prerequisites_line == 7
    assert not [d for d in lesson.diagnostics if d.severity is Severity.ERROR]


def test_seed_mcq() -> None:
    [mcq] = [c for c in parse_lesson_file(SEED).cards if c.kind is CardKind.MCQ]
    assert mcq.choices == (
        "Always", "Never", "Only when necessary for performance or system integration",
        "For all pointer operations",
    )
    assert mcq.answer == "C"
    assert mcq.explanation.startswith("The unsafe package should be used sparingly")
    assert mcq.question == "When should you use the unsafe package?"
    assert mcq.front.startswith(mcq.question + "\n\n**A)** Always")
    assert "**C)** Only when necessary" in mcq.back
    assert mcq.key == "q1"
    assert mcq.source.line == 120


def test_seed_code_cards() -> None:
    code = [c for c in parse_lesson_file(SEED).cards if c.kind is CardKind.CODE]
    labels = [c.front.split("\n\n", 1)[1] for c in code]
    assert labels == [
        "Write the Go code for: **Sizeof**",
        "Write the Go code for: **Pointer conversion**",
        "Write the Go code for: **Offsetof**",
        "Write the Go code for **Atomic Operations**.",
    ]
    sizeof, pointer, offsetof, atomics = code
    assert sizeof.back == "```go\nsize := unsafe.Sizeof(int(0))\n```"
    assert "intPtr := (*int)(ptr)" in pointer.back and "var i int = 42" in pointer.back
    assert "type Struct struct {" in offsetof.back and "Offsetof(Struct{}.B)" in offsetof.back
    assert "CompareAndSwapInt64(&counter, 10, 20)" in atomics.back
    assert "import" not in atomics.back
    assert [c.source.line for c in code] == [28, 31, 36, 47]
    assert sizeof.section == pointer.section == "deep-explanation/unsafe-package"


def test_seed_example_and_problem() -> None:
    cards = parse_lesson_file(SEED).cards
    [example] = [c for c in cards if c.kind is CardKind.EXAMPLE]
    [problem] = [c for c in cards if c.kind is CardKind.PROBLEM]
    assert "**Lock-Free Counter**" in example.front
    assert "func (c *Counter) Increment() int64" in example.back
    assert "Memory-Mapped File" in problem.front
    assert "Implement a memory-mapped file reader" in problem.front
    assert "syscall.Mmap(" in problem.back and "syscall.Mmap(" not in problem.front


def test_seed_code_blocks_kept_for_facts() -> None:
    lesson = parse_lesson_file(SEED)
    assert len(lesson.code_blocks) == 4
    first = lesson.code_blocks[0]
    assert first.lang == "go" and first.line == 26
    assert first.text.startswith('import "unsafe"')
    assert first.headings == ("Deep Explanation", "Unsafe Package")


def test_every_card_names_its_lesson(tmp_path: Path) -> None:
    for card in parse_lesson_file(SEED).cards:
        assert card.lesson == "systems-programming-in-go"
        assert card.lesson_title == "Systems Programming in Go"
        assert card.source.path == SEED
        assert len(card.id) == 16
