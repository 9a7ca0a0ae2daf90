"""A piece of sound with its timed cues: what speech and recorded audio both produce."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from render.timebase import SAMPLE_RATE, samples_per_frame


@dataclass(frozen=True)
class Cue:
    """A timed span of a clip, in seconds from the clip's start.

    Sentence cues carry the subtitle text; action cues (insert-action) have start == end,
    text = the action name and the tag attributes in `meta`.
    """

    start: float
    end: float
    text: str
    meta: dict = field(default_factory=dict, hash=False, compare=False)

    def frames(self, fps: int) -> tuple[int, int]:
        """[first, last) frame indices this cue is on screen at `fps`."""
        return round(self.start * fps), max(round(self.start * fps) + 1, round(self.end * fps))


@dataclass(frozen=True)
class Phoneme:
    """One phoneme a TTS engine reports, timed in seconds from the clip's start.

    `symbol` is IPA (espeak-ng's and Piper's notation); "" marks a pause.
    """

    start: float
    end: float
    symbol: str


@dataclass
class Clip:
    """Mono float32 samples at 48 kHz, sentence cues and insert-action cues.

    `phonemes`: timed phonemes aligned to `samples` when the engine reports them; None when it
    gives no timings (recorded audio, an HTTP engine), where loudness drives the mouth.
    """

    samples: np.ndarray
    cues: list[Cue] = field(default_factory=list)
    actions: list[Cue] = field(default_factory=list)
    phonemes: tuple[Phoneme, ...] | None = None

    def __post_init__(self):
        self.samples = np.ascontiguousarray(self.samples, dtype=np.float32).reshape(-1)

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    def frames(self, fps: int) -> int:
        """Whole frames the clip covers (the last one possibly partial)."""
        spf = samples_per_frame(fps)
        return -(-len(self.samples) // spf)

    def levels(self, fps: int) -> np.ndarray:
        """One speech level 0..1 per frame (mouth opening), from the frame's RMS in dB."""
        return speech_levels(self.samples, fps)


def speech_levels(samples: np.ndarray, fps: int, *, floor_db: float = -55.0, span_db: float = 30.0) -> np.ndarray:
    """Per-frame level: 0 below `floor_db` dBFS or `span_db` under the clip's loud frames, 1 at them.

    Relative to the clip's own loud frames (95th percentile), so a quiet voice moves the mouth
    as much as a loud one; silence (pauses, breaks) is 0.
    """
    spf = samples_per_frame(fps)
    n = -(-len(samples) // spf)
    if n == 0:
        return np.zeros(0, np.float32)
    padded = np.zeros(n * spf, np.float32)
    padded[: len(samples)] = samples
    rms = np.sqrt(np.mean(padded.reshape(n, spf).astype(np.float64) ** 2, axis=1))
    db = 20 * np.log10(np.maximum(rms, 1e-9))
    voiced = db[db > floor_db]
    if voiced.size == 0:
        return np.zeros(n, np.float32)
    ref = np.percentile(voiced, 95)
    level = (db - (ref - span_db)) / span_db
    level[db <= floor_db] = 0.0
    return np.clip(level, 0.0, 1.0).astype(np.float32)
