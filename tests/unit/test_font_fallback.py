"""Characters the bundled font subsets lack: drawn with an installed font, or warned about."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from render.layers.text import render_text

FONT = "HarmonyOS_Sans_SC_Regular"
NOBODY = "\U000F0001"  # a private-use character: no font has it, so it is the "missing glyph" box


def installed(ch: str) -> bool:
    fc = shutil.which("fc-list")
    return bool(fc and subprocess.run([fc, f":charset={ord(ch):x}", "file"], capture_output=True,
                                      text=True).stdout.strip())


def pixels(text: str) -> np.ndarray:
    return np.asarray(render_text(text, FONT, 64, (255, 255, 255)))


@pytest.mark.parametrize("ch", ["臺", "灣", "龘", "😀"])
def test_a_character_the_subsets_lack_is_drawn_not_boxed(ch):
    if not installed(ch):
        pytest.skip(f"no installed font has {ch} (make setup installs fonts-noto-cjk, fonts-noto-color-emoji)")
    box, drawn = pixels(NOBODY), pixels(ch)
    assert drawn.shape != box.shape or not np.array_equal(drawn, box), "drawn as the missing-glyph box"
    assert drawn[..., 3].sum() > 0


def test_emoji_keep_their_colours():
    if not installed("😀"):
        pytest.skip("no colour emoji font installed")
    rgba = pixels("😀").astype(int)
    shown = rgba[rgba[..., 3] > 200]
    assert len(shown) and (shown[:, 0] - shown[:, 2]).max() > 80  # yellow, not the text's white


def test_validate_warns_about_characters_no_font_has(tmp_path):
    text = f"Hi {NOBODY} there"
    room = {"room_name": "r", "scene_scripts": [{
        "script_name": "s", "model_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a",
        "voice_config": {"voice_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a"},
        "background_config": [{"background_type": "COLOR", "background_color_config": "#203050"}],
        "layer_config": [{"layer_type": "TEXT", "position": {"dx": 10, "dy": 10, "layer_index": 2},
                          "text_config": {"text_context": base64.b64encode(text.encode()).decode()}}],
        "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": "Hello."}}]}]}
    path = tmp_path / "room.json"
    path.write_text(json.dumps(room))
    r = subprocess.run([sys.executable, "-m", "render", "validate", str(path)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    warning = next(line for line in r.stderr.splitlines() if "U+F0001" in line)
    assert warning.startswith("warning: scene_scripts[0].layer_config[0].text_config.text_context: ")


def test_the_fallback_keeps_the_weight_of_the_font_asked_for():
    from render.fonts import font_for

    if not installed("臺"):
        pytest.skip("no installed CJK font")
    black, regular = font_for("HarmonyOS_Sans_SC_Black", "臺"), font_for(FONT, "臺")
    assert black.startswith("sys:") and regular.startswith("sys:")
    ink = [np.asarray(render_text("臺灣", f, 64, (255, 255, 255)))[..., 3].sum() for f in
           ("HarmonyOS_Sans_SC_Black", FONT)]
    assert black != regular and ink[0] > ink[1] * 1.15  # a bold face, not the regular one
