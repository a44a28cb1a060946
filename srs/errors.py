"""Typed errors. The library raises these; only the CLI turns them into messages and exit codes."""

from __future__ import annotations

from pathlib import Path


class SrsError(Exception):
    """An error a user can act on, optionally located at `path:line`."""

    exit_code = 1
    label = ""  # what the message is, when not an error: "warning: "

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.others: tuple[SrsError, ...] = ()  # more errors found with this one, in order

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.label}{self.message}"


class UsageError(SrsError):
    """The command line (or the environment standing in for it) names something that cannot
    be used: a missing PATH, an output that is no `.apkg` file, a malformed time. Exit 2, as
    for the options the parser itself refuses."""

    exit_code = 2


class LessonError(SrsError):
    """A lesson file cannot be read or parsed at all."""


class ManifestError(SrsError):
    """A deck manifest is unreadable or invalid."""


class ManifestWarning(ManifestError):
    """A finding told among a manifest's errors (an unknown key) that alone would not stop
    it."""

    label = "warning: "


class StoreError(SrsError):
    """The review database cannot be used."""


class StoreLockedError(StoreError):
    """Another process is writing to the same review database."""


class StoreVersionError(StoreError):
    """The review database was written by a newer srs."""


class ExportError(SrsError):
    """An Anki package cannot be written safely."""


class ToolchainMissingError(SrsError):
    """An external tool (the Go toolchain) is not installed."""

    exit_code = 2
