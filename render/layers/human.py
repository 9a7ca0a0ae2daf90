"""The HUMAN layer: the streamer picture (static) plus its mouth and eyes (dynamic patches).

The model image comes from the asset's RGBA PNG; its meta gives the mouth box and eye boxes
([x, y, w, h] image pixels). A model without a file gets a drawn placeholder figure labelled
with its id. Mouth states (closed + MOUTH_STATES open levels, and one per viseme) and closed
eyes are drawn once on the model, scaled to the layer, and cut into small sprites; per frame
the speech pose picks a mouth state (its viseme when the engine timed phonemes, else its
loudness level) and a deterministic function of t makes the eyes blink. The placeholder also
plays insert-action gestures (render/layers/gestures.py).
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from render.fonts import load_font
from render.layers import gestures
from render.layers.geometry import fit
from render.layers.image import load_image
from render.layers.planes import Sprite
from render.speech.gestures import Gesture
from render.speech.pose import Pose
from render.speech.visemes import Viseme

MOUTH_STATES = 5
BLINK_PERIOD = 4.0
BLINK_LENGTH = 0.16
PLACEHOLDER = (600, 1100)


def blinking(t: float) -> bool:
    """Eyes closed at t? One blink of BLINK_LENGTH s at a pseudo-random moment of each period."""
    k = int(t // BLINK_PERIOD)
    offset = 0.4 + ((k * 2654435761 + 97) % 1000) / 1000.0 * (BLINK_PERIOD - 0.8)
    return offset <= t - k * BLINK_PERIOD < offset + BLINK_LENGTH


def mouth_state(level: float) -> int:
    """0 (closed) .. MOUTH_STATES (wide open) for a speech level 0..1."""
    if level is None or level < 0.06:
        return 0
    return min(MOUTH_STATES, 1 + int(min(1.0, level) * MOUTH_STATES))


def placeholder_figure(model_id: str) -> tuple[Image.Image, dict]:
    """A neutral drawn figure that shows the model id (for a model without an image)."""
    w, h = PLACEHOLDER
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((60, 470, 540, 1160), radius=150, fill=(90, 100, 120, 255))
    d.rectangle((255, 380, 345, 500), fill=(200, 190, 180, 255))
    d.ellipse((160, 80, 440, 420), fill=(214, 204, 194, 255))
    for ex in (235, 365):
        d.ellipse((ex - 18, 215, ex + 18, 245), fill=(60, 60, 70, 255))
    d.arc((250, 290, 350, 340), 20, 160, fill=(120, 70, 70, 255), width=6)
    label = model_id if len(model_id) <= 16 else model_id[:8] + "…" + model_id[-6:]
    font = load_font("HarmonyOS_Sans_SC_Regular", 34)
    d.text((w // 2, 700), "MODEL", font=font, fill=(230, 230, 240, 255), anchor="mm")
    d.text((w // 2, 750), label, font=font, fill=(255, 255, 255, 255), anchor="mm")
    meta = {"mouth": [244, 280, 112, 66], "eyes": [[210, 210, 50, 40], [340, 210, 50, 40]], "figure": "placeholder"}
    return im, meta


def _skin(img: Image.Image, box) -> tuple[int, int, int, int]:
    """The median colour of the opaque pixels on the ring around a box (the skin there)."""
    x, y, w, h = box
    a = np.asarray(img)
    y0, y1, x0, x1 = max(y - 2, 0), min(y + h + 2, img.height), max(x - 2, 0), min(x + w + 2, img.width)
    region = a[y0:y1, x0:x1].reshape(-1, 4)
    ring = np.concatenate([a[y0:y0 + 2, x0:x1].reshape(-1, 4), a[y1 - 2:y1, x0:x1].reshape(-1, 4),
                           a[y0:y1, x0:x0 + 2].reshape(-1, 4), a[y0:y1, x1 - 2:x1].reshape(-1, 4)])
    ring = ring[ring[:, 3] > 200]
    if not len(ring):
        ring = region
    return tuple(int(v) for v in np.median(ring, axis=0)[:3]) + (255,)


def draw_mouth(img: Image.Image, box, state: int) -> Image.Image:
    """A copy of the model with its mouth open at `state` (1..MOUTH_STATES)."""
    out = img.copy()
    x, y, w, h = box
    d = ImageDraw.Draw(out)
    d.rectangle((x, y, x + w - 1, y + h - 1), fill=_skin(img, box))
    k = state / MOUTH_STATES
    mw, mh = w * (0.62 + 0.18 * k), max(4.0, h * 0.92 * k)
    cx, cy = x + w / 2, y + h / 2
    lip = max(2, round(h / 12))
    d.ellipse((cx - mw / 2, cy - mh / 2, cx + mw / 2, cy + mh / 2), fill=(176, 84, 92, 255))
    d.ellipse((cx - mw / 2 + lip, cy - mh / 2 + lip, cx + mw / 2 - lip, cy + mh / 2 - lip),
              fill=(92, 28, 40, 255))
    if mh > 3 * lip + 6:  # tongue
        d.chord((cx - mw / 3, cy, cx + mw / 3, cy + mh / 2 - lip), 180, 360, fill=(214, 110, 120, 255))
        d.ellipse((cx - mw / 3, cy, cx + mw / 3, cy + mh / 2 - lip), fill=(214, 110, 120, 255))
    return out


LIP = (176, 84, 92, 255)
LIP_DARK = (150, 64, 74, 255)
INSIDE = (92, 28, 40, 255)
TONGUE = (214, 110, 120, 255)
TEETH = (246, 244, 236, 255)


def draw_viseme(img: Image.Image, box, shape: Viseme) -> Image.Image:
    """A copy of the model with its mouth in a viseme's shape (REST: the model as it is)."""
    out = img.copy()
    if shape == Viseme.REST:
        return out
    x, y, w, h = box
    d = ImageDraw.Draw(out)
    d.rectangle((x, y, x + w - 1, y + h - 1), fill=_skin(img, box))
    cx, cy = x + w / 2, y + h / 2
    lip = max(2.0, h / 10)
    if shape == Viseme.CLOSED:  # lips pressed together: a full, flat pair of lips, no opening
        mw, mh = w * 0.56, max(6.0, h * 0.34)
        d.ellipse((cx - mw / 2, cy - mh / 2, cx + mw / 2, cy + mh / 2), fill=LIP)
        d.line((cx - mw / 2 + lip, cy, cx + mw / 2 - lip, cy), fill=LIP_DARK, width=max(2, round(lip * 0.5)))
        return out
    if shape == Viseme.ROUNDED:  # pursed: small, round, thick lips
        mw, mh, lip = w * 0.36, h * 0.78, max(3.0, h / 6)
    elif shape == Viseme.WIDE:
        mw, mh = w * 0.84, h * 0.92
    elif shape == Viseme.TEETH:
        mw, mh = w * 0.66, h * 0.52
    else:  # MID
        mw, mh = w * 0.7, h * 0.4
    d.ellipse((cx - mw / 2, cy - mh / 2, cx + mw / 2, cy + mh / 2), fill=LIP)
    ix0, iy0, ix1, iy1 = cx - mw / 2 + lip, cy - mh / 2 + lip, cx + mw / 2 - lip, cy + mh / 2 - lip
    d.ellipse((ix0, iy0, ix1, iy1), fill=INSIDE)
    if shape == Viseme.WIDE:
        d.chord((cx - mw / 3, cy, cx + mw / 3, iy1), 180, 360, fill=TONGUE)
        d.ellipse((cx - mw / 3, cy, cx + mw / 3, iy1), fill=TONGUE)
        d.chord((ix0, iy0, ix1, iy1), 215, 325, fill=TEETH)
    elif shape == Viseme.TEETH:  # upper teeth resting on the lower lip
        d.chord((ix0, iy0, ix1, iy1 + (iy1 - iy0) * 0.6), 180, 360, fill=TEETH)
        d.chord((cx - mw / 2, cy + mh * 0.02, cx + mw / 2, cy + mh / 2), 0, 180, fill=LIP_DARK)
    return out


