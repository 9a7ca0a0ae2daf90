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


def test_a_wrong_refresh_keeps_the_stream_and_a_good_one_moves_it(nginx, tmp_path):
    """REFRESH_OUTPUT_URL to a server that is not there: the live goes on to its old output and
    the failure is reported (event + stderr); a later good refresh moves it once connected."""
    import json
    import subprocess

    from tests.integration.test_preview import room

    dead = f"rtmp://127.0.0.1:{rtmp_server.free_port()}/live"
    timeline = tmp_path / "timeline.jsonl"
    timeline.write_text("\n".join(json.dumps(e) for e in [
        {"at": 1.0, "command": "REFRESH_OUTPUT_URL", "params": {"output_urls": [dead], "stream_keys": ["x"]}},
        {"at": 5.0, "command": "REFRESH_OUTPUT_URL", "params": {"output_urls": [nginx.url], "stream_keys": ["b"]}},
    ]) + "\n")
    ev = tmp_path / "ev.jsonl"
    r = subprocess.run([sys.executable, "-m", "render", "push", str(room(tmp_path, policy={"repeat_count": -1})),
                        "--url", nginx.url, "--key", "a", "--retries", "1", "--duration", "8",
                        "--events-in", str(timeline), "--events-out", str(ev)],
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr  # before: "every output gave up" ~2 s after the wrong refresh
    assert "Traceback" not in r.stderr and "REFRESH_OUTPUT_URL: no new output connected" in r.stderr
    assert dead in r.stderr
    events = [json.loads(line) for line in ev.read_text().splitlines()]
    failed = [json.loads(e["message"]) for e in events if e["event_type"] == "OUTPUT_REFRESH_FAILED"]
    assert len(failed) == 1 and failed[0]["output_urls"] == [dead] and failed[0]["error_code"] == "MSS.00000004"
    states = [(m["stream_key"], m["state"]) for e in events if e["event_type"] == "RTMP_STREAM_STATE_CHANGE"
              for m in [json.loads(e["message"])]]
    assert states.index(("b", "CONNECTED")) < states.index(("a", "END"))  # the old output ends after
    nginx.stop()
    n_a, _ = frames_of(nginx.recording("a"))
    n_b, start_b = frames_of(nginx.recording("b"))
    assert 25 * 4 <= n_a <= 25 * 6.5, n_a  # 0 .. ~5 s: through the failed refresh, until b connected
    assert 25 * 2 <= n_b <= 25 * 4, n_b  # ~5 s .. 8 s
    assert start_b < 0.2, start_b
