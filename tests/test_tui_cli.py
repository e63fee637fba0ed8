"""``localmem chat``: the full-screen app in a terminal, the plain REPL otherwise; textual stays
out of ``localmem --help``."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from localmem.cli import main


def test_chat_opens_the_app_in_a_terminal(monkeypatch, tmp_path):
    from localmem.tui.app import LocalmemApp

    opened = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("click.testing._NamedTextIOWrapper.isatty", lambda self: True, raising=False)
    monkeypatch.setattr(LocalmemApp, "run", lambda self: opened.append(self.backend))
    result = CliRunner().invoke(main, ["chat", "-u", "ana", "-m", "smol", "--memory", "read-only",
                                       "--db", str(tmp_path / "m.db")])
    assert result.exit_code == 0, result.output
    (backend,) = opened
    assert (backend.user_id, backend.model_name, backend.memory_mode) == ("ana", "smol", "read-only")
    assert backend._db_path == str(tmp_path / "m.db") and backend.assistant is None  # loaded in a worker


def test_chat_refuses_an_unknown_model_before_opening(monkeypatch):
    from localmem.tui.app import LocalmemApp

    opened = []
    monkeypatch.setattr("click.testing._NamedTextIOWrapper.isatty", lambda self: True, raising=False)
    monkeypatch.setattr(LocalmemApp, "run", lambda self: opened.append(self))
    result = CliRunner().invoke(main, ["chat", "-m", "gpt5"])
    assert result.exit_code != 0 and "unknown model 'gpt5'" in result.output and opened == []


def test_help_does_not_import_textual():
    code = ("import sys; from localmem.cli import main\n"
            "for args in (['--help'], ['chat', '--help']):\n"
            "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
            "print('TEXTUAL', 'textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "TEXTUAL False" in out
    assert "--plain" in CliRunner().invoke(main, ["chat", "--help"]).output
