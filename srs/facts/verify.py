"""Ask the real Go compiler every numeric fact: `srs verify`.

One Go module holds a package per lesson environment (its type declarations as written,
its constants, and one statement per fact). For amd64 and 386 the program is run
(`go run`; 386 binaries run on amd64 hosts) and prints each value. arm64 and arm binaries
cannot run here, so for them the facts become compile-time assertions
(`var _ [ours]struct{} = [unsafe.Sizeof(x)]struct{}{}`), cross-compiled with `go build`;
a wrong number is a type error that names the compiler's value.

Results are cached by a hash of the generated sources, so an unchanged second run does
not start the toolchain at all.

Only the standard library is imported: a module from elsewhere would have to be downloaded
(and is not there offline), and one missing import fails the whole program. Facts whose
declarations need such a package are left out and reported as not checked.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from srs.errors import SrsError, ToolchainMissingError
from srs.facts.extract import Analysis, NumericFact
from srs.facts.golex import IDENT, tokenize
from srs.facts.gotypes import PACKAGE_PATHS, STD_IMPORTS, Env, TypeDecl, Unresolved
from srs.model import SourcePos

CACHE_VERSION = "3"
ALL_ARCHES = ("amd64", "386", "arm64", "arm")
INSTALL_HINT = ("the Go toolchain (`go`) is not on PATH: install it with "
                "`apt-get install golang-go` (Debian/Ubuntu) or from https://go.dev/dl")
_BLANK_USE = {"sync": "var _ sync.Mutex", "atomic": "var _ atomic.Int32",
              "time": "var _ time.Duration", "reflect": "var _ reflect.SliceHeader"}


@dataclass(frozen=True, slots=True)
class Mismatch:
    pos: SourcePos
    key: str
    arch: str
    ours: str
    go: str

    def __str__(self) -> str:
        return f"{self.pos}: {self.key} on {self.arch}: ours {self.ours}, go {self.go}"


@dataclass(frozen=True, slots=True)
class Unchecked:
    """A fact left out of the program: its declarations need `packages`, which are not in
    the standard library."""

    pos: SourcePos
    key: str
    packages: tuple[str, ...]

    def __str__(self) -> str:
        which = "is" if len(self.packages) == 1 else "are"
        return (f"{self.pos}: {self.key} not checked: it needs {', '.join(self.packages)}, "
                f"which {which} not in the standard library")


@dataclass
class Report:
    facts: int  # the facts checked; `unchecked` are not counted
    arches: tuple[str, ...]
    mismatches: list[Mismatch] = field(default_factory=list)
    cached: bool = False
    ran: tuple[str, ...] = ()  # arches whose binaries ran; the others were cross-compiled
    unchecked: list[Unchecked] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"facts": self.facts, "arches": list(self.arches), "ran": list(self.ran),
                "mismatches": [[str(m.pos.path), m.pos.line, m.key, m.arch, m.ours, m.go]
                               for m in self.mismatches],
                "unchecked": [[str(u.pos.path), u.pos.line, u.key, list(u.packages)]
                              for u in self.unchecked]}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Report:
        rows = data["mismatches"]
        assert isinstance(rows, list)
        facts = data["facts"]
        assert isinstance(facts, int)
        arches = data["arches"]
        ran = data["ran"]
        left = data["unchecked"]
        assert isinstance(arches, list) and isinstance(ran, list) and isinstance(left, list)
        return cls(facts, tuple(arches), [
            Mismatch(SourcePos(Path(r[0]), int(r[1])), r[2], r[3], r[4], r[5]) for r in rows
        ], cached=True, ran=tuple(ran), unchecked=[
            Unchecked(SourcePos(Path(u[0]), int(u[1])), u[2], tuple(u[3])) for u in left])


@dataclass
class _Package:
    """Facts of one or more lesson environments whose declarations do not collide."""

    name: str
    decls: dict[str, str] = field(default_factory=dict)  # name -> Go declaration
    imports: dict[str, str] = field(default_factory=dict)  # package name -> path
    uses: dict[str, None] = field(default_factory=dict)  # blank uses keeping imports used
    facts: list[NumericFact] = field(default_factory=list)
    decl_pos: dict[str, SourcePos] = field(default_factory=dict)
    decl_lines: dict[int, str] = field(default_factory=dict)  # values.go line -> decl name
    values_lines: dict[int, NumericFact] = field(default_factory=dict)
    check_lines: dict[int, NumericFact] = field(default_factory=dict)

    def accepts(self, decls: dict[str, str], imports: dict[str, str]) -> bool:
        return (all(self.decls.get(n, d) == d for n, d in decls.items())
                and all(self.imports.get(a, p) == p for a, p in imports.items())
                and not (set(decls) & set(imports)) and not (set(decls) & set(self.imports))
                and not (set(imports) & set(self.decls)))


@dataclass
class Program:
    """The generated module: file name -> source, and where each fact sits; the facts
    left out of it."""

    files: dict[str, str]
    packages: list[_Package]
    unchecked: list[Unchecked] = field(default_factory=list)

    @property
    def digest(self) -> str:
        h = hashlib.sha256(CACHE_VERSION.encode())
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        for u in self.unchecked:  # a cached report repeats them
            h.update(f"{u}\0".encode())
        return h.hexdigest()


def _names_and_qualifiers(source: str) -> tuple[set[str], set[str]]:
    """The identifiers of Go source that are not selected with `.` (the names it uses, and
    its field names too: a field named like a declaration at worst leaves a fact
    unchecked), and of those the ones written before a `.`, the package names
    (`websocket` in `*websocket.Conn`)."""
    toks = tokenize(source)
    names = {t.text for k, t in enumerate(toks)
             if t.kind == IDENT and (k == 0 or toks[k - 1].text != ".")}
    qualifiers = {t.text for k, t in enumerate(toks[:-1])
                  if t.kind == IDENT and toks[k + 1].text == "."
                  and (k == 0 or toks[k - 1].text != ".")}
    return names, qualifiers


def _outside(env: Env, is_std: Callable[[str], bool]) -> dict[str, str]:
    """Package name -> import path of the packages outside the standard library that the
    environment's declarations refer to (the library types gotypes saw, `env.refs`)."""
    paths = {alias: env.imports.get(alias, alias)
             for alias in {ref.split(".")[0] for ref in env.refs}}
    return {alias: path for alias, path in paths.items() if not is_std(path)}


