"""Fact cards from lesson code: the seed lesson's acceptance facts, ids, warnings."""

from __future__ import annotations

from pathlib import Path

from srs.facts import fact_cards
from srs.facts.extract import analyze
from srs.model import CardKind, CodeBlock, Lesson, Severity, card_id
from srs.parse import parse_lesson_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = FIXTURES / "seed_lesson.md"


def lesson_of(*blocks: str, path: str = "lesson.md") -> Lesson:
    code, line = [], 10
    for text in blocks:
        code.append(CodeBlock("go", text, line, ("Deep Explanation", "Layout")))
        line += text.count("\n") + 3
    return Lesson(Path(path), "Layout", "layout", 1, "advanced", ("go", "unsafe"), (),
                  "go-layout-01", code_blocks=tuple(code))


def by_key(lesson: Lesson) -> dict[str, str]:
    cards, _ = fact_cards(lesson)
    return {c.key: c.back for c in cards}


def test_seed_lesson_acceptance() -> None:
    lesson = parse_lesson_file(SEED)
    cards, diagnostics = fact_cards(lesson)
    keys = {c.key: c for c in cards}
    assert keys["sizeof:int(0)"].back.startswith("**8**")
    assert "386: 4" in keys["sizeof:int(0)"].back
    off = keys["offsetof:Struct.B"]
    assert off.back.startswith("**8**") and "386: 4" in off.back
    assert "24 bytes in all (386: 12)" in off.back
    layout = keys["layout:Struct"].back
    assert layout.startswith("**24**") and "386: 12" in layout
    for api in ("AddInt64", "LoadInt64", "StoreInt64", "CompareAndSwapInt64"):
        assert f"api:atomic.{api}" in keys
    cas = keys["api:atomic.CompareAndSwapInt64"].back
    assert "Stores 20 into counter and returns true only if counter equals 10" in cas
    assert "sequentially consistent" in cas
    assert "PROT_READ" in keys["api:syscall.Mmap"].back
    assert "MAP_SHARED" in keys["api:syscall.Mmap"].back
    assert not [d for d in diagnostics if d.severity is Severity.ERROR]
    # the acceptance facts point at their lines in the file
    text = SEED.read_text(encoding="utf-8").splitlines()
    assert "unsafe.Sizeof(int(0))" in text[keys["sizeof:int(0)"].source.line - 1]
    assert "Offsetof(Struct{}.B)" in text[off.source.line - 1]
    assert "```go" in off.front and "type Struct struct" in off.front


def test_card_fields_and_ids() -> None:
    lesson = parse_lesson_file(SEED)
    cards, _ = fact_cards(lesson)
    for n, card in enumerate(cards):
        assert card.kind is CardKind.FACT
        assert card.id == card_id(lesson.root, CardKind.FACT, card.key)
        assert card.ordinal == 10_000 + n
        assert card.tags == lesson.tags and card.lesson == lesson.slug
        assert card.lesson_title == lesson.title
        assert card.section.startswith("facts:")
    assert len({c.id for c in cards}) == len(cards)


def test_ids_do_not_depend_on_wording_and_duplicates_collapse() -> None:
    a = lesson_of("type T struct {\n    A int8\n    B int64\n}\nx := unsafe.Sizeof(T{})\n"
                  "y := unsafe.Sizeof(T{})\n")
    b = lesson_of("// reworded and moved\n\ntype T struct {\n    A int8 // small\n    B int64\n}"
                  "\n\n\nz := unsafe.Sizeof( T{} )\n")
    ca, _ = fact_cards(a)
    cb, _ = fact_cards(b)
    assert [c.key for c in ca] == ["layout:T", "sizeof:T{}", "api:unsafe.Sizeof"]
    assert {c.key: c.id for c in ca} == {c.key: c.id for c in cb}


def test_layout_card_suggests_a_smaller_order() -> None:
    backs = by_key(lesson_of("type Loose struct {\n    a bool\n    b int64\n    c bool\n}\n"))
    back = backs["layout:Loose"]
    assert back.startswith("**24**") and "386: 16" in back
    assert "16 bytes, saving 8" in back and "b int64\n    a bool\n    c bool" in back


