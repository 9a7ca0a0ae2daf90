"""`follow` with any source (what TikTok's session is to it): a session that fails is opened
again after a backoff that grows while sessions deliver nothing and starts over once one does;
the report URL refusing for good ends the feed with its error; Stop ends it at once."""
from __future__ import annotations

import asyncio
import time

import pytest

from render.feeds.events import FeedEvent
from render.feeds.follow import follow
from render.feeds.report import FeedError
from render.feeds.status import Stats


class Scripted:
    """Sessions from a script: each a list of FeedEvents, then an exception (or None: it ends)."""

    name = "scripted"

    def __init__(self, sessions):
        self.sessions = list(sessions)
        self.opened: list[float] = []

    async def session(self, stats):
        self.opened.append(time.monotonic())
        events, end = self.sessions.pop(0) if self.sessions else ([], None)
        for ev in events:
            yield ev
        if end is not None:
            raise end
        await asyncio.sleep(3600)  # stays open, silent


def ev(i):
    return FeedEvent(1, {"content": f"c{i}"}, key=f"k{i}")


def run(source, put, *, stop_after=None, silence=30.0):
    stats, said = Stats(), []

    async def main():
        stop = asyncio.Event()
        if stop_after is not None:
            asyncio.get_running_loop().call_later(stop_after, stop.set)
        await asyncio.wait_for(follow(source, put, stats, stop=stop, silence=silence, backoff=(0.1, 0.4),
                                      say=said.append), 10)

    asyncio.run(main())
    return stats, said


def test_failed_sessions_back_off_and_a_delivering_one_starts_the_backoff_over():
    got = []

    async def put(e):
        got.append(e.content["content"])

    src = Scripted([([], ConnectionError("refused")), ([], OSError("reset")), ([], ConnectionError("again")),
                    ([ev(1), ev(2)], ConnectionError("dropped")), ([ev(2), ev(3)], None)])
    stats, said = run(src, put, stop_after=2.5)
    assert got == ["c1", "c2", "c3"] and stats.dropped["duplicate"] == 1
    gaps = [b - a for a, b in zip(src.opened, src.opened[1:], strict=False)]
    assert 0.07 < gaps[0] < 0.3 and 0.15 < gaps[1] and 0.3 < gaps[2] < 0.8  # 0.1, 0.2, 0.4 s (+-20%)
    assert gaps[3] < 0.3 and gaps[3] < gaps[2]  # the session before delivered: back to 0.1 s
    assert stats.reconnects == 4 and "ConnectionError: refused; reconnecting in" in said[0]


def test_the_report_url_refusing_ends_the_feed_with_its_error():
    async def put(e):
        raise FeedError("1 event(s): the report URL answered HTTP 409: MSS.20020001 job ended")

    with pytest.raises(FeedError, match="HTTP 409"):
        run(Scripted([([ev(1)], None)]), put)
