"""Subtitles: long sentences paged into successive timed cues, no blink, a box kept on the picture."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from render.layers.geometry import View
from render.layers.subtitle import MAX_LINES, Subtitles
from render.layers.text import wrap
from render.spec import load_room
from render.speech.clip import Cue
from render.speech.cues import split_cue, subtitle_cues

LONG = ("Welcome back everyone to our evening show where we will be looking at the brand new kitchen "
        "appliances that arrived this week and every single one of them comes with a two year warranty "
        "and free delivery to your door anywhere in the country")
ZH = "欢迎大家来到我们的直播间今天我们要给大家介绍的是一款全新的厨房电器它有三种模式可以蒸可以烤还可以炸" * 2


def subs(clip_mode="RESIZE", size=(720, 1280), extra=None):
    vc = {"codec": "H264", "bitrate": 1000, "width": size[0], "height": size[1], "is_subtitle_enable": True,
          "clip_mode": clip_mode, **(extra or {})}
    room = load_room({"room_name": "r", "video_config": vc, "scene_scripts": [{
        "script_name": "s", "model_asset_id": "m", "voice_config": {"voice_asset_id": "v"},
        "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": "Hi."}}]}]}).room
    return Subtitles(room.video_config.subtitle_config, View.for_room(room))


@pytest.mark.parametrize("text", [LONG, ZH])
def test_a_long_sentence_becomes_pages_of_at_most_three_lines(text):
    s = subs()
    pages = s.pages(text)
    assert len(pages) >= 2
    _, _, w, pad = s._geometry()
    for page in pages:
        assert len(wrap(page, s.font, s.px, w - 2 * pad)) <= MAX_LINES
    assert "".join("".join(p.split()) for p in pages) == "".join(text.split())
    assert s.pages("Short one.") == ["Short one."]


def test_pages_become_successive_cues_timed_by_their_share_of_the_text():
    cue = Cue(2.0, 12.0, "aaaa bbbbbb")
    parts = split_cue(cue, ["aaaa", "bbbbbb"])
    assert [(c.start, c.end, c.text) for c in parts] == [(2.0, 6.0, "aaaa"), (6.0, 12.0, "bbbbbb")]


def test_no_blink_between_consecutive_sentences():
    cues = [Cue(0.0, 1.0, "One."), Cue(1.3, 2.0, "Two."), Cue(5.0, 6.0, "Three.")]
    shown = subtitle_cues(cues)
    assert [(c.start, c.end) for c in shown] == [(0.0, 1.3), (1.3, 2.0), (5.0, 6.0)]  # a long pause stays


def test_a_crop_window_shows_the_default_subtitle():
    s = subs("CROP", size=(360, 480), extra={"dx": 200, "dy": 500})
    img, x, y = s.picture("CROP keeps the canvas scale")
    assert 0 <= x and x + img.width <= 360 and 0 <= y and y + img.height <= 480


def test_a_box_off_the_canvas_is_moved_onto_it_and_warned_about(tmp_path):
    s = subs(extra={"subtitle_config": {"dx": 600, "dy": 1500}})
    img, x, y = s.picture("Off the edge")
    assert 0 <= x and x + img.width <= 720 and 0 <= y and y + img.height <= 1280
    room = {"room_name": "r", "video_config": {"codec": "H264", "bitrate": 1000, "width": 720, "height": 1280,
                                               "is_subtitle_enable": True,
                                               "subtitle_config": {"dx": 600, "dy": 1500}},
            "scene_scripts": [{"script_name": "s", "model_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a",
                               "voice_config": {"voice_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a"},
                               "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": "Hi."}}]}]}
    path = tmp_path / "room.json"
    path.write_text(json.dumps(room))
    r = subprocess.run([sys.executable, "-m", "render", "validate", str(path)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "warning: video_config.subtitle_config" in r.stderr and "canvas" in r.stderr


@pytest.mark.slow
def test_a_frame_of_a_long_spoken_sentence_shows_three_lines_at_most_and_never_blinks():
    from render.assets import AssetLibrary
    from render.programme.scenes import load_scenes, speech_at

    voice = "a5d295cdb345c11bd9f36bc22ced3a7a"
    loaded = load_room({"room_name": "r", "video_config": {"codec": "H264", "bitrate": 1000, "width": 720,
                                                           "height": 1280, "is_subtitle_enable": True},
                        "scene_scripts": [{"script_name": "s", "model_asset_id": voice,
                                           "voice_config": {"voice_asset_id": voice},
                                           "shoot_scripts": [{"sequence_no": 1, "text_config": {
                                               "text": LONG + ". And then a short one. And another."}}]}]})
    fps = 25
    scenes = load_scenes(loaded.room, AssetLibrary.default(), fps)
    try:
        s = scenes[0].compositor._subs
        _, _, w, pad = s._geometry()
        frames = scenes[0].clips[0].frames(fps)
        track = [speech_at(scenes[0], loaded.room, i / fps, fps, 10)[1] for i in range(frames)]
        shown = [t for t in track if t]
        assert len(set(shown)) >= 4  # the long sentence paged, then the two short ones
        assert all(len(wrap(t, s.font, s.px, w - 2 * pad)) <= MAX_LINES for t in shown)
        first = track.index(shown[0])
        last = len(track) - track[::-1].index(shown[-1])
        assert None not in track[first:last]  # no blink between the sentences
    finally:
        scenes[0].close()


@pytest.mark.parametrize("text", [LONG, LONG + " tonight only", ZH, " ".join(["word"] * 37)])
def test_pages_are_balanced_and_the_last_is_never_one_or_two_words(text):
    s = subs()
    pages = s.pages(text)
    assert len(pages) >= 2
    sizes = [len("".join(p.split())) for p in pages]
    assert min(sizes) >= 0.6 * max(sizes), (sizes, pages)
    if " " in text:
        assert len(pages[-1].split()) >= 3, pages
    assert "".join("".join(p.split()) for p in pages) == "".join(text.split())


def test_the_box_hides_what_lies_behind_it():
    """Over a white picture the box stays dark: details behind never show through the letters."""
    import numpy as np

    s = subs()
    img, _, _ = s.picture("Readable on anything")
    rgba = np.asarray(img).astype(float)
    white = 255 * (1 - rgba[..., 3:] / 255) + rgba[..., :3] * rgba[..., 3:] / 255  # over white
    h, w = white.shape[:2]
    corner = white[h // 2, 4:10].mean()  # box, no text (left padding)
    assert corner <= 100, corner


def test_a_live_of_new_replies_keeps_few_subtitle_boxes():
    """Every reply of a live is a new text: the boxes kept for reuse stay a few MB (the soak grew
    by 64 boxes a scene before: 50 MB at 1080x1920), and the text on screen is drawn once."""
    s = subs(size=(1080, 1920))
    shown = s.sprite("Hello v1, welcome to the room!")
    assert s.sprite("Hello v1, welcome to the room!") is shown  # drawn once while on screen
    for n in range(100):
        assert s.sprite(f"Thank you v{n} for 1 rose! Enjoy the show, and ask me anything.") is not None
    kept = sum(a.nbytes for sp in s._cache.values() if sp is not None for r in sp.runs
               for a in (r.py, r.pu, r.pv, r.iy, r.iuv) if a is not None)
    assert kept < 8 * 2 ** 20, kept
