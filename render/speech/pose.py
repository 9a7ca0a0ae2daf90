"""What speech does to the streamer at one video frame: the mouth (a viseme, or a loudness level
when the engine gave no phoneme timings) and the gesture playing, with its progress."""
from __future__ import annotations

from dataclasses import dataclass

from render.speech.gestures import Gesture
from render.speech.visemes import Viseme


@dataclass(frozen=True)
class Pose:
    level: float = 0.0               # mouth opening 0..1 from loudness (used when viseme is None)
    viseme: Viseme | None = None     # the mouth shape from the phoneme timings
    gesture: Gesture | None = None
    progress: float = 0.0            # of the gesture, 0..1
