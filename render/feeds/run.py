"""`smartlive feed <platform> ...` and `smartlive feed replay FILE`: a source, the Reporter, the
recorder and the status line wired together; Ctrl-C (or SIGTERM) ends it cleanly: the source
stops, what was received is still reported (up to `drain` s), and a summary is printed.

    stats = run_platform(source, url=..., record=None, silence=300)     # blocks until Ctrl-C
    stats = run_replay(path, url=..., speed=1.0)                        # blocks until the end
"""
from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time

from render.feeds.events import FeedEvent
from render.feeds.follow import SILENCE, follow
from render.feeds.record import Recorder, read_recording, replay
from render.feeds.report import FeedError, Reporter
from render.feeds.status import Stats, status_line, summary

STATUS_EVERY = 10.0
DRAIN = 15.0  # s to report what was received after Ctrl-C


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _with_reporter(body, url: str | None, stats: Stats, *, quiet: bool, status_every: float,
                         drain: float = DRAIN) -> None:
    """Runs `body(put, stop)` with a Reporter to `url` (None: nothing is reported), the status line
    and the signal handlers."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    reporter = Reporter(url, stats) if url else None
    sender = reporter.start() if reporter else None

    async def put(ev: FeedEvent) -> None:
        if reporter is not None:  # None: --record only
            await reporter.put(ev)

    async def status() -> None:
        while True:
            await asyncio.sleep(status_every)
            _say("feed: " + status_line(stats, stats.rates(), reporter.pending if reporter else 0))

    shown = None if quiet else asyncio.create_task(status())
    try:
        await body(put, stop)
        if reporter is not None:
            await reporter.close()
            try:
                await asyncio.wait_for(asyncio.shield(sender), drain)
            except asyncio.TimeoutError:
                stats.drop("not reported before the end", reporter.pending)  # and the batch on its way
                sender.cancel()
    finally:
        if shown is not None:
            shown.cancel()
        if sender is not None and not sender.done():
            sender.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def run_platform(source, *, url: str | None, record: str | None = None, silence: float = SILENCE,
                 quiet: bool = False, status_every: float = STATUS_EVERY) -> Stats:
    stats = Stats()
    recorder = Recorder(record, source.name) if record else None

    async def body(put, stop):
        await follow(source, put, stats, stop=stop, silence=silence, recorder=recorder, say=_say)

    try:
        asyncio.run(_with_reporter(body, url, stats, quiet=quiet, status_every=status_every))
    finally:
        if recorder is not None:
            recorder.close()
    return stats


def run_replay(path: str, *, url: str | None, speed: float = 1.0, quiet: bool = False,
               status_every: float = STATUS_EVERY) -> Stats:
    if not speed > 0:
        raise FeedError(f"--speed: {speed!r} must be more than 0")
    events = read_recording(path)
    stats = Stats()

    async def body(put, stop):
        async def counted(ev: FeedEvent) -> None:
            stats.seen(ev.type)
            await put(ev)

        await replay(events, counted, speed=speed, stop=stop)

    t0 = time.monotonic()
    asyncio.run(_with_reporter(body, url, stats, quiet=quiet, status_every=status_every))
    if not quiet:
        _say(f"feed: replayed {path} in {time.monotonic() - t0:.1f} s")
    return stats


__all__ = ["FeedError", "run_platform", "run_replay", "summary"]
