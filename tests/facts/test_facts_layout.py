"""Table tests of the layout model against layouts known from the gc compiler."""

from __future__ import annotations

import pytest

from srs.facts.layout import (
    AMD64,
    ARCHES,
    ARM,
    ARM64,
    I386,
    Array,
    Basic,
    Field,
    Named,
    Struct,
    Words,
    minimal_order,
    offset_of,
)

# (type, {arch: (size, align)}) for amd64, arm64, 386, arm
BASICS = [
    ("bool", (1, 1), (1, 1)),
    ("int8", (1, 1), (1, 1)),
    ("uint8", (1, 1), (1, 1)),
    ("byte", (1, 1), (1, 1)),
    ("int16", (2, 2), (2, 2)),
    ("uint16", (2, 2), (2, 2)),
    ("int32", (4, 4), (4, 4)),
    ("rune", (4, 4), (4, 4)),
    ("float32", (4, 4), (4, 4)),
    ("int64", (8, 8), (8, 4)),
    ("uint64", (8, 8), (8, 4)),
    ("float64", (8, 8), (8, 4)),
    ("complex64", (8, 4), (8, 4)),
    ("complex128", (16, 8), (16, 4)),
    ("int", (8, 8), (4, 4)),
    ("uint", (8, 8), (4, 4)),
    ("uintptr", (8, 8), (4, 4)),
    ("string", (16, 8), (8, 4)),
]


@pytest.mark.parametrize(("name", "on64", "on32"), BASICS)
def test_basic_types(name: str, on64: tuple[int, int], on32: tuple[int, int]) -> None:
    t = Basic(name)
    for arch in (AMD64, ARM64):
        assert (t.size(arch), t.align(arch)) == on64
    for arch in (I386, ARM):
        assert (t.size(arch), t.align(arch)) == on32


@pytest.mark.parametrize(("what", "words"), [
    ("pointer", 1), ("map", 1), ("chan", 1), ("func", 1), ("interface", 2), ("slice", 3)])
def test_word_types(what: str, words: int) -> None:
    t = Words("x", what, words)
    assert (t.size(AMD64), t.align(AMD64)) == (8 * words, 8)
    assert (t.size(I386), t.align(I386)) == (4 * words, 4)


def s(*fields: tuple[str, str]) -> Struct:
    return Struct(tuple(Field(n, Basic(t)) for n, t in fields))


def test_padding_between_and_after_fields() -> None:
    loose = s(("a", "bool"), ("b", "int64"), ("c", "bool"))
    assert loose.size(AMD64) == 24
    assert [p.offset for p in loose.layout(AMD64).fields] == [0, 8, 16]
    assert loose.layout(AMD64).tail_padding == 7
    assert loose.size(I386) == 16  # int64 is 4-aligned on 386
    assert [p.offset for p in loose.layout(I386).fields] == [0, 4, 12]
    tight = Struct(minimal_order(loose))
    assert [f.name for f in tight.fields] == ["b", "a", "c"]
    assert tight.size(AMD64) == 16


def test_seed_struct() -> None:
    st = s(("A", "int"), ("B", "string"))
    assert st.size(AMD64) == 24 and st.size(I386) == 12
    assert offset_of(st, "B", AMD64) == 8 and offset_of(st, "B", I386) == 4


def test_zero_size_final_field_gets_a_byte() -> None:
    tail = Struct((Field("a", Basic("int32")), Field("z", Struct(()))))
    head = Struct((Field("z", Struct(())), Field("a", Basic("int32"))))
    assert tail.size(AMD64) == 8 and tail.layout(AMD64).zero_size_final_byte
    assert head.size(AMD64) == 4 and not head.layout(AMD64).zero_size_final_byte
    arr = Struct((Field("a", Basic("int32")), Field("z", Array(Basic("int64"), 0))))
    assert arr.size(AMD64) == 16  # [0]int64 sits at 8, one byte added, rounded to 8
    assert arr.size(I386) == 8
    assert Struct((Field("z", Struct(())),)).size(AMD64) == 0  # empty stays empty


def test_nested_arrays_and_named() -> None:
    point = Named("Point", s(("X", "int32"), ("Y", "int32")))
    rec = Struct((Field("Tag", Basic("byte")), Field("Pts", Array(point, 3)),
                  Field("N", Basic("int64"))))
    assert rec.size(AMD64) == 40
    assert offset_of(rec, "Pts", AMD64) == 4
    assert offset_of(rec, "N", AMD64) == 32
    assert rec.size(I386) == 36


def test_promoted_field_offsets_add_up() -> None:
    inner = Named("Inner", s(("p", "int16"), ("q", "int64")))
    outer = Struct((Field("a", Basic("bool")), Field("Inner", inner, embedded=True)))
    assert offset_of(outer, "q", AMD64) == 8 + 8
    assert offset_of(outer, "q", I386) == 4 + 4
    assert offset_of(outer, "missing", AMD64) is None


def test_every_arch_is_modelled() -> None:
    assert set(ARCHES) == {"amd64", "arm64", "386", "arm"}
