"""What a fired rule says and shows (interaction.md, Triggers): the reply line picked (RANDOM from a
seeded random.Random, ORDER as a loop per rule), `{name}` placeholders filled from the event,
play type and role, the layers shown with it, and DYNAMIC text. No I/O."""
from __future__ import annotations

import random
import re
from typing import Any

from render.interaction.actions import Reply, ShowLayers
from render.interaction.match import _MISSING, Hit, Rule, lookup, text

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)\}")
VIEWER_KEYS = ("numberOfViewers", "viewers")


def fill(template: str, content: Any, extra: dict | None = None) -> str:
    """`Thanks {name} for {giftNum} {giftName}!` with the event's fields (dotted paths or bare
    names at any depth), then `extra`; an unknown name stays as written."""
    def sub(m: re.Match) -> str:
        v = lookup(content, m.group(1))
        if v is _MISSING and extra is not None:
            v = extra.get(m.group(1), _MISSING)
        return m.group(0) if v is _MISSING or v is None else text(v)
    return _PLACEHOLDER.sub(sub, template)


def dynamic_text(template: str, viewers: int | None, content: Any = None) -> str:
    """A DYNAMIC smart text layer's text now: {numberOfViewers} / {viewers} from the last viewer
    count (left as written until one arrives), and any event field."""
    extra = {k: viewers for k in VIEWER_KEYS} if viewers is not None else None
    return fill(template, content or {}, extra)


def fill_layers(layers, content: Any) -> tuple:
    """The layers with DYNAMIC text filled from the event (viewer counts left for the overlay)."""
    out = []
    for layer in layers:
        tc = layer.text_config
        if tc is not None and tc.text_context and getattr(tc.text_type, "value", tc.text_type) == "DYNAMIC":
            ignore = {k: "{" + k + "}" for k in VIEWER_KEYS}  # the live count, filled per frame
            filled = fill(tc.text_context, {k: v for k, v in content.items() if k not in VIEWER_KEYS}, ignore)
            layer = layer.model_copy(update={"text_config": tc.model_copy(update={"text_context": filled})})
        out.append(layer)
    return tuple(out)


def rule_layers(rule: Rule) -> list:
    trig = rule.info.trigger
    return [lc for lc in (trig.layer_config, trig.extra_layer_config) if lc is not None] if trig else []


class ReplyPicker:
    """Which of a rule's reply_texts / reply_audios speaks next: RANDOM (seeded) or ORDER (a loop)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._next: dict[str, int] = {}  # ORDER position per rule key: bounded by the rules

    def pick(self, rule: Rule) -> tuple[str | None, str | None, str | None]:
        """(text, audio_ref, audio_field) of the next reply, or (None, None, None) when the rule has none."""
        trig = rule.info.trigger
        texts = list(trig.reply_texts or []) if trig else []
        audios = [(i, a) for i, a in enumerate(trig.reply_audios or []) if a.audio_url] if trig else []
        n = len(texts) + len(audios)
        if n == 0 or trig is None:
            return None, None, None
        if trig.reply_order is not None and getattr(trig.reply_order, "value", trig.reply_order) == "ORDER":
            k = self._next.get(rule.key, 0) % n
            self._next[rule.key] = k + 1
        else:
            k = self.rng.randrange(n)
        if k < len(texts):
            return texts[k], None, None
        i, audio = audios[k - len(texts)]
        return None, audio.audio_url, f"interaction_rules[{rule.position}].trigger.reply_audios[{i}].audio_url"

    def forget(self, keys) -> None:
        for k in set(self._next) - set(keys):
            del self._next[k]


def play_type(rule: Rule, room) -> str:
    trig = rule.info.trigger
    chosen = (trig.play_type if trig else None) or (room.interaction_config.play_type
                                                    if room.interaction_config else None)
    return getattr(chosen, "value", chosen) or "INSERT"


def make_reply(hit: Hit, event, now: float, picker: ReplyPicker, room, reply_id: str, *,
               ask: bool = False) -> Reply | None:
    """The queued Reply of a fired rule that speaks; `ask` (INTELLIGENT_REPLY): a robot answers the
    comment, the rule's own line is the fallback."""
    rule = hit.rule
    trig = rule.info.trigger
    line, audio, audio_field = picker.pick(rule)
    question = robot_id = None
    if ask:
        question = text(lookup(event.content, "content", "")) or None
        robot_id = trig.robot_id if trig else None
    if line is None and audio is None and question is None:
        return None
    return Reply(
        reply_id=reply_id, rule_index=rule.key, rule_name=rule.info.rule_name or "",
        text=fill(line, event.content) if line is not None else None, audio_ref=audio, audio_field=audio_field,
        role=getattr(trig.reply_role, "value", trig.reply_role) if trig else "STREAMER",
        play_type=play_type(rule, room), layers=fill_layers(rule_layers(rule), event.content),
        priority=rule.priority, event_time=now, question=question, robot_id=robot_id, event_type=event.type)


def show_layers(hit: Hit, event) -> ShowLayers | None:
    layers = rule_layers(hit.rule)
    return ShowLayers(hit.rule.key, fill_layers(layers, event.content)) if layers else None
