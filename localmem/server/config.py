"""Daemon settings (pydantic; unknown keys are an error)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    db: Path | None = None                     # default: <home>/memory.db
    socket: Path | None = None                 # default: <runtime dir>/localmem.sock
    tcp_port: int | None = Field(None, ge=1, le=65535)  # also listen on 127.0.0.1:PORT (bearer token)
    model: str | None = None                   # registry name for chat and extraction (default: fast)
    scripted_delay: float | None = Field(None, ge=0, le=60)  # tests only: a deterministic stand-in model
    scripted_kill_at_update: int | None = Field(None, ge=1)  # tests only: SIGKILL itself on the Nth update call
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    idle_seconds: float = Field(300.0, ge=0)   # no request for this long: sleep-time consolidation may run
    consolidate_every: float = Field(3600.0, ge=0)
    shutdown_grace: float = Field(30.0, ge=0)  # SIGTERM: how long the job in hand may take to finish
    max_attempts: int = Field(3, ge=1)
    keep_jobs_days: float = Field(7.0, ge=0)   # finished jobs older than this are deleted at start-up         # a job that raises this often is marked failed
    log_max_bytes: int = Field(1_000_000, ge=1024)
    log_backups: int = Field(3, ge=0)
