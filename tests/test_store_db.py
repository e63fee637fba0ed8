"""Opening store files: pragmas, migrations, version checks, corrupted / foreign / locked files."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from localmem.store import SchemaTooNewError, Store, StoreCorruptError, StoreLockedError
from localmem.store import migrations
from localmem.store.db import connect
from store_fixtures import db_path, embedder, file_bytes, store  # noqa: F401


def sha(path: Path) -> str:
    return hashlib.sha256(file_bytes(path)).hexdigest()


def test_new_store_has_every_migration_and_the_pragmas(store):
    assert migrations.applied(store.db) == [fn.__name__ for fn in migrations.MIGRATIONS]
    conn = store.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert {"memories", "history", "messages", "memories_fts", "memory_vectors", "meta"} <= set(
        store.db.table_names())


def test_default_path_is_in_the_home_directory(localmem_home, embedder):
    with Store(embedder=embedder) as s:
        assert s.path == localmem_home / "memory.db"
        assert s.path.exists()


def test_reopening_applies_nothing_and_keeps_data(db_path, embedder):
    from localmem.store import NewMemory, Scope

    with Store(db_path, embedder=embedder) as s:
        s.add_memory(Scope("u"), NewMemory(text="kept across reopen"))
    db = connect(db_path)
    assert migrations.migrate(db, db_path) == []
    db.conn.close()
    with Store(db_path, embedder=embedder) as s:
        assert [m.text for m in s.list(Scope("u"))] == ["kept across reopen"]


def test_database_from_a_newer_version_is_refused_unchanged(db_path, embedder):
    Store(db_path, embedder=embedder).close()
    db = connect(db_path)
    db.execute(f"INSERT INTO {migrations.MIGRATIONS_TABLE} VALUES ('m999_from_the_future', 'x')")
    db.conn.close()
    before = sha(db_path)
    with pytest.raises(SchemaTooNewError, match="newer version of localmem.*m999_from_the_future"):
        Store(db_path, embedder=embedder)
    assert sha(db_path) == before


def test_failing_migration_is_rolled_back_and_not_recorded(db_path, monkeypatch):
    def m100_broken(db):
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m100_broken])
    db = connect(db_path)
    with pytest.raises(RuntimeError, match="boom"):
        migrations.migrate(db, db_path)
    assert "half_done" not in db.table_names()
    assert "m100_broken" not in migrations.applied(db)
    assert len(migrations.applied(db)) == len(migrations.MIGRATIONS) - 1  # the good ones stayed
    db.conn.close()


def test_foreign_sqlite_database_is_refused_unchanged(tmp_path, embedder):
    path = tmp_path / "other.db"
    db = connect(path)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    db.conn.close()
    before = sha(path)
    with pytest.raises(StoreCorruptError, match="not a localmem store"):
        Store(path, embedder=embedder)
    assert sha(path) == before


def test_garbage_file_is_reported_as_corrupt_and_left_alone(tmp_path, embedder):
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a database at all\n" * 200)
    before = path.read_bytes()
    with pytest.raises(StoreCorruptError, match="not a usable localmem database"):
        Store(path, embedder=embedder)
    assert path.read_bytes() == before


def test_damaged_pages_are_reported_as_corrupt(db_path, embedder):
    from localmem.store import NewMemory, Scope

    with Store(db_path, embedder=embedder) as s:
        s.add_memories(Scope("u"), [NewMemory(text=f"memory number {i}") for i in range(200)])
    data = bytearray(db_path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):  # keep page 1 (header + schema), wreck the rest
        data[offset:offset + 64] = b"\xff" * 64
    db_path.write_bytes(bytes(data))
    with pytest.raises(StoreCorruptError):
        with Store(db_path, embedder=embedder) as s:
            s.list(Scope("u"))
            s.search("memory", Scope("u"))


def test_directory_path_is_refused(tmp_path, embedder):
    with pytest.raises(StoreCorruptError, match="is a directory"):
        Store(tmp_path, embedder=embedder)


def _hold_write_lock(db_path: Path, release_after: float | None = None) -> subprocess.Popen:
    """Another process holding the write lock until told to go (or for ``release_after`` seconds)."""
    wait = f"time.sleep({release_after})" if release_after is not None else "sys.stdin.readline()"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time, sqlite3
            conn = sqlite3.connect({str(db_path)!r}, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("CREATE TABLE IF NOT EXISTS scratch (x)")
            print("locked", flush=True)
            {wait}
            conn.execute("ROLLBACK")
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_write_blocked_past_the_busy_timeout_fails_clearly_and_loses_nothing(db_path, embedder):
    from localmem.store import NewMemory, Scope

    with Store(db_path, embedder=embedder) as s:
        s.add_memory(Scope("u"), NewMemory(text="stored before the lock"))
    holder = _hold_write_lock(db_path)
    try:
        with Store(db_path, embedder=embedder, busy_timeout=0.2) as s:
            assert [m.text for m in s.list(Scope("u"))] == ["stored before the lock"]  # readers go on
            with pytest.raises(StoreLockedError, match="locked by another process"):
                s.add_memory(Scope("u"), NewMemory(text="written while locked"))
    finally:
        holder.communicate("go\n")
    with Store(db_path, embedder=embedder) as s:
        assert [m.text for m in s.list(Scope("u"))] == ["stored before the lock"]
        assert s.db.execute("SELECT count(*) FROM history").fetchone()[0] == 1


def test_write_waits_for_a_short_lock_and_then_succeeds(db_path, embedder):
    from localmem.store import NewMemory, Scope

    Store(db_path, embedder=embedder).close()
    holder = _hold_write_lock(db_path, release_after=0.5)
    try:
        with Store(db_path, embedder=embedder, busy_timeout=30) as s:
            s.add_memory(Scope("u"), NewMemory(text="written once the lock was released"))
            assert [m.text for m in s.list(Scope("u"))] == ["written once the lock was released"]
    finally:
        holder.wait()


def test_new_ids_are_ulids_sortable_by_creation_time():
    import time

    from localmem.store.values import check_id, new_id

    first = [new_id() for _ in range(200)]
    time.sleep(0.002)
    later = new_id()
    assert len(set(first)) == 200
    assert all(check_id(i) == i and len(i) == 26 for i in first + [later])
    assert all(i < later for i in first)  # a later millisecond sorts after
    stamp = 0
    for ch in later[:10]:  # the first 10 characters are the millisecond timestamp
        stamp = stamp * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(ch)
    assert abs(stamp - time.time() * 1000) < 60_000
