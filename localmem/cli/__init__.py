"""The ``localmem`` command.

Subcommands are imported only when they run, so ``localmem --help`` never imports
llama_cpp, onnxruntime, torch or the database layer (cold start target: under 0.3 s).
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute"; each module defines one click command or group.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "chat": ("localmem.cli.chat:chat", "Chat with the assistant in the terminal (it remembers)."),
    "ask": ("localmem.cli.chat:ask", "Ask one question, answered from memory."),
    "models": ("localmem.cli.models:models", "List, install, verify and locate models."),
    "memories": ("localmem.cli.memories:memories", "Add, search, inspect and manage memories."),
    "preferences": ("localmem.cli.preferences:preferences", "Show the communication style learnt for a user."),
    "serve": ("localmem.cli.daemon:serve", "Run the background daemon (HTTP API on a Unix socket)."),
    "daemon": ("localmem.cli.daemon:daemon", "Install, inspect, stop the daemon; show its logs."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def __init__(self, *args, lazy: dict[str, tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            target, _ = self.lazy[name]
            module_name, attr = target.split(":")
            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help text comes from the table above so that --help imports nothing.
        rows = [(name, self.lazy[name][1]) for name in sorted(self.lazy)]
        rows += [
            (name, cmd.get_short_help_str())
            for name, cmd in sorted(self.commands.items())
            if name not in self.lazy
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="localmem")
def main() -> None:
    """localmem: a private assistant that runs on your machine and remembers you.

    Data lives in $LOCALMEM_HOME (default: the platform's user data directory).
    Nothing leaves the machine.
    """


@main.command()
def home() -> None:
    """Print the localmem home directory."""
    from localmem.paths import home as home_dir

    click.echo(str(home_dir()))
