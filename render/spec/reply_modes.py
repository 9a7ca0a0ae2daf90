"""The one table of reply modes (interaction.md, Triggers): reply_mode -> what a fired rule does.

Matching (render.interaction.match) reads a mode's `slot` (per event at most one rule of each
slot fires), the engine (render.interaction.engine) calls its `fire`, and validation
(render.spec.rules) its `warnings` and whether it is handled at all, so they cannot disagree.
A new reply mode is its value in render.spec.enums.ReplyMode plus one handler registered below
(`register(Mode(...))`); a handler that needs something new of the engine adds it to `Firing`.

`fire(firing, hit, event)` gets the engine's services (`Firing`) and returns the engine's
actions (render.interaction.actions). The table lives with the spec so that validation, the
lowest layer, reads it without importing the engine. Pure: nothing here does I/O.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from render.spec.enums import ReplyMode


class Slot(str, Enum):
    """Per event at most one rule of each slot fires (the lowest priority value first)."""

    REPLY = "reply"
    LAYER = "layer"


class Firing(Protocol):
    """What a mode's handler may ask of the engine while a rule fires."""

    def show_layers(self, hit: Any, event: Any) -> list: ...        # [ShowLayers] or []
    def callback(self, hit: Any, event: Any) -> list: ...           # [Callback]
    def reply(self, hit: Any, event: Any, *, ask: bool = False) -> list: ...  # queued; [Observe] of drops


def _no_warnings(trig: Any, at: str) -> list[str]:
    return []


@dataclass(frozen=True)
class Mode:
    name: ReplyMode
    slot: Slot
    fire: Callable[[Firing, Any, Any], list]
    warnings: Callable[[Any, str], list[str]] = _no_warnings  # (trigger, its JSON path) -> warnings


MODES: dict[ReplyMode, Mode] = {}
DEFAULT = ReplyMode.SYSTEM_REPLY  # a trigger without reply_mode


def register(mode: Mode) -> Mode:
    MODES[mode.name] = mode
    return mode


def mode_of(trigger: Any) -> ReplyMode:
    """A trigger's reply mode (SYSTEM_REPLY when absent)."""
    value = getattr(trigger, "reply_mode", None) if trigger is not None else None
    return ReplyMode(value) if value else DEFAULT


def handler(mode: ReplyMode | str) -> Mode | None:
    """The handler of a mode, None when no handler is registered for it."""
    try:
        return MODES.get(ReplyMode(mode))
    except ValueError:
        return None


# ---- the handlers ------------------------------------------------------------------------------
def _system_reply_warnings(trig: Any, at: str) -> list[str]:
    if trig is not None and not (trig.reply_texts or any(a.audio_url for a in trig.reply_audios or [])):
        return [f"{at}.trigger.reply_texts: empty, so this SYSTEM_REPLY rule says nothing"]
    return []


def _show_layer_warnings(trig: Any, at: str) -> list[str]:
    if not (trig and (trig.layer_config or trig.extra_layer_config)):
        return [f"{at}.trigger.layer_config: absent, so this SHOW_LAYER rule shows nothing"]
    return []


def _intelligent_reply_warnings(trig: Any, at: str) -> list[str]:
    if not (trig and trig.robot_id):
        return [f"{at}.trigger.robot_id: required for INTELLIGENT_REPLY"]
    return []


register(Mode(ReplyMode.SYSTEM_REPLY, Slot.REPLY, lambda f, hit, ev: f.reply(hit, ev), _system_reply_warnings))
register(Mode(ReplyMode.CALLBACK, Slot.REPLY, lambda f, hit, ev: f.callback(hit, ev)))
register(Mode(ReplyMode.SYSTEM_REPLY_AND_CALLBACK, Slot.REPLY,
              lambda f, hit, ev: [*f.callback(hit, ev), *f.reply(hit, ev)]))
register(Mode(ReplyMode.SHOW_LAYER, Slot.LAYER, lambda f, hit, ev: f.show_layers(hit, ev), _show_layer_warnings))
register(Mode(ReplyMode.INTELLIGENT_REPLY, Slot.REPLY, lambda f, hit, ev: f.reply(hit, ev, ask=True),
              _intelligent_reply_warnings))
