"""The feed's counters and its status line. Pure: the caller prints.

    stats = Stats(); stats.seen(ev); stats.drop("duplicate"); stats.reconnects += 1
    status_line(stats, since)   # "12.0 ev/s (comment 10.0, gift 2.0) | sent 240 | ..."
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from render.spec.live_events import EVENT_TYPES


@dataclass
class Stats:
    by_type: Counter = field(default_factory=Counter)  # events seen, by type name
    sent: int = 0          # taken by the job (the report's accepted count)
    batches: int = 0
    busy: int = 0          # answers 429 or partial (the rest sent again after Retry-After)
    reconnects: int = 0
    bad_frames: int = 0
    dropped: Counter = field(default_factory=Counter)  # reason -> events dropped
    started: float = field(default_factory=time.monotonic)
    _window: Counter = field(default_factory=Counter)
    _window_at: float = field(default_factory=time.monotonic)

    def seen(self, type_: int) -> None:
        name = EVENT_TYPES.get(type_, str(type_))
        self.by_type[name] += 1
        self._window[name] += 1

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] += n

    def rates(self, now: float | None = None) -> dict[str, float]:
        """Events per second by type since the last call (then a new window starts)."""
        now = time.monotonic() if now is None else now
        span = max(now - self._window_at, 1e-6)
        out = {k: v / span for k, v in self._window.items()}
        self._window, self._window_at = Counter(), now
        return out


def status_line(stats: Stats, rates: dict[str, float], pending: int = 0) -> str:
    total = sum(rates.values())
    kinds = ", ".join(f"{k} {v:.1f}" for k, v in sorted(rates.items(), key=lambda kv: -kv[1]) if v)
    drops = sum(stats.dropped.values())
    why = ", ".join(f"{r} {n}" for r, n in stats.dropped.most_common())
    return (f"{total:.1f} ev/s" + (f" ({kinds})" if kinds else "")
            + f" | sent {stats.sent} in {stats.batches} report(s), waiting {pending}"
            + f" | reconnects {stats.reconnects} | dropped {drops}" + (f" ({why})" if why else "")
            + (f" | bad frames {stats.bad_frames}" if stats.bad_frames else "")
            + (f" | server busy {stats.busy}x" if stats.busy else ""))


def summary(stats: Stats) -> str:
    seen = sum(stats.by_type.values())
    kinds = ", ".join(f"{k} {v}" for k, v in stats.by_type.most_common())
    drops = ", ".join(f"{r} {n}" for r, n in stats.dropped.most_common())
    return (f"{seen} event(s) seen" + (f" ({kinds})" if kinds else "")
            + f"; reported {stats.sent} in {stats.batches} batch(es)"
            + (f"; dropped {sum(stats.dropped.values())} ({drops})" if drops else "")
            + (f"; {stats.reconnects} reconnect(s)" if stats.reconnects else "")
            + (f"; {stats.bad_frames} bad frame(s) skipped" if stats.bad_frames else ""))
