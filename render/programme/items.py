"""Items: the resolved pieces a programme plays, one after another, and where they may be cut.

An item is a slice [start, end) of a clip counted in frames, then `gap` quiet frames. A paragraph
cut by an insert becomes two slices of the same clip, so mouth levels and subtitles keep
following the clip's own frames. Pure: no I/O, no threads.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from render.speech import Clip
from render.speech.gestures import Gesture, gesture_frames, gesture_track
from render.speech.pose import Pose
from render.speech.visemes import Viseme, viseme_track

if TYPE_CHECKING:
    from render.programme.scenes import SceneState

PARAGRAPH = "PARAGRAPH"  # a scripted paragraph (or a slice of one)
INSERT = "INSERT"        # INSERT_PLAY_SCRIPT, or a rule's spoken reply
AUDIO = "AUDIO"          # INSERT_PLAY_AUDIO, or a rule's reply audio


@dataclass(frozen=True)
class Track:
    """Per clip frame: mouth level, subtitle text; and the sentences' [first, end) frames.

    `visemes`: per clip frame mouth shapes from the clip's phoneme timings (None: the engine gave
    none, the levels drive the mouth). `gestures`: per frame the insert-action gesture playing
    (may run past the clip's last frame, into the pause after it)."""

    levels: np.ndarray
    subtitles: tuple[str | None, ...]
    sentences: tuple[tuple[int, int], ...]
    visemes: np.ndarray | None = None
    gestures: tuple[tuple[Gesture, float] | None, ...] = ()

    def pose(self, k: int) -> Pose:
        """The streamer's mouth and gesture at clip frame k (past the clip: at rest, gesturing on)."""
        g = self.gestures[k] if 0 <= k < len(self.gestures) else None
        gesture, progress = g if g is not None else (None, 0.0)
        if not 0 <= k < len(self.levels):
            return Pose(gesture=gesture, progress=progress)
        if self.visemes is not None:
            return Pose(viseme=Viseme(int(self.visemes[k])), gesture=gesture, progress=progress)
        return Pose(float(self.levels[k]), gesture=gesture, progress=progress)

    @classmethod
    def of(cls, clip: Clip, fps: int, shown=None) -> Track:
        """`shown`: the cues as the scene shows them (long sentences paged, short pauses bridged:
        SceneCompositor.subtitle_cues); the sentences themselves stay the clip's own cues."""
        n = clip.frames(fps)
        subs: list[str | None] = [None] * n
        for cue in clip.cues if shown is None else shown:
            a, b = cue.frames(fps)
            for k in range(a, min(b, n)):
                subs[k] = cue.text
        # where the programme may cut or resume: a sentence from the frame its first sample is in
        # to the frame after its last, so a replay or an insert never clips its onset or its tail
        spans = [(math.floor(cue.start * fps), min(max(math.ceil(cue.end * fps), math.floor(cue.start * fps) + 1), n))
                 for cue in clip.cues]
        visemes = None if clip.phonemes is None else viseme_track(clip.phonemes, fps, n)
        gestures = tuple(gesture_track(clip.actions, fps, gesture_frames(clip.actions, fps)))
        return cls(clip.levels(fps), tuple(subs), tuple(spans), visemes, gestures)


@dataclass
class Item:
    kind: str
    clip: Clip
    track: Track
    role: str = "STREAMER"
    start: int = 0                  # first clip frame of this slice
    end: int = 0                    # clip frame after the slice
    gap: int = 0                    # quiet frames after the slice
    scene: SceneState | None = None  # the scene of a paragraph (an insert: the scene it was made in)
    para: int | None = None         # paragraph index in its scene
    command_id: str | None = None   # inserts and replies
    rule_index: str | None = None
    source: str = "EXTERNAL"        # EXTERNAL | AUTO (a rule's reply)
    text: str = ""
    first_slice: bool = True        # starts its paragraph (SHOOT_SCRIPT_SWITCH)
    last_slice: bool = True         # ends its paragraph
    event_time: float | None = None  # stream seconds of the viewer event a reply answers

    @property
    def frames(self) -> int:
        return self.end - self.start + self.gap

    @property
    def sound_frames(self) -> int:
        return self.end - self.start

    @property
    def is_insert(self) -> bool:
        return self.kind != PARAGRAPH


def make_item(kind: str, clip: Clip, fps: int, *, gap: int = 0, shown=None, **kw) -> Item:
    track = Track.of(clip, fps, shown)
    return Item(kind, clip, track, end=len(track.levels), gap=gap, **kw)


def sentence_at(item: Item, k: int) -> tuple[int, int] | None:
    """The [first, end) clip frames of the sentence being spoken at clip frame k, or None in a pause."""
    for a, b in item.track.sentences:
        if a <= k < b:
            return a, b
    return None


def sentence_text(item: Item, k: int) -> str:
    """The whole sentence of the clip that starts at clip frame k (not the subtitle page shown)."""
    for (a, _), cue in zip(item.track.sentences, item.clip.cues, strict=False):
        if a == k and cue.end > cue.start:  # not an action cue (insert-action: start == end)
            return cue.text
    return item.track.subtitles[k] or ""


def next_sentence_start(item: Item, k: int) -> int:
    """The first clip frame of the first sentence starting after clip frame k (else the slice end)."""
    return next((a for a, _ in item.track.sentences if a > k and a < item.end), item.end)


def split(item: Item, at: int) -> tuple[Item, Item]:
    """(head, tail) of an item cut at clip frame `at`: the head ends there with no gap, the tail
    keeps the rest, the gap and the end-of-paragraph mark."""
    head = dataclasses.replace(item, end=at, gap=0, last_slice=False)
    tail = dataclasses.replace(item, start=at, first_slice=False)
    return head, tail


def resume_from(item: Item, at: int) -> Item | None:
    """What is left of an item to play from clip frame `at` (None when nothing audible is left)."""
    if at >= item.end:
        return None
    return dataclasses.replace(item, start=at, first_slice=False)
