"""Golden frames: rooms under tests/golden/rooms/, references tests/golden/*.png.

The references are the I420 frames (what is streamed) converted to RGB and saved at half size.
Regenerate with `pytest tests/golden --update-golden` (and LOOK at them); a mismatch writes
actual/expected/diff PNGs to tests/golden/_failures/.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from render.assets import AssetLibrary
from render.compose import SceneCompositor
from render.spec import load_room
from render.speech.gestures import Gesture
from render.speech.pose import Pose
from render.speech.visemes import Viseme

HERE = Path(__file__).resolve().parent
ROOMS = HERE / "rooms"
FAILURES = HERE / "_failures"
TOLERANCE = 6          # levels per channel
MAX_SHARE = 0.005      # share of pixels allowed beyond the tolerance

SUB_LONG = "字幕 Subtitles wrap inside the box when the sentence is long, 中文和English混排。"
# (reference name, room, scene, t, level, subtitle)
CASES = [
    ("layers_mouth_open", "layers_vertical", 0, 0.5, 0.95, SUB_LONG),
    ("layers_mouth_closed", "layers_vertical", 0, 0.5, 0.0, None),
    ("landscape_video_loop", "landscape_video", 0, 2.52, 0.4, "Short line 短句"),
    ("crop_blink", "crop", 0, 0.75, 0.0, "CROP keeps the canvas scale"),
    ("video_background", "video_background", 0, 1.3, 0.6, None),
    # mouth shapes from phoneme timings (a model picture), and the placeholder's gestures
    ("viseme_closed_m", "layers_vertical", 0, 0.5, Pose(viseme=Viseme.CLOSED), None),
    ("viseme_rounded_u", "layers_vertical", 0, 0.5, Pose(viseme=Viseme.ROUNDED), None),
    ("placeholder_wave_teeth", "video_background", 0, 1.3,
     Pose(viseme=Viseme.TEETH, gesture=Gesture.WAVE, progress=0.5), None),
    ("placeholder_heart_rounded", "video_background", 0, 1.3,
     Pose(viseme=Viseme.ROUNDED, gesture=Gesture.HEART, progress=0.5), None),
    ("placeholder_point_wide", "video_background", 0, 1.3,
     Pose(viseme=Viseme.WIDE, gesture=Gesture.POINT, progress=0.5), None),
    ("placeholder_nod_closed", "video_background", 0, 1.3,
     Pose(viseme=Viseme.CLOSED, gesture=Gesture.NOD, progress=0.25), None),
]


def compose(room: str, scene: int, t: float, level: float | Pose, subtitle) -> Image.Image:
    loaded = load_room(str(ROOMS / f"{room}.json"))
    lib = AssetLibrary.default(base_dir=loaded.base_dir, extra_dirs=[HERE / "library"])
    img = SceneCompositor(loaded.room, scene, lib).frame_rgb(t, level, subtitle)
    return img.resize((img.width // 2, img.height // 2), Image.BOX)


@pytest.mark.parametrize("name,room,scene,t,level,subtitle", CASES, ids=[c[0] for c in CASES])
def test_golden_frame(name, room, scene, t, level, subtitle, update_golden):
    actual = compose(room, scene, t, level, subtitle)
    ref = HERE / f"{name}.png"
    if update_golden or not ref.exists():
        if not update_golden:
            pytest.fail(f"no reference {ref.name}: run pytest --update-golden and look at it")
        actual.save(ref, optimize=True)
        return
    expected = Image.open(ref).convert("RGB")
    assert expected.size == actual.size, f"{name}: size {actual.size} != reference {expected.size}"
    a, e = np.asarray(actual, np.int16), np.asarray(expected, np.int16)
    diff = np.abs(a - e)
    share = float((diff.max(axis=2) > TOLERANCE).mean())
    if share > MAX_SHARE:
        FAILURES.mkdir(exist_ok=True)
        actual.save(FAILURES / f"{name}.actual.png")
        expected.save(FAILURES / f"{name}.expected.png")
        Image.fromarray(np.clip(diff * 8, 0, 255).astype(np.uint8)).save(FAILURES / f"{name}.diff.png")
        pytest.fail(f"{name}: {share:.2%} of pixels differ by more than {TOLERANCE} levels "
                    f"(max {int(diff.max())}); see {FAILURES}")
