"""Videos (loop, cover, hold, streaming, corrupt), the streamer (mouth, blink, placeholder), text,
subtitles, media errors naming the field, the PNG writer and the stand-ins."""
from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from render.assets import AssetLibrary
from render.compose import SceneCompositor, save_png
from render.errors import AssetNotFoundError, MediaFileError, OutputError, SpecError
from render.layers import video as video_mod
from render.layers.human import blinking, mouth_state
from render.layers.planes import planes
from render.layers.text import render_text, wrap
from render.spec import load_room

GOLDEN_LIB = Path(__file__).resolve().parent.parent / "golden" / "library"
TINY = GOLDEN_LIB / "tiny.mp4"  # 1 s, 25 frames, 64x64
MODEL = "a5d295cdb345c11bd9f36bc22ced3a7a"


def make(tmp_path, layers=(), *, model=None, bg=None, subs=False, sc=None, size=(720, 1280)):
    scene = {"script_name": "s", "layer_config": list(layers),
             "shoot_scripts": [{"text_config": {"text": "x"}}],
             "background_config": bg or [{"background_type": "COLOR", "background_color_config": "#101010"}]}
    if model:
        scene["model_asset_id"] = model
    vc = {"codec": "H264", "bitrate": 1000, "width": size[0], "height": size[1], "is_subtitle_enable": subs}
    if sc:
        vc["subtitle_config"] = sc
    data = {"room_name": "t", "scene_scripts": [scene], "video_config": vc}
    lib = AssetLibrary.default(base_dir=tmp_path, extra_dirs=[GOLDEN_LIB])
    return SceneCompositor(load_room(data).room, 0, lib)


def video_layer(ref, dx=100, dy=100, index=1, **vcfg):
    return {"layer_type": "VIDEO", "video_config": {"video_url": ref, **vcfg},
            "position": {"dx": dx, "dy": dy, "layer_index": index}, "size": {"width": 128}}


def region(comp, t, level=0.0, rect=(66, 66, 152, 152)):
    x0, y0, x1, y1 = rect
    return planes(comp.frame_i420(t, level))[0][y0:y1, x0:x1].copy()


def test_video_loops_forever_without_loop_count(tmp_path):
    comp = make(tmp_path, [video_layer(str(TINY))])
    assert np.array_equal(region(comp, 0.2), region(comp, 1.2))
    assert np.array_equal(region(comp, 0.2), region(comp, 7.2))
    assert not np.array_equal(region(comp, 0.2), region(comp, 0.6))


def test_video_loop_count_holds_last_frame(tmp_path):
    comp = make(tmp_path, [video_layer(str(TINY), loop_count=2)])
    assert np.array_equal(region(comp, 0.3), region(comp, 1.3))
    last = region(comp, 1.99)
    assert np.array_equal(region(comp, 2.5), last)
    assert np.array_equal(region(comp, 30.0), last)


def test_video_loop_count_then_cover(tmp_path):
    comp = make(tmp_path, [video_layer(str(TINY), loop_count=1, video_cover_url="golden_cover")])
    during = np.asarray(comp.frame_rgb(0.5), np.int16)
    after = np.asarray(comp.frame_rgb(1.5), np.int16)
    # the cover is magenta with a white diagonal; the layer is at output (66, 66) 86x86
    assert np.abs(after[76, 136] - (200, 40, 160)).max() <= 8
    assert np.abs(after[66 + 43, 66 + 43] - (255, 255, 255)).max() <= 8
    assert np.abs(during[76, 136] - (200, 40, 160)).max() > 30
    assert np.array_equal(after, np.asarray(comp.frame_rgb(9.0), np.int16))


def test_streaming_mode_matches_cached(tmp_path, monkeypatch):
    cached = make(tmp_path, [video_layer(str(TINY))])
    monkeypatch.setattr(video_mod, "CACHE_BYTES", 1000)
    streamed = make(tmp_path, [video_layer(str(TINY))])
    layer = [op for g in streamed._groups for op in g if isinstance(op, video_mod.VideoLayer)][0]
    assert layer._stream is not None
    for t in (0.0, 0.4, 0.96, 1.2, 0.1):  # forward, wrap, backward
        assert np.array_equal(region(cached, t), region(streamed, t)), t