def test_operand_forms() -> None:
    src = (
        "type ID int64\n"
        "type Pair = [2]ID\n"
        "type Inner struct {\n    p int16\n    q ID\n}\n"
        "type Outer struct {\n    flag bool\n    Inner\n    tail struct{}\n}\n"
        "const N = 4 * 2\n"
        "var buf [N]Outer\n"
        "var pp *Outer\n"
        "o := Outer{}\n"
        "a := unsafe.Sizeof(buf)\n"
        "b := unsafe.Alignof(pp.Inner)\n"
        "c := unsafe.Offsetof(o.q)\n"
        "d := unsafe.Sizeof(Pair{})\n"
        "e := unsafe.Sizeof(*pp)\n"
        "f := unsafe.Sizeof(buf[1].tail)\n"
        "g := unsafe.Sizeof(\"hello\")\n"
        "h := unsafe.Offsetof(Outer{}.Inner.q)\n"
    )
    result = analyze(lesson_of(src))
    facts = {f.key: f.values for f in result.facts}
    assert not result.diagnostics
    outer = {"amd64": 32, "arm64": 32, "386": 20, "arm": 20}
    assert facts["layout:Outer"] == outer
    assert facts["sizeof:buf"] == {k: 8 * v for k, v in outer.items()}
    assert facts["alignof:pp.Inner"]["amd64"] == 8 and facts["alignof:pp.Inner"]["386"] == 4
    assert facts["offsetof:Outer.q"] == {"amd64": 16, "arm64": 16, "386": 8, "arm": 8}
    assert facts["sizeof:Pair{}"]["amd64"] == 16
    assert facts["sizeof:*pp"] == outer
    assert facts["sizeof:buf[1].tail"]["amd64"] == 0
    assert facts['sizeof:"hello"']["386"] == 8
    assert facts["offsetof:Inner.q"]["amd64"] == 8


def test_unresolvable_types_warn_with_line_and_make_no_card() -> None:
    src = ("type Conn struct {\n    raw bufio.Reader\n}\n"
           "type Stack[T any] struct {\n    items []T\n}\n"
           "n := unsafe.Sizeof(Conn{})\n"
           "m := unsafe.Sizeof(mystery)\n")
    lesson = lesson_of(src)
    cards, diagnostics = fact_cards(lesson)
    assert not any(c.key.startswith(("layout:", "sizeof:")) for c in cards)
    messages = {d.pos.line: d.message for d in diagnostics}
    assert all(d.severity is Severity.WARNING for d in diagnostics)
    assert "bufio.Reader" in messages[10] and "Conn" in messages[10]
    assert "generic" in messages[13]
    assert "unknown variable mystery" in messages[17] or "mystery" in messages[17]
    assert all(str(d).startswith("lesson.md:") for d in diagnostics)


def test_pointers_to_library_types_are_one_word() -> None:
    src = ("import \"log\"\n\ntype Server struct {\n    mu sync.Mutex\n    log *log.Logger\n"
           "    hits atomic.Int64\n}\n")
    result = analyze(lesson_of(src))
    fact = next(f for f in result.facts if f.key == "layout:Server")
    # atomic.Int64 is 8-aligned even on 386, so the struct does not shrink there
    assert fact.values == {"amd64": 24, "arm64": 24, "386": 24, "arm": 24}


def test_types_that_reach_each_other_through_a_pointer_have_layouts() -> None:
    src = ("type List struct {\n    head *Elem\n}\n"
           "type Elem struct {\n    owner List\n    val int64\n}\n"
           "type Ring struct {\n    next *Link\n    id int32\n}\n"
           "type Link struct {\n    back *Ring\n    w int64\n}\n"
           "type Loose struct {\n    p *Broken\n}\n"
           "type Broken struct {\n    back Loose\n    r bufio.Reader\n}\n")
    result = analyze(lesson_of(src))
    sizes = {f.key: f.values for f in result.facts if f.key.startswith("layout:")}
    assert sizes["layout:List"] == {"amd64": 8, "arm64": 8, "386": 4, "arm": 4}
    assert sizes["layout:Elem"] == {"amd64": 16, "arm64": 16, "386": 12, "arm": 12}
    assert sizes["layout:Ring"] == {"amd64": 16, "arm64": 16, "386": 8, "arm": 8}
    assert sizes["layout:Link"] == {"amd64": 16, "arm64": 16, "386": 12, "arm": 12}
    # a pointer to a type whose layout is unknown still leaves the pointing type unsure
    assert "layout:Loose" not in sizes and "layout:Broken" not in sizes
    messages = [d.message for d in result.diagnostics]
    assert any("Loose" in m and "bufio.Reader" in m for m in messages)


