"""CALLBACK replies: the INTERACTION_RULE_HIT body and its sender (interaction.md, CALLBACK).

The sender posts to the job's interaction_callback_url from a background thread, signed as the
live event callbacks are (render/callbacks.py: `callback_request`, the room's
live_event_callback_config auth_type and key); a slow or absent receiver never blocks the
caller, and failures are logged, never fatal.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from urllib.parse import urlsplit

from render.callbacks import callback_request
from render.interaction.actions import Callback
from render.spec.models import LiveEventCallBackConfig

log = logging.getLogger(__name__)
EVENT_TYPE = "INTERACTION_RULE_HIT"
_STOP = object()


def rule_hit_body(room_id: str, job_id: str, rule, event, reply_texts: list[str]) -> dict:
    message = {"room_id": room_id, "job_id": job_id, "rule_index": rule.key, "rule_name": rule.info.rule_name or "",
               "event": {"type": event.type, "timestamp": event.timestamp, "content": event.content},
               "reply_texts": reply_texts}
    return {"event_type": EVENT_TYPE, "message": json.dumps(message, ensure_ascii=False)}


class CallbackSender:
    """`send(Callback)` queues (at most `maxsize`, beyond that the callback is dropped and logged)."""

    def __init__(self, url: str, auth: LiveEventCallBackConfig | None = None, *, timeout: float = 5.0,
                 maxsize: int = 1000):
        self._config = LiveEventCallBackConfig(live_event_type_callback_url=url,
                                               auth_type=auth.auth_type if auth else None,
                                               key=auth.key if auth else None)
        self._timeout = timeout
        self._q: queue.Queue = queue.Queue(maxsize=maxsize)
        self._thread = threading.Thread(target=self._loop, name="rule-callbacks", daemon=True)
        self._thread.start()

    def send(self, action: Callback) -> None:
        try:
            self._q.put_nowait(action.body)
        except queue.Full:
            log.warning("interaction callback queue full: a rule hit was not sent")

    def _loop(self) -> None:
        import httpx

        with httpx.Client(timeout=self._timeout) as client:
            while (body := self._q.get()) is not _STOP:
                url, headers = callback_request(self._config, body)
                try:
                    r = client.post(url, content=json.dumps(body, ensure_ascii=False).encode(), headers=headers)
                    if r.status_code >= 400:
                        log.warning("interaction callback %s answered HTTP %s", urlsplit(url).netloc, r.status_code)
                except httpx.HTTPError as e:
                    log.warning("interaction callback to %s failed: %s", urlsplit(url).netloc, e)

    def close(self, wait: float = 5.0) -> None:
        """Sends what is queued (for at most `wait` s), then stops the thread."""
        if self._thread is not None:
            self._q.put(_STOP)
            self._thread.join(wait)
            self._thread = None
