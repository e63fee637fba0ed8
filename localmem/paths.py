"""Where localmem keeps its files.

Everything lives under one home directory: ``$LOCALMEM_HOME`` when set (tests set it per test),
otherwise the platform's user data directory (``~/.local/share/localmem`` on Linux).
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The localmem home directory (created on first use)."""
    env = os.environ.get("LOCALMEM_HOME")
    if env:
        path = Path(env).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("localmem", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """Assembled and verified model files: ``<home>/models/<name>/``."""
    path = Path(os.environ.get("LOCALMEM_MODELS_DIR") or home() / "models")
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Downloads and derived artefacts that can be rebuilt (pip wheels, ONNX exports)."""
    path = Path(os.environ.get("LOCALMEM_CACHE") or home() / "cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return home() / "memory.db"
