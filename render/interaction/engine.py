"""The rules engine's façade for the programme (docs/interaction.md).

    engine = Interaction(room, library, seed=None, room_id="", job_id="")
    actions = engine.on_event(ev, now, scene)     # ShowLayers / Callback / Observe; replies are queued
    actions = engine.on_sentence(text, now, scene)
    actions = engine.tick(now)                    # gift merge windows that have closed
    reply, dropped = engine.next_reply(now)       # Reply | None, [Observe]
    engine.replace_rules(rules)                   # -> [Observe] for replies of rules that are gone
    engine.pending_replies(); engine.cancel_replies(ids=None)   # queued replies; CLEAN_UP_INSERT_COMMAND
    engine.viewers                                # last viewer count (type 6), or None

Called from one thread (the programme's frame thread); nothing here blocks or does I/O.
"""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass

from render.interaction import match
from render.interaction.actions import Callback, Observe, Reply
from render.interaction.callback import rule_hit_body
from render.interaction.flow import MAX_AGE, MERGE_WINDOW, QUEUE_SIZE, Dropped, GiftMerger, ReplyQueue
from render.interaction.replies import ReplyPicker, fill, make_reply, show_layers
from render.spec.enums import EventType
from render.spec.live_events import ViewerEvent
from render.spec.reply_modes import MODES

PLAUSIBLE_AGE = 86400.0  # s: an event timestamp older than a day is not believed (arrival time instead)


