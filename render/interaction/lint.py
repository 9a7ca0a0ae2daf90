"""What `smartlive validate` says about interaction rules beyond the models: errors (a REGEX that
does not compile) and warnings (rules that can never fire or say nothing). Pure except
`robot_errors`, which looks robots up in the asset library."""
from __future__ import annotations

import regex

from render.interaction.match import REPLY_MODES, number

# The content fields of each event type (interaction.md, Viewer events); smartlive adds a like's count.
_USER = {"user", "userId", "name", "level", "badge", "badgeLevel"}
FIELDS = {1: _USER | {"content"}, 2: _USER, 3: _USER | {"count"},
          4: _USER | {"gift", "giftName", "giftNum", "giftValue", "totalValue"}, 10: {"content"}}
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
        mode = _v(trig.reply_mode) if trig and trig.reply_mode else "SYSTEM_REPLY"
        if rule.event_type is None:
            out.append(f"{at}.event_type: absent, so the rule never fires")
        elif rule.event_type == 6 and (trig and (trig.reply_texts or trig.reply_audios or trig.reply_mode)):
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
        if mode == "SYSTEM_REPLY" and trig is not None and not (trig.reply_texts or
                                                                 any(a.audio_url for a in trig.reply_audios or [])):
            out.append(f"{at}.trigger.reply_texts: empty, so this SYSTEM_REPLY rule says nothing")
        if mode == "SHOW_LAYER" and not (trig and (trig.layer_config or trig.extra_layer_config)):
            out.append(f"{at}.trigger.layer_config: absent, so this SHOW_LAYER rule shows nothing")
        if mode == "INTELLIGENT_REPLY" and not (trig and trig.robot_id):
            out.append(f"{at}.trigger.robot_id: required for INTELLIGENT_REPLY")
        if trig is None:
            out.append(f"{at}.trigger: absent, so the rule does nothing when it fires")
        elif mode not in REPLY_MODES and mode != "SHOW_LAYER":
            out.append(f"{at}.trigger.reply_mode: {mode!r} is not handled")
    return out


def robot_errors(room, library) -> list:
    """INTELLIGENT_REPLY rules naming a robot the library does not have (or cannot read): the
    RenderError of each (asset not found, file not found or unreadable), naming the field."""
    from render.errors import RenderError
    from render.interaction.robot import load_robot

    out = []
    for r, rule in enumerate(room.interaction_rules or []):
        trig = rule.trigger
        if trig and trig.robot_id and _v(trig.reply_mode) == "INTELLIGENT_REPLY":
            try:
                load_robot(library, trig.robot_id, f"interaction_rules[{r}].trigger.robot_id")
            except RenderError as e:
                out.append(e)
    return out
