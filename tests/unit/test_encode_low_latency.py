"""The low-latency profile a job may choose: libx264 gives a frame's packet back with the frame,
where LIVE holds 13 frames (lookahead and B-frames); an unknown name is refused naming the field."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from render.encode import LIVE, LOW_LATENCY, EncodeSettings, _video_options, live_profile
from render.errors import SpecError


def frames_before_first_packet(profile) -> int:
    s = EncodeSettings("H264", 320, 240, bitrate_kbps=300, profile=profile)
    cc = av.CodecContext.create("libx264", "w")
    cc.width, cc.height, cc.pix_fmt = 320, 240, "yuv420p"
    cc.time_base, cc.framerate = Fraction(1, 25), Fraction(25, 1)
    cc.bit_rate, cc.gop_size = 300_000, s.keyint
    cc.options = _video_options(s)
    cc.thread_count = profile.thread_count
    rng = np.random.default_rng(1)
    for i in range(40):
        frame = av.VideoFrame.from_ndarray(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), format="rgb24")
        frame = frame.reformat(format="yuv420p")
        frame.pts = i
        if cc.encode(frame):
            return i
    return 40


def test_low_latency_gives_each_frame_back_at_once_and_live_waits():
    assert frames_before_first_packet(LOW_LATENCY) == 0
    assert frames_before_first_packet(LIVE) >= 10


def test_a_job_names_its_profile():
    assert live_profile(None) is LIVE and live_profile("low-latency") is LOW_LATENCY
    with pytest.raises(SpecError, match="encode_profile: 'file' is not a live encode profile"):
        live_profile("file")
