"""How much of a frame the viewers' events may take on a live (issue 24 item 1).

    budget = EventBudget(fps)                 # None share: no limit (a preview, a file render)
    budget.drain(events_queue, handle)        # once a frame, on the frame thread

Every pending event used to be matched inside one frame: 1,000 comments crafted against a slow
REGEX froze the stream for 25 s. Now matching gets a share of each frame's time, kept as a token
bucket: each frame adds SHARE / fps, each event spends the wall-clock time it took, and events
are taken only while the balance is positive. Wall clock here, not CPU time as for a REGEX's own
limit (render.spec.regex_cpu): the budget only delays events, never drops one, and it is
wall-clock time that makes a frame late. One costly event (a REGEX cut off after its CPU limit) leaves a
debt the next frames repay, so the average stays within the share whatever an event costs, and
the rest wait in the programme's bounded event queue (Programme.report refuses beyond it and says
how many it took).
"""
from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any

# Of each frame interval, for matching viewers' events on a live: 4 ms a frame at 25 fps, room for
# about a hundred ordinary comments a frame (tens of microseconds each). bench/regex_flood.py.
SHARE = 0.1


class EventBudget:
    def __init__(self, fps: int, share: float | None = SHARE):
        self.per_frame = None if share is None else share / fps
        self.balance = 0.0

    def drain(self, events: queue.Queue, handle: Callable[[Any], None]) -> int:
        """Handles waiting events while the frame's budget lasts; returns how many it handled."""
        if self.per_frame is not None:
            self.balance = min(self.balance + self.per_frame, self.per_frame)
        n = 0
        while self.per_frame is None or self.balance > 0:
            try:
                ev = events.get_nowait()
            except queue.Empty:
                return n
            t0 = time.perf_counter()
            handle(ev)
            n += 1
            if self.per_frame is not None:
                self.balance -= time.perf_counter() - t0
        return n
