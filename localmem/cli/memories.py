"""``localmem memories``: the memory store from the command line.

The store is ``--db PATH``, else ``$LOCALMEM_DB``, else ``<home>/memory.db``. Heavy imports
(the store, onnxruntime, rich) happen inside the commands, so ``localmem --help`` stays fast.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys

import click

KINDS = ("fact", "preference", "event")


def _open(ctx: click.Context, *, remote: bool = True, query: str | None = None):
    """The daemon's ``RemoteMemory`` when one serves this store (unless ``$LOCALMEM_NO_DAEMON``),
    else the store opened in this process. ``query``: a text the command will embed, embedded in a
    forked child while this process opens the store (``localmem.embed_prefetch``)."""
    from localmem.paths import daemon_may_serve

    if remote and daemon_may_serve():  # importing the HTTP client costs ~35 ms: only when a socket exists
        from localmem.client import remote_for

        found = remote_for(ctx.obj["db"])
        if found is not None:
            return found
    embedder = None
    if query is not None:
        from localmem.embed_prefetch import Prefetch

        embedder = Prefetch(query).embedder()
    from localmem.memory import Memory

    # One-shot process: no in-memory vector cache (the sqlite-vec index answers without loading one).
    return Memory(ctx.obj["db"], vector_cache=False, embedder=embedder)


def _errors(fn):
    """Turn the store's errors into a one-line message and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from localmem.store.errors import StoreError

        try:
            return fn(*args, **kwargs)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def _dump(value) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _item_json(item) -> dict:
    return item.model_dump(mode="json", exclude_none=False)


