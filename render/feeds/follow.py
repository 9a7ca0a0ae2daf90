"""A platform feed kept running: `follow(source, put, stats, stop=...)`.

A source is anything with `name` and `session(stats)`: an async iterator of FeedEvents over one
connection, which ends or raises when the connection drops. `follow`:
- opens a new session when one ends or fails, after a backoff (1, 2, 4 ... 60 s, jittered; back
  to 1 s once a session has delivered);
- forces a reconnect after `silence` s without an event (a heartbeat-derived count does not
  count: it says the socket lives, not that messages flow);
- drops duplicates (the same platform key within the last DEDUPE_KEPT events), counted;
- records each event (`recorder`) and hands it to `put` (the Reporter: waits when it is full);
- returns when `stop` is set (Ctrl-C), or raises what `put` raises (the report URL refused).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from render.feeds.events import FeedEvent
from render.feeds.report import FeedError
from render.feeds.status import Stats

log = logging.getLogger(__name__)
DEDUPE_KEPT = 20000
SILENCE = 300.0
BACKOFF = (1.0, 60.0)


class Dedupe:
    def __init__(self, kept: int = DEDUPE_KEPT):
        self.kept = kept
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first(self, key: str) -> bool:
        """True the first time `key` is seen ("" is always new)."""
        if not key:
            return True
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self.kept:
            self._seen.popitem(last=False)
        return True


async def follow(source, put: Callable[[FeedEvent], Awaitable[None]], stats: Stats, *, stop: asyncio.Event,
                 silence: float = SILENCE, backoff: tuple[float, float] = BACKOFF, recorder=None,
                 say: Callable[[str], None] = print) -> None:
    dedupe = Dedupe()
    failures = 0
    while not stop.is_set():
        delivered: list[FeedEvent] = []  # filled as the session delivers, even if it then fails
        try:
            await _session(source, put, stats, stop, silence, dedupe, recorder, delivered)
            problem = "the platform closed the connection"
        except FeedError:
            raise
        except asyncio.TimeoutError:
            problem = f"no event for {silence:g} s"
        except Exception as e:  # noqa: BLE001 -- any connection problem: say it and reconnect
            problem = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        if stop.is_set():
            return
        failures = 0 if delivered else failures + 1
        delay = min(backoff[1], backoff[0] * 2 ** max(0, failures - 1)) * random.uniform(0.8, 1.2)
        stats.reconnects += 1
        say(f"feed: {source.name}: {problem}; reconnecting in {delay:.1f} s")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


async def _session(source, put, stats: Stats, stop: asyncio.Event, silence: float, dedupe: Dedupe,
                   recorder, delivered: list) -> None:
    """One connection until it ends, goes silent (TimeoutError) or `stop`; `delivered` gets its
    first event (a session that delivered resets the backoff, even if it then fails)."""
    events = source.session(stats).__aiter__()
    stopping = asyncio.ensure_future(stop.wait())
    last = time.monotonic()
    try:
        while not stop.is_set():
            nxt = asyncio.ensure_future(events.__anext__())
            done, _ = await asyncio.wait({nxt, stopping}, timeout=max(0.0, last + silence - time.monotonic()),
                                         return_when=asyncio.FIRST_COMPLETED)
            if nxt not in done:
                nxt.cancel()
                with contextlib.suppress(BaseException):
                    await nxt
                if stopping in done:
                    return
                raise asyncio.TimeoutError
            try:
                ev = nxt.result()
            except StopAsyncIteration:
                return
            if not ev.heartbeat:
                last = time.monotonic()
            if not delivered:
                delivered.append(ev)
            if not dedupe.first(ev.key):
                stats.drop("duplicate")
                continue
            stats.seen(ev.type)
            if recorder is not None:
                recorder.write(ev)
            await put(ev)
    finally:
        stopping.cancel()
        with contextlib.suppress(BaseException):
            await events.aclose()
