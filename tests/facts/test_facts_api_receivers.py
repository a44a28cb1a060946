"""Atomic-method cards only for receivers whose declared type is a sync/atomic type; the
wording of API cards; `srs verify` with packages outside the standard library."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from srs.facts import api, fact_cards
from srs.facts.extract import analyze
from srs.facts.gotypes import build_envs, scan_block
from srs.facts.verify import build_program, in_standard_library, verify
from srs.model import CodeBlock, Lesson

needs_go = pytest.mark.skipif(shutil.which("go") is None,
                              reason="go (the Go toolchain) is not on PATH")

REPRO_TYPES = "type Stats struct {\n    total atomic.Int64\n    cache atomic.Value\n}\n"
REPRO_CODE = ("func sum(xs []*big.Int) *big.Int {\n"
              "    total := new(big.Int)\n"
              "    for _, x := range xs { total.Add(total, x) }\n"
              "    return total\n"
              "}\n"
              "var cache sync.Map\n"
              "func put(k, v string) { cache.Store(k, v); old, loaded := cache.Swap(k, v); "
              "_, _ = old, loaded }\n")
WAITGROUP = ("type Pool struct {\n    wg sync.WaitGroup\n    n  atomic.Int32\n}\n"
             "type Other struct {\n    wg atomic.Int32\n}\n"
             "func (p *Pool) start() { p.wg.Add(1); p.n.Add(1) }\n")


def lesson_of(*blocks: str) -> Lesson:
    code, line = [], 10
    for text in blocks:
        code.append(CodeBlock("go", text, line, ("Deep Explanation", "T")))
        line += text.count("\n") + 3
    return Lesson(Path("x.md"), "X", "x", 1, "advanced", ("go",), (), "rev-x",
                  code_blocks=tuple(code))


def receivers(*blocks: str) -> dict[str, tuple[str, str] | None]:
    """`receiver.Method` of every method call in the last block -> what `atomic_receiver`
    says about it."""
    scanned = [scan_block(i, text, 10 * i, ()) for i, text in enumerate(blocks)]
    env = build_envs(scanned)[-1]
    blk = scanned[-1]
    toks = blk.tokens
    found: dict[str, tuple[str, str] | None] = {}
    for i in range(len(toks) - 3):
        if toks[i + 1].text == "." and toks[i + 3].text == "(" and toks[i + 2].kind == "ident":
            j = i
            while j >= 2 and toks[j - 1].text == "." and toks[j - 2].kind == "ident":
                j -= 2
            call = blk.text[toks[j].start:toks[i + 2].end]
            found.setdefault(call, api.atomic_receiver(blk, env, i))
    return found


def atomic_method_keys(*blocks: str) -> set[str]:
    cards, _ = fact_cards(lesson_of(*blocks))
    return {c.key for c in cards if c.key.startswith("api:atomic.") and c.key.count(".") == 2}


# ---- which receivers are atomic ------------------------------------------------------

def test_the_reported_receivers_are_not_atomic() -> None:
    got = receivers(REPRO_TYPES, REPRO_CODE)
    assert got["total.Add"] is None  # a *big.Int, though Stats has an atomic field `total`
    assert got["cache.Store"] is None and got["cache.Swap"] is None  # a sync.Map
    waits = receivers(WAITGROUP)
    assert waits["p.wg.Add"] is None  # Pool's wg is a sync.WaitGroup; Other's is atomic
    assert waits["p.n.Add"] == ("Int32", "p.n")


def test_the_reported_lesson_gets_no_atomic_method_cards() -> None:
    assert atomic_method_keys(REPRO_TYPES, REPRO_CODE) == set()
    cards, _ = fact_cards(lesson_of(WAITGROUP))
    backs = {c.key: c.back for c in cards}
    assert "Atomically adds 1 to p.n" in backs["api:atomic.Int32.Add"]
    assert "p.wg" not in backs["api:atomic.Int32.Add"]


def test_fields_and_package_variables_of_atomic_types() -> None:
    code = ("var hits atomic.Int64\n"
            "func (s *Stats) add(n int64) {\n    s.total.Add(n)\n    hits.Add(1)\n"
            "    v := s.cache.Load()\n    _ = v\n}\n")
    got = receivers(REPRO_TYPES, code)
    assert got["s.total.Add"] == ("Int64", "s.total")
    assert got["hits.Add"] == ("Int64", "hits")
    assert got["s.cache.Load"] == ("Value", "s.cache")


def test_genuine_atomic_calls_keep_their_cards() -> None:
    code = ("var hits atomic.Int64\n"
            "func add(s *Stats) {\n    s.total.Add(1)\n}\n"
            "func inc() {\n    hits.Add(1)\n}\n")
    cards, _ = fact_cards(lesson_of(REPRO_TYPES, code))
    adds = [c.back for c in cards if c.key == "api:atomic.Int64.Add"]
    assert len(adds) == 1 and "Atomically adds 1 to s.total" in adds[0]
    assert not any(c.key.startswith("api:atomic.Value") for c in cards)


def test_locals_literals_pointers_aliases_and_embedding() -> None:
    code = ("type Inner struct {\n    n atomic.Uint64\n}\n"
            "type Outer struct {\n    *Inner\n    label string\n}\n"
            "type Count = atomic.Int32\n"
            "type Mine atomic.Int32\n"
            "func f(p *atomic.Bool, c *Count, m *Mine, o Outer) {\n"
            "    st := &Stats{}\n    st.total.Add(2)\n"
            "    v := new(atomic.Value)\n    v.Store(1)\n"
            "    var ptr atomic.Pointer[Inner]\n    ptr.Store(nil)\n"
            "    p.Store(true)\n    c.Add(1)\n    m.Add(1)\n    o.n.Add(3)\n"
            "    xs := []atomic.Int64{}\n    xs[0].Add(1)\n"
            "}\n")
    got = receivers(REPRO_TYPES, code)
    assert got["st.total.Add"] == ("Int64", "st.total")
    assert got["v.Store"] == ("Value", "v")
    assert got["ptr.Store"] == ("Pointer", "ptr")
    assert got["p.Store"] == ("Bool", "p")
    assert got["c.Add"] == ("Int32", "c")  # an alias has the methods
    assert got["m.Add"] is None  # a defined type has none of them
    assert got["o.n.Add"] == ("Uint64", "o.n")  # promoted through *Inner
    assert all(v is None for k, v in got.items() if k.startswith("xs"))  # `xs[0]`: no name


def test_a_name_declared_again_is_not_trusted() -> None:
    types = "var hits atomic.Int64\nvar n atomic.Int32\n"
    code = ("func a(xs []*big.Int) {\n"
            "    for _, hits := range xs {\n        hits.Add(hits, hits)\n    }\n}\n"
            "func b(n *big.Int) {\n    n.Add(n, n)\n}\n"
            "func c(v any) {\n    switch v.(type) {\n    case int:\n"
            "        var hits big.Int\n        hits.Add(&hits, &hits)\n    }\n}\n")
    got = receivers(types, code)
    assert got["hits.Add"] is None
    assert got["n.Add"] is None


def test_an_atomic_package_that_is_not_sync_atomic() -> None:
    code = 'import "go.uber.org/atomic"\n\nvar hits atomic.Int64\nfunc f() { hits.Add(1) }\n'
    assert receivers(code)["hits.Add"] is None


def test_broken_code_gives_no_receiver_and_no_error() -> None:
    for code in ("var c atomic.Pointer[\nc.Load()", "func (s *S {\ns.n.Add(1)",
                 "var x atomic.Int64\nfunc f( { x.Add(1) }", "x := &\nx.Add(1)",
                 "type A = B\ntype B = A\nvar a A\na.Add(1)",
                 "type A struct { A }\nvar a A\na.n.Add(1)"):
        assert all(v is None for v in receivers(code).values())


# ---- wording -------------------------------------------------------------------------

def describe(name: str, *args: str) -> str:
    text = api.describe(api.Call(name, args))
    assert text is not None
    return text


def test_atomic_function_wording_follows_the_type() -> None:
    assert "the uint64 it points to must be 8-byte aligned" in describe(
        "atomic.StoreUint64", "&n", "1")
    assert "the int64 it points to" in describe("atomic.StoreInt64", "&n", "1")
    assert "the int64 it points to" not in describe("atomic.StoreUint64", "&n", "1")
    assert "(a uint32, wrapping on overflow)" in describe("atomic.AddUint32", "&n", "1")
    assert "(a uintptr, wrapping on overflow)" in describe("atomic.AddUintptr", "&n", "1")
    assert "(an int32, wrapping on overflow)" in describe("atomic.AddInt32", "&n", "1")
    for name in api.REGISTRY:
        text = describe(name, "&x", "1", "2", "3", "4")
        assert " an uint" not in text and " 1 bytes" not in text, name


def test_mmap_cards_name_the_package_they_are_called_from() -> None:
    unix = describe("unix.Munmap", "data")
    assert "the exact slice unix.Mmap returned" in unix and "syscall.Mmap" not in unix
    assert "the exact slice syscall.Mmap returned" in describe("syscall.Munmap", "data")
    assert "released only by unix.Munmap" in describe(
        "unix.Mmap", "fd", "0", "4096", "unix.PROT_READ", "unix.MAP_SHARED")
    assert "released only by syscall.Munmap" in describe(
        "syscall.Mmap", "fd", "0", "4096", "syscall.PROT_READ", "syscall.MAP_SHARED")


def test_one_byte_is_singular() -> None:
    assert "advanced by 1 byte, like" in describe("unsafe.Add", "p", "1")
    assert "advanced by n bytes" in describe("unsafe.Add", "p", "n")
    assert "a string of 1 byte that" in describe("unsafe.String", "p", "1")
    assert "Maps 1 byte of the file" in describe("syscall.Mmap", "fd", "0", "1")


# ---- verify and packages outside the standard library --------------------------------

WEBSOCKET = ('import "github.com/gorilla/websocket"\n\n'
             "type Client struct {\n    conn *websocket.Conn\n    id   int64\n}\n"
             "type Session struct {\n    c  Client\n    ok bool\n}\n"
             "type Plain struct {\n    a bool\n    b int64\n}\n"
             "var c Client\nx := unsafe.Sizeof(c)\ny := unsafe.Sizeof(Plain{})\n")


def test_standard_library_paths() -> None:
    assert in_standard_library("sync/atomic") and in_standard_library("net/http")
    assert not in_standard_library("github.com/gorilla/websocket")
    assert not in_standard_library("golang.org/x/sys/unix")
    assert not in_standard_library("")


def test_facts_needing_another_module_are_left_out_of_the_program() -> None:
    program = build_program([analyze(lesson_of(WEBSOCKET))], is_std=lambda p: "." not in p)
    source = "\n".join(program.files.values())
    assert "gorilla" not in source and "websocket" not in source
    assert "Plain" in source and "Client" not in source and "Session" not in source
    left = {u.key: u for u in program.unchecked}
    assert set(left) == {"layout:Client", "layout:Session", "sizeof:c"}
    assert left["layout:Session"].packages == ("github.com/gorilla/websocket",)
    assert str(left["sizeof:c"]).endswith(
        "sizeof:c not checked: it needs github.com/gorilla/websocket, which is not in the "
        "standard library")
    kept = {f.key for p in program.packages for f in p.facts}
    assert kept == {"layout:Plain", "sizeof:Plain{}"}


@needs_go
def test_verify_offline_checks_the_rest_and_reports_what_it_left_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOPROXY", "off")
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    monkeypatch.setenv("GOPATH", str(tmp_path / "gopath"))  # no module cached from before
    other = lesson_of("type T struct {\n    a bool\n    b int32\n}\n")
    analyses = [analyze(lesson_of(WEBSOCKET)), analyze(other)]
    report = verify(analyses, tmp_path / "cache")
    assert report.mismatches == [] and report.facts == 3
    assert sorted(u.key for u in report.unchecked) == ["layout:Client", "layout:Session",
                                                       "sizeof:c"]
    again = verify(analyses, tmp_path / "cache")
    assert again.cached and again.unchecked == report.unchecked
