"""The mouth on real speech: frames at an /m/ show closed lips, at an /u/ rounded ones, through the
`frame` command and the live programme (PLAY_NOW cuts, inserts, the co-streamer at rest), and
insert-action gestures play at their time.

The timings of most tests here are constructed on the real espeak-ng clip, over its spoken
sentences (known /m/ and /u/ lengths); one test uses the engine's own timings (espeak-ng's
phoneme events)."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from PIL import Image

from render.assets import AssetLibrary
from render.compose import SceneCompositor
from render.programme import Programme, parse_entry
from render.programme import scenes as scenes_mod
from render.programme.items import Track
from render.spec import load_room
from render.spec.models import VoiceConfig
from render.speech import Clip, Phoneme, speak
from render.speech.gestures import Gesture
from render.speech.pose import Pose
from render.speech.visemes import Viseme
from render.still import render_still

pytestmark = pytest.mark.slow

FPS = 25
SARA = "a5d295cdb345c11bd9f36bc22ced3a7a"
TEXT = "Mum moves to the moon. Fine food for you."
CYCLE = [("m", 0.12), ("uː", 0.2), ("v", 0.1), ("a", 0.16), ("s", 0.08), ("iː", 0.14)]


def timed(clip: Clip) -> tuple[Phoneme, ...]:
    """Constructed timings over the clip's real sentences: m uː v a s iː ... and pauses between."""
    out, t = [], 0.0
    for cue in clip.cues:
        if cue.start > t:
            out.append(Phoneme(t, cue.start, ""))
        t, k = cue.start, 0
        while t < cue.end - 1e-9:
            sym, d = CYCLE[k % len(CYCLE)]
            out.append(Phoneme(t, min(cue.end, t + d), sym))
            t, k = min(cue.end, t + d), k + 1
    if t < clip.duration:
        out.append(Phoneme(t, clip.duration, ""))
    return tuple(out)


def with_timings(fn):
    """The clip with the constructed timings (known /m/ and /u/ lengths) in place of the engine's."""
    def wrapped(*a, **kw):
        clip = fn(*a, **kw)
        if clip.cues:
            clip.phonemes = timed(clip)
        return clip
    return wrapped


def room_dict(text=TEXT, model=SARA) -> dict:
    return {
        "room_name": "visemes",
        "video_config": {"codec": "H264", "bitrate": 1000, "width": 720, "height": 1280},
        "view_mode": "VERTICAL",
        "scene_scripts": [{
            "script_name": "moon", "model_asset_id": model,
            "voice_config": {"voice_asset_id": SARA},
            "background_config": [{"background_type": "COLOR", "background_color_config": "#203040"}],
            "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": text}}],
        }],
        "co_streamer_config": {"voice_config": {"voice_asset_id": SARA, "pitch": 180}},
    }


@pytest.fixture(scope="module")
def library(repo_root):
    return AssetLibrary.default(base_dir=repo_root)


def mouth_box(comp: SceneCompositor):
    return next(op for g in comp._groups for op in g if getattr(op, "kind", "") == "mouth").rect


def shape_seen(rgb: np.ndarray, box) -> dict:
    """What the mouth region shows: dark inside pixels, and the drawn mouth's width and height."""
    x0, y0, x1, y1 = box
    px = rgb[y0:y1, x0:x1].astype(np.int16)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    dark = (r < 130) & (g < 70) & (b < 80)
    drawn = dark | ((r > 120) & (r - g > 50))
    ys, xs = np.nonzero(drawn)
    return {"dark": int(dark.sum()), "w": int(np.ptp(xs)) + 1, "h": int(np.ptp(ys)) + 1}


def assert_closed(seen):
    assert seen["dark"] == 0 and seen["h"] * 2.5 < seen["w"], seen


def assert_rounded(seen):
    assert seen["dark"] > 10 and seen["h"] >= seen["w"], seen


def test_frames_show_closed_lips_on_m_and_rounded_on_u(library, monkeypatch, tmp_path):
    """The `frame` command at the time of an /m/ and of an /u/ (real espeak-ng speech, its
    sentences timed as m uː v a s iː ...), and one frame before each phoneme starts."""
    monkeypatch.setattr(scenes_mod, "speak", with_timings(scenes_mod.speak))
    loaded = load_room(room_dict())
    clip = scenes_mod.load_clip(loaded.room, library, 0, 0)
    ms = [p for p in clip.phonemes if p.symbol == "m" and p.end - p.start > 0.1]
    us = [p for p in clip.phonemes if p.symbol == "uː" and p.end - p.start > 0.1]
    assert len(ms) >= 2 and len(us) >= 2 and round(ms[1].start * FPS) >= 2
    comp = SceneCompositor(loaded.room, 0, library)
    box = mouth_box(comp)
    for m, u in zip(ms[:2], us[:2], strict=True):
        at_m = (m.start + m.end) / 2
        png = render_still(loaded, library, 0, at_m, tmp_path / f"m_{at_m:.2f}.png")
        assert_closed(shape_seen(np.asarray(Image.open(png).convert("RGB")), box))
        at_u = (u.start + u.end) / 2
        png = render_still(loaded, library, 0, at_u, tmp_path / f"u_{at_u:.2f}.png")
        assert_rounded(shape_seen(np.asarray(Image.open(png).convert("RGB")), box))
        # next to the timing: the frame that holds most of the /m/ is closed, the /u/ frames are round
        track = Track.of(clip, FPS)
        assert track.pose(round(at_m * FPS)).viseme == Viseme.CLOSED
        assert all(track.pose(k).viseme == Viseme.ROUNDED
                   for k in range(round(u.start * FPS) + 1, round(u.end * FPS)))
        if round(m.start * FPS) >= 2:  # before it: the last iː (or a pause), not closed lips
            assert track.pose(round(m.start * FPS) - 2).viseme in (Viseme.REST, Viseme.MID)
    comp.close()


