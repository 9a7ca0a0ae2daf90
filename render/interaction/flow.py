"""The flow of replies under load (interaction.md, Triggers): one bounded reply queue per live with
priority and a maximum age, and gift merging before matching. Memory is bounded by construction:
the queue holds at most `size` replies, the merger at most `max_pending` open gift windows."""
from __future__ import annotations

import bisect
from collections import OrderedDict
from dataclasses import dataclass

from render.interaction.actions import Reply
from render.interaction.match import number
from render.spec.live_events import ViewerEvent

QUEUE_SIZE = 20
MAX_AGE = 30.0      # seconds between the event and the reply's turn
MERGE_WINDOW = 3.0  # seconds: gifts of one user and gift name merge
MAX_PENDING = 1000  # open merge windows at most; the oldest is matched early beyond that


@dataclass(frozen=True)
class Dropped:
    reply: Reply
    reason: str  # QUEUE_FULL | EXPIRED | RULES_REPLACED | CLEANED_UP


class ReplyQueue:
    """Lowest priority value first, then arrival order. Full: the lowest-priority reply (the newest
    of equals) is dropped, which may be the one being pushed."""

    def __init__(self, size: int = QUEUE_SIZE, max_age: float = MAX_AGE):
        self.size, self.max_age = size, max_age
        self._items: list[tuple[int, int, Reply]] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self._items)

    def push(self, reply: Reply) -> list[Dropped]:
        self._seq += 1
        bisect.insort(self._items, (reply.priority, self._seq, reply), key=lambda t: (t[0], t[1]))
        if len(self._items) <= self.size:
            return []
        return [Dropped(self._items.pop()[2], "QUEUE_FULL")]

    def pop(self, now: float) -> tuple[Reply | None, list[Dropped]]:
        """The next reply whose event is at most max_age old; the older ones met on the way are dropped."""
        dropped = []
        while self._items:
            reply = self._items.pop(0)[2]
            if now - reply.event_time > self.max_age:
                dropped.append(Dropped(reply, "EXPIRED"))
                continue
            return reply, dropped
        return None, dropped

    def clear(self, reason: str, reply_ids=None) -> list[Dropped]:
        """Drops every queued reply, or those whose reply_id is in `reply_ids`."""
        out = [Dropped(r, reason) for _, _, r in self._items if reply_ids is None or r.reply_id in reply_ids]
        gone = {id(d.reply) for d in out}
        self._items = [t for t in self._items if id(t[2]) not in gone]
        return out

    def replies(self) -> list[Reply]:
        """The queued replies in the order they will play."""
        return [r for _, _, r in self._items]


def _gift_key(ev: ViewerEvent) -> tuple[str, str] | None:
    user, gift = ev.content.get("user"), ev.content.get("gift")
    if not isinstance(user, dict) or not isinstance(gift, dict):
        return None
    who = user.get("userId") or user.get("name")
    name = gift.get("giftName")
    return (str(who), str(name)) if who is not None and name is not None else None


def _merge(a: ViewerEvent, b: ViewerEvent) -> ViewerEvent:
    gift = dict(a.content["gift"])
    for k in ("giftNum", "totalValue"):
        x, y = number(gift.get(k)), number(b.content["gift"].get(k))
        if x is not None or y is not None:
            s = (x or 0.0) + (y or 0.0)
            gift[k] = int(s) if s.is_integer() else s
    return ViewerEvent(a.type, {**b.content, "gift": gift}, b.timestamp)


class GiftMerger:
    """Gifts of the same user and gift name within `window` s of the first become one event."""

    def __init__(self, window: float = MERGE_WINDOW, max_pending: int = MAX_PENDING):
        self.window, self.max_pending = window, max_pending
        self._open: OrderedDict[tuple[str, str], tuple[float, ViewerEvent]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._open)

    def add(self, ev: ViewerEvent, now: float) -> list[tuple[float, ViewerEvent]]:
        """Takes a gift; returns the (arrival time, event) pairs ready to match now."""
        ready = self.due(now)
        key = _gift_key(ev)
        if key is None or self.window <= 0:
            return ready + [(now, ev)]  # a gift without user or name cannot merge
        if key in self._open:
            t0, prev = self._open[key]
            self._open[key] = (t0, _merge(prev, ev))
        else:
            self._open[key] = (now, ev)
            if len(self._open) > self.max_pending:
                ready.append(self._open.popitem(last=False)[1])
        return ready

    def due(self, now: float) -> list[tuple[float, ViewerEvent]]:
        ready = []
        while self._open:
            key, (t0, ev) = next(iter(self._open.items()))
            if now - t0 < self.window:
                break
            del self._open[key]
            ready.append((t0, ev))
        return ready
