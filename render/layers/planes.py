"""YUV 4:2:0 pictures and sprites: the compositor's native format (what the encoder takes).

An I420 frame is one uint8 array (H*3//2, W): the Y plane, then U and V (H/2 x W/2 each)
flattened below it, as `av.VideoFrame.from_ndarray(a, format="yuv420p")` takes it.
Colours are BT.601 limited range (what libx264/ffmpeg assume for yuv420p).

A `Sprite` is a picture placed on the frame at even coordinates, kept as premultiplied
Y/U/V planes with their alpha (full resolution for Y, 2x2 averaged for U/V), cut into
bands of rows and runs of columns classed as opaque (copied) or translucent (blended
with integer math); fully transparent runs are dropped. Built once, blended per frame.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

BAND = 16  # rows per band (even: chroma rows follow)
MERGE_GAP = 12  # column pairs: shorter transparent/opaque stretches inside a band are blended


def planes(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views (Y, U, V) of an I420 array (H*3//2, W)."""
    h = frame.shape[0] * 2 // 3
    w = frame.shape[1]
    flat = frame.reshape(-1)  # a view: the array is contiguous (H need not be a multiple of 4)
    n, q = h * w, (h // 2) * (w // 2)
    return frame[:h], flat[n:n + q].reshape(h // 2, w // 2), flat[n + q:n + 2 * q].reshape(h // 2, w // 2)


def rgb_to_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HxWx3 uint8 -> float32 Y, U, V at full resolution (BT.601 limited range)."""
    c = rgb.astype(np.float32)
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    y = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0
    u = 128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0
    v = 128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0
    return y, u, v


def _pool(a: np.ndarray) -> np.ndarray:
    """2x2 mean of a float array with even dimensions."""
    return (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]) * 0.25


def rgb_to_i420(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 (even W, H) -> I420 array (H*3//2, W)."""
    h, w = rgb.shape[:2]
    y, u, v = rgb_to_yuv(rgb)
    out = np.empty((h * 3 // 2, w), np.uint8)
    py, pu, pv = planes(out)
    py[:] = np.clip(y + 0.5, 0, 255)
    pu[:] = np.clip(_pool(u) + 0.5, 0, 255)
    pv[:] = np.clip(_pool(v) + 0.5, 0, 255)
    return out


def i420_to_rgb(frame: np.ndarray) -> np.ndarray:
    """I420 array (H*3//2, W) -> HxWx3 uint8 (chroma upsampled by repetition)."""
    py, pu, pv = planes(frame)
    y = (py.astype(np.float32) - 16.0) * 1.164383
    u = np.repeat(np.repeat(pu.astype(np.float32) - 128.0, 2, 0), 2, 1)
    v = np.repeat(np.repeat(pv.astype(np.float32) - 128.0, 2, 0), 2, 1)
    rgb = np.empty(py.shape + (3,), np.float32)
    rgb[..., 0] = y + 1.596027 * v
    rgb[..., 1] = y - 0.391762 * u - 0.812968 * v
    rgb[..., 2] = y + 2.017232 * u
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def solid_i420(w: int, h: int, rgb=(0, 0, 0)) -> np.ndarray:
    return rgb_to_i420(np.broadcast_to(np.array(rgb, np.uint8), (h, w, 3)))


class _Run:
    """One band x column-run of a sprite: opaque (copy) or translucent (blend)."""

    __slots__ = ("y0", "y1", "x0", "x1", "opaque", "py", "pu", "pv", "iy", "iuv")

    def __init__(self, y0, y1, x0, x1, opaque, py, pu, pv, iy=None, iuv=None):
        self.y0, self.y1, self.x0, self.x1 = y0, y1, x0, x1
        self.opaque, self.py, self.pu, self.pv, self.iy, self.iuv = opaque, py, pu, pv, iy, iuv


def _blend(dst: np.ndarray, inv: np.ndarray, pre: np.ndarray) -> None:
    """dst = dst * inv / 255 (rounded) + pre, all integer; inv = 255 - alpha, pre = alpha*v//255."""
    d = dst.astype(np.uint16)
    d *= inv
    d += 128
    d += d >> 8
    d >>= 8
    d += pre
    np.minimum(d, 255, out=d)
    dst[...] = d


def _absorb_short(cls_: np.ndarray, gap: int = MERGE_GAP) -> None:
    """Fewer, longer runs (per-call overhead dominates small ones): short transparent gaps between
    visible columns and short opaque stretches become translucent (blending gives the same pixels)."""
    n = len(cls_)
    if n < 3:
        return
    edges = np.flatnonzero(np.diff(cls_)) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [n]))
    for s, e in zip(starts, ends, strict=False):
        k = cls_[s]
        if e - s < gap and 0 < s and e < n and (k == 0 or k == 2):
            cls_[s:e] = 1


class Sprite:
    """A picture at even (x, y) on an I420 frame; `blend(frame_planes)` draws it."""

    def __init__(self, x: int, y: int, w: int, h: int, runs: list[_Run]):
        self.x, self.y, self.w, self.h, self.runs = x, y, w, h, runs

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.x + self.w, self.y + self.h

    def blend(self, fp: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        fy, fu, fv = fp
        X, Y = self.x, self.y
        cx, cy = X // 2, Y // 2
        for r in self.runs:
            ys, ye, xs, xe = Y + r.y0, Y + r.y1, X + r.x0, X + r.x1
            cys, cye, cxs, cxe = cy + r.y0 // 2, cy + r.y1 // 2, cx + r.x0 // 2, cx + r.x1 // 2
            if r.opaque:
                fy[ys:ye, xs:xe] = r.py
                fu[cys:cye, cxs:cxe] = r.pu
                fv[cys:cye, cxs:cxe] = r.pv
            else:
                _blend(fy[ys:ye, xs:xe], r.iy, r.py)
                _blend(fu[cys:cye, cxs:cxe], r.iuv, r.pu)
                _blend(fv[cys:cye, cxs:cxe], r.iuv, r.pv)

    @classmethod
    def opaque_i420(cls, x: int, y: int, frame: np.ndarray) -> Sprite:
        """An opaque sprite of an I420 array (no copy): e.g. a decoded video frame."""
        py, pu, pv = planes(frame)
        h, w = py.shape
        return cls(x, y, w, h, [_Run(0, h, 0, w, True, py, pu, pv)])

    @classmethod
    def from_rgba(cls, img: Image.Image, x: int, y: int, out_w: int, out_h: int) -> Sprite | None:
        """An RGBA picture whose top-left is at (x, y) on an out_w x out_h frame, clipped to it.

        Odd positions and sizes are padded with transparent pixels to the chroma grid.
        None when nothing of it is visible."""
        img = img.convert("RGBA")
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + img.width, out_w), min(y + img.height, out_h)
        if x1 <= x0 or y1 <= y0:
            return None
        ex0, ey0 = x0 & ~1, y0 & ~1
        ex1, ey1 = min((x1 + 1) & ~1, out_w), min((y1 + 1) & ~1, out_h)
        a = np.zeros((ey1 - ey0, ex1 - ex0, 4), np.uint8)
        crop = np.asarray(img.crop((x0 - x, y0 - y, x1 - x, y1 - y)))
        a[y0 - ey0:y1 - ey0, x0 - ex0:x1 - ex0] = crop
        return cls._from_array(ex0, ey0, a)

    @classmethod
    def _from_array(cls, x: int, y: int, rgba: np.ndarray) -> Sprite | None:
        h, w = rgba.shape[:2]
        alpha = rgba[..., 3]
        af = alpha.astype(np.float32)
        yy, uu, vv = rgb_to_yuv(rgba[..., :3])
        # premultiplied, floored so that dst*(255-a)/255 + pre never passes 255
        pre_y = np.floor(yy * af / 255.0).astype(np.uint16)
        auv = _pool(af)
        pre_u = np.floor(_pool(uu * af) / 255.0).astype(np.uint16)
        pre_v = np.floor(_pool(vv * af) / 255.0).astype(np.uint16)
        inv_y = (255 - alpha).astype(np.uint16)
        inv_uv = (255 - np.rint(auv)).astype(np.uint16)
        # U/V blend with the rounded mean alpha: keep pre consistent with it
        y8 = np.clip(yy + 0.5, 0, 255).astype(np.uint8)
        u8 = np.clip(_pool(uu) + 0.5, 0, 255).astype(np.uint8)
        v8 = np.clip(_pool(vv) + 0.5, 0, 255).astype(np.uint8)
        runs: list[_Run] = []
        for b0 in range(0, h, BAND):
            b1 = min(b0 + BAND, h)
            band = alpha[b0:b1]
            # classify column pairs: 0 transparent, 1 translucent, 2 opaque
            cmax = band.max(axis=0).reshape(-1, 2).max(axis=1)
            cmin = band.min(axis=0).reshape(-1, 2).min(axis=1)
            cls_ = np.where(cmax == 0, 0, np.where(cmin == 255, 2, 1))
            _absorb_short(cls_)
            edges = np.flatnonzero(np.diff(cls_)) + 1
            starts = np.concatenate(([0], edges))
            ends = np.concatenate((edges, [len(cls_)]))
            for s, e in zip(starts, ends, strict=False):
                k = cls_[s]
                if k == 0:
                    continue
                xs, xe, c0, c1 = 2 * s, 2 * e, b0 // 2, b1 // 2
                if k == 2:
                    runs.append(_Run(b0, b1, xs, xe, True, y8[b0:b1, xs:xe].copy(),
                                     u8[c0:c1, s:e].copy(), v8[c0:c1, s:e].copy()))
                else:
                    runs.append(_Run(b0, b1, xs, xe, False, pre_y[b0:b1, xs:xe].copy(),
                                     pre_u[c0:c1, s:e].copy(), pre_v[c0:c1, s:e].copy(),
                                     inv_y[b0:b1, xs:xe].copy(), inv_uv[c0:c1, s:e].copy()))
        if not runs:
            return None
        return cls(x, y, w, h, runs)
