"""``localmem preferences``: what the preference tracker (PAMU) has learnt about a user's style.

``show`` prints the profile (fused, short-term and long-term value of each dimension, its last
change) and the style line the assistant adds to its prompt; ``history`` prints the per-turn
series. Both go through the daemon when one serves the store, like ``localmem memories``.
"""

from __future__ import annotations

import click

from localmem.cli.memories import _dump, _errors, _open, _table, _when, db_option, user_option


@click.group()
@db_option
@click.pass_context
def preferences(ctx: click.Context, db: str | None) -> None:
    """Show the communication style learnt for a user."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


def _value(value) -> str:
    """0.62 for a continuous dimension; 'casual 0.71' (the most likely label) for a categorical one."""
    if isinstance(value, dict):
        label = max(value, key=value.get)
        return f"{label} {value[label]:.2f}"
    return f"{value:.2f}"


@preferences.command()
@user_option
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_errors
def show(ctx, user_id, as_json) -> None:
    """The user's style profile and the line the assistant is steered by."""
    from localmem.preferences.render import style_line

    with _open(ctx) as mem:
        profile = mem.preferences(user_id=user_id)
    if as_json:
        _dump({**profile.model_dump(mode="json"), "style_line": style_line(profile)})
        return
    if profile.turns == 0:
        click.echo(f"nothing observed for {user_id!r} yet (neutral defaults)")
        return
    click.echo(f"{user_id}: {profile.turns} turns observed, last {_when(profile.updated_at)}")
    _table(["dimension", "fused", "short-term", "long-term", "observations", "last change"],
           [[d.dimension, _value(d.fused), _value(d.short_term), _value(d.long_term), str(d.observations),
             f"turn {d.last_change.turn} (Δ {d.last_change.delta:.2f})" if d.last_change else "-"]
            for d in profile.dimensions.values()])
    line = style_line(profile)
    click.echo(f"\nstyle line: {line}" if line else "\nstyle line: (none: no dimension is far from neutral)")
    if profile.explicit:
        click.echo("stated preferences:")
        for item in profile.explicit:
            click.echo(f"  - {item.text}")


@preferences.command()
@user_option
@click.option("--limit", "-n", type=int, help="Only the most recent N turns.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_errors
def history(ctx, user_id, limit, as_json) -> None:
    """The tracked turns, oldest first: the fused length and formality after each turn, the
    dimensions that changed, and the signal seen."""
    with _open(ctx) as mem:
        turns = mem.preference_history(user_id=user_id, limit=limit)
    if as_json:
        _dump([t.model_dump(mode="json") for t in turns])
        return
    if not turns:
        click.echo(f"nothing observed for {user_id!r} yet")
        return
    _table(["turn", "when", "source", "length", "formality", "changed", "signal"],
           [[str(t.turn), _when(t.at), t.source, _value(t.fused["length"]), _value(t.fused["formality"]),
             ", ".join(t.changed) or "-",
             ", ".join(f"{k}={_value(o.value)}" for k, o in t.signal.observations.items()) or "-"]
            for t in turns], wrap=("signal",))
