"""`smartlive serve`: build the settings, say loudly when auth is off, run uvicorn."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from render.api.auth import load_credentials
from render.api.settings import Settings, default_db_path, push_command
from render.errors import SpecError


def make_settings(
    db_path: str | Path | None = None,
    credentials_path: str | Path | None = None,
    no_auth: bool = False,
    max_jobs: int = 2,
    env=None,
    assets_dirs=(),
    **extra,
) -> Settings:
    """Settings from the CLI's values; SpecError when no caller could ever be authorized."""
    env = os.environ if env is None else env
    if max_jobs < 1:
        raise SpecError(f"--max-jobs: must be at least 1, not {max_jobs}")
    creds = load_credentials(credentials_path, env)
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

    from render.api.app import create_app

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
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
