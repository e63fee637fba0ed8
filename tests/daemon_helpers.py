"""Start and stop real ``localmem serve`` processes for the daemon tests (socket in a short tmp dir)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_POLLS = 1200  # x 0.1 s: the embedder loads at start-up (slow on a busy 2-core machine)


class Daemon:
    def __init__(self, home: Path, *, runtime_dir: Path | None = None, args: list[str] = (),
                 scripted_delay: float | None = 0.0, db: Path | None = None):
        self.home = home
        self.runtime_dir = runtime_dir or Path(tempfile.mkdtemp(prefix="lmd", dir="/tmp")) / "run"
        self.socket = self.runtime_dir / "localmem.sock"
        self.db = db or home / "memory.db"
        self.args = list(args)
        self.scripted_delay = scripted_delay
        self.proc: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(LOCALMEM_HOME=str(self.home), LOCALMEM_RUNTIME_DIR=str(self.runtime_dir),
                   PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
        env.pop("LOCALMEM_SOCKET", None)
        return env

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "localmem", "serve", "--db", str(self.db), *self.args]
        if self.scripted_delay is not None:
            cmd += ["--scripted-delay", str(self.scripted_delay)]
        return cmd

    def start(self, *, wait: bool = True) -> "Daemon":
        self.proc = subprocess.Popen(self.command(), env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        from localmem.client import Client

        for _ in range(START_POLLS):
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited {self.proc.returncode}: {self.proc.stdout.read()}")
            if self.socket.exists() and Client(self.socket, timeout=5).ping():
                return
            time.sleep(0.1)
        raise RuntimeError("daemon did not answer")

    def memory(self, **kwargs):
        from localmem.client import RemoteMemory

        return RemoteMemory(self.socket, **kwargs)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait()
