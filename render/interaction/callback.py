"""CALLBACK replies: the INTERACTION_RULE_HIT body and its sender (interaction.md, CALLBACK).

The sender posts to the job's interaction_callback_url from a background thread, signed as the
live event callbacks are (render/callbacks.py: `callback_request`, the room's
live_event_callback_config auth_type and key); a slow or absent receiver never blocks the
caller, and failures are logged, never fatal.
"""
from __future__ import annotations

import json

from render.callbacks import Poster
from render.interaction.actions import Callback
from render.spec.models import LiveEventCallBackConfig

EVENT_TYPE = "INTERACTION_RULE_HIT"


def rule_hit_body(room_id: str, job_id: str, rule, event, reply_texts: list[str]) -> dict:
    message = {"room_id": room_id, "job_id": job_id, "rule_index": rule.key, "rule_name": rule.info.rule_name or "",
               "event": {"type": event.type, "timestamp": event.timestamp, "content": event.content},
               "reply_texts": reply_texts}
    return {"event_type": EVENT_TYPE, "message": json.dumps(message, ensure_ascii=False)}


class CallbackSender:
    """`send(Callback)` queues the rule hit for the interaction callback URL (render.callbacks.Poster:
    a background thread, signed as the room's live event callbacks, at most `maxsize` waiting)."""

    def __init__(self, url: str, auth: LiveEventCallBackConfig | None = None, *, timeout: float = 5.0,
                 maxsize: int = 1000):
        config = LiveEventCallBackConfig(live_event_type_callback_url=url,
                                         auth_type=auth.auth_type if auth else None,
                                         key=auth.key if auth else None)
        self._poster = Poster(config, timeout=timeout, maxsize=maxsize, what="interaction callback")

    def send(self, action: Callback) -> None:
        self._poster.send(action.body)

    def close(self, wait: float = 5.0) -> None:
        """Sends what is queued (for at most `wait` s), then stops the thread."""
        self._poster.close(wait)
