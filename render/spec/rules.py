"""What validation says about interaction rules beyond the models: errors (a REGEX that does not
compile) and warnings (rules that can never fire or say nothing), each naming the field. Pure;
the reply modes' own warnings come from their table (render.spec.reply_modes)."""
from __future__ import annotations

import math
from typing import Any

import regex

from render.spec.enums import EventType
from render.spec.reply_modes import DEFAULT, handler

# The content fields of each event type (interaction.md, Viewer events); smartlive adds a like's count.
_USER = {"user", "userId", "name", "level", "badge", "badgeLevel"}
FIELDS = {EventType.COMMENT: _USER | {"content"}, EventType.JOIN: _USER, EventType.LIKE: _USER | {"count"},
          EventType.GIFT: _USER | {"gift", "giftName", "giftNum", "giftValue", "totalValue"},
          EventType.SENTENCE: {"content"}}
TEXT_FIELDS = {"content", "name", "userId", "badge", "giftName", "user.name", "user.userId", "user.badge",
               "gift.giftName"}
_MATH = ("MATH_GT", "MATH_GE", "MATH_LT", "MATH_LE", "MATH_EQ")


def _v(e):
    return getattr(e, "value", e)


def rule_errors(room) -> list[tuple[str, str]]:
    """(JSON path, reason) of every REGEX tag value that is not a valid regular expression."""
    out = []
    for r, rule in enumerate(room.interaction_rules or []):
        for t, tag in enumerate((rule.hit_condition.tags or []) if rule.hit_condition else []):
            if _v(tag.match) == "REGEX":
                try:
                    regex.compile(tag.value or "")
                except regex.error as e:
                    out.append((f"interaction_rules[{r}].hit_condition.tags[{t}].value",
                                f"{tag.value!r} is not a valid regular expression ({e})"))
    return out


def rule_warnings(room) -> list[str]:
    """Rules that can never fire, or fire and do nothing, each naming the field."""
    out = []
    for r, rule in enumerate(room.interaction_rules or []):
        at = f"interaction_rules[{r}]"
        trig = rule.trigger
        mode = _v(trig.reply_mode) if trig and trig.reply_mode else DEFAULT.value
        handled = handler(mode)
        if rule.event_type is None:
            out.append(f"{at}.event_type: absent, so the rule never fires")
        elif rule.event_type == EventType.VIEWER_COUNT and (
                trig and (trig.reply_texts or trig.reply_audios or trig.reply_mode)):
            out.append(f"{at}.event_type: 6 (viewer count) only updates the count DYNAMIC text shows; "
                       "this rule never fires")
        hc = rule.hit_condition
        if hc and _v(hc.relation) == "RESERVED" and hc.tags:
            out.append(f"{at}.hit_condition.tags: a RESERVED rule does not check its tags; they are ignored")
        for t, tag in enumerate((hc.tags or []) if hc else []):
            tat = f"{at}.hit_condition.tags[{t}]"
            op, match, name = _v(tag.operation) or "NONE", _v(tag.match) or "EQUAL", tag.tag or ""
            if match in _MATH and number(tag.value) is None:
                out.append(f"{tat}.value: {tag.value!r} is not a number, so {match} never matches")
            if match in _MATH and op in ("NONE", "SUM", "AVG") and name in TEXT_FIELDS:
                out.append(f"{tat}.match: {match} on the text field {name!r} matches only comments that are numbers")
            known = FIELDS.get(rule.event_type)
            if known and name and name.split(".")[-1] not in known and name.split(".")[0] not in known:
                out.append(f"{tat}.tag: {name!r} is not a field of event type {rule.event_type} "
                           f"({', '.join(sorted(known))}), so the tag never holds")
        if handled is not None:
            out += handled.warnings(trig, at)
        if trig is None:
            out.append(f"{at}.trigger: absent, so the rule does nothing when it fires")
        elif handled is None:
            out.append(f"{at}.trigger.reply_mode: {mode!r} is not handled")
    return out


def number(v: Any) -> float | None:
    """A finite number (int, float, or text of one), else None; booleans are not numbers."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, str):
        try:
            f = float(v.strip())
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None
