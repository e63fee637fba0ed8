"""``localmem preferences show|history``: the learnt style profile from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from localmem import Memory
from localmem.cli import main
from localmem.preferences.render import style_line

FORMAL_DETAILED = ("Could you please provide a thorough, detailed explanation of how the immune system "
                   "distinguishes self from non-self? I would appreciate a complete answer.")


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "prefs.db"
    monkeypatch.setenv("LOCALMEM_DB", str(path))
    monkeypatch.setenv("LOCALMEM_NO_DAEMON", "1")
    with Memory(path) as mem:
        for _ in range(3):
            mem.observe_preferences(FORMAL_DETAILED, user_id="ana")
    return path


def run(*args, ok=True):
    result = CliRunner().invoke(main, ["preferences", *args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_show_prints_each_dimension_and_the_style_line_the_assistant_uses(db):
    out = run("show", "-u", "ana").output
    assert "ana: 3 turns observed" in out
    for dimension in ("length", "formality", "depth", "structure", "tone", "emotion"):
        assert dimension in out
    with Memory(db) as mem:
        line = style_line(mem.preferences(user_id="ana"))
    assert line and " ".join(f"style line: {line}".split()) in " ".join(out.split())  # wrapping aside


def test_show_json_is_the_profile_plus_its_style_line(db):
    data = json.loads(run("show", "-u", "ana", "--json").output)
    with Memory(db) as mem:
        profile = mem.preferences(user_id="ana")
    assert data["turns"] == 3 and data["dimensions"]["length"]["fused"] == profile.dimensions["length"].fused
    assert data["style_line"] == style_line(profile)
    assert data["dimensions"]["length"]["fused"] > 0.5  # asked for thorough answers


def test_history_lists_every_turn_oldest_first(db):
    data = json.loads(run("history", "-u", "ana", "--json").output)
    assert [t["turn"] for t in data] == [1, 2, 3]
    assert [t["turn"] for t in json.loads(run("history", "-u", "ana", "-n", "2", "--json").output)] == [2, 3]
    table = run("history", "-u", "ana").output
    assert table.splitlines()[0].split()[:3] == ["turn", "when", "source"]


def test_an_unknown_user_gets_a_clear_note_not_an_error(db):
    assert "nothing observed for 'bob' yet" in run("show", "-u", "bob").output
    assert "nothing observed for 'bob' yet" in run("history", "-u", "bob").output


def test_without_user_it_is_the_chat_user(db, monkeypatch):
    """No -u: $LOCALMEM_USER, else the login, as ``localmem chat`` and ``ask`` remember under."""
    monkeypatch.setenv("LOCALMEM_USER", "ana")
    assert "ana: 3 turns observed" in run("show").output
    monkeypatch.delenv("LOCALMEM_USER")
    monkeypatch.setattr("getpass.getuser", lambda: "bob")
    assert "nothing observed for 'bob' yet" in run("show").output
