"""What library calls do and return, in our own words: `sync/atomic`, `unsafe`, and
`syscall.Mmap`/`Munmap` with their protection and mapping flags.

`describe(call)` turns one call found in a lesson into the answer of its card, using the
call's own arguments ("stores 20 and returns true only if counter is 10 ...").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SEQ_CST = ("Like every operation in sync/atomic it is sequentially consistent under the Go "
           "memory model: all goroutines observe atomic operations in one total order, and a "
           "load that sees a store also sees everything written before that store.")

ATOMIC_SCALARS = ("Int32", "Int64", "Uint32", "Uint64", "Uintptr")
ATOMIC_GO_TYPE = {"Int32": "int32", "Int64": "int64", "Uint32": "uint32", "Uint64": "uint64",
                  "Uintptr": "uintptr", "Pointer": "unsafe.Pointer", "Bool": "bool"}


@dataclass(frozen=True, slots=True)
class Call:
    """A call as written: `api` like `atomic.CompareAndSwapInt64` or `atomic.Int64.Add`;
    `receiver` the value a method is called on; `args` the argument texts."""

    api: str
    args: tuple[str, ...]
    receiver: str = ""


def _target(addr: str) -> str:
    """`&counter` reads as `counter`; any other address expression as `*addr`."""
    addr = addr.strip()
    if addr.startswith("&") and "(" not in addr:
        return addr[1:].strip()
    return f"*{addr}"


def _arg(call: Call, i: int, fallback: str) -> str:
    return call.args[i].strip() if i < len(call.args) else fallback


def _atomic_function(op: str, kind: str) -> Callable[[Call], str]:
    go = ATOMIC_GO_TYPE[kind]

    def describe(call: Call) -> str:
        v = _target(_arg(call, 0, "addr"))
        if op == "Add":
            d = _arg(call, 1, "delta")
            article = "an" if go[0] in "aeiou" else "a"
            text = (f"Atomically adds {d} to {v} ({article} {go}, wrapping on overflow) and "
                    f"returns the new value, {v} after the addition.")
            if kind.startswith("Uint"):
                text += (f" To subtract c from an unsigned value, pass ^{go}(c-1) "
                         "(two's complement), since the delta is unsigned.")
        elif op == "Load":
            text = (f"Atomically reads {v} and returns its value; it never sees a torn, "
                    "half-written value.")
        elif op == "Store":
            text = (f"Atomically writes {_arg(call, 1, 'val')} into {v}; it returns nothing.")
        elif op == "Swap":
            text = (f"Atomically writes {_arg(call, 1, 'new')} into {v} and returns the "
                    "value it held just before.")
        elif op == "CompareAndSwap":
            old, new = _arg(call, 1, "old"), _arg(call, 2, "new")
            text = (f"Stores {new} into {v} and returns true only if {v} equals {old} at that "
                    f"instant; otherwise it changes nothing and returns false. "
                    "Loops retry it until it succeeds.")
        elif op == "And":
            text = (f"Atomically replaces {v} with {v} & {_arg(call, 1, 'mask')} and returns "
                    "the old value (Go 1.23 and later).")
        else:  # Or
            text = (f"Atomically replaces {v} with {v} | {_arg(call, 1, 'mask')} and returns "
                    "the old value (Go 1.23 and later).")
        if kind in ("Int64", "Uint64"):
            text += (" On 386 and 32-bit ARM the int64 it points to must be 8-byte aligned "
                     "(the first word of an allocated struct, array or slice is).")
        return f"{text} {SEQ_CST}"

    return describe


def _atomic_method(kind: str, op: str) -> Callable[[Call], str]:
    go = ATOMIC_GO_TYPE.get(kind, "value")

    def describe(call: Call) -> str:
        r = call.receiver or "x"
        if op == "Add":
            text = (f"Atomically adds {_arg(call, 0, 'delta')} to {r} and returns the new "
                    "value.")
        elif op == "Load":
            text = f"Atomically reads {r} and returns the {go} it holds."
            if kind == "Value":
                text = (f"Returns the value most recently stored in {r}, as an any, or nil "
                        "if nothing was ever stored.")
            if kind == "Pointer":
                text = f"Atomically reads {r} and returns the *T it holds (nil at first)."
        elif op == "Store":
            text = f"Atomically sets {r} to {_arg(call, 0, 'val')}; it returns nothing."
            if kind == "Value":
                text += (" Storing nil panics, and every store must use the same concrete "
                         "type as the first, or it panics.")
        elif op == "Swap":
            text = (f"Atomically sets {r} to {_arg(call, 0, 'new')} and returns the value it "
                    "held before.")
            if kind == "Value":
                text += " The old value is nil if nothing was stored yet."
        elif op == "CompareAndSwap":
            old, new = _arg(call, 0, "old"), _arg(call, 1, "new")
            text = (f"Sets {r} to {new} and returns true only if it holds {old} at that "
                    "instant; otherwise it changes nothing and returns false.")
            if kind == "Value":
                text += " The comparison uses ==, so old must be of a comparable type."
        elif op == "And":
            text = (f"Atomically replaces {r} with {r} & {_arg(call, 0, 'mask')} and returns "
                    "the old value (Go 1.23 and later).")
        else:
            text = (f"Atomically replaces {r} with {r} | {_arg(call, 0, 'mask')} and returns "
                    "the old value (Go 1.23 and later).")
        if kind in ("Int64", "Uint64") and op != "And" and op != "Or":
            text += (f" atomic.{kind} is 8-byte aligned on every target, 386 included, so it "
                     "needs no manual alignment.")
        note = " It must not be copied after first use."
        return f"{text}{note} {SEQ_CST}"

    return describe


def _fixed(text: str) -> Callable[[Call], str]:
    return lambda call: text


def _unsafe_pointer(call: Call) -> str:
    a = _arg(call, 0, "p")
    return (f"Converts {a} into an unsafe.Pointer, an untyped pointer the compiler no longer "
            "checks. The conversions Go promises to work: *T1 to Pointer to *T2 when T2 is no "
            "larger than T1 and the memory layouts are compatible; Pointer to uintptr, which "
            "is only a number (the garbage collector does not keep the object alive or update "
            "it); Pointer to uintptr, arithmetic and back to Pointer in one expression, "
            "staying inside the same object; uintptr arguments to syscall.Syscall written in "
            "the call itself; the result of reflect.Value.Pointer or UnsafeAddr converted "
            "immediately; and the Data field of reflect.SliceHeader/StringHeader. Storing a "
            "uintptr and converting it back later is invalid.")


def _unsafe_compile_time(name: str) -> Callable[[Call], str]:
    what = {
        "Sizeof": "the number of bytes a value of that type occupies, including padding, "
                  "but never the memory it refers to (a slice is its header, a string its "
                  "pointer and length)",
        "Alignof": "the alignment the type requires: addresses of such values are multiples "
                   "of it (for a struct field, the field's alignment)",
        "Offsetof": "the byte offset of the selected field from the start of its struct, "
                    "which must be reachable without following a pointer",
    }[name]

    def describe(call: Call) -> str:
        a = _arg(call, 0, "x")
        return (f"unsafe.{name}({a}) returns {what}. It is a uintptr constant computed at "
                f"compile time from the static type of {a}; the expression is not evaluated, "
                "and the result can differ between GOARCH values (int and pointers are 8 "
                "bytes on amd64 and arm64, 4 on 386 and arm).")

    return describe


def _unsafe_add(call: Call) -> str:
    p, n = _arg(call, 0, "ptr"), _arg(call, 1, "len")
    return (f"Returns the unsafe.Pointer {p} advanced by {n} bytes, like "
            f"Pointer(uintptr({p}) + uintptr({n})) but without leaving Pointer. The result "
            "must still point into the same allocated object (Go 1.17 and later).")


def _unsafe_slice(call: Call) -> str:
    p, n = _arg(call, 0, "ptr"), _arg(call, 1, "len")
    return (f"Returns a []T whose backing array starts at {p} (a *T) with length and capacity "
            f"{n}. If {p} is nil and {n} is zero it returns nil; a nil pointer with a non-zero "
            "length, or a negative length, panics (Go 1.17 and later).")


def _unsafe_string(call: Call) -> str:
    p, n = _arg(call, 0, "ptr"), _arg(call, 1, "len")
    return (f"Returns a string of {n} bytes that shares the memory at {p} (a *byte) instead of "
            "copying it. Strings are immutable, so those bytes must not be modified while the "
            "string is in use (Go 1.20 and later).")


def _unsafe_string_data(call: Call) -> str:
    s = _arg(call, 0, "str")
    return (f"Returns a *byte pointing at the bytes of {s} without copying. For an empty "
            "string the result is unspecified and may be nil. The bytes must not be written "
            "through it (Go 1.20 and later).")


def _unsafe_slice_data(call: Call) -> str:
    s = _arg(call, 0, "slice")
    return (f"Returns a pointer to the first element of the backing array of {s}: "
            f"&{s}[:1][0] when its capacity is positive, nil when {s} is nil, and some non-nil "
            "pointer to an unspecified address for a non-nil empty slice (Go 1.20 and later).")


PROT_FLAGS = {
    "PROT_READ": "pages may be read",
    "PROT_WRITE": "pages may be written",
    "PROT_EXEC": "pages may be executed",
    "PROT_NONE": "pages may not be accessed at all",
}
MAP_FLAGS = {
    "MAP_SHARED": "writes go to the file and are seen by every process mapping it",
    "MAP_PRIVATE": "copy-on-write: writes stay private to this process and never reach the "
                   "file",
    "MAP_ANON": "no file behind it: zero-filled memory (fd is ignored, pass -1)",
    "MAP_ANONYMOUS": "no file behind it: zero-filled memory (fd is ignored, pass -1)",
    "MAP_FIXED": "place the mapping exactly at the requested address, replacing what was there",
    "MAP_POPULATE": "fault all pages in up front instead of on first touch (Linux)",
    "MAP_NORESERVE": "do not reserve swap space for the mapping",
}


FLAGS = {**PROT_FLAGS, **MAP_FLAGS}


def _flag(name: str) -> Callable[[Call], str]:
    where = "protection (prot)" if name.startswith("PROT_") else "flags"
    combine = ("Combine protections with |, e.g. PROT_READ|PROT_WRITE."
               if name.startswith("PROT_") else
               "Exactly one of MAP_SHARED and MAP_PRIVATE is required; others are or-ed in.")
    return lambda call: (f"In the {where} argument of syscall.Mmap, {name} means: "
                         f"{FLAGS[name]}. {combine}")


def _flags(expr: str, table: dict[str, str]) -> list[str]:
    out = []
    for name, meaning in table.items():
        if any(part.strip().split(".")[-1] == name for part in expr.replace("|", " ").split()):
            out.append(f"{name}: {meaning}")
    return out


def _mmap(call: Call) -> str:
    fd, off, n = _arg(call, 0, "fd"), _arg(call, 1, "offset"), _arg(call, 2, "length")
    prot, flags = _arg(call, 3, "prot"), _arg(call, 4, "flags")
    explained = _flags(prot, PROT_FLAGS) + _flags(flags, MAP_FLAGS)
    text = (f"Maps {n} bytes of the file open as {fd}, starting at offset {off} (a multiple "
            "of the page size), into the process's memory and returns them as a []byte "
            "backed by the mapping, plus an error (a syscall.Errno) on failure. ")
    if explained:
        text += "Here: " + "; ".join(explained) + ". "
    text += ("Writing to a read-only mapping faults (SIGSEGV), and touching pages past the end "
             "of the file raises SIGBUS. The mapping stays valid after the file is closed and "
             "is released only by syscall.Munmap on the returned slice.")
    return text


def _munmap(call: Call) -> str:
    b = _arg(call, 0, "b")
    return (f"Removes the mapping behind {b} (the exact slice syscall.Mmap returned) and "
            "returns an error or nil. Any later access through the slice, or a string or "
            "pointer derived from it, faults; with MAP_SHARED, dirty pages reach the file "
            "eventually (unix.Msync from golang.org/x/sys/unix forces it; package syscall "
            "has no Msync).")


def _registry() -> dict[str, Callable[[Call], str]]:
    reg: dict[str, Callable[[Call], str]] = {}
    for kind in (*ATOMIC_SCALARS, "Pointer"):
        ops = ["Load", "Store", "Swap", "CompareAndSwap"]
        if kind != "Pointer":
            ops += ["Add", "And", "Or"]
        for op in ops:
            reg[f"atomic.{op}{kind}"] = _atomic_function(op, kind)
    for kind in (*ATOMIC_SCALARS, "Bool", "Pointer", "Value"):
        ops = ["Load", "Store", "Swap", "CompareAndSwap"]
        if kind in ATOMIC_SCALARS:
            ops += ["Add", "And", "Or"]
        for op in ops:
            reg[f"atomic.{kind}.{op}"] = _atomic_method(kind, op)
    reg["unsafe.Pointer"] = _unsafe_pointer
    for name in ("Sizeof", "Alignof", "Offsetof"):
        reg[f"unsafe.{name}"] = _unsafe_compile_time(name)
    reg["unsafe.Add"] = _unsafe_add
    reg["unsafe.Slice"] = _unsafe_slice
    reg["unsafe.String"] = _unsafe_string
    reg["unsafe.StringData"] = _unsafe_string_data
    reg["unsafe.SliceData"] = _unsafe_slice_data
    reg["syscall.Mmap"] = _mmap
    reg["syscall.Munmap"] = _munmap
    reg["unix.Mmap"] = _mmap
    reg["unix.Munmap"] = _munmap
    for flag in FLAGS:
        reg[f"syscall.{flag}"] = _flag(flag)
    return reg


REGISTRY = _registry()
ATOMIC_TYPES = frozenset({*ATOMIC_SCALARS, "Bool", "Pointer", "Value"})


def describe(call: Call) -> str | None:
    entry = REGISTRY.get(call.api)
    return entry(call) if entry else None


def question(call: Call) -> str:
    if call.api.split(".")[-1] in FLAGS:
        return f"What does `{call.api}` select when mapping memory?"
    if call.api.startswith("unsafe.") and call.api.split(".")[1] in ("Sizeof", "Alignof",
                                                                     "Offsetof"):
        return f"What does `{call.api}` compute, and when?"
    return "What does this call do, and what does it return?"
