"""Viewer events (interaction.md, Viewer events): a LiveEvent -> a ViewerEvent with its content
parsed. Pure. The same parser serves the API's event report, timelines and stdin.

    ev = parse_event({"timestamp": 1700000000000, "type": 1,
                      "content": "{\\"user\\": {\\"name\\": \\"Li\\"}, \\"content\\": \\"hi\\"}"})
    ev.type, ev.content["content"], ev.timestamp
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from render.errors import BodyError, SpecError
from render.spec.enums import EventType
from render.spec.load import parse_json

EVENT_TYPES: dict[int, str] = {  # what viewers report (10, the streamer's sentence, is the programme's own)
    EventType.COMMENT: "comment", EventType.JOIN: "join", EventType.LIKE: "like", EventType.GIFT: "gift",
    EventType.FOLLOW: "follow", EventType.VIEWER_COUNT: "viewer count"}
MAX_BATCH = 100  # events in one report (interaction.md / issue 12)
IDEMPOTENCY_HEADER = "Idempotency-Key"  # a report sent again with it is not taken twice (smartlive's server)


@dataclass(frozen=True)
class ViewerEvent:
    type: EventType  # an IntEnum: plain ints compare equal
    content: dict = field(default_factory=dict, hash=False, compare=False)
    timestamp: int = 0  # epoch milliseconds, as reported

    @property
    def name(self) -> str:
        return EVENT_TYPES.get(self.type, str(self.type))

    def as_live_event(self) -> dict:
        """The wire shape again: content as a JSON string."""
        return {"timestamp": self.timestamp, "type": self.type,
                "content": json.dumps(self.content, ensure_ascii=False)}


def parse_event(obj: Any, where: str = "event", *, now_ms: int | None = None) -> ViewerEvent:
    """`{timestamp?, type, content}` (content a JSON string or an object) -> ViewerEvent;
    SpecError naming `where.<field>` otherwise. A missing timestamp is now."""
    if not isinstance(obj, dict):
        raise SpecError(f"{where}: must be a JSON object with type and content")
    kind = obj.get("type")
    if isinstance(kind, bool) or not isinstance(kind, int) or kind not in EVENT_TYPES:
        raise SpecError(f"{where}.type: {kind!r} is not an event type (1 comment, 2 join, 3 like, 4 gift, "
                        "5 follow, 6 viewer count)")
    content = obj.get("content", {})
    if isinstance(content, str):
        try:  # the body's own limits: nesting, huge numbers, NaN (a traceback otherwise)
            content = parse_json(content, f"{where}.content") if content.strip() else {}
        except BodyError as e:
            try:  # a syntax error says where (the error path only: one parse when all is well)
                json.loads(content)
            except json.JSONDecodeError as d:
                raise SpecError(f"{where}.content: not valid JSON ({d.msg} at column {d.colno})") from None
            except (ValueError, RecursionError):
                pass
            raise SpecError(details=e.details) from None
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise SpecError(f"{where}.content: must be a JSON object (or a JSON string of one)")
    ts = obj.get("timestamp")
    if ts is None:
        ts = int(time.time() * 1000) if now_ms is None else now_ms
    if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not math.isfinite(ts) or ts < 0:
        raise SpecError(f"{where}.timestamp: {ts!r} must be epoch milliseconds")
    return ViewerEvent(EventType(kind), content, int(ts))


def parse_report(body: Any, where: str = "") -> list[ViewerEvent]:
    """A ReportLiveEventReq `{total, events: [...]}` -> its events (at most MAX_BATCH)."""
    prefix = f"{where}." if where else ""
    if not isinstance(body, dict):
        raise SpecError(f"{where or '(body)'}: must be a JSON object with total and events")
    events = body.get("events")
    if not isinstance(events, list):
        raise SpecError(f"{prefix}events: must be a list of events")
    if len(events) > MAX_BATCH:
        raise SpecError(f"{prefix}events: {len(events)} events in one report; at most {MAX_BATCH}")
    total = body.get("total")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total != len(events)):
        raise SpecError(f"{prefix}total: {total!r} does not match the {len(events)} events given")
    return [parse_event(e, f"{prefix}events[{i}]") for i, e in enumerate(events)]