def test_conflicting_declarations_in_separate_blocks() -> None:
    first = "type Config struct {\n    a int32\n}\nx := unsafe.Sizeof(Config{})\n"
    second = "type Config struct {\n    a int64\n    b bool\n}\ny := unsafe.Sizeof(Config{})\n"
    third = "z := unsafe.Sizeof(Config{})\n"
    result = analyze(lesson_of(first, second, third))
    keys = [f.key for f in result.facts]
    assert "layout:Config" in keys and "layout:Config#2" in keys
    assert [d for d in result.diagnostics if "declared differently" in d.message]


def test_api_cards_use_the_call_arguments() -> None:
    src = ("type Stats struct {\n    hits atomic.Int64\n}\n"
           "var ready atomic.Bool\n"
           "func f(s *Stats, p *uint32) {\n"
           "    s.hits.Add(5)\n"
           "    old := atomic.SwapUint32(p, 7)\n"
           "    ready.CompareAndSwap(false, true)\n"
           "    b := unsafe.Slice(ptr, n)\n"
           "    syscall.Munmap(data)\n"
           "}\n")
    backs = by_key(lesson_of(src))
    assert "adds 5 to s.hits and returns the new value" in backs["api:atomic.Int64.Add"]
    assert "writes 7 into *p and returns the value it held just before" in (
        backs["api:atomic.SwapUint32"])
    assert "Sets ready to true and returns true only if it holds false" in (
        backs["api:atomic.Bool.CompareAndSwap"])
    assert "length and capacity n" in backs["api:unsafe.Slice"]
    assert "Removes the mapping behind data" in backs["api:syscall.Munmap"]


def test_layout_zoo_resolves_everything() -> None:
    lesson = parse_lesson_file(Path(__file__).resolve().parent / "fixtures" / "layout_zoo.md")
    result = analyze(lesson)
    assert list(result.diagnostics) == []
    facts = {f.key: f.values for f in result.facts}
    # 88 bytes of fields ending in a [0]func(): one byte more, rounded to 8 (go run: 96, 52)
    assert facts["sizeof:q"] == {"amd64": 96, "arm64": 96, "386": 52, "arm": 52}
    assert facts["layout:Queue:min"]["amd64"] == 88  # the zero-size field moved first
    assert facts["offsetof:Queue.mu"]["amd64"] == 16
    assert facts["offsetof:Buffer.m"] == {"amd64": 36, "arm64": 36, "386": 36, "arm": 36}
    cards, _ = fact_cards(lesson)
    keys = {c.key for c in cards}
    assert {"api:atomic.Pointer.Store", "api:atomic.Pointer.Swap"} <= keys


def test_mmap_flags_outside_the_call_get_their_own_cards() -> None:
    src = ("prot := syscall.PROT_READ | syscall.PROT_WRITE\n"
           "data, err := syscall.Mmap(fd, 0, 4096, prot, syscall.MAP_PRIVATE)\n")
    backs = by_key(lesson_of(src))
    assert "pages may be written" in backs["api:syscall.PROT_WRITE"]
    assert "pages may be read" in backs["api:syscall.PROT_READ"]
    assert "api:syscall.MAP_PRIVATE" not in backs  # explained on the Mmap card
    assert "MAP_PRIVATE: copy-on-write" in backs["api:syscall.Mmap"]
    seed = {c.key for c in fact_cards(parse_lesson_file(SEED))[0]}
    assert not {k for k in seed if "PROT_" in k or "MAP_" in k}