def _foreign(decls: dict[str, str], outside: dict[str, str]) -> dict[str, set[str]]:
    """Each declaration that needs a package of `outside`, directly or through another
    declaration -> the import paths of those packages."""
    read = {name: _names_and_qualifiers(src) for name, src in decls.items()}
    needs = {name: {outside[a] for a in qualifiers if a in outside}
             for name, (_, qualifiers) in read.items()}
    uses = {name: names - {name} for name, (names, _) in read.items()}
    changed = True
    while changed:  # one pass per level of declarations built on declarations
        changed = False
        for name, used in uses.items():
            more = set().union(*(needs[u] for u in used if u in needs)) - needs[name]
            if more:
                needs[name] |= more
                changed = True
    return {name: paths for name, paths in needs.items() if paths}


def _env_parts(env: Env, facts: list[NumericFact], path: Path, is_std: Callable[[str], bool]
               ) -> tuple[dict[str, str], dict[str, str], list[str], dict[str, SourcePos],
                          list[NumericFact], list[Unchecked]]:
    """The declarations, imports and blank uses a package needs for these facts, where
    each declaration stands in its lesson, the facts it can check, and those it cannot
    (they need a package outside the standard library)."""
    decls: dict[str, str] = {}
    where: dict[str, SourcePos] = {}
    for name, decl in sorted(env.types.items()):
        if not isinstance(decl, TypeDecl) or decl.texpr is None:
            continue
        try:
            env.named(name)
        except Unresolved:
            continue
        decls[name] = f"type {decl.source}"
        where[name] = SourcePos(path, decl.line)
    outside = _outside(env, is_std)
    foreign = _foreign(decls, outside)
    kept: list[NumericFact] = []
    unchecked: list[Unchecked] = []
    for fact in facts:
        source = " ".join([fact.expr, *(t for _, t in fact.locals)])
        names, qualifiers = _names_and_qualifiers(source)
        needs = set().union(*(foreign.get(n, set()) for n in names),
                            {outside[a] for a in qualifiers if a in outside})
        if needs:
            unchecked.append(Unchecked(fact.pos, fact.key, tuple(sorted(needs))))
        else:
            kept.append(fact)
    facts = kept
    for name in foreign:
        del decls[name], where[name]
    for name, cdecl in sorted(env.consts.items()):
        if isinstance(cdecl, str):
            continue
        try:
            decls[name] = f"const {name} = {env.const_value(cdecl.value)}"
        except Unresolved:
            continue
    body = "\n".join(decls.values()) + "\n" + "\n".join(
        f"{n} {t}" for f in facts for n, t in f.locals) + "\n".join(f.expr for f in facts)
    imports = {"unsafe": "unsafe"}
    uses = ["var _ = unsafe.Sizeof(0)"]
    for alias, use in _BLANK_USE.items():
        if re.search(rf"\b{alias}\s*\.", body):
            imports[alias] = PACKAGE_PATHS[alias]
            uses.append(use)
    for ref in sorted(env.refs):
        alias = ref.split(".")[0]
        if alias in outside:
            continue
        import_path = env.imports.get(alias) or STD_IMPORTS.get(alias)
        if import_path is not None and alias not in imports:
            imports[alias] = import_path
        if alias in imports:
            uses.append(f"var _ *{ref}")
    return decls, imports, uses, where, facts, unchecked


