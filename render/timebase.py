"""Frames and samples: the clock every stage counts in (no float accumulation)."""
from __future__ import annotations

FPS = 25
SAMPLE_RATE = 48000


def samples_per_frame(fps: int = FPS) -> int:
    """48 kHz / 25 fps = 1920 samples a frame; fps must divide the rate."""
    if SAMPLE_RATE % fps:
        raise ValueError(f"frame rate {fps} does not divide {SAMPLE_RATE} Hz")
    return SAMPLE_RATE // fps


def frames_for(seconds: float, fps: int = FPS) -> int:
    """Whole frames that cover `seconds` (rounded up)."""
    return max(0, -(-round(seconds * 1_000_000) * fps // 1_000_000))
