"""Write N synthetic lessons of about 3 KB each, in the lesson format, for benchmarks.

    python bench/gen_lessons.py 1000 bench/out/lessons
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

TYPES = ["int8", "int16", "int32", "int64", "bool", "string", "float64", "[]byte", "*T", "uintptr"]


def lesson_text(n: int, rng: random.Random) -> str:
    prereq = f'["synthetic-{n - 1:05d}"]' if n > 1 else "[]"
    fields = "\n".join(f"    F{i} {rng.choice(TYPES)}" for i in range(rng.randint(2, 6)))
    questions = "".join(
        f"### Question {q}\nWhich statement about topic {n}.{q} holds for `x{q}`?\n\n"
        + "".join(f"**{letter})** Option {letter} for question {q} of lesson {n}  \n"
                  for letter in "ABCD").rstrip() + "\n\n"
        f"**Answer: {rng.choice('ABCD')}** - Because lesson {n} says so in section {q}.\n\n"
        for q in range(1, 4))
    return f"""---
number: {n}
title: "Synthetic Lesson {n}"
slug: "synthetic-{n:05d}"
level: "intermediate"
tags: ["go", "bench", "synthetic"]
prerequisites: {prereq}
estimated_minutes: 30
contributors: []
canonical_id: "bench-{n:05d}"
---

# Synthetic Lesson {n}

## Overview

This lesson exists to measure how fast lessons become cards. It has the usual parts:
explanations with *emphasis*, `inline code`, [links](https://example.org/{n}) and code.

## Deep Explanation

### Layout of T{n}

```go
import "unsafe"

// Declare the struct
type T{n} struct {{
{fields}
}}

// Size of the struct
size := unsafe.Sizeof(T{n}{{}})

// Offset of the second field
off := unsafe.Offsetof(T{n}{{}}.F1)
```

The compiler lays fields out in declaration order, aligning each to its own alignment and
padding the end so that arrays of T{n} keep every element aligned. Reordering fields from the
largest alignment to the smallest removes most interior padding; `unsafe.Sizeof` reports the
result at compile time, without looking at anything the value points to.

### Counting

Counters shared between goroutines need atomic operations or a mutex: a plain `counter++`
is a read, an add and a write, and two goroutines can interleave them and lose an update.

```go
// Increment atomically
atomic.AddInt64(&counter, 1)
value := atomic.LoadInt64(&counter)
```

## Real Code Examples

### Example: Counter {n}

A counter that many goroutines can bump at once.

```go
package main

import "sync/atomic"

type Counter struct{{ n int64 }}

func (c *Counter) Inc() int64 {{ return atomic.AddInt64(&c.n, 1) }}
```

## Hard Use-Case: Ring Buffer {n}

### Problem Statement

Build a single-producer single-consumer ring buffer without locks.

### Solution

```go
type Ring struct {{
    head, tail uint64
    buf        [64]int
}}
```

## Quiz

{questions}## Cards

Q: What is special about lesson {n}? {{#special}}
A: It was generated with seed {n}.

C: Lesson {n} is {{{{c1::synthetic}}}}.

## Related Topics

- [Previous](./{n - 1:05d}.md)
"""


def generate(count: int, folder: Path, seed: int = 1) -> list[Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(1, count + 1):
        path = folder / f"{n:05d}. Synthetic Lesson {n}.md"
        path.write_text(lesson_text(n, rng), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("bench/out/lessons")
    written = generate(count, target)
    size = sum(p.stat().st_size for p in written) / len(written)
    print(f"wrote {len(written)} lessons to {target}, mean {size:.0f} bytes")
