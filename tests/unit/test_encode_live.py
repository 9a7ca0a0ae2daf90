"""Real-time pacing (render.live) against a real file output."""
from __future__ import annotations

import threading

import av
import numpy as np

from render.encode import EncodeSettings
from render.live import LiveStatus, run_live
from render.sinks import FileOutput

W, H = 160, 120


def source(n=None):
    base = np.full((H * 3 // 2, W), 128, np.uint8)
    calls = []

    def next_frame(i):
        calls.append(i)
        if n is not None and i >= n:
            return None
        f = base.copy()
        f[:H, (i * 3) % (W - 8):(i * 3) % (W - 8) + 8] = 235
        return f, np.zeros(1920, np.float32)
    return next_frame, calls


def count_frames(path):
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def test_paced_by_the_wall_clock(tmp_path):
    s = EncodeSettings("H264", W, H, bitrate_kbps=300)
    out = tmp_path / "live.mp4"
    statuses = []
    nf, calls = source()
    stats = run_live(nf, s, [FileOutput(out, s)], duration=2.0, on_status=statuses.append)
    assert stats.frames == 50 and not stats.stopped
    assert stats.wall_seconds >= 49 / 25 - 0.01  # never faster than the clock
    assert count_frames(out) == 50  # nothing dropped or duplicated
    assert statuses and isinstance(statuses[0], LiveStatus)
    assert 0 < statuses[0].fps < 40 and str(out) in statuses[0].line()
    assert stats.lateness_p50 <= stats.lateness_p99 <= stats.lateness_max
    assert max(calls) < 50 + 4 + 2  # rendered ahead of the clock: only a few frames


def test_script_end_and_stop_event(tmp_path):
    s = EncodeSettings("H264", W, H, bitrate_kbps=300)
    nf, _ = source(n=10)
    stats = run_live(nf, s, [FileOutput(tmp_path / "a.mp4", s)], on_status=lambda st: None)
    assert stats.frames == 10 and count_frames(tmp_path / "a.mp4") == 10

    stop = threading.Event()
    timer = threading.Timer(0.6, stop.set)
    timer.start()
    nf, _ = source()
    stats = run_live(nf, s, [FileOutput(tmp_path / "b.mp4", s)], stop_event=stop,
                     on_status=lambda st: None)
    timer.join()
    assert stats.stopped and 5 <= stats.frames <= 40
    assert stats.states == {str(tmp_path / "b.mp4"): "END"}
    assert count_frames(tmp_path / "b.mp4") == stats.frames


def test_error_in_the_frame_source_aborts(tmp_path):
    s = EncodeSettings("H264", W, H, bitrate_kbps=300)

    def broken(i):
        if i == 5:
            raise ValueError("compositor broke")
        return np.zeros((H * 3 // 2, W), np.uint8), np.zeros(1920, np.float32)
    try:
        run_live(broken, s, [FileOutput(tmp_path / "c.mp4", s)], on_status=lambda st: None)
    except ValueError as e:
        assert "compositor broke" in str(e)
    else:
        raise AssertionError("the source error was swallowed")
    assert list(tmp_path.iterdir()) == []


def test_lateness_histogram_matches_exact_percentiles():
    import numpy as np

    from render.live import LatenessHistogram

    rng = np.random.default_rng(1)
    values = rng.exponential(0.004, 5000)
    h = LatenessHistogram()
    for v in values:
        h.add(float(v))
    assert h.n == 5000 and h.max == values.max()
    assert abs(h.quantile(0.5) - np.percentile(values, 50)) < 2e-4
    assert abs(h.quantile(0.99) - np.percentile(values, 99)) < 2e-4
    assert h.above(0.04) == int((values > 0.04).sum())


def test_a_long_push_trims_the_heap_once_a_minute(tmp_path, monkeypatch):
    """The soak's RSS crept with the heap in use flat: a live push gives free pages back once a
    minute (render.memory.trim_heap), by the push's own clock."""
    import render.live

    trims = []
    monkeypatch.setattr(render.live, "trim_heap", lambda: trims.append(now[0]))
    now = [0.0]

    def clock():  # 5 s a call: no waiting, and a minute of push passes every few frames
        now[0] += 5.0
        return now[0]

    s = EncodeSettings("H264", W, H, bitrate_kbps=300)
    nf, _ = source(60)
    stats = run_live(nf, s, [FileOutput(tmp_path / "live.mp4", s)], clock=clock, on_status=lambda st: None)
    assert stats.frames == 60
    assert len(trims) >= 5 and trims[0] <= 90
    assert all(60 <= b - a <= 90 for a, b in zip(trims, trims[1:], strict=False))  # once a minute, no more
