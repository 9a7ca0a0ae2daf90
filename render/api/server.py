"""`smartlive serve`: build the settings, say loudly when auth is off, run uvicorn.

uvicorn runs with HeaderTimeoutH11: a connection whose request headers have not all arrived
`header_timeout` seconds after its first byte (or after it opened) is closed.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from render.api.auth import load_credentials
from render.api.settings import Settings, default_db_path, push_command
from render.errors import SpecError


def header_timeout_protocol(seconds: float):
    """uvicorn's h11 protocol, closing connections that send their headers too slowly."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutH11(H11Protocol):
        _header_timer = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._waiting_for_headers():
                self._arm()
            super().data_received(data)
            if not self._waiting_for_headers():
                self._disarm()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _waiting_for_headers(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(seconds, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if self._waiting_for_headers() and not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutH11


def uvicorn_config(app, settings: Settings, host: str, port: int, **kw):
    """The uvicorn configuration of the API (the tests' harness uses it too)."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, http=header_timeout_protocol(settings.header_timeout), **kw)


def make_settings(
    db_path: str | Path | None = None,
    credentials_path: str | Path | None = None,
    no_auth: bool = False,
    max_jobs: int = 2,
    env=None,
    assets_dirs=(),
    **extra,
) -> Settings:
    """Settings from the CLI's values; SpecError when no caller could ever be authorized.
    `extra`: any Settings field (media_roots=[...], allow_private_urls=True, ...)."""
    env = os.environ if env is None else env
    if max_jobs < 1:
        raise SpecError(f"--max-jobs: must be at least 1, not {max_jobs}")
    creds = load_credentials(credentials_path, env)
    for root in extra.get("media_roots") or ():
        if not Path(root).is_dir():
            raise SpecError(f"--media-root: {root} is not a folder")
    if assets_dirs and "worker_command" not in extra:
        extra["worker_command"] = push_command(assets_dirs)
    if not creds and not no_auth:
        raise SpecError(
            "--credentials: no keys configured; pass --credentials FILE, set SMARTLIVE_AK and "
            "SMARTLIVE_SK (or SMARTLIVE_TOKEN), or run with --no-auth for local experiments"
        )
    return Settings(
        db_path=Path(db_path) if db_path else default_db_path(env),
        credentials=creds,
        no_auth=no_auth,
        max_jobs=max_jobs,
        assets_dirs=tuple(Path(d).resolve() for d in assets_dirs),
        **extra,
    )


def _port_free(host: str, port: int) -> None:
    """SpecError naming --port when nothing can listen there (in use, or not ours to take)."""
    import socket

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as e:
        raise SpecError(f"--port: cannot listen on {host}:{port} ({e.strerror or e}); "
                        "is another server running there? Choose another --port") from None


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    db_path: str | Path | None = None,
    credentials_path: str | Path | None = None,
    no_auth: bool = False,
    max_jobs: int = 2,
    log_level: str = "info",
    **extra,
) -> None:
    """Run the API until interrupted (Ctrl-C / SIGTERM stop the live jobs cleanly).
    `extra`: assets_dirs=[...] (extra asset libraries for the push workers) or any Settings field."""
    import uvicorn

    from render.api.app import create_app, is_loopback

    if no_auth and not is_loopback(host):
        raise SpecError(
            f"--host: {host} is not a loopback address; --no-auth serves this machine only "
            "(configure --credentials to serve other hosts)"
        )
    _port_free(host, port)  # before anything is created (database, folders)
    settings = make_settings(db_path, credentials_path, no_auth, max_jobs, **extra)
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if no_auth:
        bar = "!" * 78
        print(
            f"{bar}\n!! WARNING: authentication is OFF (--no-auth). Anyone who can reach "
            f"http://{host}:{port}\n!! can create rooms and start live pushes. "
            f"Local experiments only.\n{bar}",
            file=sys.stderr,
            flush=True,
        )
    print(
        f"smartlive API on http://{host}:{port} (database {settings.db_path}, at most {settings.max_jobs} "
        f"live job(s) at once); the console: http://{host}:{port}/console",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.Server(uvicorn_config(create_app(settings), settings, host, port, log_level=log_level)).run()
