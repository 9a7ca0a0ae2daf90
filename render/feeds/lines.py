"""JSON lines -> the Reporter: `smartlive feed --url URL FILE|-`, the way any collector (Douyin,
a chat bot, a script) feeds a job. A line is `{"type", "content" (object or JSON string),
"timestamp"?}`; a malformed one is reported with its number and skipped.

    result = feed(url, source)      # blocks until the source ends and everything is reported
"""
from __future__ import annotations

import asyncio
import json
import sys
import threading
from dataclasses import dataclass

from render.errors import RenderError
from render.feeds.events import FeedEvent
from render.feeds.report import INTERVAL, FeedError, Reporter
from render.feeds.status import Stats
from render.spec.live_events import MAX_BATCH, parse_event

__all__ = ["FeedError", "FeedResult", "feed", "parse_line"]


@dataclass
class FeedResult:
    sent: int = 0
    batches: int = 0
    bad_lines: int = 0


def parse_line(line: str, n: int) -> FeedEvent:
    """One line -> FeedEvent; RenderError / JSONDecodeError naming line n otherwise."""
    ev = parse_event(json.loads(line), f"line {n}")
    return FeedEvent(ev.type, ev.content, ev.timestamp, where=f"line {n}")


def feed(url: str, source, *, batch: int = MAX_BATCH, interval: float = INTERVAL, err=None,
         timeout: float = 10.0, give_up: float = 3.0) -> FeedResult:
    return asyncio.run(_feed(url, source, batch=batch, interval=interval, err=err or sys.stderr,
                             timeout=timeout, give_up=give_up))


def _read(source, loop, q: asyncio.Queue) -> None:
    """The reader thread (daemon: a collector's pipe may stay open after the feed stops): lines
    into `q`, waiting while it is full; then an exception or None at the end."""
    def put(item) -> bool:
        try:
            asyncio.run_coroutine_threadsafe(q.put(item), loop).result()
            return True
        except RuntimeError:  # the loop has closed: the feed stopped
            return False

    try:
        for line in source:
            if not put(line):
                return
    except (OSError, UnicodeDecodeError) as e:
        put(e)
    put(None)


async def _feed(url, source, *, batch, interval, err, timeout, give_up) -> FeedResult:
    stats = Stats()
    reporter = Reporter(url, stats, batch=batch, interval=interval, timeout=timeout, give_up=give_up)
    result = FeedResult()
    sender = reporter.start()
    lines: asyncio.Queue = asyncio.Queue(maxsize=MAX_BATCH)
    threading.Thread(target=_read, args=(source, asyncio.get_running_loop(), lines), name="feed-reader",
                     daemon=True).start()

    n = 0
    try:
        while (line := await reporter.until(lines.get())) is not None:
            if isinstance(line, Exception):
                raise FeedError(f"cannot read the events: {line}")
            n += 1
            if not line.strip():
                continue
            try:
                ev = parse_line(line, n)
            except json.JSONDecodeError as e:
                print(f"feed: line {n}: not valid JSON ({e.msg} at column {e.colno}); skipped", file=err)
                result.bad_lines += 1
                continue
            except RenderError as e:
                print(f"feed: {'; '.join(e.details)}; skipped", file=err)
                result.bad_lines += 1
                continue
            stats.seen(ev.type)
            await reporter.put(ev)
        await reporter.close()
        await sender
    finally:
        if not sender.done():
            sender.cancel()
    result.sent, result.batches = stats.sent, stats.batches
    return result
