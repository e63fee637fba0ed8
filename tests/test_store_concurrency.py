"""Several processes writing (and one reading) the same store at once: no write is lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

from localmem import Memory
from store_fixtures import SHARED_CACHE, db_path, embedder  # noqa: F401

WRITERS = 4
PER_WRITER = 25

WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from localmem import Memory
    db, who, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    mem = Memory(db)
    mem.search("warm up the embedder", user_id="shared")
    while not start.exists():
        time.sleep(0.01)
    for i in range(n):
        mem.add([{"role": "user", "content": f"writer {who} memory {i}"}], user_id="shared", infer=False,
                metadata={"writer": who, "i": i})
    mem.close()
    print("done", who)
""")

READER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from localmem import Memory
    db, start, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    mem = Memory(db)
    while not start.exists():
        time.sleep(0.01)
    searches = 0
    while not stop.exists():
        mem.search("writer memory", user_id="shared", limit=5)
        searches += 1
    mem.close()
    print("searches", searches)
""")


def test_concurrent_writers_lose_nothing(db_path, tmp_path):
    Memory(db_path).close()  # create the schema once, as an application would on first start
    start, stop = tmp_path / "start", tmp_path / "stop"
    env_root = Path(__file__).resolve().parents[1]
    env = {"PYTHONPATH": str(env_root), "LOCALMEM_CACHE": str(SHARED_CACHE), "HF_HUB_OFFLINE": "1",
           "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(db_path), str(w), str(PER_WRITER), str(start)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for w in range(WRITERS)]
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db_path), str(start), str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    start.touch()
    outputs = [w.communicate() for w in writers]
    stop.touch()
    reader_out, reader_err = reader.communicate()
    for (out, err), w in zip(outputs, writers):
        assert w.returncode == 0, err
    assert reader.returncode == 0, reader_err

    with Memory(db_path) as mem:
        items = mem.get_all(user_id="shared")
        assert len(items) == WRITERS * PER_WRITER
        assert Counter(i.text for i in items) == Counter(
            f"writer {w} memory {i}" for w in range(WRITERS) for i in range(PER_WRITER))
        stats = mem.stats()
        assert stats["history_rows"] == stats["messages"] == stats["vectors"] == WRITERS * PER_WRITER
        assert mem.check() == []
        hit = mem.search("writer 3 memory 17", user_id="shared", limit=1)[0]
        assert hit.metadata == {"writer": "3", "i": 17}
