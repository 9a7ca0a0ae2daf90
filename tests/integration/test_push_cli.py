"""`smartlive push` as a user runs it: a real room, real speech, a real nginx-rtmp, read back."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rtmp_server  # noqa: E402

from tests.integration.test_preview import room  # noqa: E402

pytestmark = [pytest.mark.rtmp, pytest.mark.slow]


@pytest.fixture
def nginx(tmp_path):
    yield from rtmp_server.running(tmp_path)


def smartlive(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "render", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_push_a_room_and_read_it_back(nginx, tmp_path):
    ev = tmp_path / "ev.jsonl"
    r = smartlive("push", room(tmp_path, policy={"repeat_count": -1}), "--url", nginx.url, "--key", "cli",
                  "--duration", 4, "--events-out", ev, "--room-id", "R1")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "CONNECTED" in r.stderr
    nginx.stop()
    with av.open(str(nginx.recording("cli"))) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert (v.codec_context.name, v.width, v.height, a.codec_context.name) == ("h264", 720, 1280, "aac")
        assert abs(sum(1 for _ in c.decode(video=0)) - 100) <= 5
    events = [json.loads(line) for line in ev.read_text().splitlines()]
    kinds = [e["event_type"] for e in events]
    assert "SHOOT_SCRIPT_SWITCH" in kinds
    states = [json.loads(e["message"])["state"] for e in events if e["event_type"] == "RTMP_STREAM_STATE_CHANGE"]
    assert states[0] == "CONNECTING" and "CONNECTED" in states and states[-1] == "END"
    msg = json.loads(next(e["message"] for e in events if e["event_type"] == "RTMP_STREAM_STATE_CHANGE"))
    assert msg["room_id"] == "R1" and msg["output_url"] == nginx.url and msg["stream_key"] == "cli"


def test_a_server_never_there_gives_up_with_a_clear_message(tmp_path):
    url = f"rtmp://127.0.0.1:{rtmp_server.free_port()}/live"
    r = smartlive("push", room(tmp_path), "--url", url, "--key", "k", "--retries", "1", "-q")
    assert r.returncode != 0
    assert "MSS." in r.stderr and url in r.stderr and "Traceback" not in r.stderr


def test_vp8_to_rtmp_is_refused_before_any_work(tmp_path):
    t0 = time.monotonic()
    r = smartlive("push", room(tmp_path, codec="VP8"), "--url", "rtmp://127.0.0.1:9/live", "--key", "k")
    assert r.returncode == 2 and "MSS.00000003" in r.stderr and "VP8" in r.stderr
    assert "CONNECTING" not in r.stderr and "preparing" not in r.stderr and time.monotonic() - t0 < 30