def _head(pkg: _Package) -> list[str]:
    head = [f"package {pkg.name}", "", "import ("]
    head += [f'\t{alias} "{path}"' for alias, path in sorted(pkg.imports.items())]
    head += [")", "", *pkg.uses, ""]
    return head


def _statement(fact: NumericFact, inner: str) -> str:
    decls = "".join(f"var {n} {t}; " for n, t in fact.locals)
    return "\t{ " + decls + inner + " }"


def build_program(analyses: Sequence[Analysis],
                  is_std: Callable[[str], bool] | None = None) -> Program:
    """The Go module asking every fact; `is_std` tells an import path of the standard
    library (by default, as `go list std` does)."""
    is_std = is_std or in_standard_library
    packages: list[_Package] = []
    left_out: list[Unchecked] = []
    for analysis in analyses:
        by_env: dict[int, list[NumericFact]] = {}
        for fact in analysis.facts:
            by_env.setdefault(fact.env_key, []).append(fact)
        for env_key, facts in sorted(by_env.items()):
            decls, imports, uses, where, facts, unchecked = _env_parts(
                analysis.envs[env_key], facts, analysis.lesson.path, is_std)
            left_out += unchecked
            if not facts:
                continue
            pkg = next((p for p in packages if p.accepts(decls, imports)), None)
            if pkg is None:
                pkg = _Package(f"l{len(packages)}")
                packages.append(pkg)
            for name, pos in where.items():
                pkg.decl_pos.setdefault(name, pos)
            pkg.decls.update(decls)
            pkg.imports.update(imports)
            pkg.uses.update(dict.fromkeys(uses))
            pkg.facts.extend(facts)
    files: dict[str, str] = {"go.mod": "module srsverify\n\ngo 1.19\n"}
    main = ["package main", "", "import (", '\t"fmt"']
    main += [f'\t{p.name} "srsverify/{p.name}"' for p in packages]
    main += [")", "", "func main() {"]
    for pkg in packages:
        head = _head(pkg)
        lines = list(head)
        for name, decl in pkg.decls.items():
            for _ in decl.splitlines():
                lines.append("")
                pkg.decl_lines[len(lines)] = name
            lines[len(lines) - len(decl.splitlines()):] = decl.splitlines()
        lines.append("")
        # Names of srs's own, so that no lesson declaration takes them.
        lines += ["func SrsFactValues() []uintptr {", "\tvar srsOut []uintptr"]
        for fact in pkg.facts:
            pkg.values_lines[len(lines) + 1] = fact
            lines.append(_statement(fact, f"srsOut = append(srsOut, {fact.expr})"))
        lines += ["\treturn srsOut", "}", ""]
        files[f"{pkg.name}/values.go"] = "\n".join(lines)
        for arch in ALL_ARCHES:
            check = head + ["func srsFactChecks() {"]
            for fact in pkg.facts:
                pkg.check_lines[len(check) + 1] = fact
                check.append(_statement(
                    fact, f"var _ [{fact.values[arch]}]struct{{}} = [{fact.expr}]struct{{}}{{}}"))
            check += ["}", "", "var _ = srsFactChecks", ""]
            files[f"{pkg.name}/check_{arch}.go"] = "\n".join(check)
        main.append(f"\tfor _, v := range {pkg.name}.SrsFactValues() {{ fmt.Println(v) }}")
    main += ["}", ""]
    files["main.go"] = "\n".join(main)
    return Program(files, packages, left_out)


