"""Opening a store's SQLite file: pysqlite3 (via sqlite-utils) with sqlite-vec loaded, and pragmas.

- WAL journal, so readers never block the writer and a crash mid-write loses nothing committed.
- ``synchronous=FULL``: a committed write survives power loss too (fsync per commit).
- ``busy_timeout``: a writer waits for another process's write to finish instead of failing.
- ``foreign_keys=ON`` and ``secure_delete=ON`` (deleted content is overwritten, so that
  ``forget_user`` leaves no trace in the file).

Writes go through ``write_transaction``: ``BEGIN IMMEDIATE`` takes the write lock up front, so two
processes never deadlock upgrading a read to a write, and everything inside commits or rolls back
as one unit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils
from sqlite_utils.db import sqlite3

from localmem.store.errors import StoreCorruptError, StoreLockedError

DEFAULT_BUSY_TIMEOUT = 10.0

_CORRUPT_MARKERS = ("file is not a database", "malformed", "disk image", "file is encrypted")
_LOCKED_MARKERS = ("database is locked", "database table is locked", "database is busy")


def connect(path: Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path`` with the store's pragmas and extensions."""
    path = Path(path).expanduser()
    if path.exists() and path.is_dir():
        raise StoreCorruptError(f"{path} is a directory, not a database file")
    path.parent.mkdir(parents=True, exist_ok=True)
    with translate_errors(path):
        conn = sqlite3.connect(str(path), timeout=busy_timeout, check_same_thread=False)
        try:
            _load_vec(conn)
            db = sqlite_utils.Database(conn, execute_plugins=False)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            # Reading the schema is the first thing that fails on a file that is not a database.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")
        except BaseException:
            conn.close()
            raise
    return db


def _load_vec(conn) -> None:
    import sqlite_vec

    conn.enable_load_extension(True)
    try:
        sqlite_vec.load(conn)
    finally:
        conn.enable_load_extension(False)


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK`` on any exception)."""
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("write_transaction() does not nest")
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@contextlib.contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Turn SQLite's lock and corruption errors into the store's errors, naming the file."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        message = str(exc).lower()
        if any(marker in message for marker in _LOCKED_MARKERS):
            raise StoreLockedError(
                f"{path} is locked by another process (waited for the busy timeout); "
                "try again, or raise the busy timeout") from exc
        if any(marker in message for marker in _CORRUPT_MARKERS):
            raise StoreCorruptError(_corrupt_message(path, exc)) from exc
        raise
    except sqlite3.DatabaseError as exc:
        if any(marker in str(exc).lower() for marker in _CORRUPT_MARKERS):
            raise StoreCorruptError(_corrupt_message(path, exc)) from exc
        raise


def _corrupt_message(path: Path, exc: Exception) -> str:
    return (f"{path} is not a usable localmem database ({exc}). Nothing was changed. If it is a "
            "damaged store, restore it from a backup or an export; otherwise choose another path.")
