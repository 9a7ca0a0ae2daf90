"""`<insert-action name=..>` -> a gesture the streamer plays from the action's time on.

The spec leaves action names open; these are understood (case and `-`/`_`/space ignored):
wave (hello, hi, bye, greet, 招手, 挥手), nod (yes, agree, 点头), point (point_product, product,
show, 指, 指向商品), heart (heart_hands, love, 比心). Other names play nothing and are a
validation warning. Pure: no I/O.
"""
from __future__ import annotations

import re
from enum import Enum

from render.speech.clip import Cue


class Gesture(str, Enum):
    WAVE = "wave"
    NOD = "nod"
    POINT = "point"
    HEART = "heart"


DURATION = {Gesture.WAVE: 1.6, Gesture.NOD: 1.0, Gesture.POINT: 1.8, Gesture.HEART: 1.8}  # seconds
_NAMES = {
    Gesture.WAVE: ("wave", "hello", "hi", "bye", "greet", "招手", "挥手"),
    Gesture.NOD: ("nod", "yes", "agree", "点头"),
    Gesture.POINT: ("point", "pointproduct", "product", "show", "指", "指向商品"),
    Gesture.HEART: ("heart", "hearthands", "love", "比心"),
}
_BY_NAME = {n: g for g, names in _NAMES.items() for n in names}


def gesture_of(name: str) -> Gesture | None:
    """The gesture an action name asks for, or None when the name is not one."""
    return _BY_NAME.get(re.sub(r"[\s_\-]+", "", name.strip().lower()))


def gesture_track(actions: list[Cue], fps: int, n: int) -> list[tuple[Gesture, float] | None]:
    """Per frame (n frames, possibly past the clip's end for a gesture that outlasts it): the
    gesture playing and its progress 0..1, or None. A later action cuts an earlier one short."""
    out: list[tuple[Gesture, float] | None] = [None] * n
    for cue in sorted(actions, key=lambda c: c.start):
        g = gesture_of(cue.text)
        if g is None:
            continue
        a, length = round(cue.start * fps), max(1, round(DURATION[g] * fps))
        for k in range(max(a, 0), min(a + length, n)):
            out[k] = (g, (k - a) / length)
    return out


def gesture_frames(actions: list[Cue], fps: int) -> int:
    """How many frames from the clip's start the last gesture needs to finish."""
    ends = [round(c.start * fps) + max(1, round(DURATION[g] * fps))
            for c in actions if (g := gesture_of(c.text)) is not None]
    return max(ends, default=0)


def action_warnings(room) -> list[str]:
    """A warning for each insert-action of the room's paragraphs whose name plays no gesture."""
    from render.errors import SpecError
    from render.speech import ssml

    out = []
    for s, scene in enumerate(room.scene_scripts or []):
        for p, para in enumerate(scene.shoot_scripts or []):
            where = f"scene_scripts[{s}].shoot_scripts[{p}].text_config.text"
            if para.text_config is None or not ssml.is_tagged(para.text_config.text or ""):
                continue
            try:
                parts = ssml.parse(para.text_config.text, where)
            except SpecError:
                continue  # reported as an error by validation
            for part in parts:
                if isinstance(part, ssml.Action) and gesture_of(part.name) is None:
                    out.append(f"{where}: <insert-action name={part.name!r}> is not a gesture the streamer "
                               f"plays ({', '.join(g.value for g in Gesture)}); ignored")
    return out