def _table(columns: list[str], rows: list[list[str]], wrap: tuple[str, ...] = ()) -> None:
    """A plain table: short columns keep their full width, text columns (and ``wrap``) wrap in what is
    left of a terminal's width. Into a pipe or a file every row stays on one line (``| grep`` finds
    a memory's whole text)."""
    from rich.console import Console
    from rich.table import Table

    widths = [max([len(col)] + [max((len(line) for line in r[i].splitlines()), default=0) for r in rows])
              for i, col in enumerate(columns)]  # the longest line of each column
    console = Console()
    if not console.is_terminal:
        console = Console(width=max(sum(widths) + 2 * len(columns), 80))

    table = Table(box=None, header_style="bold", pad_edge=False)
    for i, col in enumerate(columns):
        if "text" in col or col in wrap:
            table.add_column(col, overflow="fold", ratio=1)
        else:
            table.add_column(col, no_wrap=True, min_width=widths[i])
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _when(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else "-"


class IsoTime(click.ParamType):
    """An ISO-8601 date or date and time (``2024-05-01``, ``2024-05-01T09:30+02:00``), checked here
    and passed on as the ISO string (a filter goes to the daemon as JSON when one serves the store)."""

    name = "ISO-8601"

    def convert(self, value, param, ctx):
        from datetime import datetime

        try:
            return datetime.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not an ISO-8601 date or time (e.g. 2024-05-01 or 2024-05-01T09:30)", param, ctx)


def default_user() -> str:
    """Whose memory a command works on without ``-u``: $LOCALMEM_USER, else the login (what
    ``localmem chat`` remembers under, so ``localmem memories list`` shows what the chat stored)."""
    return os.environ.get("LOCALMEM_USER") or getpass.getuser() or "me"


#: ``-u/--user`` (else $LOCALMEM_USER, else the login): the one scoping option every per-user command takes.
user_option = click.option("--user", "-u", "user_id", default=default_user,
                           help="User id (default: $LOCALMEM_USER, else your login).")
#: ``--db`` (or $LOCALMEM_DB) on a command group whose commands open the store (``ctx.obj["db"]``).
db_option = click.option("--db", type=click.Path(dir_okay=False), envvar="LOCALMEM_DB",
                         help="Memory database file (default: $LOCALMEM_DB, else <home>/memory.db).")


def _scope_options(fn):
    fn = click.option("--session", "session_id", help="Session id (narrows the scope).")(fn)
    fn = click.option("--agent", "agent_id", help="Agent id (narrows the scope).")(fn)
    return user_option(fn)


@click.group()
@db_option
@click.pass_context
def memories(ctx: click.Context, db: str | None) -> None:
    """Add, search, inspect and manage memories."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


@memories.command()
@click.pass_context
def path(ctx: click.Context) -> None:
    """Print the path of the memory database."""
    from pathlib import Path

    from localmem.paths import default_db_path

    db = ctx.obj["db"]
    click.echo(str(Path(db).expanduser()) if db else str(default_db_path()))


@memories.command()
@click.argument("text", nargs=-1, required=True)
@_scope_options
@click.option("--metadata", help="JSON object stored with the memory.")
@click.option("--timestamp", help="When it was said (ISO-8601; default now).")
@click.option("--infer/--no-infer", default=False, show_default=True,
              help="Extract memories with the LLM instead of storing the text verbatim.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_errors
def add(ctx, text, user_id, agent_id, session_id, metadata, timestamp, infer, as_json) -> None:
    """Remember TEXT (use - to read it from stdin)."""
    content = sys.stdin.read() if text == ("-",) else " ".join(text)
    meta = _json_object(metadata, "--metadata")
    with _open(ctx) as mem:
        events = mem.add(content, user_id=user_id, agent_id=agent_id, session_id=session_id,
                         infer=infer, metadata=meta, timestamp=timestamp)
    if as_json:
        _dump([e.model_dump(mode="json") for e in events])
    else:
        for e in events:
            click.echo(f"{e.event.value} {e.memory.id}  {e.memory.text}")


@memories.command()
@click.argument("query")
@_scope_options
@click.option("--limit", "-n", default=10, show_default=True)
@click.option("--kind", multiple=True, type=click.Choice(KINDS))
@click.option("--category", multiple=True)
@click.option("--since", type=IsoTime(), help="Only memories stored at or after this time (ISO-8601).")
@click.option("--until", type=IsoTime(), help="Only memories stored before this time (ISO-8601).")
@click.option("--include-superseded", is_flag=True)
@click.option("--mode", type=click.Choice(["hybrid", "vector", "text"]), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_errors
def search(ctx, query, user_id, agent_id, session_id, limit, kind, category, since, until,
           include_superseded, mode, as_json) -> None:
    """Search a user's memories (hybrid vector + full-text)."""
    filters = {"kind": list(kind) or None, "category": list(category) or None,
               "created_after": since, "created_before": until, "include_superseded": include_superseded}
    with _open(ctx, query=query if mode != "text" else None) as mem:
        results = mem.search(query, user_id=user_id, agent_id=agent_id, session_id=session_id,
                             limit=limit, filters={k: v for k, v in filters.items() if v}, mode=mode)
        _note_unknown_user(mem, user_id, results)
    if as_json:
        _dump([_item_json(r) for r in results])
        return
    _table(["score", "id", "kind", "category", "created", "text"],
           [[f"{r.score:.4f}", r.id, r.kind.value, r.category.value, _when(r.created_at), r.text]
            for r in results])


@memories.command("list")
@_scope_options
@click.option("--all", "all_", is_flag=True, help="Include superseded and deleted memories.")
@click.option("--limit", "-n", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_errors
def list_(ctx, user_id, agent_id, session_id, all_, limit, as_json) -> None:
    """List a user's memories, newest first."""
    with _open(ctx) as mem:
        filters = {"include_superseded": all_, "include_deleted": all_}
        items = mem.get_all(user_id=user_id, agent_id=agent_id, session_id=session_id, filters=filters,
                            limit=limit)
        _note_unknown_user(mem, user_id, items)
    if as_json:
        _dump([_item_json(i) for i in items])
        return
    _table(["id", "status", "kind", "category", "created", "text"],
           [[i.id, i.status.value, i.kind.value, i.category.value, _when(i.created_at), i.text] for i in items])


@memories.command()
@click.argument("memory_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_errors
def show(ctx, memory_id, as_json) -> None:
    """Show one memory, where it came from, and its history."""
    with _open(ctx) as mem:
        item = mem.get(memory_id)
        sources = mem.sources(memory_id)
        changes = mem.history(memory_id)
    if as_json:
        _dump({"memory": _item_json(item), "sources": [s.model_dump(mode="json") for s in sources],
               "history": [h.model_dump(mode="json") for h in changes]})
        return
    fields = ["id", "user_id", "agent_id", "session_id", "status", "kind", "category", "confidence",
              "created_at", "updated_at", "valid_from", "valid_to", "superseded_by", "access_count"]
    for name in fields:
        click.echo(f"{name:>14}: {getattr(item, name).value if hasattr(getattr(item, name), 'value') else getattr(item, name)}")
    click.echo(f"{'metadata':>14}: {json.dumps(item.metadata, ensure_ascii=False)}")
    click.echo(f"{'text':>14}: {item.text}")
    for s in sources:
        click.echo(f"{'source':>14}: [{s.role} {_when(s.created_at)}] {s.content}")
    click.echo(f"{'history':>14}: {len(changes)} change(s); see `localmem memories history {item.id}`")


@memories.command()
@click.argument("memory_id")
@click.argument("text", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_errors
def edit(ctx, memory_id, text, as_json) -> None:
    """Replace a memory's text (the old text stays in its history)."""
    with _open(ctx) as mem:
        item = mem.update(memory_id, " ".join(text))
    _dump(_item_json(item)) if as_json else click.echo(f"UPDATE {item.id}  {item.text}")


@memories.command()
@click.argument("memory_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_errors
def delete(ctx, memory_id, as_json) -> None:
    """Delete a memory (soft: `restore` brings it back; `forget-user` erases for good)."""
    with _open(ctx) as mem:
        item = mem.delete(memory_id)
    _dump(_item_json(item)) if as_json else click.echo(f"DELETE {item.id}  {item.text}")


@memories.command()
@click.argument("memory_id")
@click.pass_context
@_errors
def restore(ctx, memory_id) -> None:
    """Undo the deletion of a memory."""
    with _open(ctx) as mem:
        item = mem.restore(memory_id)
    click.echo(f"RESTORE {item.id}  {item.status.value}  {item.text}")


@memories.command()
@click.argument("memory_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_errors
def history(ctx, memory_id, as_json) -> None:
    """Every change to a memory, oldest first."""
    with _open(ctx) as mem:
        entries = mem.history(memory_id)
    if as_json:
        _dump([e.model_dump(mode="json") for e in entries])
        return
    _table(["when", "action", "actor", "status", "old text", "new text"],
           [[_when(e.created_at), e.action.value, e.actor,
             f"{e.old_status.value if e.old_status else '-'} -> {e.new_status.value if e.new_status else '-'}",
             e.old_text or "-", e.new_text or "-"] for e in entries])


@memories.command()
@user_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout).")
@click.pass_context
@_errors
def export(ctx, user_id, output) -> None:
    """Export a user's memories, history and messages as JSON."""
    with _open(ctx) as mem:
        data = mem.export(user_id=user_id)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        click.echo(f"exported {len(data['memories'])} memories, {len(data['history'])} history rows, "
                   f"{len(data['messages'])} messages to {output}", err=True)
    else:
        click.echo(text)


@memories.command("import")
@click.argument("file", type=click.File("rb"))
@click.pass_context
@_errors
def import_(ctx, file) -> None:
    """Import an export (FILE, or - for stdin). Importing twice adds nothing."""
    raw = file.read()
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file.name} is not UTF-8 text (bad byte at {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{file.name} is not valid JSON: {exc}") from None
    with _open(ctx) as mem:
        added = mem.import_(data)
    click.echo(f"imported {added['memories']} memories, {added['history']} history rows, "
               f"{added['messages']} messages")


@memories.command("forget-user")
@click.argument("user_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@_errors
def forget_user(ctx, user_id, yes) -> None:
    """Erase USER_ID for good: memories, history and messages, scrubbed from the file."""
    if not yes:
        click.confirm(f"Erase everything stored for {user_id!r}? This cannot be undone", abort=True)
    with _open(ctx) as mem:
        counts = mem.forget_user(user_id=user_id)
    click.echo(f"forgot {user_id}: {counts['memories']} memories, {counts['history']} history rows, "
               f"{counts['messages']} messages")
    if not (counts["vacuumed"] and counts["wal_truncated"]):
        click.echo("warning: another process kept the database busy, so freed space may still hold old "
                   "bytes; run `localmem memories vacuum` when it has exited", err=True)


@memories.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_errors
def stats(ctx, as_json) -> None:
    """Counts, sizes, schema version and embedding model of the store."""
    with _open(ctx) as mem:
        data = mem.stats()
        data["per_user"] = mem.users()
    if as_json:
        _dump(data)
        return
    for key, value in data.items():
        if key != "per_user":
            click.echo(f"{key:>20}: {value}")
    if data["per_user"]:
        _table(["user", "active", "superseded", "deleted", "last change"],
               [[u["user_id"], str(u["active"]), str(u["superseded"]), str(u["deleted"]), u["last_change"]]
                for u in data["per_user"]])


@memories.command()
@click.pass_context
@_errors
def check(ctx) -> None:
    """Check the database and its indexes; exit status 1 if anything is wrong."""
    with _open(ctx, remote=False) as mem:
        problems = mem.check()
    for p in problems:
        click.echo(p)
    if problems:
        sys.exit(1)
    click.echo("ok")


@memories.command()
@click.pass_context
@_errors
def vacuum(ctx) -> None:
    """Rewrite the file without free space and empty the write-ahead log."""
    with _open(ctx, remote=False) as mem:
        done = mem.vacuum()
    if not all(done.values()):
        raise click.ClickException("another process kept the database busy; try again when it has exited")
    click.echo("ok")


@memories.command()
@click.pass_context
@_errors
def reembed(ctx) -> None:
    """Recompute every vector with the current embedding model (after changing models)."""
    with _open(ctx, remote=False) as mem:
        result = mem.reembed(progress=lambda done, total: click.echo(f"\r{done}/{total}", nl=False, err=True))
    click.echo(f"\nre-embedded {result['memories']} memories with {result['embedding_model']}", err=True)


@memories.command()
@click.pass_context
@_errors
def reindex(ctx) -> None:
    """Rebuild the full-text and vector indexes from the stored rows."""
    with _open(ctx, remote=False) as mem:
        result = mem.reindex()
    click.echo(f"rebuilt full-text index ({result['fts_rows']} rows) and vector index ({result['vector_rows']} rows)")


@memories.command()
@click.option("-u", "--user", "user_id", default=None, help="Only this user's pending messages.")
@click.option("-m", "--model", "model_name", default=None, help="Registry model name (default: the chat model).")
@click.option("--limit", type=click.IntRange(1, 100000), default=100, show_default=True)
@click.pass_context
@_errors
def reprocess(ctx, user_id, model_name, limit) -> None:
    """Extract memories from messages still pending (after a crash or a malformed model output)."""
    from localmem.memory import Memory

    with Memory(ctx.obj["db"], vector_cache=False, llm=model_name) as mem:
        pending = mem.store.pending_messages(user_id=user_id, limit=limit)
        if not pending:
            click.echo("nothing pending")
            return
        events = mem.reprocess(user_id=user_id, limit=limit)
        left = len(mem.store.pending_messages(user_id=user_id, limit=limit))
    for e in events:
        click.echo(f"{e.event.value:9} {e.memory.id}  {e.memory.text}")
    click.echo(f"processed {len(pending) - left} of {len(pending)} pending message(s); {left} still pending", err=True)


@memories.command()
@click.option("-u", "--user", "user_id", default=None, help="Only this user's failures.")
@click.option("--all", "all_", is_flag=True, help="Include failures that a later run resolved.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_errors
def failures(ctx, user_id, all_, as_json) -> None:
    """Model outputs that stayed malformed after retries (kept; `reprocess` retries them)."""
    with _open(ctx) as mem:
        rows = mem.failures(user_id=user_id, include_resolved=all_)
    if as_json:
        _dump([r.model_dump(mode="json") for r in rows])
        return
    if not rows:
        click.echo("no failures")
    for r in rows:
        state = "resolved" if r.resolved_at else "pending"
        click.echo(f"{r.id} {r.user_id} {r.operation} {state}: {r.error} ({len(r.raw_outputs)} raw output(s))")


def _json_object(text: str | None, what: str) -> dict | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint=what) from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint=what)
    return value


def _note_unknown_user(mem, user_id: str, results: list) -> None:
    if not results and hasattr(mem, "store") and not mem.store.known_user(user_id):
        click.echo(f"note: nothing is stored for user {user_id!r} in {mem.path}", err=True)
