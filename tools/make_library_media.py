"""Regenerate the committed media of assets/library that is drawn, not recorded
(the example room's background). Deterministic: the same bytes every run.

    python tools/make_library_media.py
"""
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

LIB = Path(__file__).resolve().parent.parent / "assets" / "library"


def studio_background(w: int = 1080, h: int = 1920) -> Image.Image:
    """A soft studio backdrop: a vertical gradient, a floor, a few blurred lights."""
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    top, bottom = np.array([28, 44, 84], np.float32), np.array([120, 72, 110], np.float32)
    img = np.broadcast_to(top * (1 - y) + bottom * y, (h, w, 3)).astype(np.uint8)
    im = Image.fromarray(img)
    d = ImageDraw.Draw(im)
    d.rectangle((0, int(h * 0.78), w, h), fill=(60, 40, 70))
    lights = Image.new("RGB", (w, h))
    dl = ImageDraw.Draw(lights)
    for cx, cy, r in ((w * 0.2, h * 0.12, 160), (w * 0.8, h * 0.18, 200), (w * 0.5, h * 0.45, 260)):
        dl.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(70, 60, 50))
    lights = lights.filter(ImageFilter.GaussianBlur(90))
    return Image.fromarray(np.clip(np.asarray(im, np.int16) + np.asarray(lights, np.int16), 0, 255)
                           .astype(np.uint8))


if __name__ == "__main__":
    out = LIB / "backgrounds" / "978f893e1de4553c183b7a805e6290f5.jpg"
    studio_background().save(out, quality=85, optimize=True)
    print(out, out.stat().st_size)
