"""Per-job event lines for the console's live log: a ring buffer per job and async readers.

    hub = EventHub()
    hub.publish(job_id, {"time": 1.2, "frame": 30, "event_type": "RULE_HIT", "message": "{...}"})
    hub.history(job_id, after=0) -> [(seq, line), ...]        # what is still in the ring
    async for seq, line in hub.follow(job_id, after=0): ...   # then every new line, forever

`publish` is thread-safe and never blocks (any thread: the worker channel, the job runner).
Each job keeps its last `keep` lines; the hub remembers the last `jobs` jobs. A reader that
falls behind the ring (or starts after it wrapped) gets a RING_OVERFLOW line first, saying how
many lines it missed.
"""

from __future__ import annotations

import asyncio
import collections
import json
import threading


class _Ring:
    def __init__(self, keep: int):
        self.lines: collections.deque = collections.deque(maxlen=keep)
        self.seq = 0
        self.waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()


class EventHub:
    def __init__(self, keep: int = 2000, jobs: int = 64):
        self.keep, self.jobs = keep, jobs
        self._rings: collections.OrderedDict[str, _Ring] = collections.OrderedDict()
        self._lock = threading.Lock()

    def _ring(self, job_id: str) -> _Ring:
        ring = self._rings.get(job_id)
        if ring is None:
            ring = self._rings[job_id] = _Ring(self.keep)
            while len(self._rings) > self.jobs:
                self._rings.popitem(last=False)
        return ring

    def publish(self, job_id: str, line: dict) -> int:
        """Append one event line (a dict with event_type and message) to the job; its seq."""
        with self._lock:
            ring = self._ring(job_id)
            ring.seq += 1
            ring.lines.append((ring.seq, line))
            waiters = list(ring.waiters)
            seq = ring.seq
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that reader's loop is closed
                pass
        return seq

    def history(self, job_id: str, after: int = 0) -> list[tuple[int, dict]]:
        with self._lock:
            ring = self._rings.get(job_id)
            return [] if ring is None else [(s, ln) for s, ln in ring.lines if s > after]

    async def follow(self, job_id: str, after: int = 0, heartbeat: float | None = None):
        """Every line of the job after seq `after`: first the ring's, then each new one; and
        (None, None) after `heartbeat` seconds without one."""
        loop, event = asyncio.get_running_loop(), asyncio.Event()
        waiter = (loop, event)
        with self._lock:
            self._ring(job_id).waiters.add(waiter)
        try:
            while True:
                event.clear()
                with self._lock:
                    ring = self._ring(job_id)
                    ring.waiters.add(waiter)  # again: the ring may have been forgotten and remade
                    fresh = [(s, ln) for s, ln in ring.lines if s > after]
                    oldest = ring.lines[0][0] if ring.lines else ring.seq + 1
                if fresh and oldest > after + 1:
                    missed = oldest - after - 1
                    yield oldest - 1, overflow_line(missed)
                for seq, line in fresh:
                    after = seq
                    yield seq, line
                if not fresh:
                    try:
                        await asyncio.wait_for(event.wait(), heartbeat)
                    except asyncio.TimeoutError:
                        yield None, None
        finally:
            with self._lock:
                ring = self._rings.get(job_id)
                if ring is not None:
                    ring.waiters.discard(waiter)


def overflow_line(missed: int) -> dict:
    return {"event_type": "RING_OVERFLOW", "message": json.dumps({"missed": missed})}