# Import paths known to be in the standard library without asking `go`.
_KNOWN_STD = frozenset(STD_IMPORTS.values())


def in_standard_library(path: str) -> bool:
    """Whether `path` names a package of the standard library. A first element with a dot
    (`github.com/...`) is never one; the paths gotypes knows always are; for the rest
    (`log/slog`, or `myapp/store` of a local module) the installed toolchain is asked
    once, and without it the answer is no, so such a fact is reported as not checked
    rather than breaking the program."""
    if path in _KNOWN_STD:
        return True
    first = path.split("/", 1)[0]
    if not first or "." in first:
        return False
    std = _std_packages(toolchain_identity())
    return std is not None and path in std


@functools.cache
def _std_packages(identity: str) -> frozenset[str] | None:
    """`go list std` of the toolchain with this identity (the key: another Go, another
    list), or None when it cannot be asked. It reads only GOROOT: no network."""
    go = shutil.which("go")
    if go is None:
        return None
    proc = subprocess.run([go, "list", "std"], capture_output=True, text=True, check=False,
                          env=dict(os.environ, GOFLAGS="", GO111MODULE="on"),
                          cwd=tempfile.gettempdir())
    return frozenset(proc.stdout.split()) if proc.returncode == 0 else None


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise ToolchainMissingError(INSTALL_HINT)
    return go


# Variables that choose the toolchain `go` runs (GOFLAGS is not one: `_env` sets its own).
_TOOLCHAIN_VARIABLES = ("GOROOT", "GOTOOLCHAIN", "GOENV")


def _go_env_file() -> Path | None:
    """Where `go env -w` keeps its settings, found as Go finds it (`GOENV`, else the
    user's configuration folder), without starting `go`."""
    named = os.environ.get("GOENV", "")
    if named:
        return None if named == "off" else Path(named)
    if sys.platform == "win32":
        base = os.environ.get("APPDATA", "")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Application Support")
    else:
        base = os.environ.get("XDG_CONFIG_HOME", "") or os.path.expanduser("~/.config")
    return Path(base) / "go" / "env" if base else None


def _file_identity(path: str | Path | None) -> str:
    """Path, size and modification time of a file, or "none"."""
    try:
        info = os.stat(path) if path else None
    except OSError:
        info = None
    return f"{path}|{info.st_size}|{info.st_mtime_ns}" if info is not None else "none"