def draw_closed_eyes(img: Image.Image, boxes) -> Image.Image:
    out = img.copy()
    d = ImageDraw.Draw(out)
    for box in boxes:
        x, y, w, h = box
        d.rectangle((x, y, x + w - 1, y + h - 1), fill=_skin(img, box))
        d.arc((x + w * 0.12, y + h * 0.1, x + w * 0.88, y + h * 0.78), 20, 160, fill=(50, 38, 34, 255),
              width=max(2, round(h / 8)))
    return out


class HumanFace:
    """The dynamic part of a streamer at the layer's output rectangle: its mouth (`states`: per
    loudness state, `shapes`: per viseme) or its closed eyes. On the placeholder a nod lowers
    the face's features: the mouth and eyes follow by `nod_dy[step]` output pixels."""

    def __init__(self, kind: str, states: list[Sprite | None], rect, *, shapes: dict | None = None,
                 nod_dy: dict[int, int] | None = None):
        self.kind, self.states, self.rect = kind, states, rect
        self.shapes = shapes or {}
        self.nod_dy = nod_dy
        self._moved: dict[tuple[int, int], Sprite] = {}

    def sprite_at(self, t: float, level: float | Pose = 0.0) -> Sprite | None:
        pose = level if isinstance(level, Pose) else Pose(level)
        dy = 0
        if self.nod_dy and pose.gesture == Gesture.NOD:
            dy = self.nod_dy[gestures.step_of(pose.progress)]
        if self.kind == "mouth":
            sp = self.states[mouth_state(pose.level)] if pose.viseme is None else self.shapes.get(pose.viseme)
        else:
            sp = self.states[1] if blinking(t) and not dy else None
        if sp is None or not dy or sp.y + sp.h + dy > self.rect[3]:  # (not moved off the frame)
            return sp
        key = (id(sp), dy)
        if key not in self._moved:
            self._moved[key] = Sprite(sp.x, sp.y + dy, sp.w, sp.h, sp.runs)
        return self._moved[key]


