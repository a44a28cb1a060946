"""Go memory layout as the gc compiler lays it out, per GOARCH.

A small type model (basic types, pointer-shaped types, strings, slices, interfaces, arrays,
structs, named types) and the rules that give each type its size and alignment:
fields are placed at the next multiple of their alignment, a struct is as aligned as its
most aligned field and its size is rounded up to that alignment, and a non-empty struct
whose last field has size zero gets one extra byte before that rounding, so the address of
the final field never points past the object. On 32-bit targets 64-bit words are only
4-aligned (except the `sync/atomic` 64-bit types, which force 8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Arch:
    name: str
    ptr: int  # pointer and int size
    word_align: int  # alignment of 8-byte integers and floats

    @property
    def bits(self) -> int:
        return self.ptr * 8


AMD64 = Arch("amd64", 8, 8)
ARM64 = Arch("arm64", 8, 8)
I386 = Arch("386", 4, 4)
ARM = Arch("arm", 4, 4)
ARCHES: dict[str, Arch] = {a.name: a for a in (AMD64, ARM64, I386, ARM)}


class GoType:
    """A Go type as far as its memory layout goes; `go` is Go syntax for it."""

    go: str

    def size(self, arch: Arch) -> int:
        raise NotImplementedError

    def align(self, arch: Arch) -> int:
        raise NotImplementedError


_FIXED: dict[str, tuple[int, int]] = {
    "bool": (1, 1), "int8": (1, 1), "uint8": (1, 1), "byte": (1, 1),
    "int16": (2, 2), "uint16": (2, 2),
    "int32": (4, 4), "uint32": (4, 4), "rune": (4, 4), "float32": (4, 4),
    "complex64": (8, 4),
}
_WIDE = {"int64": 8, "uint64": 8, "float64": 8, "complex128": 16}
_WORD = {"int", "uint", "uintptr"}
BASIC_NAMES = frozenset({*_FIXED, *_WIDE, *_WORD, "string"})


@dataclass(frozen=True, slots=True)
class Basic(GoType):
    go: str

    def size(self, arch: Arch) -> int:
        if self.go in _FIXED:
            return _FIXED[self.go][0]
        if self.go in _WIDE:
            return _WIDE[self.go]
        if self.go == "string":
            return 2 * arch.ptr
        return arch.ptr

    def align(self, arch: Arch) -> int:
        if self.go in _FIXED:
            return _FIXED[self.go][1]
        if self.go in _WIDE:
            return arch.word_align
        return arch.ptr


@dataclass(frozen=True, slots=True)
class Words(GoType):
    """A type made of pointer-sized words: pointers, maps, chans, funcs (1), interfaces (2),
    slices (3). `what` names the family for explanations."""

    go: str
    what: str
    words: int
    elem: Callable[[], GoType] | None = field(default=None, compare=False, repr=False)

    def size(self, arch: Arch) -> int:
        return self.words * arch.ptr

    def align(self, arch: Arch) -> int:
        return arch.ptr


@dataclass(frozen=True, slots=True)
class Opaque(GoType):
    """A library type with a layout we know, e.g. `sync.Mutex`: (size, align) on 64-bit and
    on 32-bit targets."""

    go: str
    on64: tuple[int, int]
    on32: tuple[int, int]
    note: str

    def size(self, arch: Arch) -> int:
        return (self.on64 if arch.ptr == 8 else self.on32)[0]

    def align(self, arch: Arch) -> int:
        return (self.on64 if arch.ptr == 8 else self.on32)[1]


@dataclass(frozen=True, slots=True)
class Array(GoType):
    elem: GoType
    length: int

    @property
    def go(self) -> str:  # type: ignore[override]
        return f"[{self.length}]{self.elem.go}"

    def size(self, arch: Arch) -> int:
        return self.length * self.elem.size(arch)

    def align(self, arch: Arch) -> int:
        return self.elem.align(arch)


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # "_" for blank; the type's name for an embedded field
    type: GoType
    embedded: bool = False

    @property
    def go(self) -> str:
        return self.type.go if self.embedded else f"{self.name} {self.type.go}"


class Placed(NamedTuple):
    # Named tuples: every struct's layouts are worked out on every lesson load.
    field: Field
    offset: int
    size: int
    padding_before: int


class StructLayout(NamedTuple):
    fields: tuple[Placed, ...]
    size: int
    align: int
    tail_padding: int
    zero_size_final_byte: bool


@dataclass(frozen=True, slots=True)
class Struct(GoType):
    fields: tuple[Field, ...]
    # By (pointer size, 8-byte alignment), all a layout depends on: arm64 shares amd64's.
    _layouts: dict[tuple[int, int], StructLayout] = field(default_factory=dict, compare=False,
                                                          repr=False)

    @property
    def go(self) -> str:  # type: ignore[override]
        if not self.fields:
            return "struct{}"
        return "struct{ " + "; ".join(f.go for f in self.fields) + " }"

    def layout(self, arch: Arch) -> StructLayout:
        shape = (arch.ptr, arch.word_align)
        cached = self._layouts.get(shape)
        if cached is None:
            cached = self._layouts[shape] = self._compute(arch)
        return cached

    def _compute(self, arch: Arch) -> StructLayout:
        offset = 0
        align = 1
        last_zero: int | None = None
        placed: list[Placed] = []
        for f in self.fields:
            a = f.type.align(arch)
            s = f.type.size(arch)
            align = max(align, a)
            start = -(-offset // a) * a
            placed.append(Placed(f, start, s, start - offset))
            if s == 0:
                last_zero = start
            offset = start + s
        end = offset
        extra = offset > 0 and last_zero == offset
        if extra:
            end += 1
        size = -(-end // align) * align
        return StructLayout(tuple(placed), size, align, size - end, extra)

    def size(self, arch: Arch) -> int:
        return self.layout(arch).size

    def align(self, arch: Arch) -> int:
        return self.layout(arch).align

    def field(self, name: str) -> tuple[int, Field, tuple[Field, ...]] | None:
        """Index, field and embedding path of field `name`, found directly or promoted
        through embedded structs (shallowest depth wins; ambiguity at one depth: None)."""
        # Every path counts, the same embedded struct reached twice included: Go calls a
        # field found twice at one depth ambiguous. (Embedding by value cannot recurse.)
        level: list[tuple[Struct, tuple[Field, ...]]] = [(self, ())]
        while level:
            found = [(s, path, i, f) for s, path in level for i, f in enumerate(s.fields)
                     if f.name == name]
            if len(found) == 1:
                _, path, i, f = found[0]
                return i, f, path
            if found:
                return None
            nxt: list[tuple[Struct, tuple[Field, ...]]] = []
            for s, path in level:
                for f in s.fields:
                    inner = underlying(f.type)
                    if f.embedded and isinstance(inner, Struct):
                        nxt.append((inner, (*path, f)))
            level = nxt
        return None


@dataclass(frozen=True, slots=True)
class Named(GoType):
    go: str
    under: GoType

    def size(self, arch: Arch) -> int:
        return self.under.size(arch)

    def align(self, arch: Arch) -> int:
        return self.under.align(arch)


def underlying(t: GoType) -> GoType:
    while isinstance(t, Named):
        t = t.under
    return t


def offset_of(struct: Struct, name: str, arch: Arch) -> int | None:
    """Offset of field `name` from the start of `struct`, following embedded structs."""
    hit = struct.field(name)
    if hit is None:
        return None
    index, _, path = hit
    total = 0
    current = struct
    for emb in path:
        total += current.layout(arch).fields[current.fields.index(emb)].offset
        inner = underlying(emb.type)
        assert isinstance(inner, Struct)
        current = inner
    return total + current.layout(arch).fields[index].offset


def minimal_order(struct: Struct) -> tuple[Field, ...]:
    """A field order of least size: zero-size fields first (never last), then by falling
    alignment. Sizes are multiples of alignments and alignments are powers of two, so this
    leaves no padding between fields on any target."""
    zero = [f for f in struct.fields if f.type.size(AMD64) == 0]
    rest = [f for f in struct.fields if f.type.size(AMD64) != 0]
    rest.sort(key=lambda f: (-f.type.align(AMD64), -f.type.align(I386)))
    return (*zero, *rest)


def plural(n: int, word: str = "byte") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
