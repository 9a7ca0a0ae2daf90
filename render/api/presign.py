"""Pre-signed live_event_report_url: a comment collector reports events without AK/SK.

    secret = report_secret(settings)                     # bytes; kept in <db dir>/report-url.key (0600)
    url = report_url(base, secret, project_id, room_id, job_id, expires_ms)
    check_presigned(secret, project_id, room_id, job_id, auth_key, expires_time, now_ms)  # or 401

auth_key = hex(HMAC-SHA256(secret, "{project_id}/{room_id}/{job_id}/{expires_time}")), expires_time
in epoch milliseconds (interaction.md). The key file survives restarts, so URLs handed out stay valid.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import urlencode

from render.api.settings import Settings
from render.errors import UnauthorizedError

KEY_FILE = "report-url.key"


def report_secret(settings: Settings) -> bytes:
    """The server's HMAC key for report URLs: the configured one, else a random key created once
    beside the database (mode 0600) and read back on every start (then kept in the settings)."""
    if not settings.control.report_secret:
        settings.control.report_secret = _key_file(Path(settings.db_path).parent / KEY_FILE)
    return settings.control.report_secret


def _key_file(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex())
    os.replace(tmp, path)
    return key


def auth_key(secret: bytes, project_id: str, room_id: str, job_id: str, expires_time: int) -> str:
    msg = f"{project_id}/{room_id}/{job_id}/{expires_time}".encode()
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()


def report_path(project_id: str, room_id: str, job_id: str) -> str:
    return f"/v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/live-event-report"


def report_url(base: str, secret: bytes, project_id: str, room_id: str, job_id: str, expires_time: int) -> str:
    query = urlencode({"auth_key": auth_key(secret, project_id, room_id, job_id, expires_time),
                       "expires_time": expires_time})
    return f"{base.rstrip('/')}{report_path(project_id, room_id, job_id)}?{query}"


def check_presigned(secret: bytes, project_id: str, room_id: str, job_id: str, key: str,
                    expires_time: str | int | None, now_ms: int) -> None:
    """None, or UnauthorizedError naming what is wrong (expired, altered, missing expires_time)."""
    try:
        expires = int(str(expires_time))
    except ValueError:
        raise UnauthorizedError("expires_time: must be epoch milliseconds next to auth_key") from None
    want = auth_key(secret, project_id, room_id, job_id, expires)
    if not hmac.compare_digest(want, str(key).lower()):
        raise UnauthorizedError("auth_key: does not match this job's live_event_report_url")
    if expires <= now_ms:
        raise UnauthorizedError(f"expires_time: the live_event_report_url expired ({expires} ms <= now {now_ms} ms); "
                                "get a new one with refresh_url=true or from the job's show")
