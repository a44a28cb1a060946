"""Front matter: split it off, load it with a safe YAML loader, validate the keys srs uses.

Safety: only YAML's safe types (no Python tags), no anchors or aliases (an alias bomb is a few
hundred bytes that expand to gigabytes once serialised), and a size cap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srs.model import Diagnostic, Severity, SourcePos

MAX_FRONT_MATTER_BYTES = 64 * 1024
_FENCE = re.compile(r"^---[ \t]*$")
# A quick test that lets the fast C loader take every front matter without anchors/aliases;
# anything that might hold one goes through the pure-Python loader that refuses them.
_MAYBE_ANCHOR = re.compile(r"[&*!][^\s,\]}]")


@dataclass
class FrontMatter:
    data: dict[str, Any]
    body_line: int  # 0-based index of the first body line in the file
    key_lines: dict[str, int] = field(default_factory=dict)  # key -> 1-based file line
    diagnostics: list[Diagnostic] = field(default_factory=list)


def split_front_matter(lines: list[str], path: Path) -> FrontMatter:
    """Find a leading `---` block and load it. `lines` are the file's lines without endings."""
    if not lines or not _FENCE.match(lines[0]):
        return FrontMatter({}, 0)
    end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i]) or lines[i] == "..."),
               None)
    if end is None:
        # The keys it seems to hold (up to the first line that is neither a key nor indented
        # under one, such as a mistyped `--`) say which of them the lesson has lost.
        unread = FrontMatter({}, 0, diagnostics=[Diagnostic(
            SourcePos(path, 1), Severity.ERROR,
            "front matter starts with `---` but never ends; read as Markdown")])
        for number, line in enumerate(lines[1:], start=2):
            key = _TOP_LEVEL_KEY.match(line)
            if key is None and not line[:1].isspace():
                break
            if key is not None:
                unread.key_lines.setdefault(key.group(1), number)
        return unread
    raw_lines = lines[1:end]
    raw = "\n".join(raw_lines)
    front = FrontMatter({}, end + 1)
    for i, line in enumerate(raw_lines):
        key = _TOP_LEVEL_KEY.match(line)
        if key:
            front.key_lines.setdefault(key.group(1), i + 2)
    if len(raw.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        front.diagnostics.append(Diagnostic(
            SourcePos(path, 1), Severity.ERROR,
            f"front matter is larger than {MAX_FRONT_MATTER_BYTES // 1024} KiB; ignored"))
        return front
    try:
        loaded = load_yaml(raw)
    except YamlError as exc:
        # One bad value must not cost the lesson its identity (canonical_id, slug, ...):
        # every top-level key is read on its own and only the broken ones are dropped.
        front.data, front.diagnostics[:] = _read_key_by_key(raw_lines, path, exc)
        return front
    if loaded is None:
        return front
    if not isinstance(loaded, dict):
        front.diagnostics.append(Diagnostic(
            SourcePos(path, 2), Severity.ERROR,
            "invalid front matter: expected `key: value` lines"))
        return front
    front.data = {str(k): v for k, v in loaded.items()}
    return front


_TOP_LEVEL_KEY = re.compile(r"([A-Za-z_][\w-]*)\s*:")


def _read_key_by_key(raw_lines: list[str], path: Path,
                     whole: YamlError) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The keys that load on their own, and an error for each part that does not.

    A part is a line starting (unindented) with `key:` and the lines up to the next such
    line; text before the first key is a part of its own."""
    starts = [i for i, line in enumerate(raw_lines) if _TOP_LEVEL_KEY.match(line)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    data: dict[str, Any] = {}
    diagnostics: list[Diagnostic] = []
    for begin, end in zip(starts, [*starts[1:], len(raw_lines)], strict=True):
        key = _TOP_LEVEL_KEY.match(raw_lines[begin])
        what = f"`{key.group(1)}` ignored" if key else "ignored"
        try:
            loaded = load_yaml("\n".join(raw_lines[begin:end]))
        except YamlError as exc:
            # An error found at the end of the part (an unclosed `[`) is on its last line,
            # not on the next key's.
            inside = min(exc.line if exc.line is not None else 0, end - begin - 1)
            line = begin + inside + 2
            diagnostics.append(Diagnostic(SourcePos(path, line), Severity.ERROR,
                                          f"invalid front matter: {exc}; {what}"))
            continue
        if isinstance(loaded, dict):
            data.update((str(k), v) for k, v in loaded.items())
        elif loaded is not None:
            diagnostics.append(Diagnostic(SourcePos(path, begin + 2), Severity.ERROR,
                                          f"invalid front matter: expected `key: value` lines; "
                                          f"{what}"))
    if not diagnostics:  # only the whole fails (no part alone does): report it as it is
        line = whole.line + 2 if whole.line is not None else 1
        diagnostics.append(Diagnostic(SourcePos(path, line), Severity.ERROR,
                                      f"invalid front matter: {whole}"))
    return data, diagnostics


class YamlError(Exception):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line  # 0-based line inside the front matter


def load_yaml(text: str) -> Any:
    import yaml

    loader_class: type[Any] = _NoAliasLoader
    if not _MAYBE_ANCHOR.search(text) and getattr(yaml, "__with_libyaml__", False):
        loader_class = yaml.CSafeLoader
    try:
        loader = loader_class(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "YAML error"
        raise YamlError(problem, mark.line if mark is not None else None) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0], None) from None
    except RecursionError:
        raise YamlError("nested too deeply", None) from None


def _make_no_alias_loader() -> type[Any]:
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, "anchors and aliases are not allowed in front matter",
                    event.start_mark)
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if getattr(event, "anchor", None):
                raise yaml.composer.ComposerError(
                    None, None, "anchors and aliases are not allowed in front matter",
                    event.start_mark)
            return super().compose_node(parent, index)

    return NoAliasLoader


class _LazyLoader:
    """Builds the loader class on first use, so importing this module does not import yaml."""

    _cls: type[Any] | None = None

    def __call__(self, text: str) -> Any:
        if _LazyLoader._cls is None:
            _LazyLoader._cls = _make_no_alias_loader()
        return _LazyLoader._cls(text)


_NoAliasLoader: Any = _LazyLoader()
