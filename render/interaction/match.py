"""Which interaction rules an event fires (interaction.md, Rule events and matching). Pure.

    rules = compile_rules(room.interaction_rules)
    state = initial_state(rules)
    state, hits = step(state, event, now, scene)     # event: ViewerEvent (types 1-4, 6, 10)

A rule's identity is its `rule_index`, else its position in the list. Per rule the state keeps
one O(1) aggregate per tag (events seen, numeric values seen, their sum) since the rule last
fired, and when it last fired; nothing keeps the events themselves.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import regex

from render.spec.enums import EventType, ReplyMode
from render.spec.models import LiveRoomInteractionRuleInfo
from render.spec.reply_modes import MODES, Slot, mode_of
from render.spec.rules import number

log = logging.getLogger(__name__)

MATCHED_TYPES = (EventType.COMMENT, EventType.JOIN, EventType.LIKE, EventType.GIFT, EventType.SENTENCE)
# A REGEX runs on the frame thread against viewers' text: the `regex` module's timeout keeps a
# pathological pattern (catastrophic backtracking) from stalling the stream; such a search fails.
REGEX_TIMEOUT = 0.02
MAX_TEXT = 2000  # characters of a value a REGEX or EQUAL looks at
VIEWER_COUNT = EventType.VIEWER_COUNT
_MISSING = object()
_CMP = {"MATH_GT": lambda a, b: a > b, "MATH_GE": lambda a, b: a >= b, "MATH_LT": lambda a, b: a < b,
        "MATH_LE": lambda a, b: a <= b, "MATH_EQ": lambda a, b: a == b}


def _value(e) -> str | None:
    return getattr(e, "value", e)


def lookup(content: Any, name: str, default: Any = _MISSING) -> Any:
    """A field of event content: a dotted path (`gift.giftNum`) from the top, else a bare name
    found at any depth (the first in document order, breadth first)."""
    if not name or not isinstance(content, dict):
        return default
    node = content
    for part in name.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            break
    else:
        return node
    if "." in name:
        return default
    level = [content]
    while level:
        nxt = []
        for node in level:
            if name in node:
                return node[name]
            nxt += [v for v in node.values() if isinstance(v, dict)]
        level = nxt
    return default


def text(v: Any) -> str:
    """How a value reads in EQUAL/REGEX and in reply placeholders: 5.0 -> "5", True -> "true"."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return "" if v is None else str(v)


@dataclass(frozen=True)
class Tag:
    name: str
    operation: str  # NONE | COUNT | SUM | AVG
    match: str      # EQUAL | REGEX | MATH_*
    value: str
    pattern: regex.Pattern | None = None  # REGEX, when it compiles
    number: float | None = None        # MATH_*, when value is a number

    def holds(self, v: Any) -> bool:
        if v is _MISSING or v is None:
            return False
        if self.match == "EQUAL":
            return text(v) == self.value
        if self.match == "REGEX":
            if self.pattern is None:
                return False
            try:
                return self.pattern.search(text(v)[:MAX_TEXT], timeout=REGEX_TIMEOUT) is not None
            except TimeoutError:
                log.warning("REGEX %r gave up after %.2f s on a %d-character value", self.value, REGEX_TIMEOUT,
                            len(text(v)))
                return False
        n = number(v)
        return n is not None and self.number is not None and _CMP[self.match](n, self.number)


@dataclass(frozen=True)
class Rule:
    key: str            # rule_index, else the position
    position: int
    info: LiveRoomInteractionRuleInfo
    event_type: int | None
    relation: str       # AND | OR | RESERVED
    priority: int
    tags: tuple[Tag, ...]
    reply_mode: ReplyMode  # SYSTEM_REPLY when absent
    time_window: int    # -1 once per live, 0 none, n seconds
    enabled: bool
    scenes: frozenset[str] | None

    @property
    def slot(self) -> Slot:
        """Per event at most one rule of each slot fires (render.spec.reply_modes)."""
        return MODES[self.reply_mode].slot


def compile_tag(t) -> Tag:
    match = _value(t.match) or "EQUAL"
    value = t.value or ""
    pattern = None
    if match == "REGEX":
        try:
            pattern = regex.compile(value)
        except regex.error:
            pattern = None  # never matches; validate reports it (lint.rule_errors)
    return Tag(t.tag or "", _value(t.operation) or "NONE", match, value, pattern,
               number(value) if match in _CMP else None)


def compile_rules(infos) -> tuple[Rule, ...]:
    out = []
    for i, info in enumerate(infos or []):
        if isinstance(info, Mapping):
            info = LiveRoomInteractionRuleInfo.model_validate(info)
        hc, trig = info.hit_condition, info.trigger
        out.append(Rule(
            key=info.rule_index if info.rule_index not in (None, "") else str(i), position=i, info=info,
            event_type=info.event_type, relation=(_value(hc.relation) or "AND") if hc else "AND",
            priority=hc.priority if hc else 500,
            tags=tuple(compile_tag(t) for t in (hc.tags or [])) if hc else (),
            reply_mode=mode_of(trig),
            time_window=trig.time_window if trig and trig.time_window is not None else 0,
            enabled=info.enabled is not False,
            scenes=frozenset(info.enabled_scenes) if info.enabled_scenes else None))
    return tuple(out)


