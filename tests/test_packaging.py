"""The package as installed: every subpackage listed, data files shipped inside a wheel."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {"localmem." + ".".join(p.parent.relative_to(ROOT / "localmem").parts)
             for p in (ROOT / "localmem").rglob("__init__.py")}
    found = {f.rstrip(".") for f in found} | {"localmem.tui", "localmem.adapters"}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_wheel_ships_registry_adapters_and_tui(tmp_path: Path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("localmem-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "localmem/models.toml" in names
    assert "localmem/tui/__init__.py" in names
    assert "localmem/adapters/qwen2.5-coder-0.5b-instruct/test-tiny.gguf" in names
    assert "localmem/adapters/qwen2.5-coder-0.5b-instruct/manifest.json" in names
    assert not any(n.startswith(("tui/", "adapters/")) for n in names), "no top-level tui/adapters packages"
    text = zipfile.ZipFile(wheel).read("localmem/models.toml").decode()
    assert text == (ROOT / "models.toml").read_text()
