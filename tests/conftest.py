"""Shared test fixtures.

Every test gets its own LOCALMEM_HOME (a fresh user directory, like simonw/llm's tests), while
assembled model files and caches stay shared through LOCALMEM_MODELS_DIR / LOCALMEM_CACHE so that a
1 GB model is never re-assembled per test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from localmem.paths import cache_dir, models_dir

# Resolved once, before any test changes LOCALMEM_HOME: the user's real models and cache.
_SHARED_MODELS = models_dir()
_SHARED_CACHE = cache_dir()


@pytest.fixture(autouse=True)
def localmem_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "localmem-home"
    home.mkdir()
    monkeypatch.setenv("LOCALMEM_HOME", str(home))
    monkeypatch.setenv("LOCALMEM_MODELS_DIR", str(_SHARED_MODELS))
    monkeypatch.setenv("LOCALMEM_CACHE", str(_SHARED_CACHE))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return home