def test_corrupt_video_names_field_and_file(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    with pytest.raises(MediaFileError) as e:
        make(tmp_path, [video_layer(str(bad))])
    assert "scene_scripts[0].layer_config[0].video_config.video_url" in str(e.value)
    assert "bad.mp4" in str(e.value)
    assert e.value.code == "MSS.10001004"


def test_bad_image_and_unknown_asset(tmp_path):
    (tmp_path / "x.png").write_bytes(b"not a png")
    lay = {"layer_type": "IMAGE", "image_config": {"image_url": "x.png"},
           "position": {"dx": 0, "dy": 0, "layer_index": 1}}
    with pytest.raises(MediaFileError, match=r"layer_config\[0\]\.image_config\.image_url.*x\.png"):
        make(tmp_path, [lay])
    lay = {"layer_type": "IMAGE", "asset_id": "no_such_id", "position": {"dx": 0, "dy": 0, "layer_index": 1}}
    with pytest.raises(AssetNotFoundError, match=r"layer_config\[0\]\.asset_id"):
        make(tmp_path, [lay])
    with pytest.raises(AssetNotFoundError, match="model_asset_id"):
        make(tmp_path, model="no_such_model")
    bg = [{"background_type": "IMAGE", "background_config": "missing.jpg"}]
    with pytest.raises(MediaFileError, match=r"background_config\[0\]\.background_config"):
        make(tmp_path, bg=bg)


def test_scene_index_out_of_range(tmp_path):
    comp = make(tmp_path)
    with pytest.raises(SpecError, match=r"scene_scripts\[3\]"):
        SceneCompositor(comp.room, 3, AssetLibrary.default(base_dir=tmp_path))


def test_mouth_opens_with_level_only_inside_the_mouth(tmp_path):
    comp = make(tmp_path, model=MODEL)
    t = 0.2
    assert not blinking(t)
    closed, opened = comp.frame_i420(t, 0.0), comp.frame_i420(t, 1.0)
    assert np.array_equal(closed, comp.frame_i420(t, 0.01))
    changed = np.argwhere(planes(closed)[0] != planes(opened)[0])
    assert len(changed) > 50
    mouth = [g for g in comp._groups if any(getattr(op, "kind", "") == "mouth" for op in g)]
    face = [op for op in mouth[0] if getattr(op, "kind", "") == "mouth"][0]
    x0, y0, x1, y1 = face.rect
    assert changed[:, 0].min() >= y0 and changed[:, 0].max() < y1
    assert changed[:, 1].min() >= x0 and changed[:, 1].max() < x1
    assert mouth_state(0.0) == 0 and mouth_state(1.0) > mouth_state(0.3) > 0


def test_blinks_now_and_then_deterministically(tmp_path):
    ts = np.arange(0, 20, 0.04)
    closed = [blinking(t) for t in ts]
    assert 3 <= sum(closed) <= 40 and closed == [blinking(t) for t in ts]
    comp = make(tmp_path, model=MODEL)
    t_blink = next(t for t in ts if blinking(t))
    assert not np.array_equal(comp.frame_i420(t_blink), comp.frame_i420(0.2))


def test_placeholder_model_and_no_streamer(tmp_path):
    with_placeholder = make(tmp_path, model="golden_nobody").frame_i420(0)
    nobody = make(tmp_path).frame_i420(0)
    assert (planes(nobody)[0] == planes(nobody)[0][0, 0]).all()  # only the background
    assert not (planes(with_placeholder)[0] == planes(nobody)[0]).all()


def test_static_layer_above_video_stays_on_top(tmp_path):
    white = tmp_path / "w.png"
    Image.new("RGBA", (40, 40), (255, 255, 255, 255)).save(white)
    img = {"layer_type": "IMAGE", "image_config": {"image_url": str(white)},
           "position": {"dx": 120, "dy": 120, "layer_index": 2}}
    comp = make(tmp_path, [video_layer(str(TINY), index=1), img], size=(1080, 1920))
    for t in (0.0, 0.5, 1.7):
        y = planes(comp.frame_i420(t))[0]
        assert (y[121:159, 121:159] == 235).all()


def test_text_example_and_wrap_and_missing_glyphs():
    text = base64.b64decode("5rWL6K+V5paH5a2X5rC05Y2w").decode()
    assert text == "测试文字水印"
    img = render_text(text, "HarmonyOS_Sans_SC_Regular", 40)
    assert img.getbbox() is not None and img.width > 6 * 30
    assert len(wrap("word " * 30 + "中文" * 20, "fzyouh", 30, 200)) > 5
    assert render_text("emoji 😀🎉 ok", "fzyouh", 30).getbbox() is not None
    for name in ("HarmonyOS_Sans_SC_Black", "HarmonyOS_Sans_SC_Thin", "fzyouh"):
        assert render_text("Aa字", name, 30).getbbox() is not None


def test_subtitles_only_when_enabled_and_cached(tmp_path):
    off = make(tmp_path)
    assert np.array_equal(off.frame_i420(0, 0, "hello"), off.frame_i420(0, 0, None))
    on = make(tmp_path, subs=True, sc={"dx": 72, "dy": 1800, "font_size": 40})
    a, b = on.frame_i420(0, 0, "hello 你好"), on.frame_i420(0, 0, None)
    rows = np.nonzero((planes(a)[0] != planes(b)[0]).any(axis=1))[0]
    assert rows.max() < 1200 and rows.max() > 1100  # lower edge at dy 1800 * 2/3
    assert on._subs.sprite("hello 你好") is on._subs.sprite("hello 你好")


def test_save_png_is_atomic(tmp_path):
    img = Image.new("RGB", (8, 8), (1, 2, 3))
    out = save_png(img, tmp_path / "f.png")
    assert Image.open(out).getpixel((0, 0)) == (1, 2, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]
    with pytest.raises(OutputError):
        save_png(img, tmp_path / "no" / "dir" / "f.png")
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]


def test_absurd_layer_size_is_a_spec_error(tmp_path):
    lay = {"layer_type": "IMAGE", "asset_id": "golden_card", "position": {"dx": 0, "dy": 0, "layer_index": 1},
           "size": {"width": 100000}}
    with pytest.raises(SpecError, match=r"layer_config\[0\]\.size"):
        make(tmp_path, [lay])
    lay = {"layer_type": "HUMAN", "position": {"dx": 0, "dy": 0, "layer_index": 1}, "size": {"height": 90000}}
    with pytest.raises(SpecError, match=r"layer_config\[0\]\.size"):
        make(tmp_path, [lay], model=MODEL)
