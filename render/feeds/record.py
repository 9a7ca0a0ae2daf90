"""Recordings: what a feed received, as a timeline (render.programme.timeline), so the same file
replays into a job (`smartlive feed replay FILE --speed X`) or steers a preview
(`smartlive preview --events-in FILE`). One JSON object a line:

    # smartlive feed recording: bilibili 123 from 2026-12-04T17:00:00Z
    {"at": 0.42, "timestamp": 1796400000420, "type": 1, "content": {"user": {...}, "content": "hi"}}

`at` is seconds since the recording started; `timestamp` when the platform sent it.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from render.errors import MediaFileError, SpecError
from render.feeds.events import FeedEvent, now_ms
from render.programme.timeline import read_timeline


class Recorder:
    def __init__(self, path: str | Path, source: str):
        self.path = Path(path)
        try:
            self._f = self.path.open("a", encoding="utf-8")
        except OSError as e:
            raise MediaFileError(f"--record {path}: cannot be written ({e.strerror or e})") from None
        self._t0 = time.monotonic()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self._f.write(f"# smartlive feed recording: {source} from {stamp}\n")
        self._f.flush()

    def write(self, ev: FeedEvent) -> None:
        line = {"at": round(time.monotonic() - self._t0, 3), "timestamp": ev.timestamp, "type": ev.type,
                "content": ev.content}
        self._f.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._f.flush()  # a Ctrl-C or a crash keeps every line written so far

    def close(self) -> None:
        self._f.close()


def read_recording(path: str | Path) -> list[tuple[float, FeedEvent]]:
    """A recording's (at, event) in order of `at`, `where` = FILE:LINE; SpecError naming every bad
    line (and any command: a timeline may hold them, a replay reports viewer events only)."""
    entries = read_timeline(Path(path))
    commands = [e.where for e in entries if e.command is not None]
    if commands:
        raise SpecError(details=[f"{w}: a command; `feed replay` reports viewer events only" for w in commands])
    return [(e.at or 0.0, FeedEvent(e.event.type, e.event.content, e.event.timestamp, where=e.where))
            for e in entries if e.event is not None]


async def replay(events: list[tuple[float, FeedEvent]], put: Callable[[FeedEvent], Awaitable[None]], *,
                 speed: float = 1.0, stop: asyncio.Event | None = None) -> int:
    """Each event at its own `at` (divided by `speed`), through `put`; the timestamps are now."""
    t0 = time.monotonic()
    n = 0
    for at, ev in events:
        due = t0 + at / speed
        wait = due - time.monotonic()
        if wait > 0:
            if stop is None:
                await asyncio.sleep(wait)
            else:
                try:
                    await asyncio.wait_for(stop.wait(), wait)
                except asyncio.TimeoutError:
                    pass
        if stop is not None and stop.is_set():
            break
        await put(FeedEvent(ev.type, ev.content, now_ms(), where=ev.where))
        n += 1
    return n
