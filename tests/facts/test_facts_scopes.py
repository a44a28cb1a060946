"""Fact cards decline where a name's meaning depends on scopes this reading does not follow,
and the layout explanations add up."""

from __future__ import annotations

from test_facts_cards import by_key, lesson_of

from srs.facts import fact_cards

PACKAGE = "var b int64\nvar x int64\ntype T struct{ a, b int64 }\n"


def _declined(*blocks: str) -> tuple[dict[str, str], list[str]]:
    cards, diagnostics = fact_cards(lesson_of(*blocks))
    return {c.key: c.back for c in cards}, [d.message for d in diagnostics]


def test_names_bound_in_headers_or_several_at_once_give_no_card() -> None:
    keys, warnings = _declined(PACKAGE, (
        "func k(i any) {\n"
        "    for _, b := range []byte(\"hi\") { fmt.Println(unsafe.Sizeof(b)) }\n"
        "    if x := int16(3); unsafe.Sizeof(x) == 2 { fmt.Println(\"two\") }\n"
        "    switch v := i.(type) { case int8: fmt.Println(unsafe.Sizeof(v)) }\n"
        "    p, q := int8(1), int8(2)\n"
        "    fmt.Println(unsafe.Sizeof(p), unsafe.Sizeof(q))\n"
        "}\n"))
    assert not [k for k in keys if k.startswith("sizeof:")]
    for name in "bxvpq":
        assert f"no fact card for unsafe.Sizeof({name}): cannot tell the type of {name}" \
            in warnings


def test_a_generic_parameter_gives_no_card() -> None:
    keys, warnings = _declined(
        PACKAGE, "func sizeOf[T any](v T) uintptr { return unsafe.Sizeof(v) }\n"
                 "func (s *Stack[E]) Size(e E) uintptr { return unsafe.Sizeof(e) }\n")
    assert not [k for k in keys if k.startswith("sizeof:")]
    generic = "it is in a generic function, where sizes depend on the type arguments"
    assert f"no fact card for unsafe.Sizeof(v): {generic}" in warnings
    assert f"no fact card for unsafe.Sizeof(e): {generic}" in warnings


def test_a_type_parameter_shadows_the_package_type_of_its_name() -> None:
    # `T` in G is its type parameter, not the package's 16-byte T: G[int8]() is 1 + 2 + 1.
    keys, warnings = _declined(PACKAGE, (
        "func G[T any]() uintptr {\n"
        "    f := func(v T) uintptr { return unsafe.Sizeof(v) }\n"
        "    type pair struct{ a, b T }\n"
        "    var z T\n"
        "    return f(z) + unsafe.Sizeof(pair{}) + unsafe.Sizeof(z)\n"
        "}\n"
        "func outside() uintptr { var t T; return unsafe.Sizeof(t) }\n"))
    assert not [k for k in keys if k.startswith("sizeof:") and k != "sizeof:t"]
    assert "layout:pair" not in keys
    assert keys["sizeof:t"].startswith("**16**")
    assert ("no layout card for pair: pair is declared in a generic function: its layout "
            "depends on the type arguments") in warnings


def test_slice_expressions_give_no_card_and_index_expressions_do() -> None:
    keys, warnings = _declined(
        "func g() {\n    s := []int64{1, 2, 3}\n    t := s[1:]\n"
        "    fmt.Println(unsafe.Sizeof(t), unsafe.Sizeof(s[1:2]), unsafe.Sizeof(s[0]))\n}\n")
    assert [k for k in keys if k.startswith("sizeof:")] == ["sizeof:s[0]"]
    assert keys["sizeof:s[0]"].startswith("**8**")
    assert "\n\n`int64` is 8 bytes on every target." in keys["sizeof:s[0]"]
    assert sum("slice expressions are not typed here" in w for w in warnings) == 2


def test_layout_explanations_add_up() -> None:
    keys = by_key(lesson_of(
        "type Tail struct { N int64; E struct{} }\n"
        "type Tight struct { B int64; A bool; C bool }\n"
        "const Big = 1<<60 - 1\nconst Small = 1 << 57\n"
        "type Seven struct { a [Big / Small]byte }\n"))
    tail = keys["layout:Tail"]
    assert "one byte is added after it" in tail
    assert "Then 7 bytes of trailing padding" in tail  # 8 + 1 + 7 = 16
    assert keys["layout:Tight"].endswith(
        "No field order is smaller: ordered by falling alignment, the fields also take "
        "16 bytes.")
    assert keys["layout:Seven"].startswith("**7**")  # integer division, as Go's constants


