"""The encode profiles as a viewer's server receives them: the LIVE profile's stream read back
from a real nginx-rtmp recording, and the keyframes of a VP8 file (render.encode.PROFILES)."""
from __future__ import annotations

import sys
from pathlib import Path

import av
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rtmp_server

from render.encode import FILE, LIVE, Encoder, EncodeSettings
from render.live import run_live
from render.sinks import FileOutput, RtmpOutput

pytestmark = [pytest.mark.rtmp, pytest.mark.slow]


@pytest.fixture
def nginx(tmp_path):
    yield from rtmp_server.running(tmp_path)


def demanding_source(w, h, seed=0, calm=75):
    """A still gradient for `calm` frames, then a block of fresh noise every frame: an
    average-bitrate encoder saved bits during the calm and wants far more than the bitrate
    after it; only the VBV keeps the rate down."""
    rng = np.random.default_rng(seed)
    base = np.full((h * 3 // 2, w), 128, np.uint8)
    base[:h] = np.linspace(16, 235, w, dtype=np.uint8)[None, :]

    def next_frame(i):
        f = base.copy()
        if i >= calm:
            f[h // 4:3 * h // 4, w // 4:3 * w // 4] = rng.integers(0, 256, (h // 2, w // 2), np.uint8)
        return f, np.zeros(1920, np.float32)
    return next_frame


def video_packets(path):
    """(frame index, bytes, keyframe, pts == dts) of every video packet of a file, in decoding
    order; the index counts from the first frame shown (with B-frames, FLV moves every pts
    forward so that the first dts is not negative)."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        fps = float(v.average_rate or 25)
        rows = [(round(float(p.pts * p.time_base) * fps), p.size, p.is_keyframe, p.pts == p.dts)
                for p in c.demux(v) if p.size]
    first = min(i for i, *_ in rows)
    return [(i - first, *rest) for i, *rest in rows]


def test_live_profile_as_nginx_received_it(nginx):
    s = EncodeSettings("H264", 320, 240, bitrate_kbps=300, profile=LIVE)
    stats = run_live(demanding_source(320, 240), s, [RtmpOutput(nginx.url, "profile")], duration=6.2,
                     on_status=lambda _: None)
    nginx.stop()  # closes the recording
    packets = video_packets(nginx.recording("profile"))
    assert len(packets) == stats.frames == 155
    keys = [i for i, _, key, _ in packets if key]
    assert keys == list(range(0, 155, s.keyint)) and s.keyint == 50  # a keyframe every 2 s exactly
    reordered = not all(in_order for *_, in_order in packets)  # B-frames: some pts != dts
    assert reordered == (int(LIVE.x264.get("bf", "0")) > 0)
    maxrate, bufsize = s.vbv_kbps
    sizes = np.array([size for _, size, _, _ in packets])
    peak_kbit = max(sizes[i:i + s.fps].sum() for i in range(len(sizes) - s.fps + 1)) * 8 / 1000
    assert peak_kbit <= maxrate + bufsize, f"{peak_kbit:.0f} kbit in 1 s, VBV bound {maxrate + bufsize}"
    assert peak_kbit > 0.8 * maxrate  # the source did demand the whole rate


def test_vp8_keyframes_are_not_starved(tmp_path):
    """Every keyframe of a VP8 file at least a quarter of each of the 4 frames after it. In
    libvpx's realtime mode (the former profile) a still 720x1280 picture's second keyframe came
    out at 3 KB and the frame after it at 190 KB, repairing the picture."""
    w, h = 720, 1280
    s = EncodeSettings("VP8", w, h, bitrate_kbps=4000, profile=FILE, gop=25)
    rng = np.random.default_rng(1)
    base = np.full((h * 3 // 2, w), 128, np.uint8)
    base[:h] = np.clip(np.linspace(40, 200, h)[:, None] + rng.normal(0, 3, (h, w)), 0, 255).astype(np.uint8)
    out = tmp_path / "keys.webm"
    with Encoder(s, [FileOutput(out, s)]) as enc:
        for i in range(30):
            f = base.copy()
            x = (i * 11) % (w - 200)
            f[960:1088, x:x + 200] = 235
            enc.push(f, np.zeros(1920, np.float32))
    packets = video_packets(out)
    keys = [n for n, (_, _, key, _) in enumerate(packets) if key]
    assert keys == [0, 25]
    for k in keys:
        after = [size for _, size, _, _ in packets[k + 1:k + 5]]
        assert packets[k][1] >= max(after) / 4, (k, packets[k][1], after)
