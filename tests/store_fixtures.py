"""Fixtures shared by the memory-store tests (imported by the test modules that need them).

The embedder is the real all-MiniLM-L6-v2 ONNX export, loaded once per test session from the
shared cache (exported there on first use, like ``localmem models install minilm`` would).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_CACHE = Path(os.environ.get("LOCALMEM_CACHE") or Path.home() / ".cache/localmem")


@pytest.fixture(scope="session")
def embedder():
    from localmem.embed import Embedder

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LOCALMEM_CACHE", str(SHARED_CACHE))
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        return Embedder.default()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "memory.db"


@pytest.fixture
def mem(db_path: Path, embedder):
    from localmem import Memory

    memory = Memory(db_path, embedder=embedder)
    yield memory
    memory.close()


@pytest.fixture
def store(db_path: Path, embedder):
    from localmem.store import Store

    s = Store(db_path, embedder=embedder)
    yield s
    s.close()


def file_bytes(path: Path) -> bytes:
    """The database file and its WAL / shared-memory files, concatenated (for scanning)."""
    out = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            out += p.read_bytes()
    return out
