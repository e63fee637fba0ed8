"""``localmem serve`` / ``localmem daemon``: help without heavy imports, the systemd user unit, status
when nothing runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from localmem.cli import main


def test_daemon_help_imports_no_server_module():
    code = ("import sys; from localmem.cli import main\n"
            "for args in (['--help'], ['serve', '--help'], ['daemon', '--help']):\n"
            "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
            "heavy = [m for m in ('fastapi', 'uvicorn', 'starlette', 'llama_cpp', 'onnxruntime') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out and "serve" in out and "install" in out


@pytest.mark.parametrize("args", [["serve"], ["daemon"], ["daemon", "install"], ["daemon", "status"],
                                  ["daemon", "stop"], ["daemon", "logs"]])
def test_daemon_commands_have_help(args):
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_install_writes_a_systemd_user_unit(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LOCALMEM_DB", str(tmp_path / "my.db"))
    result = CliRunner().invoke(main, ["daemon", "install", "--no-enable"])
    assert result.exit_code == 0, result.output
    unit = (tmp_path / "config" / "systemd" / "user" / "localmem.service").read_text()
    assert "ExecStart=" in unit and unit.split("ExecStart=")[1].split("\n")[0].endswith(" serve")
    assert "WantedBy=default.target" in unit and "KillSignal=SIGTERM" in unit
    assert f'Environment="LOCALMEM_DB={tmp_path / "my.db"}"' in unit
    assert f'Environment="LOCALMEM_HOME={os.environ["LOCALMEM_HOME"]}"' in unit


def test_status_and_stop_when_nothing_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALMEM_RUNTIME_DIR", str(tmp_path / "run"))
    result = CliRunner().invoke(main, ["daemon", "status"])
    assert result.exit_code == 3 and "not running" in result.output
    result = CliRunner().invoke(main, ["daemon", "stop"])
    assert result.exit_code == 0 and "not running" in result.output
    result = CliRunner().invoke(main, ["daemon", "logs"])
    assert result.exit_code == 1 and "no log yet" in result.output


def _systemd_verify(tool: str, unit, tmp_path) -> subprocess.CompletedProcess:
    """``systemd-analyze --user verify`` (a user manager needs a runtime dir: a private tmp one);
    where no user manager can be set up, the system one checks the same file."""
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_COLOR": "0"}
    done = subprocess.run([tool, "--user", "verify", str(unit)], capture_output=True, text=True, env=env, timeout=120)
    if done.returncode != 0 and "Failed to initialize manager" in done.stderr:
        done = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, env=env, timeout=120)
    return done


def test_the_installed_unit_passes_systemd_analyze_verify(tmp_path, monkeypatch):
    import shutil

    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (no systemd on this machine): the unit is only checked as text")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    result = CliRunner().invoke(main, ["daemon", "install", "--no-enable"])
    assert result.exit_code == 0, result.output
    unit = tmp_path / "config" / "systemd" / "user" / "localmem.service"
    done = _systemd_verify(tool, unit, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "localmem.service" not in done.stdout + done.stderr, done.stderr  # no warning about it either
    # the check is a real one: the same unit with a broken ExecStart and an unknown key is refused
    bad = tmp_path / "bad" / "localmem.service"
    bad.parent.mkdir()
    text = unit.read_text()
    exec_line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    bad.write_text(text.replace(exec_line, "ExecStart=/nonexistent/bin/localmem serve\nRestartSecs=2"))
    done = _systemd_verify(tool, bad, tmp_path)
    assert done.returncode != 0 and "RestartSecs" in done.stderr
