"""Exact pixels: solid layers at (dx, dy), layer order, alpha, RESIZE/CROP geometry, I420 layout."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from render.assets import AssetLibrary
from render.compose import SceneCompositor, merge_rects
from render.layers.planes import Sprite, i420_to_rgb, planes, rgb_to_i420, solid_i420
from render.spec import load_room

RED, BLUE, GREEN = (220, 30, 40), (20, 40, 200), (30, 200, 60)


def y_of(rgb) -> int:
    return int(rgb_to_i420(np.full((2, 2, 3), rgb, np.uint8))[0, 0])


def room(tmp_path, layers, *, bg="#1428C8", view="VERTICAL", video_config=None):
    data = {"room_name": "t", "view_mode": view, "scene_scripts": [{
        "script_name": "s",
        "background_config": [{"background_type": "COLOR", "background_color_config": bg}],
        "layer_config": layers, "shoot_scripts": [{"text_config": {"text": "x"}}]}]}
    if video_config:
        data["video_config"] = {"codec": "H264", "bitrate": 1000, **video_config}
    loaded = load_room(data)
    return SceneCompositor(loaded.room, 0, AssetLibrary.default(base_dir=tmp_path))


def solid(tmp_path, name, rgb, size=(100, 60), alpha=255):
    p = tmp_path / name
    Image.new("RGBA", size, tuple(rgb) + (alpha,)).save(p)
    return str(p)


def image_layer(path, dx, dy, index, **size):
    lay = {"layer_type": "IMAGE", "image_config": {"image_url": path},
           "position": {"dx": dx, "dy": dy, "layer_index": index}}
    if size:
        lay["size"] = size
    return lay


@pytest.mark.parametrize("dx,dy", [(200, 300), (101, 51), (0, 0), (1030, 1890)])
def test_solid_layer_corners_exact_in_luma(tmp_path, dx, dy):
    comp = room(tmp_path, [image_layer(solid(tmp_path, "r.png", RED), dx, dy, 1)])
    y = planes(comp.frame_i420(0.0))[0]
    yr, yb = y_of(RED), y_of(BLUE)
    x1, y1 = min(dx + 100, 1080) - 1, min(dy + 60, 1920) - 1
    for cx, cy in ((dx, dy), (x1, dy), (dx, y1), (x1, y1)):
        assert y[cy, cx] == yr, (cx, cy)
    for cx, cy in ((dx - 1, dy), (dx, dy - 1), (x1 + 1, y1), (x1, y1 + 1)):
        if 0 <= cx < 1080 and 0 <= cy < 1920:
            assert y[cy, cx] == yb, (cx, cy)


def test_solid_layer_corners_rgb_at_even_position(tmp_path):
    comp = room(tmp_path, [image_layer(solid(tmp_path, "r.png", RED), 200, 300, 1)])
    rgb = np.asarray(comp.frame_rgb(0.0), np.int16)
    for cx, cy in ((200, 300), (299, 300), (200, 359), (299, 359)):
        assert np.abs(rgb[cy, cx] - RED).max() <= 3
    for cx, cy in ((198, 300), (300, 300), (200, 360)):
        assert np.abs(rgb[cy, cx] - BLUE).max() <= 3


def test_layer_order_by_index_then_written_order(tmp_path):
    r, g = solid(tmp_path, "r.png", RED), solid(tmp_path, "g.png", GREEN)
    # written first but index 2: on top of the index-1 green one
    comp = room(tmp_path, [image_layer(r, 100, 100, 2), image_layer(g, 150, 120, 1)])
    y = planes(comp.frame_i420(0))[0]
    assert y[130, 170] == y_of(RED)
    # equal indexes: the later written one is on top
    comp = room(tmp_path, [image_layer(r, 100, 100, 1), image_layer(g, 150, 120, 1)])
    assert planes(comp.frame_i420(0))[0][130, 170] == y_of(GREEN)


def test_alpha_is_blended(tmp_path):
    comp = room(tmp_path, [image_layer(solid(tmp_path, "w.png", (255, 255, 255), alpha=128), 100, 100, 1)],
                bg="#000000")
    rgb = np.asarray(comp.frame_rgb(0), np.int16)
    assert abs(int(rgb[130, 150, 0]) - 128) <= 3


def test_size_one_side_keeps_aspect_and_resize_scales(tmp_path):
    p = solid(tmp_path, "r.png", RED, size=(100, 50))
    comp = room(tmp_path, [image_layer(p, 200, 400, 1, width=300)],
                video_config={"width": 720, "height": 1280})
    assert comp.size == (720, 1280)
    y = planes(comp.frame_i420(0))[0]
    ys, xs = np.nonzero(y == y_of(RED))
    # canvas rect (200, 400, 300, 150) scaled by 2/3
    assert (xs.min(), xs.max() + 1, ys.min(), ys.max() + 1) == (133, 333, 267, 367)


def test_crop_is_the_canvas_region(tmp_path):
    layers = [image_layer(solid(tmp_path, "r.png", RED, size=(300, 200)), 150, 250, 1)]
    full = room(tmp_path, layers).frame_i420(0)
    crop = room(tmp_path, layers, video_config={"clip_mode": "CROP", "width": 540, "height": 960,
                                                 "dx": 100, "dy": 200})
    assert crop.size == (540, 960)
    a = crop.frame_i420(0)
    assert np.array_equal(planes(a)[0], planes(full)[0][200:1160, 100:640])
    assert np.array_equal(planes(a)[1], planes(full)[1][100:580, 50:320])


def test_landscape_canvas(tmp_path):
    comp = room(tmp_path, [], view="LANDSCAPE")
    assert comp.size == (1920, 1080)
    assert comp.frame_i420(0).shape == (1620, 1920)


def test_frame_is_a_new_array_each_time(tmp_path):
    comp = room(tmp_path, [])
    a, b = comp.frame_i420(0), comp.frame_i420(0)
    a[:] = 0
    assert b.max() > 0


def test_i420_round_trip_of_solid_colours():
    for rgb in (RED, BLUE, GREEN, (0, 0, 0), (255, 255, 255), (128, 128, 128)):
        back = i420_to_rgb(solid_i420(4, 4, rgb))
        assert np.abs(back.astype(int) - rgb).max() <= 2, rgb


def test_sprite_translucent_blend_matches_float_math():
    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, (20, 30, 4), dtype=np.uint8)
    base = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    frame = rgb_to_i420(base)
    sp = Sprite.from_rgba(Image.fromarray(rgba, "RGBA"), 5, 7, 40, 40)
    sp.blend(planes(frame))
    ref = base.astype(np.float32)
    a = rgba[..., 3:4] / 255.0
    ref[7:27, 5:35] = rgba[..., :3] * a + ref[7:27, 5:35] * (1 - a)
    yref = planes(rgb_to_i420(ref.round().astype(np.uint8)))[0]
    assert np.abs(planes(frame)[0].astype(int) - yref).max() <= 2


def test_odd_height_multiple_of_two_layout():
    f = solid_i420(6, 6, RED)  # H = 6: the U/V planes are not whole rows of the array
    y, u, v = planes(f)
    assert y.shape == (6, 6) and u.shape == (3, 3) and v.shape == (3, 3)
    assert np.shares_memory(u, f)


def test_merge_rects_groups_overlaps_only():
    groups = merge_rects([(0, 0, 10, 10), (5, 5, 20, 20), (100, 100, 110, 110), (18, 0, 30, 4)])
    boxes = sorted(g[0] for g in groups)
    assert boxes == [(0, 0, 30, 20), (100, 100, 110, 110)]


def test_i420_frame_agrees_with_an_rgb_composite(tmp_path):
    """The streamed picture (I420 -> RGB) against plain Pillow compositing of the same layers."""
    rng = np.random.default_rng(7)
    layers, ref = [], Image.new("RGBA", (1080, 1920), (20, 40, 200, 255))
    for i in range(6):
        w, h = int(rng.integers(40, 400)), int(rng.integers(40, 400))
        arr = np.zeros((h, w, 4), np.uint8)
        arr[..., :3] = rng.integers(0, 256, 3)
        arr[..., 3] = np.linspace(40, 255, w, dtype=np.uint8)[None, :]
        p = tmp_path / f"l{i}.png"
        Image.fromarray(arr, "RGBA").save(p)
        dx, dy = int(rng.integers(-50, 1000)), int(rng.integers(-50, 1800))
        layers.append(image_layer(str(p), dx, dy, i + 1))
        x0, y0 = max(dx, 0), max(dy, 0)
        ref.alpha_composite(Image.open(p).crop((x0 - dx, y0 - dy, w, h)), (x0, y0))
    got = np.asarray(room(tmp_path, layers).frame_rgb(0), np.int16)
    diff = np.abs(got - np.asarray(ref.convert("RGB"), np.int16)).max(axis=2)
    assert (diff > 6).mean() < 0.01  # chroma subsampling at sharp colour edges only
    assert np.median(diff) <= 2


def test_crop_at_an_odd_origin_is_encodable(tmp_path):
    import av

    comp = room(tmp_path, [image_layer(solid(tmp_path, "r.png", RED), 10, 10, 1)],
                video_config={"clip_mode": "CROP", "width": 540, "height": 962, "dx": 1, "dy": 3})
    assert comp.size == (540, 962)
    a = comp.frame_i420(0)
    assert a.shape == (962 * 3 // 2, 540)
    frame = av.VideoFrame.from_ndarray(a, format="yuv420p")
    back = frame.to_ndarray(format="rgb24")
    assert np.abs(back[20, 20].astype(int) - RED).max() <= 6
    from render.layers.planes import i420_to_rgb as ours

    assert np.median(np.abs(back.astype(int) - ours(a).astype(int))) <= 2
