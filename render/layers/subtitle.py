"""Subtitles: the sentence being spoken, white with a dark outline on a translucent box.

The box is 80% of the width the output shows (subtitle_config.w if given), its lower-left corner at
subtitle_config (dx, dy), or bottom-centred by default (on what the output shows: with CROP,
the cropped window). A box partly off the output is moved onto it. A sentence longer than
MAX_LINES lines in the box is shown as successive pages (`pages`, timed by speech.cues).
Each distinct text is drawn and converted to YUV once (a small LRU cache of sprites).
"""
from __future__ import annotations

import math
from collections import OrderedDict

from PIL import Image, ImageDraw

from render.layers.planes import Sprite
from render.layers.text import render_text, wrap
from render.spec.constraints import canvas_size

CACHE = 64
BOTTOM_MARGIN = 0.06  # of the canvas height, for the default placement
MAX_LINES = 3
DEFAULT_SIZE = 40
LINE_HEIGHT = 1.12  # of the font size (render_text's line spacing, about)


class Subtitles:
    def __init__(self, subtitle_config, view):
        sc = subtitle_config
        self.view = view
        self.font = getattr(sc.font_name, "value", sc.font_name) if sc else "HarmonyOS_Sans_SC_Regular"
        size = sc.font_size if sc else DEFAULT_SIZE
        self.px = max(4, round(size * view.scale))
        shown_w, shown_h = view.ow / view.sx, view.oh / view.sy  # the canvas, or a CROP window of it
        box_w = min(sc.w if sc is not None and sc.w else shown_w * 0.8, shown_w)
        if sc is not None and sc.dx is not None and sc.dy is not None:
            self.left, self.bottom = sc.dx, sc.dy
        else:  # centred at the bottom of what the output shows
            self.left = view.ox / view.sx + (shown_w - box_w) / 2
            self.bottom = view.oy / view.sy + shown_h * (1 - BOTTOM_MARGIN)
        self.box_w = box_w
        self._cache: OrderedDict[str, Sprite | None] = OrderedDict()

    def _geometry(self) -> tuple[int, int, int, int]:
        """(x, bottom, width, padding) of the box on the output."""
        v = self.view
        x, _, w, _ = v.rect(self.left, 0, self.box_w, 1)
        return x, round(self.bottom * v.sy) - v.oy, w, max(4, round(self.px * 0.35))

    def pages(self, text: str) -> list[str]:
        """`text` as one or more pages of at most MAX_LINES lines of the box (lines joined by
        newlines, as drawn), the lines shared evenly between the pages."""
        _, _, w, pad = self._geometry()
        lines = [ln for ln in wrap(" ".join(text.split()), self.font, self.px, w - 2 * pad) if ln]
        if len(lines) <= MAX_LINES:
            return [text]
        n = math.ceil(len(lines) / MAX_LINES)
        per = math.ceil(len(lines) / n)
        return ["\n".join(lines[i:i + per]) for i in range(0, len(lines), per)]

    def picture(self, text: str) -> tuple[Image.Image, int, int]:
        """(RGBA box with the text, x, y) on the output, moved onto the output if it is off it."""
        v = self.view
        x, bottom, w, pad = self._geometry()
        stroke = max(1, round(self.px / 16))
        txt = render_text(text, self.font, self.px, (255, 255, 255), max_width=w - 2 * pad, stroke=stroke,
                          stroke_color=(0, 0, 0), align="center", min_width=w - 2 * pad)
        h = txt.height + 2 * pad
        box = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        ImageDraw.Draw(box).rounded_rectangle((0, 0, w - 1, h - 1), radius=pad, fill=(0, 0, 0, 120))
        box.alpha_composite(txt, ((w - txt.width) // 2, pad))
        x = min(max(x, 0), max(0, v.ow - w))
        y = min(max(bottom - h, 0), max(0, v.oh - h))
        return box, x, y

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


def placement_warnings(room) -> list[str]:
    """A warning when subtitle_config puts the box (one line of text, at least) off the canvas."""
    from render.spec.video import effective_video_config

    vc = effective_video_config(room)
    sc = vc.subtitle_config
    if not vc.is_subtitle_enable or sc is None or sc.dx is None or sc.dy is None:
        return []
    cw, ch = canvas_size(room.view_mode)
    w = sc.w or cw * 0.8
    h = sc.h or (sc.font_size or DEFAULT_SIZE) * LINE_HEIGHT * 1.7  # one line and its padding
    if sc.dx < 0 or sc.dx + w > cw or sc.dy - h < 0 or sc.dy > ch:
        return [f"video_config.subtitle_config: the subtitle box (x {sc.dx}..{sc.dx + w:g}, bottom at y "
                f"{sc.dy}) reaches outside the {cw}x{ch} canvas; it is moved onto the picture"]
    return []