class GestureFace:
    """The placeholder's insert-action gestures over its figure (fitted to `size` at (x, y)),
    each phase drawn on first use."""

    kind = "gesture"

    def __init__(self, x: int, y: int, size: tuple[int, int], view):
        self.x, self.y, self.size, self.view = x, y, size, view
        self.rect = _clip((x & ~1, y & ~1, x + size[0], y + size[1]), view)
        self._drawn: dict[tuple[Gesture, int], Sprite | None] = {}

    def sprite_at(self, t: float, level: float | Pose = 0.0) -> Sprite | None:
        if not isinstance(level, Pose) or level.gesture is None:
            return None
        key = (level.gesture, gestures.step_of(level.progress))
        if key not in self._drawn:
            drawn = gestures.draw_gesture(key[0], gestures.progress_of(key[1]), self.size)
            self._drawn[key] = None if drawn is None else Sprite.from_rgba(
                drawn[0], self.x + drawn[1], self.y + drawn[2], self.view.ow, self.view.oh)
        return self._drawn[key]


def _patch(state_img: Image.Image, box, size, x, y, view) -> tuple[Sprite | None, tuple]:
    """The scaled state picture cut to the scaled box (+2 px), as a sprite on the output."""
    w, h = size
    sx, sy = w / state_img.width, h / state_img.height
    bx, by, bw, bh = box
    x0, y0 = max(0, int(bx * sx) - 2), max(0, int(by * sy) - 2)
    x1, y1 = min(w, int((bx + bw) * sx + 0.999) + 2), min(h, int((by + bh) * sy + 0.999) + 2)
    # even-align in output coordinates so the sprite covers the same chroma blocks every state
    ax0, ay0 = (x + x0) & ~1, (y + y0) & ~1
    x0, y0 = ax0 - x, ay0 - y
    crop = fit(state_img, w, h).crop((x0, y0, x1, y1))
    return Sprite.from_rgba(crop, ax0, ay0, view.ow, view.oh), (ax0, ay0, x + x1, y + y1)


def human_items(model_img: Image.Image, meta: dict, rect, view) -> tuple[tuple, list[HumanFace | GestureFace]]:
    """((RGBA at output scale, x, y), [gesture, mouth, eyes] dynamic items) of a streamer at rect (x, y, w, h)."""
    x, y, w, h = rect
    static = (fit(model_img, w, h), x, y)
    faces: list[HumanFace | GestureFace] = []
    nod_dy = None
    if meta.get("figure") == "placeholder":  # drawn gestures need the drawn figure's geometry
        sy = h / model_img.height
        nod_dy = {k: 2 * round(gestures.nod_drop(gestures.progress_of(k)) * sy / 2) for k in range(gestures.STEPS)}
        faces.append(GestureFace(x, y, (w, h), view))
    mouth = meta.get("mouth")
    if mouth and len(mouth) == 4:
        states: list[Sprite | None] = [None]
        r = None
        for s in range(1, MOUTH_STATES + 1):
            sp, r = _patch(draw_mouth(model_img, mouth, s), mouth, (w, h), x, y, view)
            states.append(sp)
        shapes: dict = {Viseme.REST: None}
        for v in Viseme:
            if v != Viseme.REST:
                shapes[v], r = _patch(draw_viseme(model_img, mouth, v), mouth, (w, h), x, y, view)
        if any(states[1:]):
            faces.append(HumanFace("mouth", states, _clip(_moved_rect(r, nod_dy), view), shapes=shapes,
                                   nod_dy=nod_dy))
    eyes = [e for e in (meta.get("eyes") or []) if len(e) == 4]
    if eyes:
        ex0, ey0 = min(e[0] for e in eyes), min(e[1] for e in eyes)
        ex1, ey1 = max(e[0] + e[2] for e in eyes), max(e[1] + e[3] for e in eyes)
        box = (ex0, ey0, ex1 - ex0, ey1 - ey0)
        sp, r = _patch(draw_closed_eyes(model_img, eyes), box, (w, h), x, y, view)
        if sp is not None:
            faces.append(HumanFace("eyes", [None, sp], _clip(r, view), nod_dy=nod_dy))
    return static, faces


def _moved_rect(r, nod_dy):
    """A rectangle grown downwards by the deepest nod (what a nodding mouth may cover)."""
    if not nod_dy:
        return r
    x0, y0, x1, y1 = r
    return x0, y0, x1, y1 + max(nod_dy.values())


def _clip(r, view):
    x0, y0, x1, y1 = r
    x1, y1 = (x1 + 1) & ~1, (y1 + 1) & ~1
    return max(0, x0), max(0, y0), min(view.ow, x1), min(view.oh, y1)


def load_model(asset, field: str) -> tuple[Image.Image, dict]:
    """(RGBA picture, meta) of a HUMAN_MODEL asset; the placeholder figure when it has no file."""
    if asset.path is None:
        return placeholder_figure(asset.id)
    return load_image(asset.path, field), dict(asset.meta or {})