def toolchain_identity() -> str:
    """What tells one Go toolchain from another without starting it: the `go` found on PATH
    (resolved path, size, modification time), the variables that choose a toolchain and
    the `go env -w` settings file. An upgraded or replaced Go gives another identity, so
    results cached for the old one are not used. (A version manager's shim that picks the
    Go version from a file of its own hides the switch: `srs verify --no-cache` then.)"""
    go = shutil.which("go")
    binary = _file_identity(os.path.realpath(go) if go is not None else None)
    steer = "|".join(f"{name}={os.environ.get(name, '')}" for name in _TOOLCHAIN_VARIABLES)
    return f"go={binary}|{steer}|env={_file_identity(_go_env_file())}"


def _host(go: str) -> tuple[str, str]:
    """(GOHOSTOS, GOHOSTARCH) of the toolchain."""
    proc = subprocess.run([go, "env", "GOHOSTOS", "GOHOSTARCH"], capture_output=True,
                          text=True, check=False)
    parts = proc.stdout.split()
    if proc.returncode != 0 or len(parts) != 2:
        raise SrsError(f"`go env` failed: {proc.stderr.strip()}")
    return parts[0], parts[1]


def runnable(host_os: str, host_arch: str) -> set[str]:
    """Targets whose binaries run here: the host's own, and 386 on amd64 Linux/Windows."""
    runs = {host_arch}
    if host_arch == "amd64" and host_os in ("linux", "windows"):
        runs.add("386")
    return runs


def _env(arch: str, goos: str, workdir: Path) -> dict[str, str]:
    env = dict(os.environ, GOARCH=arch, GOOS=goos, CGO_ENABLED="0", GO111MODULE="on",
               GOFLAGS="-mod=mod")
    if "GOCACHE" not in env and "HOME" not in env and "XDG_CACHE_HOME" not in env:
        env["GOCACHE"] = str(workdir / ".gocache")
    return env


_ERROR = re.compile(r"^\.?/?(l\d+)/(values|check_\w+)\.go:(\d+):\d+: (.*)$", re.M)
_GOT = re.compile(r"value of type \[(\d+)\]struct\{\}")


def _locate(program: Program, pkg_name: str, file: str, line: int) -> NumericFact | None:
    pkg = next((p for p in program.packages if p.name == pkg_name), None)
    if pkg is None:
        return None
    return (pkg.values_lines if file == "values" else pkg.check_lines).get(line)


def _compile_errors(program: Program, arch: str, output: str) -> list[Mismatch]:
    found: list[Mismatch] = []
    for m in _ERROR.finditer(output):
        fact = _locate(program, m.group(1), m.group(2), int(m.group(3)))
        message = m.group(4)
        if fact is None:
            pkg = next((p for p in program.packages if p.name == m.group(1)), None)
            name = (pkg.decl_lines.get(int(m.group(3)))
                    if pkg is not None and m.group(2) == "values" else None)
            if pkg is None or name is None or name not in pkg.decl_pos:
                raise SrsError(f"the generated Go program does not compile for {arch}:\n"
                               f"{output}")
            found.append(Mismatch(pkg.decl_pos[name], f"type {name}", arch, "compiles",
                                  f"compile error: {message}"))
            continue
        got = _GOT.search(message)
        if got and m.group(2).startswith("check_"):
            found.append(Mismatch(fact.pos, fact.key, arch, str(fact.values[arch]),
                                  got.group(1)))
        else:
            found.append(Mismatch(fact.pos, fact.key, arch, str(fact.values[arch]),
                                  f"compile error: {message}"))
    if not found and output.strip():
        raise SrsError(f"the generated Go program does not compile for {arch}:\n{output}")
    return found


