"""``localmem chat``: a plain streaming chat REPL on a local model.

Commands inside the REPL: ``/exit`` (or Ctrl-D) quits, ``/reset`` clears the conversation,
``/stats`` prints the last call's counters. Ctrl-C stops a reply that is being generated.
"""

from __future__ import annotations

import sys

import click

DEFAULT_SYSTEM = "You are a helpful, concise assistant running privately on the user's own computer."


@click.command()
@click.option("-m", "--model", "model_name", default=None, help="Registry model name (default: the chat model).")
@click.option("--adapter", default=None, help="Run with this LoRA adapter of the model.")
@click.option("--system", default=DEFAULT_SYSTEM, show_default=False, help="System prompt.")
@click.option("--max-tokens", type=click.IntRange(1, 8192), default=None, help="Reply length limit.")
@click.option("--temperature", type=click.FloatRange(0, 5), default=None, help="Sampling temperature.")
@click.option("-p", "--prompt", default=None, help="Answer one prompt and exit (no REPL).")
@click.option("--stats/--no-stats", default=True, help="Show tokens/s after each reply.")
def chat(model_name, adapter, system, max_tokens, temperature, prompt, stats) -> None:
    """Chat with a local model in the terminal (streamed)."""
    from localmem.config import RegistryError
    from localmem.llm import LLMError, Runtime
    from localmem.registry import ModelError

    try:
        runtime = Runtime.from_registry(model_name)
        click.echo(f"loading {runtime.name} ...", err=True)
        runtime.load()
    except (RegistryError, ModelError, LLMError) as exc:
        raise click.ClickException(str(exc)) from None

    history: list[dict[str, str]] = [{"role": "system", "content": system}] if system else []
    sampling = {"max_tokens": max_tokens, "temperature": temperature}

    def reply(text: str) -> None:
        history.append({"role": "user", "content": text})
        stream = runtime.stream(history, adapter=adapter, **sampling)
        parts: list[str] = []
        try:
            for piece in stream:
                parts.append(piece)
                click.echo(piece, nl=False)
                sys.stdout.flush()
        except KeyboardInterrupt:
            stream.close()
            click.echo(" [stopped]", nl=False)
        click.echo()
        history.append({"role": "assistant", "content": "".join(parts)})
        if stats and stream.result is not None:
            s = stream.result.stats
            click.secho(
                f"  {s.completion_tokens} tok, {s.generation_tps:.1f} tok/s, prompt {s.prompt_tokens} tok "
                f"({s.cached_tokens} cached), {s.total_ms / 1000:.1f} s", dim=True, err=True,
            )

    try:
        if prompt is not None:
            reply(prompt)
            return
        click.echo(f"localmem chat on {runtime.name} — /exit to quit, /reset to clear, Ctrl-C stops a reply", err=True)
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
            if text == "/reset":
                del history[1 if system else 0:]
                click.echo("(conversation cleared)", err=True)
                continue
            if text == "/stats":
                click.echo(runtime.last_stats.model_dump_json(indent=2) if runtime.last_stats else "(no call yet)")
                continue
            click.echo("assistant> ", nl=False)
            reply(text)
    finally:
        runtime.close()
