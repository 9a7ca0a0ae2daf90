"""Encoder.add_output / remove_output while encoding (REFRESH_OUTPUT_URL), against a real nginx-rtmp."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rtmp_server  # noqa: E402

from render.encode import Encoder, EncodeSettings  # noqa: E402
from render.errors import InternalError  # noqa: E402
from render.sinks import CONNECTED, END, RtmpOutput  # noqa: E402

pytestmark = [pytest.mark.rtmp, pytest.mark.slow]


@pytest.fixture
def nginx(tmp_path):
    yield from rtmp_server.running(tmp_path)


def frames_of(path) -> tuple[int, float]:
    """(video frames, first video timestamp in s) of a recording."""
    with av.open(str(path)) as c:
        times = [f.time for f in c.decode(video=0)]
    return len(times), times[0]


def test_outputs_come_and_go_without_stopping_the_stream(nginx):
    s = EncodeSettings("H264", 320, 240, bitrate_kbps=400, gop=25)
    log, lock = [], threading.Lock()

    def states(url, key, state):
        with lock:
            log.append((key, state))

    a, b = RtmpOutput(nginx.url, "a", on_state=states), RtmpOutput(nginx.url, "b", on_state=states)
    frame = np.full((240 * 3 // 2, 320), 128, np.uint8)
    audio = np.zeros(s.samples_per_frame, np.float32)
    enc = Encoder(s, [a])
    enc.wait_ready(5)
    t0 = time.monotonic()
    with enc:
        for i in range(125):  # 5 s at 25 fps, paced as a live
            if i == 25:
                enc.add_output(b)
            if i == 75:
                enc.remove_output(a, wait=True)  # finishes within the frame budget of the live
                assert a.state == END and [o.name for o in enc.outputs] == [b.name]
            enc.push(frame, audio)
            time.sleep(max(0.0, t0 + (i + 1) / 25 - time.monotonic()))
        with pytest.raises(InternalError, match="not an output"):
            enc.remove_output(a)
    assert [st for k, st in log if k == "b"][-1] == END and ("b", CONNECTED) in log
    nginx.stop()
    n_a, _ = frames_of(nginx.recording("a"))
    n_b, start_b = frames_of(nginx.recording("b"))
    assert 50 <= n_a <= 80, n_a  # frames 0..~75, less what the encoder still held
    assert 70 <= n_b <= 101, n_b  # from a keyframe after frame 25 to the end
    assert start_b < 0.2, start_b  # its own timeline starts at 0