def _run_arch(go: str, program: Program, workdir: Path, arch: str, goos: str,
              run: bool) -> list[Mismatch]:
    if run:
        cmd = [go, "run", "-gcflags=srsverify/...=-e", "."]
    else:
        cmd = [go, "build", "-gcflags=srsverify/...=-e", "-o", os.devnull, "."]
    proc = subprocess.run(cmd, cwd=workdir, env=_env(arch, goos, workdir), capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        return _compile_errors(program, arch, proc.stderr)
    if not run:
        return []
    numbers = proc.stdout.split()
    facts = [f for p in program.packages for f in p.facts]
    if len(numbers) != len(facts):
        raise SrsError(f"the Go program printed {len(numbers)} values for {len(facts)} facts")
    return [Mismatch(f.pos, f.key, arch, str(f.values[arch]), n)
            for f, n in zip(facts, numbers, strict=True) if str(f.values[arch]) != n]


def run_program(program: Program, arches: Sequence[str]) -> tuple[list[Mismatch], tuple[str, ...]]:
    """Mismatches on the given targets, and which of them ran (the rest were only built)."""
    go = _go()
    goos, host_arch = _host(go)
    runs = runnable(goos, host_arch)
    with tempfile.TemporaryDirectory(prefix="srs-verify-") as tmp:
        workdir = Path(tmp)
        for name, text in program.files.items():
            path = workdir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for arch in ALL_ARCHES:
            if arch not in arches:
                for p in program.packages:
                    (workdir / p.name / f"check_{arch}.go").unlink(missing_ok=True)
        with ThreadPoolExecutor(max_workers=len(arches) or 1) as pool:
            results = list(pool.map(
                lambda a: _run_arch(go, program, workdir, a, goos, a in runs), arches))
    return [m for r in results for m in r], tuple(a for a in arches if a in runs)


def _load_cache(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _store_cache(path: Path, key: str, report: Report) -> None:
    """Keep `report` under `key`; best effort: a cache that cannot be written is skipped."""
    data = _load_cache(path)
    data.pop(key, None)
    data[key] = report.to_json()
    while len(data) > 64:
        data.pop(next(iter(data)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".verify-", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except OSError:
        return
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def source_key(lesson_files: Sequence[Path],
               arches: Sequence[str] = ALL_ARCHES) -> str:
    """A key for the lesson files as they are, the srs code that reads them and the Go
    toolchain: when it is in the cache, nothing needs parsing."""
    h = hashlib.sha256(f"{CACHE_VERSION}|{','.join(arches)}|{toolchain_identity()}".encode())
    package = Path(__file__).resolve().parent.parent
    code = sorted([*package.glob("facts/*.py"), *package.glob("parse/*.py"),
                   package / "model.py"])
    for path in [*code, *lesson_files]:
        h.update(os.fsencode(path) + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"\1missing")
        h.update(b"\0")
    return "src:" + h.hexdigest()


def cached_report(cache_dir: Path, key: str) -> Report | None:
    hit = _load_cache(cache_dir / "verify.json").get(key)
    if hit is None:
        return None
    try:
        return Report.from_json(hit)
    except (KeyError, IndexError, TypeError, ValueError, AssertionError):
        return None  # an entry from another version or a damaged file: recompute


def verify(analyses: Sequence[Analysis], cache_dir: Path | None = None,
           arches: Sequence[str] = ALL_ARCHES,
           also_key: str | None = None) -> Report:
    """Check every numeric fact of the lessons against the Go toolchain. With a cache
    directory, the result is stored under the hash of the generated program and the
    toolchain's identity (and under `also_key`, e.g. a `source_key`), and an earlier result
    for the same hash is reused."""
    program = build_program(analyses)
    count = sum(len(p.facts) for p in program.packages)
    key = hashlib.sha256(
        f"{program.digest}|{','.join(arches)}|{toolchain_identity()}".encode()).hexdigest()
    report = cached_report(cache_dir, key) if cache_dir is not None else None
    if report is None:
        report = Report(count, tuple(arches), unchecked=program.unchecked)
        if count:
            report.mismatches, report.ran = run_program(program, arches)
    if cache_dir is not None:
        for k in (key, also_key):
            if k is not None:
                _store_cache(cache_dir / "verify.json", k, report)
    return report
