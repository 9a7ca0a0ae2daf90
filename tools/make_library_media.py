"""Regenerate the committed media of render/data/library that is drawn, not recorded
(the example room's background). Deterministic: the same bytes every run.

    python tools/make_library_media.py
"""
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

LIB = Path(__file__).resolve().parent.parent / "render" / "data" / "library"


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


def showcase_logo(size: int = 320) -> Image.Image:
    """The showcase's logo: a translucent rounded badge with a play mark and a ring (RGBA)."""
    ss = 4
    im = Image.new("RGBA", (size * ss, size * ss), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    s = size * ss
    d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 5, fill=(255, 255, 255, 150))
    d.ellipse((s * 0.12, s * 0.12, s * 0.88, s * 0.88), fill=(232, 64, 88, 255))
    d.ellipse((s * 0.2, s * 0.2, s * 0.8, s * 0.8), outline=(255, 255, 255, 255), width=s // 40)
    d.polygon([(s * 0.42, s * 0.34), (s * 0.42, s * 0.66), (s * 0.68, s * 0.5)], fill=(255, 255, 255, 255))
    return im.resize((size, size), Image.LANCZOS)


def showcase_gift(w: int = 640, h: int = 300) -> Image.Image:
    """A gift card overlay: a warm rounded card with a wrapped present and a thank-you (RGBA)."""
    import sys

    sys.path.insert(0, str(LIB.parent.parent))
    from render.fonts import load_font

    ss = 2
    im = Image.new("RGBA", (w * ss, h * ss), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((0, 0, w * ss - 1, h * ss - 1), radius=48 * ss, fill=(255, 246, 230, 235),
                        outline=(240, 160, 60, 255), width=6 * ss)
    bx, by, bs = 40 * ss, 60 * ss, 180 * ss
    d.rectangle((bx, by + bs * 0.3, bx + bs, by + bs), fill=(232, 64, 88, 255))
    d.rectangle((bx - 10 * ss, by + bs * 0.18, bx + bs + 10 * ss, by + bs * 0.38), fill=(210, 44, 70, 255))
    d.rectangle((bx + bs * 0.42, by + bs * 0.18, bx + bs * 0.58, by + bs), fill=(255, 214, 90, 255))
    d.ellipse((bx + bs * 0.22, by, bx + bs * 0.5, by + bs * 0.22), outline=(255, 214, 90, 255), width=8 * ss)
    d.ellipse((bx + bs * 0.5, by, bx + bs * 0.78, by + bs * 0.22), outline=(255, 214, 90, 255), width=8 * ss)
    big, small = load_font("HarmonyOS_Sans_SC_Black", 50 * ss), load_font("HarmonyOS_Sans_SC_Regular", 36 * ss)
    d.text((252 * ss, 115 * ss), "THANK YOU!", font=big, fill=(200, 40, 70, 255), anchor="lm")
    d.text((254 * ss, 190 * ss), "谢谢你的礼物", font=small, fill=(90, 60, 50, 255), anchor="lm")
    return im.resize((w, h), Image.LANCZOS)


def _encode(frames, path: Path, fps: int = 25, crf: int = 30) -> None:
    """Encode RGB frames to an H.264 mp4 (single-threaded x264: the same bytes every run)."""
    import av

    tmp = path.with_name(path.name + ".tmp.mp4")
    with av.open(str(tmp), "w") as c:
        st = c.add_stream("libx264", rate=fps)
        first = True
        for i, fr in enumerate(frames):
            if first:
                st.width, st.height, st.pix_fmt = fr.width, fr.height, "yuv420p"
                st.options = {"crf": str(crf), "preset": "medium", "threads": "1", "g": str(fps)}
                first = False
            vf = av.VideoFrame.from_image(fr)
            vf.pts = i
            for pk in st.encode(vf):
                c.mux(pk)
        for pk in st.encode():
            c.mux(pk)
    tmp.replace(path)


def showcase_clip_frames(w: int = 640, h: int = 360, seconds: int = 3, fps: int = 25):
    """A product teaser: a shifting gradient, a bouncing gift box, a sweeping highlight."""
    n = seconds * fps
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    for i in range(n):
        p = i / n
        ph = 2 * np.pi * p
        r = 120 + 90 * np.sin(ph + 3 * x)
        g = 80 + 60 * np.sin(ph + 2 * y + 1.0)
        b = 160 + 80 * np.cos(ph + 2 * x * y)
        im = Image.fromarray(np.stack([np.broadcast_to(c, (h, w)) for c in (r, g, b)], -1)
                             .clip(0, 255).astype(np.uint8))
        d = ImageDraw.Draw(im)
        bx, by = w // 2, int(h * 0.56 - 40 * abs(np.sin(ph * 2)))
        d.rounded_rectangle((bx - 90, by - 60, bx + 90, by + 80), radius=14, fill=(250, 210, 70))
        d.rectangle((bx - 14, by - 60, bx + 14, by + 80), fill=(220, 50, 70))
        d.rectangle((bx - 100, by - 80, bx + 100, by - 40), fill=(240, 190, 50))
        d.rectangle((bx - 14, by - 80, bx + 14, by - 40), fill=(220, 50, 70))
        d.ellipse((bx - 50, by - 120, bx - 4, by - 78), outline=(220, 50, 70), width=10)
        d.ellipse((bx + 4, by - 120, bx + 50, by - 78), outline=(220, 50, 70), width=10)
        sx = int(-200 + (w + 400) * p)
        d.polygon([(sx, 0), (sx + 60, 0), (sx - 100, h), (sx - 160, h)], fill=(255, 255, 255))
        yield im


def showcase_background_frames(w: int = 360, h: int = 640, seconds: int = 3, fps: int = 25):
    """A calm vertical background loop: two soft lights drifting over a deep gradient."""
    n = seconds * fps
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    xx = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    for i in range(n):
        ph = 2 * np.pi * i / n
        base = np.stack([np.broadcast_to(c, (h, w)) for c in (20 + 40 * yy, 30 + 20 * yy, 70 + 50 * yy)], -1)
        for cx, cy, col in ((0.3 + 0.15 * np.sin(ph), 0.25 + 0.05 * np.cos(ph), (90, 60, 140)),
                            (0.7 - 0.15 * np.sin(ph), 0.6 + 0.06 * np.sin(ph), (40, 90, 130))):
            g = np.exp(-(((xx - cx) * w / h) ** 2 + (yy - cy) ** 2) / 0.03)[..., None]
            base = base + g * np.array(col, np.float32)
        yield Image.fromarray(base.clip(0, 255).astype(np.uint8))


def make_showcase_media() -> list[Path]:
    """render/data/library/showcase/: logo.png, gift.png, clip.mp4 (3 s 640x360), background.mp4 (3 s 360x640)."""
    folder = LIB / "showcase"
    folder.mkdir(exist_ok=True)
    showcase_logo().save(folder / "logo.png", optimize=True)
    showcase_gift().save(folder / "gift.png", optimize=True)
    _encode(showcase_clip_frames(), folder / "clip.mp4", crf=30)
    _encode(showcase_background_frames(), folder / "background.mp4", crf=30)
    return [folder / "logo.png", folder / "gift.png", folder / "clip.mp4", folder / "background.mp4"]


if __name__ == "__main__":
    out = LIB / "backgrounds" / "978f893e1de4553c183b7a805e6290f5.jpg"
    studio_background().save(out, quality=85, optimize=True)
    print(out, out.stat().st_size)
    for p in make_showcase_media():
        print(p, p.stat().st_size)
