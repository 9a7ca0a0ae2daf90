"""The vocabulary of changes to a running show: small frozen values, no behaviour.

`commands.py` (a command) and `reactions.py` (what the rules engine fired) read the programme
through `ShowView` and answer with a list of these; `Programme.apply` (core.py) is the only code
that applies them, in order, on the frame thread. A rule's reply and an API insert are both an
`Insert` of a `Command`, so they take the same path from there on (listing, speech, placement,
REPLY_START, REPLY_COMMAND_FINISH). docs/INTERFACES.md lists them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, KeysView, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from render.spec.enums import PlayType

if TYPE_CHECKING:  # types only: nothing here runs the programme
    from render.assets import AssetLibrary
    from render.interaction import Interaction
    from render.interaction.actions import Callback
    from render.layers.geometry import View
    from render.programme.items import Item
    from render.programme.overlays import Overlay
    from render.programme.scenes import SceneState
    from render.spec.commands import Command
    from render.spec.models import LiveExitConfig
    from render.speech import Clip


class Lane(str, Enum):
    """Which of the programme's Prep workers makes a result."""

    SPEECH = "speech"  # inserts and replies, one thread: lines keep their order
    MEDIA = "media"    # overlays and rewritten scripts (downloads never hold back speech)


class Job(str, Enum):
    """What a prepared result becomes once it is ready (commands.place reads it back)."""

    INSERT = "insert"
    LAYER = "layer"
    REWRITE = "rewrite"


@dataclass(frozen=True)
class Prepare:
    """Slow work (TTS, an audio file, a download, a rewritten script) off the frame thread:
    fn(*args) runs in `lane`; its result comes back to commands.place tagged (job, cmd, extra)."""

    lane: Lane
    job: Job
    cmd: Command
    extra: Any
    fn: Callable[..., Any]
    args: tuple = ()

    @property
    def tag(self) -> tuple[Job, Command, Any]:
        return self.job, self.cmd, self.extra


@dataclass(frozen=True)
class Emit:
    """An event line (and callback) of this frame: {event_type, message}."""

    event_type: str
    message: Mapping[str, Any]


@dataclass(frozen=True)
class Insert:
    """Speak or play a line (INSERT_PLAY_SCRIPT / _AUDIO, or a rule's reply, source AUTO): listed
    and awaited until it starts (its speech or audio is a `Prepare` of Job.INSERT beside it);
    a rule's reply is the one the next rule reply waits for."""

    cmd: Command


@dataclass(frozen=True)
class PlaceItem:
    """A prepared line enters the show where its play type says (APPEND, INSERT, PLAY_NOW)."""

    item: Item
    play_type: PlayType


@dataclass(frozen=True)
class ContinueItem:
    """The next part of a streamed reply, right after its previous part."""

    item: Item


@dataclass(frozen=True)
class FinishReply:
    """REPLY_COMMAND_FINISH of an insert, once: heard to its end, or dropped with a reason."""

    command_id: str
    reason: str | None = None


@dataclass(frozen=True)
class HoldReplyLayers:
    """A rule reply's layers, shown when the reply starts playing (REPLY_START), not before; a
    reply dropped before it starts shows nothing."""

    reply_id: str
    layers: tuple
    rule_index: str | None


@dataclass(frozen=True)
class ShowOverlay:
    overlay: Overlay


@dataclass(frozen=True)
class RedrawOverlay:
    """A DYNAMIC text overlay drawn again (the viewer count changed)."""

    overlay: Overlay
    fresh: Overlay


class Rewrite(str, Enum):
    """When rewritten scripts take over."""

    NOW = "now"                # what has not played of this round (the paragraph on air finishes)
    NEXT_ROUND = "next_round"  # play_policy.is_rewrite_delay: held until the next round starts
    START = "start"            # auto_play_script false: the signal the script waited for (it plays next)


@dataclass(frozen=True)
class ReplaceScenes:
    room: Any
    scenes: Mapping[int, SceneState]
    when: Rewrite


@dataclass(frozen=True)
class ReplaceRules:
    rules: Sequence[Any] | None


@dataclass(frozen=True)
class SetExitPolicy:
    config: LiveExitConfig


@dataclass(frozen=True)
class RefreshOutputs:
    urls: tuple[str, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class DropInserts:
    """CLEAN_UP_INSERT_COMMAND: inserts not yet started leave the queue (their FinishReply follows)."""

    command_ids: frozenset[str]


@dataclass(frozen=True)
class CancelRuleReplies:
    """CLEAN_UP_INSERT_COMMAND: rule replies still queued in the rules engine (None: all)."""

    reply_ids: tuple[str, ...] | None


@dataclass(frozen=True)
class SendCallback:
    """An INTERACTION_RULE_HIT for the interaction callback URL (when the live has one)."""

    callback: Callback


Effect = (Prepare | Emit | Insert | PlaceItem | ContinueItem | FinishReply | HoldReplyLayers | ShowOverlay
          | RedrawOverlay
          | ReplaceScenes | ReplaceRules | SetExitPolicy | RefreshOutputs | DropInserts | CancelRuleReplies
          | SendCallback)


def rejected(view: ShowView, cmd: Command, code: str, message: str, *, finish: bool = False) -> list[Effect]:
    """A command (or its prepared part) that failed: COMMAND_REJECTED, and with `finish` (an insert
    already listed) its REPLY_COMMAND_FINISH with the reason."""
    out: list[Effect] = [Emit("COMMAND_REJECTED", {**view.ids(), "command": cmd.name, "command_id": cmd.command_id,
                                                   "error_code": code, "error_msg": message})]
    if finish:
        out.append(FinishReply(cmd.command_id, f"{code} {message}"))
    return out


class ShowView(Protocol):
    """What commands and reactions may read of a running programme (Programme implements it)."""

    @property
    def fps(self) -> int: ...
    @property
    def room(self) -> Any: ...  # render.spec.Room, as rewritten so far
    @property
    def library(self) -> AssetLibrary: ...
    @property
    def speech(self) -> Any: ...  # render.speech.SpeechFn, or None: render.speech.speak
    @property
    def view(self) -> View: ...
    @property
    def scene(self) -> SceneState | None: ...  # the scene on air
    @property
    def scenes(self) -> Mapping[int, SceneState]: ...
    @property
    def round_keys(self) -> Sequence[tuple[int, int]]: ...  # (scene, paragraph) of this round
    @property
    def queue(self) -> Iterable[Item]: ...  # what plays next, in order
    @property
    def side_waiting(self) -> Sequence[tuple[int, int, Item]]: ...  # VOLUME_DOWN co-streamer lines
    @property
    def overlays(self) -> Sequence[Overlay]: ...
    @property
    def rules(self) -> Interaction | None: ...  # its answers go through reactions.effects

    @property
    def has_outputs(self) -> bool: ...

    @property
    def waiting(self) -> KeysView[str]: ...

    def ids(self) -> dict[str, str]: ...

    def is_finished(self, command_id: str) -> bool: ...

    def speaking_early(self, command_id: str) -> bool: ...

    def synth(self, text: str, role: str, where: str) -> Clip: ...

    def load_audio(self, ref: str, where: str) -> Clip: ...

    def build_overlay(self, layer: Any, where: str, *, rule_index: str | None = None, reply_id: str | None = None,
                      command_id: str | None = None, fill: Callable[[str], str] | None = None) -> Overlay: ...
