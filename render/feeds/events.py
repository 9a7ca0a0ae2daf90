"""FeedEvent: one viewer event as a platform gave it, in the spec's shape (interaction.md, Viewer
events): type 1 comment, 2 join, 3 like, 4 gift, 6 viewer count; content an object. `key`
identifies it on its platform (duplicates are dropped by it); `where` names it in messages."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from render.spec.live_events import EVENT_TYPES


@dataclass(frozen=True)
class FeedEvent:
    type: int
    content: dict = field(hash=False, compare=False)
    timestamp: int = 0  # epoch ms
    key: str = ""          # the platform's identity of it: duplicates are dropped by it ("" never)
    where: str = ""        # names it in messages ("line 3")
    heartbeat: bool = False  # derived from a keepalive (a popularity count): not proof messages flow

    @property
    def name(self) -> str:
        return EVENT_TYPES.get(self.type, str(self.type))

    def live_event(self) -> dict:
        """The report's wire shape: content as a JSON string."""
        return {"timestamp": self.timestamp or now_ms(), "type": self.type,
                "content": json.dumps(self.content, ensure_ascii=False)}


def now_ms() -> int:
    return int(time.time() * 1000)


def user(name: str, *, user_id: object = None, level: object = None, badge: str | None = None,
         badge_level: object = None) -> dict:
    """The spec's user object {userId, name, level, badge, badgeLevel}, absent fields left out."""
    out: dict = {"name": name}
    if user_id not in (None, ""):
        out["userId"] = str(user_id)
    if level is not None:
        out["level"] = level
    if badge:
        out["badge"] = badge
        if badge_level is not None:
            out["badgeLevel"] = badge_level
    return out
