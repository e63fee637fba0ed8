"""The `localmem` command: help everywhere, lazy imports, models subcommands."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from localmem.cli import SUBCOMMANDS, main


def test_help_lists_every_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in SUBCOMMANDS:
        assert name in result.output


@pytest.mark.parametrize("args", [["chat"], ["ask"], ["models"], ["models", "list"], ["models", "install"],
                                  ["models", "verify"], ["models", "path"], ["memories"]])
def test_every_command_has_help(args):
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_help_imports_no_heavy_module():
    code = ("import sys; from localmem.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('llama_cpp', 'torch', 'onnxruntime', 'sqlite_utils', 'numpy', 'pydantic')"
            " if m in sys.modules]\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def test_models_list_json_names_the_defaults():
    result = CliRunner().invoke(main, ["models", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert {"fast", "quality", "tiny", "minilm"} <= set(rows)
    assert "default" in rows["fast"]["tags"]
    assert rows["fast"]["adapters"] == ["extract", "extract-group", "update", "answer", "test-tiny"]  # by default


def test_models_path_and_unknown_model(localmem_home):
    ok = CliRunner().invoke(main, ["models", "path", "fast"])
    assert ok.exit_code == 0 and ok.output.strip().endswith("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
    bad = CliRunner().invoke(main, ["models", "install", "gpt5"])
    assert bad.exit_code != 0 and "unknown model(s): gpt5" in bad.output


def test_registry_typo_is_reported_by_the_cli(localmem_home):
    (localmem_home / "models.toml").write_text("[models.fast.load]\nn_ctxx = 1\n")
    result = CliRunner().invoke(main, ["models", "list"])
    assert result.exit_code != 0
    assert "models.fast.load.n_ctxx" in result.output


def test_verify_reports_missing_models(localmem_home, monkeypatch):
    monkeypatch.setenv("LOCALMEM_MODELS_DIR", str(localmem_home / "nothing-here"))
    result = CliRunner().invoke(main, ["models", "verify", "tiny"])
    assert result.exit_code == 1
    assert "MISSING" in result.output and "localmem models install tiny" in result.output


def test_failures_and_reprocess_commands(tmp_path):
    from localmem.memory import Memory
    from localmem.store.scope import Scope

    db = tmp_path / "m.db"
    with Memory(db) as mem:
        logged = mem.store.log_messages(Scope.of("ana"), [("user", "My sister is Ines", {})], pending=True)
        mem.store.park_failure(Scope.of("ana"), [logged[0].id], operation="extract",
                               error="output cut off", raw_outputs=['{"memories": [', "garbage"])
    out = CliRunner().invoke(main, ["memories", "--db", str(db), "failures", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows[0]["raw_outputs"] == ['{"memories": [', "garbage"] and rows[0]["message_ids"] == [logged[0].id]
    text = CliRunner().invoke(main, ["memories", "--db", str(db), "failures"]).output
    assert "extract pending: output cut off (2 raw output(s))" in text
    empty = tmp_path / "empty.db"
    Memory(empty).close()
    assert "nothing pending" in CliRunner().invoke(main, ["memories", "--db", str(empty), "reprocess"]).output
