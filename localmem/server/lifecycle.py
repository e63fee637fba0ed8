"""Where the daemon's files live, and how it starts and stops safely.

- Runtime directory: ``$LOCALMEM_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/localmem``, else
  ``<home>/run``; created 0700 (and checked: owned by us, no group/other bits), so the socket
  inside is never reachable by another user, not even in the instant between bind and chmod.
- The socket is chmod 0600 right after bind. A lock file beside it (``flock``, released by the
  kernel even on ``kill -9``) holds the server's pid: a second server on the same socket is refused.
- The TCP token (``<home>/server-token``) is generated at first start, written 0600 with O_EXCL.
- Logs go to ``<home>/logs/server.log`` with rotation.
"""

from __future__ import annotations

import fcntl
import logging
import logging.handlers
import os
import secrets
import socket
import stat
from pathlib import Path

from localmem.paths import default_socket, home, runtime_dir  # noqa: F401 (re-exported)

MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, 104 on macOS


class ServerError(RuntimeError):
    """The daemon cannot start (already running, unsafe directory, path too long...)."""


def token_path() -> Path:
    return home() / "server-token"


def log_path() -> Path:
    return home() / "logs" / "server.log"


def private_dir(path: Path) -> Path:
    """Create ``path`` as a 0700 directory, or check an existing one is ours and private."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if st.st_uid != os.getuid():
        raise ServerError(f"{path} belongs to uid {st.st_uid}, not to you (uid {os.getuid()}); "
                          "choose another socket directory")
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return path


class SocketLock:
    """An exclusive ``flock`` on ``<socket>.lock`` holding the server's pid."""

    def __init__(self, sock: Path):
        self.path = sock.with_name(sock.name + ".lock")
        self.fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise ServerError(f"another localmem server (pid {pid}) is already serving "
                              f"{self.path.with_suffix('')}; stop it first (localmem daemon stop)") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def running_pid(sock: Path) -> int | None:
    """The pid of the server holding ``sock``'s lock, or None when none runs."""
    lock = sock.with_name(sock.name + ".lock")
    if not lock.exists():
        return None
    fd = os.open(lock, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.read(fd, 32).decode(errors="replace").strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def bind_unix(sock: Path) -> socket.socket:
    """Bind the listening Unix socket (the lock must be held: a stale file is replaced)."""
    if len(str(sock)) > MAX_SOCKET_PATH:
        raise ServerError(f"socket path {sock} is {len(str(sock))} characters; Unix sockets allow at most "
                          f"{MAX_SOCKET_PATH}: set LOCALMEM_RUNTIME_DIR or --socket to a shorter path")
    private_dir(sock.parent)
    if sock.exists() or sock.is_symlink():
        sock.unlink()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        s.bind(str(sock))
    finally:
        os.umask(old)
    os.chmod(sock, 0o600)
    s.listen(128)
    return s


def bind_tcp(port: int) -> socket.socket:
    """Listen on 127.0.0.1 only (never another interface)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(128)
    return s


def load_or_create_token(path: Path | None = None) -> str:
    path = path or token_path()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, 0o600)
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def setup_logging(path: Path, *, max_bytes: int, backups: int) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False
    return handler


def remove_logging(handler: logging.Handler) -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    handler.close()


LOGGERS = ("localmem", "uvicorn", "uvicorn.error", "uvicorn.access")
