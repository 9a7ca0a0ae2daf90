"""The live-view producer: small JPEGs of real I420 frames, every n-th frame, dropping when busy."""
import io
import json
import threading

import numpy as np
import pytest
from PIL import Image

from render.console.liveview import LiveView, small_i420
from render.layers.planes import i420_to_rgb, rgb_to_i420


def two_colour_frame(w=720, h=1280) -> np.ndarray:
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[: h // 2] = (220, 30, 30)
    rgb[h // 2:] = (30, 30, 220)
    return rgb_to_i420(rgb)


@pytest.mark.parametrize("w, h, width, size", [
    (720, 1280, 180, (180, 320)),    # step 4
    (1080, 1920, 320, (360, 640)),   # step 3: an odd step
    (1920, 1080, 320, (320, 180)),
    (720, 1282, 320, (360, 640)),    # a height that is not a multiple of 4
    (64, 64, 160, (64, 64)),         # no wider: the whole frame
])
def test_small_i420_keeps_the_picture_at_about_the_width(w, h, width, size):
    small = small_i420(two_colour_frame(w, h), width)
    sw, sh = size
    assert small.dtype == np.uint8 and small.shape == (sh * 3 // 2, sw)
    rgb = i420_to_rgb(small)
    assert rgb[sh // 4, sw // 2, 0] > 180 and rgb[sh * 3 // 4, sw // 2, 2] > 180  # red above, blue below


def test_every_nth_frame_becomes_a_jpeg_of_the_picture(tmp_path):
    out = tmp_path / "liveview.jpg"
    got = []
    view = LiveView(every_n_frames=5, width=180, out_path=out, on_jpeg=lambda j, m: got.append(m), fps=25)
    frame = two_colour_frame()
    for i in range(11):
        view.submit(i, frame, {"scene": "Welcome"})
        view_idle(view)
    view.close()
    assert [m["frame"] for m in got] == [0, 5, 10] and view.made == 3
    img = Image.open(io.BytesIO(out.read_bytes())).convert("RGB")
    assert img.size == (180, 320)
    top, bottom = np.asarray(img)[40, 90], np.asarray(img)[280, 90]
    assert top[0] > 180 and top[2] < 80 and bottom[2] > 180 and bottom[0] < 80
    meta = json.loads((tmp_path / "liveview.jpg.json").read_text())
    assert meta == {"scene": "Welcome", "frame": 10, "time": 0.4}


def test_a_busy_view_drops_pictures_instead_of_holding_the_frame_thread(tmp_path):
    release = threading.Event()
    seen = []

    def slow(jpeg, meta):
        seen.append(meta["frame"])
        release.wait(5)

    view = LiveView(every_n_frames=1, width=160, on_jpeg=slow)
    frame = two_colour_frame()
    view.submit(0, frame)
    while not seen:  # the view's thread is now inside on_jpeg
        threading.Event().wait(0.01)
    for i in range(1, 6):
        view.submit(i, frame)  # returns at once although the view is busy
    release.set()
    view.close()
    assert seen[0] == 0 and view.dropped >= 4


def test_an_unwritable_path_stops_the_pictures_not_the_stream(tmp_path):
    view = LiveView(every_n_frames=1, width=160, out_path=tmp_path / "missing" / "liveview.jpg")
    view.submit(0, two_colour_frame())
    view_idle(view)
    view.close()
    assert view.made == 0


def view_idle(view: LiveView) -> None:
    for _ in range(500):
        with view._wake:
            if view._pending is None:
                return
        threading.Event().wait(0.01)
