"""Shared fixtures: the seed lesson mirrored in tests/fixtures, and a lesson writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed_lesson.md"
REPO = Path(__file__).parent.parent


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def write_lesson(tmp_path: Path) -> Callable[..., Path]:
    def write(text: str | bytes, name: str = "lesson.md") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
        return path

    return write
