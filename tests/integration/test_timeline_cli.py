"""Timelines as a user runs them: `preview --events-in` (deterministic files) and
`push --events-in -` (stdin as a live control channel), on real encodes and a real nginx-rtmp."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rtmp_server  # noqa: E402

from tests.integration.test_preview import events, room, smartlive  # noqa: E402

pytestmark = pytest.mark.slow
GREETING = {"command": "INSERT_PLAY_SCRIPT",
            "params": {"text_config": {"text": "Welcome, Li Lei! Great to see you."}, "play_type": "PLAY_NOW"}}
OVERLAY = {"command": "SHOW_LAYER", "params": {"layer_config": {
    "layer_type": "TEXT", "position": {"dx": 60, "dy": 200, "layer_index": 9},
    "text_config": {"text_context": "GIFT", "font_size": 100, "font_color": "#FF2020", "display_duration": 2}}}}


def timeline(tmp_path: Path, lines) -> Path:
    path = tmp_path / "timeline.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def frame_hashes(path: Path) -> list[str]:
    with av.open(str(path)) as c:
        return [hashlib.sha1(f.to_ndarray().tobytes()).hexdigest() for f in c.decode(video=0)]


def test_preview_with_a_timeline_is_the_same_file_twice(tmp_path):
    tl = timeline(tmp_path, [{"at": 1.0, **GREETING}, {"at": 2.0, **OVERLAY},
                             {"at": 2.5, "type": 1, "content": "{\"content\": \"hi\"}"}])
    r = room(tmp_path, policy={"random_play_mode": "SCRIPT_ITEM"}, paras=3)
    outs = []
    for n in (1, 2):
        out, ev = tmp_path / f"p{n}.mp4", tmp_path / f"e{n}.jsonl"
        res = smartlive("preview", r, "-o", out, "--events-in", tl, "--events-out", ev, "--seed", 7, "-q")
        assert "1 inserted line" in res.stdout
        outs.append((frame_hashes(out), [(e["frame"], e["event_type"]) for e in events(ev)]))
    assert outs[0] == outs[1]
    kinds = [k for _, k in outs[0][1]]
    assert kinds.count("REPLY_START") == 1 and "LAYER_SHOW" in kinds and "LAYER_HIDE" in kinds


def test_a_bad_timeline_line_is_named_before_any_work(tmp_path):
    tl = timeline(tmp_path, [{"at": 1.0, "command": "INSERT_PLAY_SCRIPT", "params": {}}, GREETING])
    r = smartlive("preview", room(tmp_path), "-o", tmp_path / "x.mp4", "--events-in", tl, check=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "timeline.jsonl:1.params.text_config: field required" in r.stderr
    assert "timeline.jsonl:2.at: needed in a preview" in r.stderr
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.rtmp
def test_push_steered_from_stdin(tmp_path):
    with rtmp_server.RtmpServer(tmp_path) as nginx:
        ev = tmp_path / "ev.jsonl"
        path = room(tmp_path, policy={"repeat_count": -1})
        proc = subprocess.Popen([sys.executable, "-m", "render", "push", str(path),
                                 "--url", nginx.url, "--key", "steer", "--duration", "8", "--events-out", str(ev),
                                 "--events-in", "-", "-q"], stdin=subprocess.PIPE, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "CONNECTED" not in (ev.read_text() if ev.exists() else ""):
            time.sleep(0.1)
        proc.stdin.write("this is not json\n" + json.dumps(GREETING) + "\n" + json.dumps(OVERLAY) + "\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "line 1" not in err or "not valid JSON" in err
        lines = events(ev)
        start = next(e for e in lines if e["event_type"] == "REPLY_START")
        show = next(e for e in lines if e["event_type"] == "LAYER_SHOW")
        assert json.loads(start["message"])["text"].startswith("Welcome, Li Lei")
        nginx.stop()
        # the overlay's red text is in the stream read back from nginx while it shows
        with av.open(str(nginx.recording("steer"))) as c:
            reds = []
            for f in c.decode(video=0):
                if f.time is not None and show["time"] + 0.2 <= f.time <= show["time"] + 1.5:
                    rgb = f.to_ndarray(format="rgb24")
                    reds.append(int(np.sum((rgb[..., 0] > 200) & (rgb[..., 1] < 80))))
        assert reds and min(reds) > 500
