"""Subtitles: the sentence being spoken, white with a dark outline on a translucent box.

The box is 80% of the canvas width (subtitle_config.w if given), its lower-left corner at
subtitle_config (dx, dy), or bottom-centred by default; long sentences wrap inside it.
Each distinct text is drawn and converted to YUV once (a small LRU cache of sprites).
"""
from __future__ import annotations

from collections import OrderedDict

from PIL import Image, ImageDraw

from render.layers.planes import Sprite
from render.layers.text import render_text

CACHE = 64
BOTTOM_MARGIN = 0.06  # of the canvas height, for the default placement


class Subtitles:
    def __init__(self, subtitle_config, view):
        sc = subtitle_config
        self.view = view
        self.font = getattr(sc.font_name, "value", sc.font_name) if sc else "HarmonyOS_Sans_SC_Regular"
        size = sc.font_size if sc else 40
        self.px = max(4, round(size * view.scale))
        box_w = sc.w if sc is not None and sc.w else view.cw * 0.8
        if sc is not None and sc.dx is not None and sc.dy is not None:
            self.left, self.bottom = sc.dx, sc.dy
        else:
            self.left, self.bottom = (view.cw - box_w) / 2, view.ch * (1 - BOTTOM_MARGIN)
        self.box_w = box_w
        self._cache: OrderedDict[str, Sprite | None] = OrderedDict()

    def picture(self, text: str) -> tuple[Image.Image, int, int]:
        """(RGBA box with the text, x, y) on the output."""
        v = self.view
        x, _, w, _ = v.rect(self.left, 0, self.box_w, 1)
        bottom = round(self.bottom * v.sy) - v.oy
        pad = max(4, round(self.px * 0.35))
        stroke = max(1, round(self.px / 16))
        txt = render_text(text, self.font, self.px, (255, 255, 255), max_width=w - 2 * pad, stroke=stroke,
                          stroke_color=(0, 0, 0), align="center", min_width=w - 2 * pad)
        h = txt.height + 2 * pad
        box = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        ImageDraw.Draw(box).rounded_rectangle((0, 0, w - 1, h - 1), radius=pad, fill=(0, 0, 0, 120))
        box.alpha_composite(txt, ((w - txt.width) // 2, pad))
        return box, x, bottom - h

    def sprite(self, text: str | None) -> Sprite | None:
        if not text or not text.strip():
            return None
        text = text.strip()
        if text in self._cache:
            self._cache.move_to_end(text)
            return self._cache[text]
        img, x, y = self.picture(text)
        sp = Sprite.from_rgba(img, x, y, self.view.ow, self.view.oh)
        self._cache[text] = sp
        if len(self._cache) > CACHE:
            self._cache.popitem(last=False)
        return sp
