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


def runtime_dir() -> Path:
    """Where the daemon's socket and lock live: ``$LOCALMEM_RUNTIME_DIR``, else
    ``$XDG_RUNTIME_DIR/localmem`` (unless ``$LOCALMEM_HOME`` is set), else ``<home>/run``."""
    env = os.environ.get("LOCALMEM_RUNTIME_DIR")
    if env:
        return Path(env).expanduser()
    if os.environ.get("XDG_RUNTIME_DIR") and not os.environ.get("LOCALMEM_HOME"):
        return Path(os.environ["XDG_RUNTIME_DIR"]) / "localmem"
    return home() / "run"


def default_socket() -> Path:
    """``$LOCALMEM_SOCKET``, else ``<runtime dir>/localmem.sock``."""
    env = os.environ.get("LOCALMEM_SOCKET")
    return Path(env).expanduser() if env else runtime_dir() / "localmem.sock"


def daemon_may_serve() -> bool:
    """Cheap pre-check before importing the client: False when ``$LOCALMEM_NO_DAEMON`` is set or no
    socket file exists (then no daemon can answer and the caller works in-process)."""
    return not os.environ.get("LOCALMEM_NO_DAEMON") and default_socket().exists()
