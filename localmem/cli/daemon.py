"""``localmem serve`` and ``localmem daemon install|status|stop|logs``."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import click

UNIT_NAME = "localmem.service"


@click.command()
@click.option("--db", type=click.Path(dir_okay=False), envvar="LOCALMEM_DB", help="Memory database file.")
@click.option("--socket", "socket_path", type=click.Path(dir_okay=False), envvar="LOCALMEM_SOCKET",
              help="Unix socket (default: <runtime dir>/localmem.sock).")
@click.option("--tcp-port", type=click.IntRange(1, 65535), help="Also listen on 127.0.0.1:PORT (bearer token).")
@click.option("-m", "--model", default=None, help="Registry model for chat and extraction (default: fast).")
@click.option("--idle-seconds", type=float, default=300.0, show_default=True,
              help="Idle time before sleep-time consolidation may run.")
@click.option("--scripted-delay", type=float, default=None, hidden=True,
              help="Tests only: a deterministic stand-in model taking this many seconds per call.")
@click.option("--scripted-kill-at-update", type=int, default=None, hidden=True,
              help="Tests only: the scripted model SIGKILLs the server on its Nth update decision.")
def serve(db, socket_path, tcp_port, model, idle_seconds, scripted_delay, scripted_kill_at_update) -> None:
    """Run the localmem daemon (HTTP API on a Unix socket)."""
    from localmem.server.config import ServerConfig
    from localmem.server.lifecycle import ServerError
    from localmem.server.main import serve as run

    config = ServerConfig(db=db, socket=socket_path, tcp_port=tcp_port, model=model, idle_seconds=idle_seconds,
                          scripted_delay=scripted_delay, scripted_kill_at_update=scripted_kill_at_update)
    try:
        sys.exit(run(config, ready=lambda p: click.echo(f"localmem serving on {p}", err=True)))
    except ServerError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def daemon() -> None:
    """Install, inspect and stop the background daemon (a systemd user service)."""


ENV_VARS = ("LOCALMEM_HOME", "LOCALMEM_DB", "LOCALMEM_MODELS_DIR", "LOCALMEM_CACHE", "LOCALMEM_RUNTIME_DIR",
            "LOCALMEM_SOCKET", "LOCALMEM_MODELS_TOML")


def unit_text(executable: str, env: dict[str, str] | None = None) -> str:
    """The systemd user unit; ``env``: the installing shell's localmem variables, so that the
    service and the user's commands agree on the home, store and socket."""
    lines = "".join(f'Environment="{k}={v}"\n' for k, v in sorted((env or {}).items()))
    return f"""[Unit]
Description=localmem: private on-device memory assistant (daemon)

[Service]
Type=simple
{lines}ExecStart={executable} serve
Restart=on-failure
RestartSec=2
KillSignal=SIGTERM
TimeoutStopSec=60
NoNewPrivileges=yes
PrivateTmp=yes
RestrictAddressFamilies=AF_UNIX AF_INET

[Install]
WantedBy=default.target
"""


def _unit_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user" / UNIT_NAME


@daemon.command()
@click.option("--no-enable", is_flag=True, help="Only write the unit file.")
def install(no_enable) -> None:
    """Write the systemd user unit and enable + start it."""
    import shutil
    import subprocess

    exe = shutil.which("localmem") or f"{sys.executable} -m localmem"
    path = _unit_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(unit_text(exe, {k: os.environ[k] for k in ENV_VARS if os.environ.get(k)}))
    click.echo(f"wrote {path}")
    if no_enable:
        return
    if shutil.which("systemctl") is None:
        raise click.ClickException("systemctl not found: start the daemon with `localmem serve` instead")
    for args in (["daemon-reload"], ["enable", "--now", UNIT_NAME]):
        done = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise click.ClickException(f"systemctl --user {' '.join(args)} failed: {done.stderr.strip()}")
    click.echo(f"enabled and started {UNIT_NAME}")


@daemon.command()
@click.option("--socket", "socket_path", type=click.Path(dir_okay=False), envvar="LOCALMEM_SOCKET")
@click.option("--json", "as_json", is_flag=True)
def status(socket_path, as_json) -> None:
    """Is the daemon running? Its pid, queue and request metrics."""
    import json

    from localmem.client import Client, DaemonUnavailable
    from localmem.server.lifecycle import default_socket, running_pid

    sock = Path(socket_path) if socket_path else default_socket()
    pid = running_pid(sock)
    if pid is None:
        click.echo(f"not running (socket {sock})")
        sys.exit(3)
    try:
        client = Client(sock)
        health, metrics = client.request("GET", "/health"), client.request("GET", "/metrics")
    except DaemonUnavailable as exc:
        click.echo(f"pid {pid} holds the lock but does not answer: {exc}")
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({"pid": pid, "health": health, "metrics": metrics}, indent=2))
        return
    click.echo(f"running: pid {pid}, socket {sock}, db {health['db']}, model loaded: {health['model_loaded']}")
    click.echo(f"queue: {health['queue']}; uptime {metrics['uptime_s']:.0f} s; "
               f"generation {metrics['generation_tokens_per_s']} tok/s")
    for route, m in sorted(metrics["routes"].items()):
        click.echo(f"  {route:40} n={m['count']:<6} p50={m['p50_ms']:.1f} ms  p95={m['p95_ms']:.1f} ms  errors={m['errors']}")


@daemon.command()
@click.option("--socket", "socket_path", type=click.Path(dir_okay=False), envvar="LOCALMEM_SOCKET")
@click.option("--wait", "wait_s", type=float, default=60.0, show_default=True, help="Seconds to wait for it to exit.")
def stop(socket_path, wait_s) -> None:
    """Stop the daemon (SIGTERM: it finishes or parks the job in hand)."""
    from localmem.server.lifecycle import default_socket, running_pid

    sock = Path(socket_path) if socket_path else default_socket()
    pid = running_pid(sock)
    if pid is None or pid <= 0:
        click.echo("not running")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while running_pid(sock) is not None:
        if time.monotonic() > deadline:
            raise click.ClickException(f"pid {pid} did not exit within {wait_s:.0f} s")
        time.sleep(0.1)
    click.echo(f"stopped (pid {pid})")


@daemon.command()
@click.option("-n", "--lines", default=50, show_default=True)
def logs(lines) -> None:
    """Print the end of the daemon's log file."""
    from localmem.server.lifecycle import log_path

    path = log_path()
    if not path.exists():
        raise click.ClickException(f"no log yet at {path}")
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh.readlines()[-lines:]:
            click.echo(line, nl=False)
