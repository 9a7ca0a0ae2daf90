"""Subtitles: the sentence being spoken, white with a dark outline on a dark box (69% opaque).

The box is 80% of the width the output shows (subtitle_config.w if given), its lower-left corner at
subtitle_config (dx, dy), or bottom-centred by default (on what the output shows: with CROP,
the cropped window). A box partly off the output is moved onto it. A sentence longer than
MAX_LINES lines in the box is shown as successive pages (`pages`, timed by speech.cues).
Each distinct text is drawn and converted to YUV once while it is recent (an LRU cache of a few
sprites: a 1080x1920 box is ~0.8 MB, and a live room's replies are new texts every few seconds,
so a larger cache only grows the process for its first minutes; a paragraph that comes round
again is drawn again, once).
"""
from __future__ import annotations

import math
import re
from collections import OrderedDict

from PIL import Image, ImageDraw

from render.layers.planes import Sprite
from render.layers.text import render_text, wrap
from render.spec.constraints import canvas_size

CACHE = 8  # sprites: the page on screen, the next ones and a looping paragraph's short sentences
BOTTOM_MARGIN = 0.06  # of the canvas height, for the default placement
MAX_LINES = 3
DEFAULT_SIZE = 40
LINE_HEIGHT = 1.12  # of the font size (render_text's line spacing, about)
BOX_ALPHA = 176  # of 255: what lies behind the box shows at a third at most, never through the letters


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
        newlines, as drawn): as few pages as fit, balanced by their share of the characters, the
        last never a lone word or two (balanced_split)."""
        _, _, w, pad = self._geometry()
        flat = " ".join(text.split())
        lines = [ln for ln in wrap(flat, self.font, self.px, w - 2 * pad) if ln]
        if len(lines) <= MAX_LINES:
            return [text]
        units = [t for t in _UNIT.findall(flat) if t.strip()]
        n = math.ceil(len(lines) / MAX_LINES)
        while True:
            chunks = balanced_split(units, n)
            paged = [[ln for ln in wrap(c, self.font, self.px, w - 2 * pad) if ln] for c in chunks]
            if all(len(p) <= MAX_LINES for p in paged) or n >= len(units):
                return ["\n".join(p) for p in paged]
            n += 1

    def picture(self, text: str) -> tuple[Image.Image, int, int]:
        """(RGBA box with the text, x, y) on the output, moved onto the output if it is off it."""
        v = self.view
        x, bottom, w, pad = self._geometry()
        stroke = max(1, round(self.px / 12))  # an outline that holds the letters on any detail
        txt = render_text(text, self.font, self.px, (255, 255, 255), max_width=w - 2 * pad, stroke=stroke,
                          stroke_color=(0, 0, 0), align="center", min_width=w - 2 * pad)
        h = txt.height + 2 * pad
        box = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        ImageDraw.Draw(box).rounded_rectangle((0, 0, w - 1, h - 1), radius=pad, fill=(0, 0, 0, BOX_ALPHA))
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


_UNIT = re.compile(r"[\u2e80-\U0002ffff]|[^\s\u2e80-\U0002ffff]+\s*")  # a word and its space, or a CJK char
MIN_LAST = 3  # units (words) at least on a last page, when the text has them


def balanced_split(units: list[str], n: int) -> list[str]:
    """`units` (words with their spaces, or CJK characters) in `n` consecutive chunks of near-equal
    characters, the last holding at least MIN_LAST of them (pure)."""
    weights = [max(1, len(u.strip())) for u in units]
    total = sum(weights)
    cuts, acc, k = [], 0, 1
    for i, wgt in enumerate(weights):
        if k < n and acc + wgt / 2 > total * k / n and i > (cuts[-1] if cuts else 0):
            cuts.append(i)
            k += 1
        acc += wgt
    if cuts and len(units) - cuts[-1] < MIN_LAST and len(units) >= MIN_LAST * 2:
        cuts[-1] = len(units) - MIN_LAST
    bounds = [0, *cuts, len(units)]
    return ["".join(units[a:b]).strip() for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


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