@dataclass(frozen=True)
class Agg:
    """One tag's aggregate since the rule last fired: O(1) whatever the number of events."""
    count: int = 0      # events carrying the field
    numeric: int = 0    # of those, events whose value is a number
    total: float = 0.0  # sum of those numbers

    def add(self, v: Any, weight: int = 1) -> Agg:
        """`weight`: how many this event counts for (a like's count; else 1)."""
        if v is _MISSING or v is None:
            return self
        n = number(v)
        return Agg(self.count + weight, self.numeric + (n is not None), self.total + (n or 0.0))

    def result(self, op: str) -> Any:
        if op == "COUNT":
            return self.count
        if op == "SUM":
            return self.total if self.numeric else _MISSING
        return self.total / self.numeric if self.numeric else _MISSING  # AVG


@dataclass(frozen=True)
class RuleState:
    aggs: tuple[Agg, ...]
    last_fired: float | None = None


@dataclass(frozen=True)
class MatchState:
    rules: tuple[Rule, ...]
    per_rule: Mapping[str, RuleState] = field(default_factory=dict)
    viewers: int | None = None


@dataclass(frozen=True)
class Hit:
    rule: Rule
    values: dict  # tag name -> the value compared (the aggregate for COUNT/SUM/AVG)


def initial_state(rules, previous: MatchState | None = None) -> MatchState:
    """Fresh state for these rules; a rule identical to one of `previous` (same key and content)
    keeps its aggregates and last fire, so rewriting the rules does not re-arm a once-per-live rule."""
    rules = rules if isinstance(rules, tuple) and all(isinstance(r, Rule) for r in rules) else compile_rules(rules)
    old = {}
    if previous is not None:
        same = {r.key: r for r in previous.rules}
        old = {r.key: previous.per_rule[r.key] for r in rules
               if r.key in same and same[r.key].info == r.info and r.key in previous.per_rule}
    per_rule = {r.key: old.get(r.key) or RuleState(tuple(Agg() for _ in r.tags)) for r in rules}
    return MatchState(rules, per_rule, previous.viewers if previous else None)


def _field(event, name: str) -> Any:
    v = lookup(event.content, name)
    if v is _MISSING and event.type == EventType.LIKE and name == "count":
        return 1  # a like without a count is one like
    return v


def _likes(event) -> int:
    """How many likes a like event (type 3) reports: its `count` (default 1); 1 for other events,
    so COUNT on likes counts likes, not reports."""
    if event.type != 3:
        return 1
    n = number(lookup(event.content, "count"))
    return int(n) if n is not None and n >= 1 else 1


def _suppressed(rule: Rule, rs: RuleState, now: float) -> bool:
    if rs.last_fired is None or rule.time_window == 0:
        return False
    if rule.time_window < 0:
        return True
    return now - rs.last_fired < rule.time_window


def step(state: MatchState, event, now: float, scene: str | None) -> tuple[MatchState, list[Hit]]:
    """One event -> (new state, the rules it fires: at most one reply rule and one SHOW_LAYER rule)."""
    if event.type == VIEWER_COUNT:
        n = number(lookup(event.content, "numberOfViewers"))
        return (replace(state, viewers=int(n)) if n is not None else state), []
    if event.type not in MATCHED_TYPES:
        return state, []
    per_rule = dict(state.per_rule)
    matched: list[tuple[Rule, dict]] = []  # enabled, in scene, condition holds (suppressed or not)
    for rule in state.rules:
        if rule.event_type != event.type or not rule.enabled:
            continue
        rs = per_rule[rule.key]
        values, oks = {}, []
        aggs = None
        for i, tag in enumerate(rule.tags):
            v = _field(event, tag.name) if tag.name else _MISSING
            if tag.operation in ("COUNT", "SUM", "AVG"):
                aggs = aggs or list(rs.aggs)
                aggs[i] = aggs[i].add(1 if (not tag.name and tag.operation == "COUNT") else v,
                                      _likes(event) if tag.operation == "COUNT" else 1)
                v = aggs[i].result(tag.operation)
            oks.append(tag.holds(v))
            values[tag.name or tag.operation] = None if v is _MISSING else v
        if aggs is not None:
            per_rule[rule.key] = RuleState(tuple(aggs), rs.last_fired)
        if rule.scenes is not None and scene not in rule.scenes:
            continue
        if rule.relation == "RESERVED":  # table 16: "does not check other matching conditions"
            ok = True
        elif rule.relation == "OR":
            ok = any(oks) if oks else True
        else:
            ok = all(oks)
        if ok:
            matched.append((rule, values))
    primary = [m for m in matched if m[0].relation != "RESERVED"]
    pool = primary or [m for m in matched if m[0].relation == "RESERVED"]
    hits = []
    for slot in Slot:
        ready = [(r, v) for r, v in pool if r.slot == slot and not _suppressed(r, per_rule[r.key], now)]
        if ready:
            rule, values = min(ready, key=lambda m: (m[0].priority, m[0].position))
            per_rule[rule.key] = RuleState(tuple(Agg() for _ in rule.tags), now)  # a fire resets
            hits.append(Hit(rule, values))
    return replace(state, per_rule=per_rule), hits
