"""What the rules engine asks the programme to do: small frozen values, no behaviour."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reply:
    """A line to speak (text) or play (audio_ref), queued; layers show while it plays.
    `question` set: an INTELLIGENT_REPLY, to be answered with robot.answer(reply, library) on the
    speech thread; `text` is then the rule's own (filled) reply text, the fallback."""
    reply_id: str             # uuid hex: the future command_id of the insert (source AUTO)
    rule_index: str
    rule_name: str
    text: str | None
    audio_ref: str | None
    audio_field: str | None   # JSON path of audio_ref, for errors
    role: str                 # STREAMER | CO_STREAMER
    play_type: str            # APPEND | INSERT | PLAY_NOW
    layers: tuple = ()        # SmartLayerConfig, DYNAMIC text filled with the event's fields
    priority: int = 500
    event_time: float = 0.0   # stream seconds when the event arrived (max age counts from here)
    question: str | None = None
    robot_id: str | None = None
    event_type: int = 0


@dataclass(frozen=True)
class ShowLayers:
    rule_index: str
    layers: tuple             # SmartLayerConfig


@dataclass(frozen=True)
class Callback:
    body: dict                # {"event_type": "INTERACTION_RULE_HIT", "message": "<JSON string>"}


@dataclass(frozen=True)
class Observe:
    event_type: str           # RULE_HIT | RULE_DROPPED | REPLY_COMMAND_FINISH
    message: dict = field(default_factory=dict)
