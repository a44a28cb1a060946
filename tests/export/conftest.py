"""Every export test gets its own empty render cache (never the user's)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_render_cache(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.mktemp("srs-cache")
    monkeypatch.setenv("SRS_CACHE_DIR", str(cache))
    return cache
