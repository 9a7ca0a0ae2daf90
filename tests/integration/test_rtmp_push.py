"""Live push to a real nginx-rtmp server (tests/rtmp_server.py), read back from its recording."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rtmp_server

from render.encode import Encoder, EncodeSettings
from render.errors import OutputError
from render.live import run_live
from render.sinks import CONNECTED, DISCONNECTED, END, RECONNECTING, FileOutput, RtmpOutput

pytestmark = [pytest.mark.rtmp, pytest.mark.slow]


@pytest.fixture
def nginx(tmp_path):
    yield from rtmp_server.running(tmp_path)


def bar_source(w, h, fps=25):
    """A precomputed frame with a moving bar (so the CPU is the encoder's) and a tone."""
    base = np.full((h * 3 // 2, w), 128, np.uint8)
    base[:h] = np.linspace(16, 235, h, dtype=np.uint8)[:, None]
    spf = 48000 // fps
    bw = max(8, w // 20)

    def next_frame(i):
        f = base.copy()
        x = (i * 9) % (w - bw)
        f[:h, x:x + bw] = 235
        t = np.arange(i * spf, (i + 1) * spf) / 48000
        return f, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return next_frame


def read_back(path):
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        info = (v.codec_context.name, v.width, v.height, round(float(v.average_rate or 0)),
                a.codec_context.name, a.rate)
        n = sum(1 for _ in c.decode(video=0))
    return info, n


class States:
    def __init__(self):
        self.log = []
        self.lock = threading.Lock()

    def __call__(self, url, key, state):
        with self.lock:
            self.log.append((key, state))

    def of(self, key):
        return [s for k, s in self.log if k == key]


def quiet(_status):
    pass


def test_push_10s_1080x1920_and_read_back(nginx):
    s = EncodeSettings("H264", 1080, 1920, fps=25, bitrate_kbps=4000)
    states = States()
    stats = run_live(bar_source(1080, 1920), s, [RtmpOutput(nginx.url, "main", on_state=states)],
                     duration=10.0, on_status=quiet)
    assert stats.frames == 250
    assert states.of("main")[0] == "CONNECTING" and "CONNECTED" in states.of("main")
    assert states.of("main")[-1] == END
    nginx.stop()  # closes the recording
    info, n = read_back(nginx.recording("main"))
    assert info == ("h264", 1080, 1920, 25, "aac", 48000)
    assert abs(n - 250) <= 5, n


def test_two_outputs_at_once(nginx, tmp_path):
    s = EncodeSettings("H264", 320, 240, bitrate_kbps=500)
    states = States()
    outs = [RtmpOutput(nginx.url, "a", on_state=states),
            RtmpOutput(nginx.url, "b", on_state=states),
            FileOutput(tmp_path / "copy.mp4", s)]
    stats = run_live(bar_source(320, 240), s, outs, duration=3.0, on_status=quiet)
    assert stats.frames == 75
    nginx.stop()
    for key in ("a", "b"):
        assert states.of(key)[-1] == END and CONNECTED in states.of(key)
        info, n = read_back(nginx.recording(key))
        assert info == ("h264", 320, 240, 25, "aac", 48000)
        assert abs(n - 75) <= 5, (key, n)
    assert read_back(tmp_path / "copy.mp4")[1] == 75


def test_reconnects_after_the_server_restarts(nginx, tmp_path):
    s = EncodeSettings("H264", 320, 240, bitrate_kbps=500, gop=25)
    states = States()
    out = RtmpOutput(nginx.url, "re", on_state=states, max_retries=8, backoff=0.2, backoff_max=1.0)
    keep = FileOutput(tmp_path / "keep.mp4", s)  # the other output carries on meanwhile

    def chaos():
        time.sleep(2.0)
        nginx.kill()
        time.sleep(1.5)
        nginx.start()

    t = threading.Thread(target=chaos)
    t.start()
    stats = run_live(bar_source(320, 240), s, [out, keep], duration=8.0, on_status=quiet)
    t.join()
    assert stats.frames == 200
    seq = states.of("re")
    assert seq[:2] == ["CONNECTING", CONNECTED], seq
    i = seq.index(DISCONNECTED)
    assert seq[i + 1] == RECONNECTING and CONNECTED in seq[i + 1:], seq
    assert seq[-1] == END and out.connections == 2 and out.failure is None
    assert read_back(tmp_path / "keep.mp4")[1] == 200
    nginx.stop()
    info, n = read_back(nginx.recording("re"))  # the stream after the reconnection
    assert info[:3] == ("h264", 320, 240)
    assert 25 <= n <= 160, n
    with av.open(str(nginx.recording("re"))) as c:  # restarted at a keyframe, timeline from 0
        first = next(p for p in c.demux(video=0) if p.size)
        assert first.is_keyframe and first.pts * first.time_base < 0.5
    with av.open(str(nginx.recording("re"))) as c:  # with its sound from the same moment
        first_audio = next(p for p in c.demux(audio=0) if p.size)
        assert abs(first_audio.pts * first_audio.time_base - first.dts * first.time_base) < 0.2


def test_server_never_there_gives_up_with_a_clear_error():
    port = rtmp_server.free_port()  # nothing listens there
    url = f"rtmp://127.0.0.1:{port}/live"
    states = States()
    out = RtmpOutput(url, "k", on_state=states, max_retries=2, backoff=0.05)
    s = EncodeSettings("H264", 160, 120, bitrate_kbps=200)
    t0 = time.monotonic()
    with pytest.raises(OutputError) as e:
        run_live(bar_source(160, 120), s, [out], duration=20.0, on_status=quiet)
    assert time.monotonic() - t0 < 10
    assert f"{url}/k" in str(e.value) and "gave up after 3 failed connection attempts" in str(e.value)
    assert states.of("k") == ["CONNECTING", RECONNECTING, END]  # changes only, not every retry


def test_encoder_raises_once_every_output_gave_up():
    url = f"rtmp://127.0.0.1:{rtmp_server.free_port()}/live"
    outs = [RtmpOutput(url, k, max_retries=0) for k in ("x", "y")]
    enc = Encoder(EncodeSettings("H264", 160, 120, bitrate_kbps=200), outs)
    f, a = bar_source(160, 120)(0)
    with pytest.raises(OutputError) as e:
        for _ in range(500):
            enc.push(f, a)
            time.sleep(0.01)
    enc.abort()
    assert f"{url}/x" in str(e.value) and f"{url}/y" in str(e.value)


def test_silent_server_times_out_instead_of_freezing():
    """A server that accepts TCP but never answers RTMP: the probe times out (FFmpeg's own
    connect would block forever holding the GIL), and the output gives up."""
    import socket

    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    url = f"rtmp://127.0.0.1:{lsock.getsockname()[1]}/live"
    try:
        states = States()
        out = RtmpOutput(url, "s", on_state=states, max_retries=1, backoff=0.05, connect_timeout=0.3)
        enc = Encoder(EncodeSettings("H264", 160, 120, bitrate_kbps=200), [out])
        t0 = time.monotonic()
        enc.wait_ready(10)  # the first attempt timed out: the stream may start, retries go on
        assert time.monotonic() - t0 < 2
        with pytest.raises(OutputError, match="gave up after 2 failed connection attempts: timed out"):
            while time.monotonic() - t0 < 5:
                enc.check()
                time.sleep(0.05)
        assert time.monotonic() - t0 < 5
        enc.abort()
        assert states.of("s") == ["CONNECTING", RECONNECTING, END]
    finally:
        lsock.close()