def test_mmap_flags_name_the_package_they_are_written_with() -> None:
    src = ("prot := unix.PROT_READ | unix.PROT_WRITE\n"
           "data, err := unix.Mmap(fd, 0, 4096, prot, unix.MAP_SHARED)\n")
    backs = by_key(lesson_of(src))
    assert backs["api:unix.PROT_WRITE"].startswith(
        "In the protection (prot) argument of unix.Mmap, PROT_WRITE means: pages may be written")
    assert not {k for k in backs if k.startswith("api:syscall.")}


PARAMS = Path(__file__).resolve().parent / "fixtures" / "params.md"


def test_parameters_receivers_and_named_results_are_typed_in_their_function() -> None:
    result = analyze(parse_lesson_file(PARAMS))
    amd64 = {f.key: f.values["amd64"] for f in result.facts}
    assert amd64["sizeof:s"] == 16 and amd64["sizeof:p"] == 8  # parameters
    assert amd64["sizeof:r.b"] == 8  # a method's receiver
    assert amd64["sizeof:xs"] == 24  # `...int32` is a []int32 inside the function
    assert amd64["sizeof:label"] == 16
    # The literal's `buf []byte` hides the package's `buf [10]byte` only inside it.
    assert amd64["sizeof:buf"] == 24 and amd64["sizeof:buf#2"] == 10
    locals_ = {f.key: f.locals for f in result.facts}
    assert locals_["sizeof:xs"] == (("xs", "[]int32"),)
    assert locals_["sizeof:buf#2"] == (("buf", "[10]byte"),)
    # A named result is visible in its own function only; a function type's parameter
    # names declare nothing.
    warnings = sorted(d.message for d in result.diagnostics)
    assert len(warnings) == 2
    assert "Alignof(total)" in warnings[0] and "Sizeof(n)" in warnings[1]


def test_a_parameter_declared_again_in_its_function_makes_no_card() -> None:
    src = ("type S struct {\n    a int64\n}\n"
           "func f(p S) uintptr {\n    if true {\n        p := int8(1)\n"
           "        return unsafe.Sizeof(p)\n    }\n    return unsafe.Sizeof(p)\n}\n")
    result = analyze(lesson_of(src))
    assert not any(f.key.startswith("sizeof:p") for f in result.facts)
    messages = [d.message for d in result.diagnostics]
    assert len(messages) == 2 and all("declared again" in m for m in messages)


def fronts(lesson: Lesson) -> dict[str, str]:
    cards, _ = fact_cards(lesson)
    return {c.key: c.front.split("\n\n", 1)[0] for c in cards}


def test_a_call_card_asks_about_the_call_it_answers() -> None:
    # The line holds two calls; each card names its own, not "this call".
    asked = fronts(lesson_of(
        "readOnly := unsafe.Slice(unsafe.StringData(str), len(str))\n"
        "r1, _, errno := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafe.Pointer(p)), n, 0)\n"
        "var hits atomic.Int64\nhits.Add(1)\n"))
    assert asked["api:unsafe.StringData"] == (
        "What does `unsafe.StringData(str)` do, and what does it return?")
    assert asked["api:unsafe.Slice"] == (
        "What does `unsafe.Slice(unsafe.StringData(str), len(str))` do, and what does it "
        "return?")
    assert asked["api:unsafe.Pointer"] == (
        "What does the conversion `unsafe.Pointer(p)` do, and which pointer conversions does "
        "Go promise to work?")
    # A method's answer depends on the receiver's type, which the line alone does not show.
    assert asked["api:atomic.Int64.Add"] == (
        "`hits` is an atomic.Int64. What does `hits.Add(1)` do, and what does it return?")


def test_a_long_call_is_named_by_its_function() -> None:
    asked = fronts(lesson_of(
        "ok := atomic.CompareAndSwapInt64(&state.connections.active, expectedCount, "
        "expectedCount+1)\n"))
    assert asked["api:atomic.CompareAndSwapInt64"] == (
        "What does `atomic.CompareAndSwapInt64` do, and what does it return?")