def test_a_local_variable_is_seen_in_its_own_function_only() -> None:
    keys, warnings = _declined(PACKAGE, (
        "func a() uintptr { f := func() uintptr { x := uint16(1); return unsafe.Sizeof(x) }; "
        "return f() }\n"
        "func b2() uintptr { return unsafe.Sizeof(x) }\n"
        "func c() uintptr { y := int8(1); y2 := int32(2); _ = y2; return unsafe.Sizeof(y) }\n"
        "func d() uintptr { y := 1.5; return unsafe.Sizeof(y) }\n"))
    assert keys["sizeof:x"].startswith("**2**")  # the literal's own x
    assert keys["sizeof:x#2"].startswith("**8**")  # the package's x, in another function
    assert keys["sizeof:y"].startswith("**1**") and keys["sizeof:y#2"].startswith("**8**")
    assert not warnings


def test_a_type_declared_in_a_function_and_differently_outside_gives_no_card() -> None:
    keys, warnings = _declined(
        "type Point struct{ X, Y int64 }\n",
        "func small() { type Point struct{ X, Y int8 }; _ = Point{} }\n"
        "func big() uintptr { return unsafe.Sizeof(Point{}) }\n")
    assert not [k for k in keys if k.startswith("sizeof:")]
    assert ("no fact card for unsafe.Sizeof(Point{}): type Point is declared inside a "
            "function and differently elsewhere") in warnings


def test_an_ambiguous_promoted_field_and_an_array_too_large_for_32_bits_give_no_card() -> None:
    keys, warnings = _declined(
        "type D struct{ x int32 }\ntype B struct{ n int64; D }\ntype C struct{ D }\n"
        "type A struct{ B; C }\ntype Huge struct{ b [1 << 40]byte }\n"
        "var a A\nvar h Huge\n"
        "func f() uintptr { return unsafe.Offsetof(a.x) + unsafe.Sizeof(h) }\n")
    assert "offsetof:A.x" not in keys and "sizeof:h" not in keys
    assert "no fact card for unsafe.Offsetof(a.x): no field x" in warnings
    assert "no fact card for unsafe.Sizeof(h): too large for 386, where it does not compile" \
        in warnings


def test_a_local_is_seen_from_its_declaration_to_the_end_of_its_braces() -> None:
    keys, warnings = _declined("var buf int8\n", (
        "func before() uintptr { s := unsafe.Sizeof(buf); buf := [64]byte{}; _ = buf; return s }\n"
        "func inner() uintptr {\n"
        "    if true { buf := [32]byte{}; fmt.Println(unsafe.Sizeof(buf)) }\n"
        "    return unsafe.Sizeof(buf)\n"
        "}\n"
        "func own() uintptr { buf := [16]byte{}; return unsafe.Sizeof(buf) }\n"
        "func self() uintptr { buf := unsafe.Sizeof(buf); return buf }\n"))
    sizes = sorted(back.split("**")[1] for key, back in keys.items()
                   if key.startswith("sizeof:buf"))
    # 1: the package's buf, before a local one, after an inner block's and in its own
    # declaration; 32 inside that block; 16 after the function's own declaration.
    assert sizes == ["1", "16", "32"]
    assert not warnings


def test_a_package_variables_value_is_typed_in_the_package_not_where_it_is_used() -> None:
    keys, _ = _declined("var a int8\nvar b = a\n"
                        "func g(a string) uintptr { return unsafe.Sizeof(b) }\n")
    assert keys["sizeof:b"].startswith("**1**")


def test_a_library_type_of_another_package_with_a_standard_name_gives_no_card() -> None:
    keys, warnings = _declined('import "go.uber.org/atomic"\n'
                               "type Counter struct {\n    ready bool\n    n atomic.Int64\n}\n")
    assert "layout:Counter" not in keys
    assert ("no layout card for Counter: atomic.Int64 comes from go.uber.org/atomic, whose "
            "layouts are not known here") in warnings
    keys, _ = _declined('import "sync/atomic"\n'
                        "type Counter struct {\n    ready bool\n    n atomic.Int64\n}\n")
    assert keys["layout:Counter"].startswith("**16**")