class Interaction:
    def __init__(self, room, library, seed: int | None = None, room_id: str = "", job_id: str = "", *,
                 queue_size: int = QUEUE_SIZE, max_age: float = MAX_AGE, merge_window: float = MERGE_WINDOW,
                 wall=None):
        """`wall`: the wall clock (time.time) of a live show, so a reply's age counts from its
        event's own timestamp; None (previews, timelines): from its arrival."""
        self.room, self.library = room, library
        self._wall = wall
        self.room_id, self.job_id = room_id, job_id
        self._rng = random.Random(seed)
        self._seeded = seed is not None
        self._picker = ReplyPicker(self._rng)
        self._state = match.initial_state(match.compile_rules(room.interaction_rules))
        self._queue = ReplyQueue(queue_size, max_age)
        self._gifts = GiftMerger(merge_window)
        self._scene: str | None = None  # the last scene reported: merged gifts match in it

    @property
    def viewers(self) -> int | None:
        return self._state.viewers

    @property
    def rules(self) -> tuple[match.Rule, ...]:
        return self._state.rules

    def queued(self) -> int:
        return len(self._queue)

    def on_event(self, ev: ViewerEvent, now: float, scene: str | None) -> list:
        self._scene = scene
        if ev.type == EventType.GIFT:
            actions = []
            for t0, merged in self._gifts.add(ev, now):
                actions += self._match(merged, min(t0, now - self._age(merged)), now, scene)
            return actions
        return self._match(ev, now - self._age(ev), now, scene)

    def _age(self, ev: ViewerEvent) -> float:
        """Seconds since the event happened, by its own timestamp when that is plausible (a wall
        clock is known, and the timestamp is neither in the future nor older than a day: a
        collector's backlog is old, a timestamp of 0 is not a time); else 0 (it happened now)."""
        if self._wall is None or ev.timestamp <= 0:
            return 0.0
        age = self._wall() - ev.timestamp / 1000.0
        return age if 0.0 < age <= PLAUSIBLE_AGE else 0.0

    def on_sentence(self, text: str, now: float, scene: str | None) -> list:
        """The streamer starts a scripted sentence (event type 10)."""
        self._scene = scene
        return self._match(ViewerEvent(EventType.SENTENCE, {"content": text}, int(time.time() * 1000)), now, now, scene)

    def tick(self, now: float, scene: str | None = None) -> list:
        """Matches the gifts whose merge window has closed, in `scene` (default: the last one reported)."""
        scene = self._scene if scene is None else scene
        actions = []
        for t0, merged in self._gifts.due(now):
            actions += self._match(merged, t0, now, scene)
        return actions

    def next_reply(self, now: float) -> tuple[Reply | None, list[Observe]]:
        reply, dropped = self._queue.pop(now)
        return reply, [o for d in dropped for o in self._dropped(d)]

    def pending_replies(self) -> list[Reply]:
        """Queued replies not yet taken by next_reply, in play order (for insert listings)."""
        return self._queue.replies()

    def cancel_replies(self, reply_ids=None) -> list[Observe]:
        """CLEAN_UP_INSERT_COMMAND: drops the queued replies with those ids (None: all), reported."""
        ids = None if reply_ids is None else set(reply_ids)
        return [o for d in self._queue.clear("CLEANED_UP", ids) for o in self._dropped(d)]

    def replace_rules(self, rules) -> list[Observe]:
        """REWRITE_INTERACTION_RULES: the new rules from now on (a rule unchanged keeps its counts and
        suppression); queued replies of rules that no longer exist are dropped and reported."""
        self._state = match.initial_state(match.compile_rules(rules), self._state)
        keys = {r.key for r in self._state.rules}
        self._picker.forget(keys)
        kept: list[Dropped] = []
        gone: list[Dropped] = []
        for d in self._queue.clear("RULES_REPLACED"):
            (kept if d.reply.rule_index in keys else gone).append(d)
        for d in kept:
            self._queue.push(d.reply)
        return [o for d in gone for o in self._dropped(d)]

    # ---- internals ------------------------------------------------------------------------

    def _reply_id(self) -> str:
        if self._seeded:  # repeatable runs give repeatable ids
            return uuid.UUID(int=self._rng.getrandbits(128), version=4).hex
        return uuid.uuid4().hex

    def _match(self, ev: ViewerEvent, event_time: float, now: float, scene: str | None) -> list:
        self._state, hits = match.step(self._state, ev, now, scene)
        actions: list = []
        firing = _Firing(self, event_time)
        for hit in hits:
            rule = hit.rule
            actions.append(Observe("RULE_HIT", {"room_id": self.room_id, "job_id": self.job_id,
                                                "rule_index": rule.key, "rule_name": rule.info.rule_name or "",
                                                "event_type": int(ev.type), "reply_mode": rule.reply_mode.value,
                                                "values": hit.values}))
            actions += MODES[rule.reply_mode].fire(firing, hit, ev)
        return actions

    def _dropped(self, d: Dropped) -> list[Observe]:
        r = d.reply
        return [Observe("REPLY_COMMAND_FINISH", {"room_id": self.room_id, "job_id": self.job_id,
                                                 "reply_id": r.reply_id, "reason": d.reason}),
                Observe("RULE_DROPPED", {"room_id": self.room_id, "job_id": self.job_id, "reply_id": r.reply_id,
                                         "rule_index": r.rule_index, "rule_name": r.rule_name,
                                         "reason": d.reason, "priority": r.priority,
                                         "event_time": round(r.event_time, 3)})]


@dataclass(frozen=True)
class _Firing:
    """The engine's services for a reply mode's handler (render.spec.reply_modes.Firing)."""

    engine: Interaction
    event_time: float  # stream seconds of the event (a merged gift's: its first)

    def show_layers(self, hit: match.Hit, ev: ViewerEvent) -> list:
        shown = show_layers(hit, ev)
        return [shown] if shown else []

    def callback(self, hit: match.Hit, ev: ViewerEvent) -> list:
        e, trig = self.engine, hit.rule.info.trigger
        texts = [fill(t, ev.content) for t in (trig.reply_texts or [])] if trig else []
        return [Callback(rule_hit_body(e.room_id, e.job_id, hit.rule, ev, texts))]

    def reply(self, hit: match.Hit, ev: ViewerEvent, *, ask: bool = False) -> list:
        """Queues the rule's reply (`ask`: the robot answers the comment); the replies it pushed out."""
        e = self.engine
        reply = make_reply(hit, ev, self.event_time, e._picker, e.room, e._reply_id(), ask=ask)
        return [o for d in e._queue.push(reply) for o in e._dropped(d)] if reply is not None else []