def test_a_zero_size_field_moves_first_in_the_smaller_order() -> None:
    backs = by_key(lesson_of("type Tail struct {\n    N int64\n    E struct{}\n}\n"))
    # A zero-size final field gets a byte of its own, rounded up to 16; moved first, 8.
    assert backs["layout:Tail"].startswith("**16**")
    assert ("Ordered by falling alignment, zero-size fields first, it takes 8 bytes, "
            "saving 8") in backs["layout:Tail"]


def test_a_struct_size_explains_386_by_what_moves() -> None:
    backs = by_key(lesson_of(
        "type Mixed struct {\n    a byte\n    b int32\n    c byte\n    d int64\n    e byte\n}\n"
        "n := unsafe.Sizeof(Mixed{})\n"))
    back = backs["sizeof:Mixed{}"]
    assert back.startswith("**32** (same on arm64; 386: 24)\n\n`Mixed` is a struct. Fields: a byte")
    assert "..." not in back and back.count("b int32") == 1  # amd64 in full, once
    assert back.endswith(" On 386: d at 12 (8 bytes) after 3 bytes of padding; e at 20 "
                         "(1 byte); alignment 4, 3 bytes of trailing padding, 24 bytes in all.")


def test_struct_size_wording_for_a_defined_struct_and_a_zero_size_last_field() -> None:
    backs = by_key(lesson_of(
        "type Inner struct {\n    x int32\n    y int64\n    z [0]int64\n}\ntype Outer Inner\n"
        "n := unsafe.Sizeof(Outer{})\n"))
    back = backs["sizeof:Outer{}"]
    assert "`Outer` is defined as `Inner`, a struct. Fields: x int32 at 0" in back
    # 386: z sits at 12 and takes a byte of its own, then 3 bytes pad to 16.
    assert back.endswith("On 386: y at 4 (8 bytes); z at 12 (0 bytes); alignment 4, 1 byte "
                         "after the zero-size last field, 3 bytes of trailing padding, "
                         "16 bytes in all.")


def test_a_comment_that_gives_another_value_than_the_compiler_is_a_warning() -> None:
    src = ("type Counter struct {\n    on bool\n    n int64\n}\n"
           "a := unsafe.Sizeof(int64(0)) // 4 on amd64\n"              # 14: wrong
           "b := unsafe.Sizeof(Counter{}) // 16 on amd64, 20 on 386\n"  # 15: 386 wrong
           "c := unsafe.Sizeof(Counter{}) // 16 (64-bit), 12 (32-bit)\n"
           "d := unsafe.Alignof(int64(0)) // amd64: 8, 386: 4\n"
           "e := unsafe.Offsetof(Counter{}.n) // = 8 bytes\n"
           "f := unsafe.Sizeof(int32(0)) // 8\n"                        # 19: wrong, bare
           "fmt.Println(unsafe.Sizeof(true)) // 1\n"
           "g := 2 * unsafe.Sizeof(int32(0)) // 4\n"                    # a product: not read
           "h, i := unsafe.Sizeof(int8(0)), unsafe.Alignof(int8(0)) // 2 and 2\n"
           "j := unsafe.Sizeof(int8(0)) // see 3 fields below\n")
    _, diagnostics = fact_cards(lesson_of(src))
    said = [(d.pos.line, d.message) for d in diagnostics if "comment says" in d.message]
    assert said == [
        (14, "the comment says 4 on amd64, but unsafe.Sizeof(int64(0)) is 8 there"),
        (15, "the comment says 20 on 386, but unsafe.Sizeof(Counter{}) is 12 there"),
        (19, "the comment says 8 on amd64, but unsafe.Sizeof(int32(0)) is 4 there"),
    ]


def test_the_front_shows_a_variables_declaration_whatever_the_names_around_it() -> None:
    # The name ends another name on the line (`sy `, `max `): still not declared there.
    src = ("var y int8\nvar ax int32\n\n// Sizeof y\nsy := unsafe.Sizeof(y)\n"
           "// Sizeof ax\nmax, n := unsafe.Sizeof(ax), 1\n"
           "// Sizeof w\nw := int64(2); ws := unsafe.Sizeof(w)\n")
    cards, _ = fact_cards(lesson_of(src))
    fronts = {c.key: c.front for c in cards}
    assert "var y int8\nsy := unsafe.Sizeof(y)" in fronts["sizeof:y"]
    assert "var ax int32\nmax, n := unsafe.Sizeof(ax), 1" in fronts["sizeof:ax"]
    assert "```go\nw := int64(2); ws := unsafe.Sizeof(w)" in fronts["sizeof:w"]


