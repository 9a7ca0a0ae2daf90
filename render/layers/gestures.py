"""The placeholder streamer's drawn gestures (insert-action): wave, nod, point, heart hands.

Drawn in the placeholder figure's own coordinates (600 x 1100, see human.placeholder_figure)
scaled to the layer, twice as fine then halved (smooth edges), as a transparent picture laid
over the figure: arms and hands for wave / point / heart, the face's features lowered for a
nod (the head outline stays: only what is drawn on the face moves, as in a 2-D nod). Each
gesture is drawn in STEPS phases, on first use.
"""
from __future__ import annotations

import math

from PIL import Image, ImageDraw

from render.speech.gestures import Gesture

STEPS = 16                    # drawn phases per gesture
NOD_DEPTH = 26                # figure pixels the features drop at the bottom of a nod
SKIN = (214, 204, 194, 255)
SLEEVE = (122, 136, 162, 255)
LINE = (52, 58, 72, 255)
EYE = (60, 60, 70, 255)
LIPS = (120, 70, 70, 255)
HEART = (226, 72, 104, 255)
EYES_X = (235, 365)


def step_of(progress: float) -> int:
    return min(STEPS - 1, max(0, int(progress * STEPS)))


def progress_of(step: int) -> float:
    return (step + 0.5) / STEPS


def nod_drop(progress: float) -> float:
    """Figure pixels the face's features are lowered at a nod's progress (two dips)."""
    return NOD_DEPTH * abs(math.sin(2 * math.pi * progress))


def _raised(progress: float) -> float:
    """0 -> 1 over the first 15 % of a gesture, 1 -> 0 over the last 15 %."""
    return max(0.0, min(1.0, progress / 0.15, (1 - progress) / 0.15))


class _Pen:
    """Draws in figure coordinates on a canvas `k` times the figure's size."""

    def __init__(self, d: ImageDraw.ImageDraw, k: float):
        self.d, self.k = d, k

    def p(self, x: float, y: float) -> tuple[float, float]:
        return x * self.k, y * self.k

    def limb(self, pts, width: float, fill=SLEEVE) -> None:
        scaled = [self.p(*q) for q in pts]
        self.d.line(scaled, fill=LINE, width=round((width + 8) * self.k), joint="curve")
        self.d.line(scaled, fill=fill, width=round(width * self.k), joint="curve")
        for q in pts[:-1]:
            self.dot(q, width / 2, fill, outline=False)

    def dot(self, c, r: float, fill=SKIN, outline: bool = True) -> None:
        x, y = self.p(*c)
        rk = r * self.k
        if outline:
            o = 4 * self.k
            self.d.ellipse((x - rk - o, y - rk - o, x + rk + o, y + rk + o), fill=LINE)
        self.d.ellipse((x - rk, y - rk, x + rk, y + rk), fill=fill)

    def poly(self, pts, fill) -> None:
        self.d.polygon([self.p(*q) for q in pts], fill=fill, outline=LINE)


def _toward(a, angle: float, length: float):
    """The point `length` from a at `angle` (radians, 0 = up, clockwise)."""
    return a[0] + length * math.sin(angle), a[1] - length * math.cos(angle)


def _open_hand(pen: _Pen, wrist, angle: float) -> None:
    palm = _toward(wrist, angle, 38)
    for i, spread in enumerate((-0.42, -0.14, 0.14, 0.42)):
        base = _toward(palm, angle + spread * 1.6, 26)
        tip = _toward(base, angle + spread, 52 if i in (1, 2) else 42)
        pen.limb([base, tip], 18, SKIN)
    pen.limb([_toward(palm, angle - math.pi / 2, 30), _toward(palm, angle - 1.0, 60)], 18, SKIN)
    pen.dot(palm, 40)


def _pointing_hand(pen: _Pen, wrist, angle: float) -> None:
    fist = _toward(wrist, angle, 28)
    pen.limb([fist, _toward(fist, angle, 100)], 22, SKIN)
    pen.dot(fist, 34)


def _wave(pen: _Pen, progress: float) -> None:
    r = _raised(progress)
    shoulder, elbow = (470, 560), (515, 610)
    swing = (0.32 * math.sin(2 * math.pi * 2.5 * progress) - 0.12) * r
    angle = math.pi * (1 - r) + swing
    wrist = _toward(elbow, angle, 190)
    pen.limb([shoulder, elbow, wrist], 50)
    _open_hand(pen, wrist, angle)


def _point(pen: _Pen, progress: float) -> None:
    """The hand raised up to the viewer's left, the index finger at the product shown there."""
    r = _raised(progress)
    shoulder, elbow = (130, 560), (180, 730)
    jab = 10 * math.sin(2 * math.pi * 2 * progress) * r
    angle = -math.pi + 0.8 * math.pi * r  # from hanging down to up-left
    wrist = _toward(elbow, angle, 140 + jab)
    pen.limb([shoulder, elbow, wrist], 50)
    _pointing_hand(pen, wrist, angle)


def _heart_points(cx: float, cy: float, size: float, n: int = 48):
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((cx + x * size / 32, cy - y * size / 32))
    return pts


def _heart(pen: _Pen, progress: float) -> None:
    r = _raised(progress)
    center = (300, 700 - 60 * r)
    for side in (-1, 1):
        shoulder, elbow = (300 + side * 178, 570), (300 + side * 200, 800)
        hand = (center[0] + side * 80 * r + side * 150 * (1 - r), center[1] + 30)
        pen.limb([shoulder, elbow, hand], 48)
    size = 170 * r * (1 + 0.06 * math.sin(2 * math.pi * 3 * progress))
    if size > 20:
        pts = _heart_points(*center, size)
        pen.d.line([pen.p(*q) for q in pts + pts[:1]], fill=LINE, width=round(34 * pen.k), joint="curve")
        pen.poly(pts, HEART)
        pen.d.line([pen.p(*q) for q in pts + pts[:1]], fill=SKIN, width=round(24 * pen.k), joint="curve")


def _nod(pen: _Pen, progress: float) -> None:
    """The face's features lowered: the face painted over (skin), then eyes and mouth lower."""
    drop = nod_drop(progress)
    pen.d.ellipse((*pen.p(170, 190), *pen.p(430, 360)), fill=SKIN)
    for ex in EYES_X:
        pen.d.ellipse((*pen.p(ex - 18, 215 + drop), *pen.p(ex + 18, 245 + drop)), fill=EYE)
    pen.d.arc((*pen.p(250, 290 + drop), *pen.p(350, 340 + drop)), 20, 160, fill=LIPS, width=round(6 * pen.k))


_DRAW = {Gesture.WAVE: _wave, Gesture.POINT: _point, Gesture.HEART: _heart, Gesture.NOD: _nod}


def draw_gesture(gesture: Gesture, progress: float, size: tuple[int, int]) -> tuple[Image.Image, int, int] | None:
    """(RGBA picture, x, y) of a gesture at `progress` over a placeholder fitted to `size` (w, h),
    cut to what it draws; None when it draws nothing."""
    w, h = size
    canvas = Image.new("RGBA", (w * 2, h * 2), (0, 0, 0, 0))
    _DRAW[gesture](_Pen(ImageDraw.Draw(canvas), 2 * w / 600), progress)
    small = canvas.resize((w, h), Image.BOX)
    box = small.getbbox()
    if box is None:
        return None
    return small.crop(box), box[0], box[1]
