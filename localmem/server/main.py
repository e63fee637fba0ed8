"""``localmem serve``: open the store, take the socket lock, bind, start the job worker, serve.

Order matters: the lock is taken before anything is bound (a second server is refused without
touching the first one's socket); the Unix socket is bound inside a 0700 directory and chmod 0600;
TCP, if asked for, is 127.0.0.1 only and needs the bearer token. SIGTERM / SIGINT: uvicorn stops
accepting, lets requests in flight finish (up to ``shutdown_grace``), then the worker finishes or
parks the job in hand, the store is closed and the socket removed.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

from localmem.server import lifecycle
from localmem.server.config import ServerConfig
from localmem.server.metrics import Metrics
from localmem.server.worker import JobWorker, ModelHolder

log = logging.getLogger("localmem.server")


@dataclass
class ServerState:
    config: ServerConfig
    memory: object
    models: ModelHolder
    worker: JobWorker
    metrics: Metrics
    pid: int = field(default_factory=os.getpid)


def serve(config: ServerConfig, *, ready=None) -> int:
    import uvicorn

    from localmem.memory import Memory
    from localmem.server.app import Guard, create_app
    from localmem.server.consolidate import consolidate

    sock_path = Path(config.socket) if config.socket else lifecycle.default_socket()
    lifecycle.private_dir(sock_path.parent)
    lock = lifecycle.SocketLock(sock_path)
    lock.acquire()
    handler = lifecycle.setup_logging(lifecycle.log_path(), max_bytes=config.log_max_bytes, backups=config.log_backups)
    sockets = []
    memory = None
    try:
        memory = Memory(config.db)
        metrics = Metrics()
        models = ModelHolder(config)
        worker = JobWorker(memory, models, config, metrics,
                           consolidate=lambda: consolidate(memory.store, models.runtime))
        state = ServerState(config=config, memory=memory, models=models, worker=worker, metrics=metrics)
        token = lifecycle.load_or_create_token() if config.tcp_port else None
        app = Guard(create_app(state), max_body=config.max_body_bytes, token=token, metrics=metrics)
        sockets.append(lifecycle.bind_unix(sock_path))
        if config.tcp_port:
            sockets.append(lifecycle.bind_tcp(config.tcp_port))
        memory.store.embedder  # noqa: B018 - load the embedding model before the first request
        worker.start()
        threading.Thread(target=lambda: _preload(models), name="localmem-load", daemon=True).start()
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                                               timeout_graceful_shutdown=int(config.shutdown_grace) or 1))
        log.info("serving %s on %s%s (pid %d)", memory.path, sock_path,
                 f" and 127.0.0.1:{config.tcp_port}" if config.tcp_port else "", os.getpid())
        if ready is not None:
            ready(sock_path)
        # uvicorn captures SIGTERM/SIGINT while serving and re-raises them afterwards: these handlers
        # receive that re-raise, so the worker still finishes or parks its job and the exit is clean.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: log.info("signal %d: shutting down", signum))
        server.run(sockets=sockets)
        clean = worker.stop(config.shutdown_grace)
        log.info("stopped (%s)", "clean" if clean else "job in hand parked for the next start")
        return 0
    finally:
        for s in sockets:
            s.close()
        if memory is not None:
            memory.close()
        if sock_path.exists():
            sock_path.unlink()
        lock.release()
        lifecycle.remove_logging(handler)


def _preload(models: ModelHolder) -> None:
    try:
        models.runtime  # noqa: B018
    except Exception:  # noqa: BLE001 - reported again on the first request that needs the model
        log.exception("loading the model failed")