def test_a_call_over_several_lines_is_a_card_showing_the_whole_call() -> None:
    src = ("size := unsafe.Sizeof(struct {\n"
           "    flag bool\n"
           "    n    int64\n"
           "}{}) // 12 on 386\n"
           "ok := atomic.CompareAndSwapInt64(\n"
           "    &counter,\n"
           "    10, 20,\n"
           ")\n")
    cards, diagnostics = fact_cards(lesson_of("var counter int64\n" + src))
    by = {c.key: c for c in cards}
    sized = by["sizeof:struct{flag bool n int64}{}"]
    assert "`unsafe.Sizeof(struct{ flag bool; n int64 }{})`" in sized.front
    assert "```go\nsize := unsafe.Sizeof(struct {\n    flag bool\n    n    int64\n}{})\n```" in (
        sized.front)
    assert sized.back.startswith("**16** (same on arm64; 386: 12)")
    swap = by["api:atomic.CompareAndSwapInt64"]
    assert "ok := atomic.CompareAndSwapInt64(\n    &counter,\n    10, 20,\n)" in swap.front
    assert swap.back.startswith("Stores 20 into counter and returns true only if counter "
                                "equals 10 at that instant")
    # the comment on the call's last line is read, and agrees with the compiler
    assert not [d for d in diagnostics if d.severity is Severity.WARNING]


def test_fact_text_writes_types_as_go_does() -> None:
    src = ("type Node struct{ next *Node }\n"
           "type Queue struct {\n"
           "    head atomic.Pointer[Node]\n"
           "    done chan<- struct{}\n"
           "    cb   func(a, b int) (int, error)\n"
           "    sink interface{ Write(p []byte) (n int, err error) }\n"
           "}\n")
    back = by_key(lesson_of(src))["layout:Queue"]
    assert ("head atomic.Pointer[Node] at 0 (8 bytes); done chan<- struct{} at 8 (8 bytes); "
            "cb func(a, b int) (int, error) at 16 (8 bytes); "
            "sink interface{ Write(p []byte) (n int, er... at 24 (16 bytes)") in back


def test_complex_real_and_imag_have_their_types() -> None:
    src = ("var f float32\nvar c64 complex64\n"
           "a := unsafe.Sizeof(complex(1, 2))\n"
           "b := unsafe.Sizeof(complex(f, 2))\n"
           "c := unsafe.Sizeof(real(c64))\n"
           "d := unsafe.Sizeof(imag(1i))\n")
    backs = by_key(lesson_of(src))
    assert [backs[f"sizeof:{arg}"].split("\n")[0] for arg in
            ("complex(1,2)", "complex(f,2)", "real(c64)", "imag(1i)")] == [
        "**16** (the same on arm64 and 386)", "**8** (the same on arm64 and 386)",
        "**4** (the same on arm64 and 386)", "**8** (the same on arm64 and 386)"]


def test_array_lengths_read_every_go_integer_literal_and_signed_constants() -> None:
    keys = by_key(lesson_of(
        "const perm = 0644\n"
        "const Neg = -7 / 2\n"
        "type Oct struct {\n    buf [017]byte\n    n   int64\n}\n"
        "type Signed struct {\n    v [Neg + 5]int32\n    w [0o7 + 0b1 + 0x1_0]byte\n}\n"))
    assert keys["layout:Oct"].startswith("**24**")  # [15]byte, padded to 16, then 8
    assert keys["layout:Signed"].startswith("**32**")  # -7/2 is -3 in Go: [2]int32, [24]byte
    cards, diagnostics = fact_cards(lesson_of("type Bad struct {\n    b [089]byte\n}\n"))
    assert not cards
    assert [d.message for d in diagnostics] == [
        "no layout card for Bad: 089 is not an integer Go reads"]
