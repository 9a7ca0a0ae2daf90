"""Regenerate the tiny committed media of the golden tests (tests/golden/library/).

    .venv/bin/python tests/golden/make_media.py

Committed rather than generated per run so that the references do not depend on the local
x264/libwebp versions (decoding is bit-exact; encoding is not).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image, ImageDraw

LIB = Path(__file__).resolve().parent / "library"


def main() -> None:
    LIB.mkdir(exist_ok=True)
    # 1 s 64x64 testsrc (a frame counter in it), 25 fps
    src = "testsrc=size=64x64:rate=25:duration=1"
    subprocess.run(["ffmpeg", "-y", "-v", "error", "-f", "lavfi", "-i", src,
                    "-c:v", "libx264", "-preset", "medium", "-crf", "28", "-pix_fmt", "yuv420p",
                    "-threads", "1", str(LIB / "tiny.mp4")], check=True)
    card = Image.new("RGBA", (120, 80), (0, 0, 0, 0))
    d = ImageDraw.Draw(card)
    d.rounded_rectangle((0, 0, 119, 79), radius=18, fill=(40, 200, 120, 160))
    d.ellipse((30, 10, 90, 70), fill=(250, 250, 250, 255))
    card.save(LIB / "card.png")
    photo = Image.new("RGB", (160, 120))
    d = ImageDraw.Draw(photo)
    for i in range(8):
        d.rectangle((i * 20, 0, i * 20 + 19, 119), fill=(30 * i, 255 - 30 * i, 128))
    photo.save(LIB / "photo.jpg", quality=90)
    sticker = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    d = ImageDraw.Draw(sticker)
    d.regular_polygon((50, 50, 48), 5, fill=(255, 200, 0, 255))
    sticker.save(LIB / "sticker.webp", lossless=True)
    cover = Image.new("RGB", (64, 64), (200, 40, 160))
    ImageDraw.Draw(cover).line((0, 0, 63, 63), fill=(255, 255, 255), width=6)
    cover.save(LIB / "cover.png")


if __name__ == "__main__":
    main()
