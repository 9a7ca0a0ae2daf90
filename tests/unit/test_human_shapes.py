"""The streamer draws each mouth shape and (the placeholder) each gesture: checked on the pixels
of the streamed frame (I420 converted back), for the drawn placeholder and a model picture."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from render.assets import AssetLibrary
from render.compose import SceneCompositor
from render.spec import load_room
from render.speech.gestures import Gesture
from render.speech.pose import Pose
from render.speech.visemes import Viseme

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
T = 0.2  # no blink


def compositor(room: str) -> SceneCompositor:
    loaded = load_room(str(GOLDEN / "rooms" / f"{room}.json"))
    lib = AssetLibrary.default(base_dir=loaded.base_dir, extra_dirs=[GOLDEN / "library"])
    return SceneCompositor(loaded.room, 0, lib)


@pytest.fixture(scope="module", params=["video_background", "layers_vertical"], ids=["placeholder", "picture"])
def comp(request):
    return compositor(request.param)


@pytest.fixture(scope="module")
def placeholder():
    return compositor("video_background")


def face(comp, kind):
    return next(op for g in comp._groups for op in g if getattr(op, "kind", "") == kind)


def mouth_pixels(comp, pose) -> np.ndarray:
    x0, y0, x1, y1 = face(comp, "mouth").rect
    return np.asarray(comp.frame_rgb(T, pose), np.int16)[y0:y1, x0:x1]


def measure(px: np.ndarray) -> dict:
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    dark = (r < 130) & (g < 70) & (b < 80)            # the open mouth's inside
    lips = (r > 120) & (r - g > 50)                    # red lips, tongue
    teeth = (r > 215) & (g > 215) & (b > 205)
    drawn = dark | lips | teeth
    ys, xs = np.nonzero(drawn)
    w = xs.max() - xs.min() + 1 if len(xs) else 0
    h = ys.max() - ys.min() + 1 if len(ys) else 0
    return {"dark": int(dark.sum()), "teeth": int(teeth.sum()), "drawn": int(drawn.sum()), "w": w, "h": h}


def test_each_viseme_is_drawn_as_a_recognisable_shape(comp):
    m = {v: measure(mouth_pixels(comp, Pose(viseme=v))) for v in Viseme}
    assert np.array_equal(comp.frame_i420(T, Pose(viseme=Viseme.REST)), comp.frame_i420(T, 0.0))
    closed, rounded, wide, teeth, mid = (m[Viseme.CLOSED], m[Viseme.ROUNDED], m[Viseme.WIDE],
                                         m[Viseme.TEETH], m[Viseme.MID])
    assert closed["dark"] == 0 and closed["drawn"] > 30 and closed["h"] < closed["w"] / 2.5  # lips together
    assert rounded["dark"] > 10 and rounded["h"] >= rounded["w"]  # an O: round, as tall as wide
    assert wide["w"] > 1.8 * rounded["w"] and wide["h"] >= rounded["h"] and wide["dark"] > 0
    assert wide["drawn"] > max(mid["drawn"], teeth["drawn"], rounded["drawn"], closed["drawn"])
    assert teeth["teeth"] > 15 and teeth["teeth"] > 2 * mid["teeth"]
    assert mid["dark"] > 0 and mid["h"] < wide["h"]


def test_a_bare_level_still_opens_the_mouth_by_loudness(comp):
    assert np.array_equal(comp.frame_i420(T, 0.8), comp.frame_i420(T, Pose(0.8)))
    assert measure(mouth_pixels(comp, 0.9))["h"] > measure(mouth_pixels(comp, 0.3))["h"]


def to_out(comp, fx: float, fy: float) -> tuple[int, int]:
    """Placeholder figure coordinates -> output pixel."""
    g = face(comp, "gesture")
    s = g.size[0] / 600
    return round(g.x + fx * s), round(g.y + fy * s)


def region(comp, pose, box) -> np.ndarray:
    (x0, y0), (x1, y1) = to_out(comp, *box[:2]), to_out(comp, *box[2:])
    return np.asarray(comp.frame_rgb(T, pose), np.int16)[y0:y1, x0:x1]


def changed(comp, pose, box) -> float:
    return float((np.abs(region(comp, pose, box) - region(comp, Pose(), box)).max(axis=2) > 40).mean())


def test_wave_raises_a_hand_beside_the_head(placeholder):
    beside_head = (420, 250, 600, 560)
    for p in (0.3, 0.5, 0.7):
        assert changed(placeholder, Pose(gesture=Gesture.WAVE, progress=p), beside_head) > 0.1
    assert changed(placeholder, Pose(gesture=Gesture.WAVE, progress=0.3), (0, 250, 180, 560)) == 0
    # the hand moves side to side
    a = region(placeholder, Pose(gesture=Gesture.WAVE, progress=0.3), beside_head)
    b = region(placeholder, Pose(gesture=Gesture.WAVE, progress=0.5), beside_head)
    assert float((np.abs(a - b).max(axis=2) > 40).mean()) > 0.02


def test_point_raises_the_other_hand_and_a_finger(placeholder):
    assert changed(placeholder, Pose(gesture=Gesture.POINT, progress=0.5), (0, 400, 200, 600)) > 0.08
    assert changed(placeholder, Pose(gesture=Gesture.POINT, progress=0.5), (420, 250, 600, 560)) == 0


def test_heart_hands_make_a_red_heart_on_the_chest(placeholder):
    px = region(placeholder, Pose(gesture=Gesture.HEART, progress=0.5), (200, 520, 400, 720))
    red = (px[..., 0] > 180) & (px[..., 1] < 120) & (px[..., 2] < 150)
    assert red.mean() > 0.15
    rest = region(placeholder, Pose(), (200, 520, 400, 720))
    assert not ((rest[..., 0] > 180) & (rest[..., 1] < 120)).any()


def eyes_y(comp, pose) -> float:
    px = region(comp, pose, (180, 150, 420, 300))
    dark = (px[..., 0] < 90) & (px[..., 1] < 90) & (px[..., 2] < 100)
    return float(np.nonzero(dark)[0].mean())


def test_nod_lowers_the_face_and_the_mouth_goes_with_it(placeholder):
    low = Pose(viseme=Viseme.WIDE, gesture=Gesture.NOD, progress=0.25)
    assert eyes_y(placeholder, low) > eyes_y(placeholder, Pose()) + 3
    assert eyes_y(placeholder, low) > eyes_y(placeholder, Pose(gesture=Gesture.NOD, progress=0.5)) + 3  # and up
    up, down = (np.asarray(placeholder.frame_rgb(T, p), np.int16) for p in (Pose(viseme=Viseme.WIDE), low))
    x0, y0, x1, y1 = face(placeholder, "mouth").rect
    def inside_rows(a):
        r, g = a[y0:y1, x0:x1, 0], a[y0:y1, x0:x1, 1]
        return float(np.nonzero((r < 130) & (g < 70))[0].mean())
    assert inside_rows(down) > inside_rows(up) + 3


def test_a_model_picture_shows_no_drawn_gestures():
    comp = compositor("layers_vertical")
    assert not any(getattr(op, "kind", "") == "gesture" for g in comp._groups for op in g)
    for g in Gesture:
        assert np.array_equal(comp.frame_i420(T, Pose(gesture=g, progress=0.5)), comp.frame_i420(T, Pose()))
