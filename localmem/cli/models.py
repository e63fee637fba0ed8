"""``localmem models``: the model registry from the command line."""

from __future__ import annotations

import json
import sys

import click


def _registry():
    from localmem.config import RegistryError, load_registry

    try:
        return load_registry()
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None


def _names(registry, names: tuple[str, ...], defaults: bool, all_: bool) -> list[str]:
    if all_:
        return list(registry.models)
    chosen = list(names)
    if defaults or not chosen:
        # smol (98 MB) is the fastest instruct model: the integration tests of the daemon's and the
        # LoCoMo harness's LLM paths run on it
        wanted = [registry.defaults.chat, registry.defaults.embedding, "quality", "tiny", "smol"]
        wanted += list(registry.defaults.operations.values())
        chosen += [n for n in wanted if n in registry.models]
    unknown = [n for n in chosen if n not in registry.models]
    if unknown:
        raise click.ClickException(
            f"unknown model(s): {', '.join(unknown)}; known: {', '.join(sorted(registry.models))}"
        )
    return list(dict.fromkeys(chosen))


@click.group()
def models() -> None:
    """List, install, verify and locate models (see models.toml)."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_(as_json: bool) -> None:
    """List the registry's models and whether each is installed."""
    from localmem.registry import status

    registry = _registry()
    rows = []
    for name, spec in registry.models.items():
        st = status(spec)
        tags = [t for t, on in (("default", name == registry.defaults.chat),
                                ("embedding", name == registry.defaults.embedding)) if on]
        rows.append({
            "name": name, "kind": spec.kind, "quantization": spec.quantization,
            "installed": st.installed, "verified": st.verified, "size": st.size, "path": str(st.path),
            "adapters": [a.name for a in spec.adapters], "tags": tags, "description": spec.description,
        })
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for col in ("name", "kind", "quant", "state", "size", "adapters", "description"):
        table.add_column(col)
    for r in rows:
        state = "verified" if r["verified"] else ("CHECKSUM MISMATCH" if r["installed"] else "not installed")
        size = f"{r['size'] / 1e6:,.0f} MB" if r["size"] else "-"
        name = r["name"] + (" *" if "default" in r["tags"] else "")
        table.add_row(name, r["kind"], r["quantization"], state, size, ", ".join(r["adapters"]) or "-",
                      r["description"])
    Console().print(table)
    click.echo("* default chat model")


@models.command()
@click.argument("name", required=False)
def path(name: str | None) -> None:
    """Print where a model lives (default: the chat model); no NAME: the models directory."""
    from localmem.paths import models_dir
    from localmem.registry import target_path

    if name is None:
        click.echo(str(models_dir()))
        return
    click.echo(str(target_path(_registry().get(name))) if name in _registry().models
               else _fail(f"unknown model {name!r}"))


def _fail(msg: str) -> str:
    raise click.ClickException(msg)


@models.command()
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every model in the registry.")
def verify(names: tuple[str, ...], all_: bool) -> None:
    """Re-hash installed models against their pinned sha256 (default: every default model)."""
    from localmem.registry import status

    registry = _registry()
    bad = 0
    for name in _names(registry, names, defaults=not names, all_=all_):
        st = status(registry.get(name), full=True)
        if not st.installed:
            click.echo(f"{name:10} MISSING   {st.path}  (run `localmem models install {name}`)")
            bad += 1
        elif st.verified:
            click.echo(f"{name:10} ok        {st.path}")
        else:
            click.echo(f"{name:10} MISMATCH  {st.detail}")
            bad += 1
    if bad:
        sys.exit(1)


@models.command()
@click.argument("names", nargs=-1)
@click.option("--defaults", is_flag=True, help="Every default model (chat, quality, tiny, smol, embedding).")
@click.option("--all", "all_", is_flag=True, help="Every model in the registry.")
@click.option("--force", is_flag=True, help="Re-download and re-assemble even if installed.")
def install(names: tuple[str, ...], defaults: bool, all_: bool, force: bool) -> None:
    """Download, assemble and verify models (idempotent)."""
    from localmem.registry import ModelError, install as install_model

    registry = _registry()
    for name in _names(registry, names, defaults=defaults, all_=all_):
        try:
            path = install_model(registry.get(name), force=force,
                                 progress=lambda msg, n=name: click.echo(f"[{n}] {msg}", err=True))
        except ModelError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{name:10} ready     {path}")