def test_the_engines_own_phoneme_timings_drive_the_mouth(library):
    clip = speak("Mum moves to the moon.", VoiceConfig(voice_asset_id=SARA), library)
    if clip.phonemes is None:
        pytest.skip("the espeak-ng engine gives no phoneme timings yet (Clip.phonemes is None): "
                    "they come with the TTS engine interface (issue 21 item 1)")
    track = Track.of(clip, FPS)
    m = next(p for p in clip.phonemes if p.symbol.strip("ˈˌː") == "m")
    u = next(p for p in clip.phonemes if p.symbol.strip("ˈˌː") in ("u", "uː", "ʊ"))
    near = lambda p: {track.pose(k).viseme for k in range(round(p.start * FPS) - 1, round(p.end * FPS) + 2)}  # noqa: E731
    assert Viseme.CLOSED in near(m) and Viseme.ROUNDED in near(u)
    loaded = load_room(room_dict())
    comp = SceneCompositor(loaded.room, 0, library)
    k = next(k for k in range(len(track.levels)) if track.pose(k).viseme == Viseme.CLOSED)
    assert_closed(shape_seen(np.asarray(comp.frame_rgb(k / FPS, track.pose(k))), mouth_box(comp)))
    k = next(k for k in range(len(track.levels)) if track.pose(k).viseme == Viseme.ROUNDED)
    assert_rounded(shape_seen(np.asarray(comp.frame_rgb(k / FPS, track.pose(k))), mouth_box(comp)))
    comp.close()


def insert(at, text, play_type="PLAY_NOW", role="STREAMER"):
    return {"at": at, "command": "INSERT_PLAY_SCRIPT",
            "params": {"text_config": {"text": text}, "play_type": play_type, "play_role": role}}


def test_the_live_mouth_follows_each_clips_own_frames(library, monkeypatch):
    """Paragraph, a PLAY_NOW reply that cuts it, the cut sentence replayed, a co-streamer line
    (the streamer's mouth at rest) and a wave at its insert-action: the pose of every frame."""
    import json

    monkeypatch.setattr(scenes_mod, "speak", with_timings(scenes_mod.speak))
    monkeypatch.setattr(Programme, "synth", with_timings(Programme.synth))
    seen: list = []
    real = SceneCompositor.frame_i420
    monkeypatch.setattr(SceneCompositor, "frame_i420",
                        lambda self, t, level=0.0, *a, **kw: seen.append(level) or real(self, t, level, *a, **kw))
    text = 'Mum moves to the moon. <insert-action name="wave" tag="w"/>Fine food for you.'
    reply, co = "Moon boots for you.", "Me too."
    prog = Programme(load_room(copy.deepcopy(room_dict(text))), library, seed=1)
    for n, line in enumerate([insert(1.0, reply), insert(6.0, co, "INSERT", "CO_STREAMER")]):
        prog.schedule(parse_entry(json.dumps(line), f"line {n}"))
    events = []
    try:
        while len(seen) < 400:
            f = prog.next_frame()
            if f is None:
                break
            events += [{**e, "frame": f.index} for e in f.events]
    finally:
        prog.close()
    para = prog.scenes[0].clips[0]
    track = prog.scenes[0].tracks[0]
    assert para.phonemes is not None and track.visemes is not None
    reply_clip = with_timings(speak)(reply, VoiceConfig(voice_asset_id=SARA), library)
    reply_track = Track.of(reply_clip, FPS)
    starts = [e["frame"] for e in events if e["event_type"] == "REPLY_START"]
    assert starts[0] == 25
    assert [p.viseme for p in seen[:25]] == [Viseme(int(v)) for v in track.visemes[:25]]
    n = len(reply_track.levels)
    assert [p.viseme for p in seen[25:25 + n]] == [Viseme(int(v)) for v in reply_track.visemes]
    # the cut sentence from its first frame, in the clip's own frames
    a = track.sentences[0][0]
    back = next(i for i in range(25 + n, len(seen)) if isinstance(seen[i], Pose) and seen[i].viseme is not None)
    assert back - (25 + n) <= 15 and all(at_rest(p) for p in seen[25 + n: back])  # the pause after the reply
    assert [p.viseme for p in seen[back: back + 20]] == [Viseme(int(v)) for v in track.visemes[a:a + 20]]
    # the wave plays at the insert-action's time in the paragraph (after the replayed sentence)
    wave_at = round(para.actions[0].start * FPS)
    k0 = back - a + wave_at
    assert seen[k0].gesture == Gesture.WAVE and seen[k0].progress == 0.0
    assert seen[k0 - 1].gesture is None
    # the co-streamer speaks: the streamer's mouth rests (no viseme, no level)
    co_start = starts[1]
    co_frames = seen[co_start: co_start + 10]
    assert len(co_frames) == 10 and all(at_rest(p) for p in co_frames)


def at_rest(p) -> bool:
    """No mouth movement: a zero level, or a pose without a shape other than REST and no level."""
    return p == 0.0 or (isinstance(p, Pose) and p.viseme in (None, Viseme.REST) and p.level == 0.0)
