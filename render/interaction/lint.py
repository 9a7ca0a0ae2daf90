"""What `smartlive validate` says about interaction rules that needs the asset library: INTELLIGENT_REPLY
rules naming a robot it does not have. The pure rule checks are render.spec.rules (re-exported)."""
from __future__ import annotations

from render.errors import RenderError
from render.interaction.robot import load_robot
from render.spec.enums import ReplyMode
from render.spec.rules import rule_errors, rule_warnings

__all__ = ["robot_errors", "rule_errors", "rule_warnings"]


def _v(e):
    return getattr(e, "value", e)


def robot_errors(room, library) -> list:
    """INTELLIGENT_REPLY rules naming a robot the library does not have (or cannot read): the
    RenderError of each (asset not found, file not found or unreadable), naming the field."""
    out = []
    for r, rule in enumerate(room.interaction_rules or []):
        trig = rule.trigger
        if trig and trig.robot_id and _v(trig.reply_mode) == ReplyMode.INTELLIGENT_REPLY.value:
            try:
                load_robot(library, trig.robot_id, f"interaction_rules[{r}].trigger.robot_id")
            except RenderError as e:
                out.append(e)
    return out
