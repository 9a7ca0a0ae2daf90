"""The server's settings (one object, passed explicitly; nothing global)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from render.api.auth import Credentials
from render.assets import MediaPolicy


def default_db_path(env: Mapping[str, str] | None = None) -> Path:
    """$SMARTLIVE_DATA/smartlive.db, else ~/.local/share/smartlive/smartlive.db."""
    env = os.environ if env is None else env
    base = (
        Path(env["SMARTLIVE_DATA"])
        if env.get("SMARTLIVE_DATA")
        else Path.home() / ".local" / "share" / "smartlive"
    )
    return base / "smartlive.db"


def push_command(assets_dirs=()) -> list[str]:
    """The live push worker (with the server's extra asset folders); the runner appends
    ROOM.json --events-out FILE [--duration S] --room-id ID --job-id ID -q [--retries N]."""
    extra = [arg for d in assets_dirs for arg in ("--assets", str(Path(d).resolve()))]
    return [sys.executable, "-m", "render", *extra, "push"]


@dataclass
class Settings:
    db_path: Path = field(default_factory=default_db_path)
    credentials: Credentials = field(default_factory=Credentials)
    no_auth: bool = False
    max_jobs: int = 2  # concurrent WAITING + PROCESSING jobs, all projects together
    assets_dirs: tuple[Path, ...] = ()  # extra asset libraries (--assets), for the media check
    worker_command: list[str] = field(default_factory=push_command)  # test seam
    work_dir: Path | None = None  # per-job room file, events, stderr; default: <db dir>/jobs
    stop_timeout: float = 15.0  # SIGTERM -> SIGKILL after this many seconds
    push_retries: int | None = None  # --retries of the push (None: the push's default)
    poll_interval: float = 0.2  # how often the runner looks at its workers
    max_body_bytes: int = 8 * 1024 * 1024  # larger bodies: 413, refused while they arrive
    body_timeout: float = 60.0  # seconds for a whole request body
    header_timeout: float = 10.0  # seconds for a request's headers (slow clients are dropped)
    media_roots: tuple[Path, ...] = ()  # folders whose files rooms may name (--media-root)
    allow_private_urls: bool = False  # http(s) media on loopback/private/link-local addresses
    url_allow_hosts: tuple[str, ...] = ()  # "host:port" taken as public (a test seam)
    control: ControlSettings = field(default_factory=lambda: ControlSettings())  # live control (issue 12)
    runner: str = "local"  # what runs live jobs (render.runners): local subprocesses or "ray"
    ray_address: str | None = None  # --ray-address (None: RAY_ADDRESS, else a cluster on this machine)
    ray_num_cpus: float = 1.0  # CPUs a job's Ray actor reserves on its node

    def __post_init__(self) -> None:
        self.assets_dirs = tuple(Path(d) for d in self.assets_dirs)
        self.media_roots = tuple(Path(d).resolve() for d in self.media_roots)

    def media_policy(self) -> MediaPolicy:
        """What rooms that arrive over the API may reference (the check and the workers agree)."""
        return MediaPolicy.restricted(self.media_roots, allow_private_urls=self.allow_private_urls,
                                      url_allow_hosts=self.url_allow_hosts)

    @property
    def jobs_dir(self) -> Path:
        return Path(self.work_dir) if self.work_dir else Path(self.db_path).parent / "jobs"


@dataclass
class ControlSettings:
    """Live control of running jobs: the job channel's watch and the pre-signed report URLs."""

    ping_interval: float = 1.0  # s between pings of a worker's channel
    ping_timeout: float = 10.0  # a worker that answers no ping for this long is hung: FAILED
    connect_timeout: float = 300.0  # a worker must open its channel within this many s
    command_timeout: float = 10.0  # s the live may take to take a command
    minute: float = 60.0  # seconds in a minute of max_exception_waiting_duration (test seam)
    default_exception_wait: int = 3  # minutes, when the room sets no max_exception_waiting_duration
    report_url_ttl: float = 7 * 24 * 3600.0  # s a pre-signed live_event_report_url stays valid
    report_secret: bytes | None = None  # HMAC key of report URLs; None: <db dir>/report-url.key
