"""``localmem memories ...``: every command, its --json output, and its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from localmem.cli import main


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("LOCALMEM_DB", str(path))
    return path


def run(*args, input=None, ok=True):
    result = CliRunner().invoke(main, ["memories", *args], input=input, catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def add(text, user="ana", *extra):
    return json.loads(run("add", "-u", user, text, "--json", *extra).stdout)[0]["memory"]


def test_path_follows_db_option_env_and_default(db, tmp_path, localmem_home, monkeypatch):
    assert run("path").output.strip() == str(db)
    other = tmp_path / "other.db"
    assert run("--db", str(other), "path").output.strip() == str(other)
    monkeypatch.delenv("LOCALMEM_DB")
    assert run("path").output.strip() == str(localmem_home / "memory.db")


def test_add_search_list_show(db):
    first = add("My sister Marta lives in Lyon", "ana", "--metadata", '{"dia_id": "D1:1"}')
    add("I am allergic to peanuts")
    add("Bob's secret", "bob")
    assert first["metadata"] == {"dia_id": "D1:1"} and first["user_id"] == "ana"
    results = json.loads(run("search", "-u", "ana", "where does my sister live", "--json").stdout)
    assert results[0]["id"] == first["id"] and results[0]["score"] > 0
    assert all(r["user_id"] == "ana" for r in results)
    table = run("search", "-u", "ana", "peanut allergy", "--limit", "1").output
    assert "allergic" in table and "score" in table and "Lyon" not in table
    listed = json.loads(run("list", "-u", "ana", "--json").stdout)
    assert [i["text"] for i in listed] == ["I am allergic to peanuts", "My sister Marta lives in Lyon"]
    assert "Marta" in run("list", "-u", "ana").output
    shown = json.loads(run("show", first["id"], "--json").stdout)
    assert shown["memory"]["text"] == "My sister Marta lives in Lyon"
    assert shown["sources"][0]["content"] == "My sister Marta lives in Lyon"
    assert [h["action"] for h in shown["history"]] == ["ADD"]
    assert "Marta" in run("show", first["id"]).output


def test_add_reads_stdin_and_user_from_env(db, monkeypatch):
    monkeypatch.setenv("LOCALMEM_USER", "env-user")
    run("add", "-", input="text from stdin\n")
    assert json.loads(run("list", "--json").stdout)[0]["text"] == "text from stdin\n"


def test_without_user_or_env_it_is_the_login_the_chat_remembers_under(db, monkeypatch):
    monkeypatch.delenv("LOCALMEM_USER", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "bob")
    run("add", "I keep bees")
    assert [m["text"] for m in json.loads(run("list", "-u", "bob", "--json").stdout)] == ["I keep bees"]
    assert json.loads(run("list", "-u", "ana", "--json").stdout) == []
    assert "User id (default: $LOCALMEM_USER, else your login)." in " ".join(run("list", "--help").output.split())


def test_tables_into_a_pipe_keep_each_row_on_one_line(db):
    text = "My sister Ana lives in Lyon and works as a nurse at the big hospital near the river Saone"
    memory_id = add(text)["id"]
    assert any(text in line for line in run("list", "-u", "ana").output.splitlines())
    assert any(text in line for line in run("history", memory_id).output.splitlines())
    assert any(text in line for line in run("search", "-u", "ana", "sister").output.splitlines())


def test_search_filters_and_modes(db):
    add("I went to a jazz concert")
    add("jazz is my favourite music")
    out = json.loads(run("search", "-u", "ana", "jazz", "--mode", "text", "--json").stdout)
    assert len(out) == 2 and all(r["match"]["vector_rank"] is None for r in out)
    out = json.loads(run("search", "-u", "ana", "jazz", "--kind", "event", "--json").stdout)
    assert out == []
    out = json.loads(run("search", "-u", "ana", "jazz", "--since", "2999-01-01", "--json").stdout)
    assert out == []
    out = json.loads(run("search", "-u", "ana", "jazz", "--until", "2999-01-01T09:30+02:00", "--json").stdout)
    assert len(out) == 2
    bad = run("search", "-u", "ana", "jazz", "--since", "last week", ok=False)
    assert bad.exit_code == 2 and "Invalid value for '--since': 'last week' is not an ISO-8601 date" in bad.output


def test_edit_delete_restore_history(db):
    memory = add("I work at a bakery")
    edited = json.loads(run("edit", memory["id"], "I", "work", "at", "a", "library", "--json").stdout)
    assert edited["text"] == "I work at a library" and edited["id"] == memory["id"]
    assert "DELETE" in run("delete", memory["id"]).output
    assert json.loads(run("list", "-u", "ana", "--json").stdout) == []
    assert [i["status"] for i in json.loads(run("list", "-u", "ana", "--all", "--json").stdout)] == ["deleted"]
    assert "active" in run("restore", memory["id"]).output
    steps = json.loads(run("history", memory["id"], "--json").stdout)
    assert [s["action"] for s in steps] == ["ADD", "UPDATE", "DELETE", "RESTORE"]
    assert steps[1]["old_text"] == "I work at a bakery"
    table = run("history", memory["id"]).output
    assert "UPDATE" in table and "bakery" in table


def test_export_import_round_trip_through_files(db, tmp_path):
    add("exported memory one")
    add("exported memory two")
    out = tmp_path / "ana.json"
    run("export", "-u", "ana", "-o", str(out))
    exported = json.loads(out.read_text())
    assert len(exported["memories"]) == 2
    assert json.loads(run("export", "-u", "ana").stdout)["memories"] == exported["memories"]
    other = tmp_path / "other.db"
    assert "imported 2 memories" in run("--db", str(other), "import", str(out)).output
    assert "imported 0 memories" in run("--db", str(other), "import", "-", input=out.read_text()).output
    again = json.loads(run("--db", str(other), "export", "-u", "ana").stdout)
    assert again["memories"] == exported["memories"] and again["history"] == exported["history"]


def test_forget_user_asks_then_erases(db):
    add("forget me please", "zed")
    add("keep me", "ana")
    result = run("forget-user", "zed", input="n\n", ok=False)
    assert result.exit_code == 1 and "Aborted" in result.output
    assert json.loads(run("list", "-u", "zed", "--json").stdout) != []
    assert "forgot zed: 1 memories" in run("forget-user", "zed", "--yes").output
    assert json.loads(run("list", "-u", "zed", "--json").stdout) == []
    assert b"forget me please" not in db.read_bytes()
    assert len(json.loads(run("list", "-u", "ana", "--json").stdout)) == 1


def test_stats_check_reindex_reembed(db):
    add("one memory")
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["memories"]["active"] == 1 and stats["per_user"][0]["user_id"] == "ana"
    assert "embedding_model" in run("stats").output
    assert run("check").output.strip() == "ok"
    assert "rebuilt full-text index (1 rows)" in run("reindex").output
    assert "re-embedded 1 memories" in run("reembed").output
    assert run("vacuum").output.strip() == "ok"


def test_errors_are_one_clear_line_with_status_1(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALMEM_MODELS_DIR", str(tmp_path / "no-models"))  # --infer has no model here
    cases = [
        (["show", "not-an-id"], "is not a valid id"),
        (["show", "01HZZZZZZZZZZZZZZZZZZZZZZZ"], "no memory with id"),
        (["add", "-u", "ana", "   "], "is empty"),
        (["add", "-u", "ana", "hi", "--metadata", "[1]"], "must be a JSON object"),
        (["add", "-u", "ana", "hi", "--metadata", "{bad"], "not valid JSON"),
        (["add", "-u", "ana", "hi", "--timestamp", "noon"], "not an ISO-8601"),
        (["add", "-u", "ana", "hi", "--infer"], "infer=False"),
        (["export", "-u", "nobody"], "no memories or messages are stored for user_id 'nobody'"),
        (["forget-user", "nobody", "--yes"], "nobody"),
    ]
    for args, message in cases:
        result = run(*args, ok=False)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    assert "not valid JSON" in run("import", str(bad_json), ok=False).output
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"format": "caf\xe9"}')
    assert "is not UTF-8" in run("import", str(latin1), ok=False).output
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 100)
    result = run("--db", str(garbage), "list", "-u", "ana", ok=False)
    assert result.exit_code == 1 and "not a usable localmem database" in result.output


def test_unknown_user_gets_a_note_not_an_error(db):
    add("something")
    result = CliRunner().invoke(main, ["memories", "search", "-u", "nobody", "x"])
    assert result.exit_code == 0 and "nothing is stored for user 'nobody'" in result.output


def test_non_utf8_argument_in_a_real_process(db, tmp_path):
    # The shell hands Python undecodable bytes as surrogate escapes: they must be refused cleanly.
    result = subprocess.run([sys.executable, "-c", "from localmem.cli import main; main()",
                             "memories", "add", "-u", "ana", b"caf\xe9"],
                            capture_output=True, env={**__import__("os").environ, "LC_ALL": "C.UTF-8"})
    assert result.returncode != 0
    assert b"not valid UTF-8" in result.stderr and b"Traceback" not in result.stderr


def test_help_does_not_import_the_store():
    code = ("import sys; from click.testing import CliRunner; from localmem.cli import main;"
            "r = CliRunner().invoke(main, ['memories', '--help']); assert r.exit_code == 0, r.output;"
            "print(sorted(m for m in ('localmem.store', 'onnxruntime', 'sqlite_utils', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"
