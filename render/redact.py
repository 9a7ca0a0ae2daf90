"""Secrets kept out of what is shown and logged (issue 24 item 9). Pure.

    mask(text, secrets)          # every given secret replaced by ***
    scrub(text, secrets=())      # a remote error body fit for a log line: secrets and token-like
                                 # strings masked, control characters escaped, cut to `limit`
    masked_config(room_dump)     # GET_LIVE_JOB_CONFIG_INFO: stream keys and the callback key masked
"""
from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
# what an endpoint may echo back: a bearer token, an OpenAI-style key, `api_key=...`, a JWT
_TOKENS = re.compile(
    r"(?i)(authorization[\"']?\s*[:=]\s*)[^\n\"',;}]+"
    r"|(bearer\s+)[\w.~+/=-]+"
    r"|\b(sk|pk|rk)-[\w-]{8,}"
    r"|((?:api[_-]?key|access[_-]?token|token|secret|password)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]+"
    r"|\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}")


def mask(text: str, secrets: Iterable[str | None]) -> str:
    for s in sorted({s for s in secrets if isinstance(s, str) and len(s) >= 2}, key=len, reverse=True):
        text = text.replace(s, MASK)
    return text


def scrub(text: str, secrets: Iterable[str | None] = (), limit: int = 200) -> str:
    text = mask(text, secrets)
    text = _TOKENS.sub(lambda m: (m.group(1) or m.group(2) or m.group(4) or "") + MASK, text)
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return text if len(text) <= limit else text[:limit] + "..."


def masked_config(room: dict) -> dict:
    out = dict(room)
    if isinstance(out.get("stream_keys"), list):
        out["stream_keys"] = [MASK if k else k for k in out["stream_keys"]]
    cb = out.get("live_event_callback_config")
    if isinstance(cb, dict) and cb.get("key"):
        out["live_event_callback_config"] = {**cb, "key": MASK}
    return out
