"""Preview round trips: render real rooms to files and reopen them with PyAV."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow

VOICE = "a5d295cdb345c11bd9f36bc22ced3a7a"


def room(tmp_path: Path, *, codec="H264", size=(720, 1280), clip=None, policy=None, scenes=1, paras=2,
         view_mode="VERTICAL", subtitles=True, name="room.json") -> Path:
    vc = {"codec": codec, "bitrate": 1500, "width": size[0], "height": size[1], "is_subtitle_enable": subtitles}
    if clip:
        vc.update(clip)
    body = {"room_name": "test", "view_mode": view_mode, "video_config": vc, "scene_scripts": [
        {"script_name": f"Scene {s}", "model_asset_id": VOICE, "voice_config": {"voice_asset_id": VOICE},
         "background_config": [{"background_type": "COLOR", "background_color_config": ["#203050", "#503020"][s % 2]}],
         "shoot_scripts": [{"sequence_no": p + 1, "title": f"S{s}P{p + 1}",
                            "text_config": {"text": f"Scene {s + 1}, part {p + 1}. Thank you."}}
                           for p in range(paras)]} for s in range(scenes)]}
    if policy:
        body["play_policy"] = policy
    path = tmp_path / name
    path.write_text(json.dumps(body))
    return path


def smartlive(*args, check=True):
    r = subprocess.run([sys.executable, "-m", "render", *map(str, args)], capture_output=True, text=True,
                       timeout=600)
    if check and r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}: {r.stderr}")
    return r


def probe(path: Path) -> dict:
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        frames = sum(1 for _ in c.decode(video=0))
        c.seek(0)
        samples = sum(f.samples for f in c.decode(audio=0))
        return {"vcodec": v.codec_context.name, "size": (v.codec_context.width, v.codec_context.height),
                "fps": float(v.average_rate), "frames": frames, "acodec": a.codec_context.name,
                "rate": a.codec_context.sample_rate, "audio_s": samples / a.codec_context.sample_rate,
                "format": c.format.name}


def events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_h264_mp4_round_trip(tmp_path):
    out, ev = tmp_path / "out.mp4", tmp_path / "ev.jsonl"
    smartlive("preview", room(tmp_path), "-o", out, "--events-out", ev)
    p = probe(out)
    assert p["vcodec"] == "h264" and p["size"] == (720, 1280) and p["fps"] == 25
    assert p["acodec"] == "aac" and p["rate"] == 48000 and "mp4" in p["format"]
    assert abs(p["audio_s"] - p["frames"] / 25) <= 1 / 25 + 0.025  # AAC priming may add < 1 frame
    evs = events(ev)
    assert [json.loads(e["message"])["shoot_script_title"] for e in evs] == ["S0P1", "S0P2"]
    assert evs[0]["time"] == 0 and evs[1]["time"] > 1.0
    assert evs[-1]["frame"] < p["frames"]
    assert not list(tmp_path.glob(".*part*"))


def test_vp8_webm_round_trip_with_landscape_resize(tmp_path):
    out = tmp_path / "out.webm"
    smartlive("preview", room(tmp_path, codec="VP8", size=(1280, 720), view_mode="LANDSCAPE", paras=1), "-o", out)
    p = probe(out)
    assert p["vcodec"] == "vp8" and p["acodec"] == "opus" and p["size"] == (1280, 720)
    assert "webm" in p["format"] or "matroska" in p["format"]
    assert abs(p["audio_s"] - p["frames"] / 25) <= 2 / 25


def test_crop(tmp_path):
    out = tmp_path / "crop.mp4"
    clip = {"clip_mode": "CROP", "dx": 100, "dy": 200, "width": 640, "height": 800}
    smartlive("preview", room(tmp_path, size=(640, 800), clip=clip, paras=1), "-o", out)
    assert probe(out)["size"] == (640, 800)


def test_extension_contradicting_codec_fails_before_work(tmp_path):
    # the extension chooses the codec (issue 25); an explicit --codec that contradicts it fails
    t0 = time.monotonic()
    r = smartlive("preview", room(tmp_path, codec="VP8"), "-o", tmp_path / "out.mp4", "--codec", "VP8", check=False)
    assert r.returncode == 2 and "MSS.00000003" in r.stderr and "out.mp4" in r.stderr
    assert "Traceback" not in r.stderr and time.monotonic() - t0 < 20
    assert not list(tmp_path.glob("*.mp4"))


@pytest.mark.parametrize("repeat,duration,expect_switches", [(0, None, 2), (1, None, 4), (-1, 12, None)])
def test_repeat_count(tmp_path, repeat, duration, expect_switches):
    out, ev = tmp_path / "r.mp4", tmp_path / "ev.jsonl"
    args = ["preview", room(tmp_path, policy={"repeat_count": repeat}), "-o", out, "--events-out", ev, "--quiet"]
    if duration:
        args += ["--duration", duration]
    smartlive(*args)
    p = probe(out)
    if expect_switches:
        assert len(events(ev)) == expect_switches
    else:
        assert p["frames"] == duration * 25
        assert len(events(ev)) > 4  # a two-paragraph room repeated for 12 s


def test_scene_shuffle_with_seed_is_repeatable(tmp_path):
    path = room(tmp_path, scenes=4, paras=1, policy={"random_play_mode": "SCENE", "repeat_count": 1},
                subtitles=False)
    orders = []
    for seed in (5, 5):
        ev = tmp_path / f"ev{len(orders)}.jsonl"
        smartlive("preview", path, "-o", tmp_path / "s.mp4", "--seed", seed, "--events-out", ev, "--quiet")
        orders.append([json.loads(e["message"])["scene_script_name"] for e in events(ev)])
    assert orders[0] == orders[1] and len(orders[0]) == 8
    assert sorted(orders[0][:4]) == [f"Scene {i}" for i in range(4)]


def test_idle_room_shows_the_streamer_silent(tmp_path):
    out, ev = tmp_path / "idle.mp4", tmp_path / "ev.jsonl"
    smartlive("preview", room(tmp_path, policy={"auto_play_script": False}), "-o", out, "--duration", 2,
              "--events-out", ev)
    p = probe(out)
    assert p["frames"] == 50 and events(ev) == []
    with av.open(str(out)) as c:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
    assert np.abs(pcm).max() < 0.01


def test_preview_frame_matches_frame_command(tmp_path):
    path = room(tmp_path, paras=1)
    out, ev = tmp_path / "m.mp4", tmp_path / "ev.jsonl"
    smartlive("preview", path, "-o", out, "--events-out", ev)
    total = probe(out)["frames"]
    mid = total // 3  # inside the paragraph's speech
    smartlive("frame", path, "--at", mid / 25, "-o", tmp_path / "f.png")
    still = np.asarray(Image.open(tmp_path / "f.png").convert("RGB"), np.int16)
    with av.open(str(out)) as c:
        frame = next(f for i, f in enumerate(c.decode(video=0)) if i == mid)
    video = np.asarray(frame.to_image(), np.int16)
    assert video.shape == still.shape
    diff = np.abs(video - still)
    assert diff.mean() < 6, diff.mean()  # an encode at 1.5 Mbit/s vs the exact picture


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_killed_render_leaves_no_file(tmp_path, sig):
    path = room(tmp_path, policy={"repeat_count": -1})
    out = tmp_path / "killed.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "render", "preview", str(path), "-o", str(out),
                             "--duration", "600"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until it encodes (progress lines appear)
            line = proc.stderr.readline()
            if line.startswith("preview:") or not line:
                break
        time.sleep(1.0)
        assert proc.poll() is None, "the render ended before it could be interrupted"
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert not out.exists()
    assert list(tmp_path.glob("*.mp4")) == [] and list(tmp_path.glob(".*")) == []
