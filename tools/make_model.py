"""Draw the example room's streamer (HUMAN_MODEL a5d295cdb345c11bd9f36bc22ced3a7a): a friendly,
stylised presenter as an RGBA PNG, 700x1200, transparent around the figure.

    python tools/make_model.py

Deterministic. The mouth and eye boxes the compositor animates are MOUTH and EYES below
(image pixels, [x, y, w, h]); render/data/library/manifest.json carries the same numbers.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "render" / "data" / "library" / "models" / "a5d295cdb345c11bd9f36bc22ced3a7a.png"
W, H = 700, 1200
SS = 2  # supersampling for smooth edges
MOUTH = [310, 300, 80, 40]
EYES = [[268, 226, 56, 32], [376, 226, 56, 32]]

SKIN = (244, 205, 178)
SKIN_SHADE = (226, 182, 155)
HAIR = (70, 44, 36)
HAIR_HI = (104, 68, 52)
BLAZER = (38, 92, 160)
BLAZER_DARK = (28, 70, 126)
SHIRT = (246, 246, 242)
LIPS = (196, 92, 96)
EYE = (44, 34, 30)


def _s(box):
    return [v * SS for v in box]


def draw() -> Image.Image:
    im = Image.new("RGBA", (W * SS, H * SS), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    # hair behind the head (long, shoulder length)
    d.rounded_rectangle(_s((200, 110, 500, 500)), radius=120 * SS, fill=HAIR)
    # body: blazer with shoulders, shirt V and lapels
    d.rounded_rectangle(_s((70, 520, 630, 1500)), radius=170 * SS, fill=BLAZER)
    d.polygon(_s((270, 515, 430, 515, 350, 740)), fill=SHIRT)
    d.polygon(_s((262, 525, 350, 750, 300, 780, 228, 590)), fill=BLAZER_DARK)
    d.polygon(_s((438, 525, 350, 750, 400, 780, 472, 590)), fill=BLAZER_DARK)
    for y in (860, 960):
        d.ellipse(_s((340, y, 360, y + 20)), fill=(230, 196, 90))
    # neck
    d.rounded_rectangle(_s((308, 390, 392, 560)), radius=30 * SS, fill=SKIN_SHADE)
    d.polygon(_s((308, 520, 392, 520, 350, 580)), fill=SKIN_SHADE)
    # ears and face
    d.ellipse(_s((215, 230, 255, 300)), fill=SKIN_SHADE)
    d.ellipse(_s((445, 230, 485, 300)), fill=SKIN_SHADE)
    d.ellipse(_s((235, 120, 465, 410)), fill=SKIN)
    # fringe
    d.chord(_s((222, 92, 478, 300)), 180, 360, fill=HAIR)
    d.arc(_s((290, 118, 430, 180)), 205, 320, fill=HAIR_HI, width=5 * SS)
    # cheeks
    for cx in (275, 425):
        d.ellipse(_s((cx - 22, 290, cx + 22, 318)), fill=(246, 178, 168))
    # eyebrows
    d.arc(_s((270, 200, 322, 226)), 200, 340, fill=HAIR, width=6 * SS)
    d.arc(_s((378, 200, 430, 226)), 200, 340, fill=HAIR, width=6 * SS)
    # eyes (open): white, iris, highlight
    for x, y, w, h in EYES:
        cx, cy = x + w // 2, y + h // 2
        d.ellipse(_s((cx - 20, cy - 11, cx + 20, cy + 11)), fill=(255, 255, 255))
        d.ellipse(_s((cx - 10, cy - 11, cx + 10, cy + 11)), fill=EYE)
        d.ellipse(_s((cx - 1, cy - 7, cx + 5, cy - 1)), fill=(255, 255, 255))
    # nose
    d.arc(_s((340, 250, 362, 290)), 300, 60, fill=SKIN_SHADE, width=4 * SS)
    # mouth (closed, smiling)
    x, y, w, h = MOUTH
    d.arc(_s((x + 12, y - 6, x + w - 12, y + h - 14)), 20, 160, fill=LIPS, width=6 * SS)
    im = im.resize((W, H), Image.LANCZOS)
    return im


if __name__ == "__main__":
    img = draw()
    img.save(OUT, optimize=True)
    print(OUT, OUT.stat().st_size, "mouth", MOUTH, "eyes", EYES)
