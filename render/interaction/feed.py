"""`smartlive feed`: a comment collector. JSON lines `{"type", "content" (object or JSON string),
"timestamp"?}` from a file or stdin -> POST `{total, events}` (content as a JSON string) to a
job's pre-signed live_event_report_url, in batches of at most 100 events or every 0.5 s.

A malformed line is reported with its number and skipped (the others are sent); a batch the
server refuses stops the feed with the HTTP status and the API's error body.
"""
from __future__ import annotations

import json
import queue
import sys
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from render.errors import RenderError
from render.spec.live_events import MAX_BATCH, parse_event

INTERVAL = 0.5
_EOF = object()


class FeedError(Exception):
    """The report URL refused a batch or cannot be reached: the message says which and why."""


@dataclass
class FeedResult:
    sent: int = 0
    batches: int = 0
    bad_lines: int = 0


def _read(source, q: queue.Queue) -> None:
    try:
        for n, line in enumerate(source, 1):
            if line.strip():
                q.put((n, line))
    except (OSError, UnicodeDecodeError) as e:
        q.put((0, e))
    finally:
        q.put(_EOF)


def _explain(r) -> str:
    try:
        body = r.json()
        if isinstance(body, dict) and "error_code" in body:
            return f"{body['error_code']} {body.get('error_msg', '')}".strip()
    except ValueError:
        pass
    return r.text.strip()[:300] or r.reason_phrase


def feed(url: str, source, *, batch: int = MAX_BATCH, interval: float = INTERVAL, err=None,
         timeout: float = 10.0) -> FeedResult:
    import httpx

    err = err or sys.stderr
    if urlsplit(url).scheme not in ("http", "https"):
        raise FeedError(f"--url: {url!r} is not an http(s) URL (the job's live_event_report_url)")
    batch = max(1, min(batch, MAX_BATCH))
    result = FeedResult()
    q: queue.Queue = queue.Queue(maxsize=10 * MAX_BATCH)  # the reader waits when the server is slow
    threading.Thread(target=_read, args=(source, q), name="feed-reader", daemon=True).start()
    pending: list[tuple[int, dict]] = []
    first_at = 0.0

    def flush(client) -> None:
        nonlocal pending
        if not pending:
            return
        lines = f"line {pending[0][0]}" + (f"-{pending[-1][0]}" if len(pending) > 1 else "")
        body = {"total": len(pending), "events": [e for _, e in pending]}
        try:
            r = client.post(url, json=body)
        except httpx.HTTPError as e:
            raise FeedError(f"cannot report {lines} to {urlsplit(url).netloc}: {type(e).__name__}: {e}") from None
        if r.status_code >= 300:
            raise FeedError(f"{lines}: the report URL answered HTTP {r.status_code}: {_explain(r)}")
        result.sent += len(pending)
        result.batches += 1
        pending = []

    with httpx.Client(timeout=timeout) as client:
        while True:
            wait = None if not pending else max(0.0, first_at + interval - time.monotonic())
            try:
                item = q.get(timeout=wait)
            except queue.Empty:
                flush(client)
                continue
            if item is _EOF:
                flush(client)
                return result
            n, line = item
            if isinstance(line, Exception):
                raise FeedError(f"cannot read the events: {line}")
            try:
                ev = parse_event(json.loads(line), f"line {n}")
            except json.JSONDecodeError as e:
                print(f"feed: line {n}: not valid JSON ({e.msg} at column {e.colno}); skipped", file=err)
                result.bad_lines += 1
                continue
            except RenderError as e:
                print(f"feed: {'; '.join(e.details)}; skipped", file=err)
                result.bad_lines += 1
                continue
            if not pending:
                first_at = time.monotonic()
            pending.append((n, ev.as_live_event()))
            if len(pending) >= batch:
                flush(client)
