"""``localmem chat`` (the full-screen app in a terminal, else a streaming REPL) and ``localmem ask``.

In a terminal ``localmem chat`` opens the textual app (``localmem.tui``); with ``--plain``, or when
stdin or stdout is not a terminal (scripts, tests), it is a plain REPL that remembers.

Commands inside the REPL: ``/exit`` (or Ctrl-D) quits, ``/memories`` shows what the last message
did to memory, ``/stats`` prints the last call's counters. Ctrl-C stops a reply being generated.
"""

from __future__ import annotations

import sys
import uuid

import click

from localmem.cli.memories import default_user

MEMORY_MODES = ["on", "read-only", "off"]


def _options(fn):
    for option in reversed([
        click.option("-m", "--model", "model_name", default=None, help="Registry model name (default: the chat model)."),
        click.option("-u", "--user", "user_id", default=None, help="Whose memory ($LOCALMEM_USER, else your login)."),
        click.option("--db", type=click.Path(dir_okay=False), envvar="LOCALMEM_DB", default=None,
                     help="Memory database (default: <home>/memory.db)."),
        click.option("--memory", "memory_mode", type=click.Choice(MEMORY_MODES), default="on", show_default=True,
                     help="on: recall and remember; read-only: recall only; off: a fresh start."),
        click.option("--max-tokens", type=click.IntRange(1, 8192), default=None, help="Reply length limit."),
    ]):
        fn = option(fn)
    return fn


def _assistant(model_name, db, memory_mode, max_tokens, extraction):
    if model_name is None:  # the daemon's model: use it when one runs (-m names a model to load here)
        from localmem.client import RemoteAssistant, remote_for

        remote = remote_for(db)
        if remote is not None:
            return RemoteAssistant(remote, memory_mode=memory_mode, max_tokens=max_tokens)
    from localmem.assistant import Assistant
    from localmem.config import RegistryError
    from localmem.llm import LLMError, Runtime
    from localmem.memory import Memory
    from localmem.registry import ModelError

    try:
        runtime = Runtime.from_registry(model_name)
        click.echo(f"loading {runtime.name} ...", err=True)
        runtime.load()
    except (RegistryError, ModelError, LLMError) as exc:
        raise click.ClickException(str(exc)) from None
    memory = Memory(db, llm=runtime)
    return Assistant(memory, runtime=runtime, memory_mode=memory_mode, extraction=extraction, max_tokens=max_tokens)


def _stream(assistant, text: str, user_id: str, session_id: str | None, show_stats: bool):
    stream = assistant.chat(text, user_id=user_id, session_id=session_id, stream=True)
    try:
        for piece in stream:
            click.echo(piece, nl=False)
            sys.stdout.flush()
    except KeyboardInterrupt:
        stream.close()
        click.echo(" [stopped]", nl=False)
    click.echo()
    reply = stream.reply
    if show_stats and reply is not None and reply.stats is not None:
        s = reply.stats
        click.secho(f"  {len(reply.memories)} memories recalled, {s.completion_tokens} tok, {s.generation_tps:.1f} tok/s, "
                    f"prompt {s.prompt_tokens} tok ({s.cached_tokens} cached)", dim=True, err=True)
    return reply


def _print_events(reply) -> None:
    events = reply.wait_events() if reply is not None else []
    if not events:
        click.echo("(no memory changes)", err=True)
    for e in events:
        click.echo(f"  {e.event.value:9} {e.memory.text}", err=True)


@click.command()
@_options
@click.option("--stats/--no-stats", default=True, help="Show tokens/s after each reply (plain REPL).")
@click.option("--plain", is_flag=True, help="A plain line-based REPL instead of the full-screen app "
              "(the default when stdin or stdout is not a terminal).")
def chat(model_name, user_id, db, memory_mode, max_tokens, stats, plain) -> None:
    """Chat with the assistant in the terminal; it remembers what you tell it."""
    user_id = user_id or default_user()
    if not plain and sys.stdin.isatty() and sys.stdout.isatty():
        _run_app(model_name, user_id, db, memory_mode, max_tokens)
        return
    assistant = _assistant(model_name, db, memory_mode, max_tokens, "background")
    session_id = uuid.uuid4().hex[:12]
    click.echo(f"localmem chat on {assistant.runtime.name} as {user_id!r} (memory {memory_mode}) — "
               "/exit quits, /memories shows what the last message changed, Ctrl-C stops a reply", err=True)
    last = None
    try:
        while True:
            try:
                text = input("you> ").strip()
            except EOFError:
                click.echo()
                return
            except KeyboardInterrupt:
                click.echo()
                continue
            if not text:
                continue
            if text in {"/exit", "/quit"}:
                return
            if text == "/memories":
                _print_events(last)
                continue
            if text == "/stats":
                rt = assistant.runtime
                click.echo(rt.last_stats.model_dump_json(indent=2) if rt.last_stats else "(no call yet)")
                continue
            click.echo("assistant> ", nl=False)
            last = _stream(assistant, text, user_id, session_id, stats)
    finally:
        if last is not None and last.extraction is not None:
            last.extraction.result()  # let the last extraction finish before exiting
        assistant.memory.close()
        assistant.runtime.close()


def _run_app(model_name, user_id, db, memory_mode, max_tokens) -> None:
    """The full-screen app (textual is imported only here)."""
    from localmem.config import RegistryError, load_registry
    from localmem.tui.app import LocalmemApp
    from localmem.tui.backend import Backend

    use_daemon = model_name is None  # as in the plain REPL: -m names a model to load in this process
    try:
        model_name = load_registry().get(model_name).name  # an unknown name fails before the screen opens
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    backend = Backend(user_id=user_id, db_path=db, model=model_name, memory_mode=memory_mode, max_tokens=max_tokens,
                      daemon=use_daemon)
    LocalmemApp(backend).run()


@click.command()
@click.argument("question")
@_options
@click.option("--json", "as_json", is_flag=True, help="Print the reply, the memories used and the events as JSON.")
def ask(question, model_name, user_id, db, memory_mode, max_tokens, as_json) -> None:
    """Ask one question, answered from memory; what it says is remembered too."""
    user_id = user_id or default_user()
    assistant = _assistant(model_name, db, memory_mode, max_tokens, "blocking")
    try:
        if as_json:
            import json

            reply = assistant.chat(question, user_id=user_id)
            events = reply.wait_events()
            click.echo(json.dumps({
                "text": reply.text,
                "memories": [m.model_dump(mode="json") for m in reply.memories],
                "events": [e.model_dump(mode="json") for e in events],
                "stats": reply.stats.model_dump() if reply.stats else None,
            }, indent=2))
        else:
            reply = _stream(assistant, question, user_id, None, show_stats=False)
            reply.wait_events()
    finally:
        assistant.memory.close()
        assistant.runtime.close()
