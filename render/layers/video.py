"""VIDEO layers and backgrounds: decoded once with PyAV, scaled to the layer, kept as yuv420p.

Frames are cached (decoded and scaled once) up to CACHE_BYTES per layer; a longer video is
decoded as it plays (sequentially, restarting at each loop). loop_count n > 0 plays n times,
then the cover picture (or the last frame) stays; no loop_count (or 0) loops forever.
Positions and sizes are snapped to even pixels so the chroma grid lines up (4:2:0).
"""
from __future__ import annotations

import bisect
from pathlib import Path

import av
import numpy as np

from render.errors import CorruptFileError, MediaFileError
from render.layers.planes import Sprite, _Run, planes

CACHE_BYTES = 256 * 1024 * 1024
_AV_ERRORS = (av.error.FFmpegError, OSError, ValueError, IndexError, StopIteration)


def _fail(field: str, path: Path, e: Exception) -> MediaFileError:
    return CorruptFileError(f"{field}: cannot decode video {path} ({type(e).__name__}: {e})")


def probe_size(path: Path, field: str) -> tuple[int, int]:
    """(width, height) of the first video stream's first frame (decoded: a file whose header
    reads but whose pictures do not fails here), or MediaFileError naming the field and file."""
    try:
        with av.open(str(path)) as c:
            s = c.streams.video[0]
            f = next(c.decode(s))
            return f.width, f.height
    except _AV_ERRORS as e:
        raise _fail(field, path, e) from None


def _sprite(x: int, y: int, frame: np.ndarray, crop: tuple[int, int, int, int]) -> Sprite:
    """An opaque sprite of the visible part (cx0, cy0, cx1, cy1: even, frame-relative) of a frame."""
    py, pu, pv = planes(frame)
    h, w = py.shape
    cx0, cy0, cx1, cy1 = crop
    if (cx0, cy0, cx1, cy1) != (0, 0, w, h):
        py = py[cy0:cy1, cx0:cx1].copy()
        pu = pu[cy0 // 2:cy1 // 2, cx0 // 2:cx1 // 2].copy()
        pv = pv[cy0 // 2:cy1 // 2, cx0 // 2:cx1 // 2].copy()
    w, h = cx1 - cx0, cy1 - cy0
    return Sprite(x + cx0, y + cy0, w, h, [_Run(0, h, 0, w, True, py, pu, pv)])


class VideoLayer:
    """A dynamic item: `sprite_at(t, level)` is the frame shown at scene time t."""

    def __init__(self, path: Path, field: str, rect: tuple[int, int, int, int], view, fps: int,
                 loop_count: int | None = None, cover=None):
        x, y, w, h = rect
        self.path, self.field, self.fps = Path(path), field, fps
        self.x, self.y = x & ~1, y & ~1
        self.w, self.h = max(2, (w + 1) & ~1), max(2, (h + 1) & ~1)
        self.loop_count = loop_count or 0
        vx0, vy0 = max(self.x, 0), max(self.y, 0)
        vx1, vy1 = min(self.x + self.w, view.ow), min(self.y + self.h, view.oh)
        self.visible = vx1 > vx0 and vy1 > vy0
        self.rect = (vx0, vy0, vx1, vy1)
        self._crop = (vx0 - self.x, vy0 - self.y, vx1 - self.x, vy1 - self.y)
        self.cover = None
        if cover is not None:
            from render.layers.geometry import fit
            self.cover = Sprite.from_rgba(fit(cover, self.w, self.h), self.x, self.y, view.ow, view.oh)
        self._times: list[float] = []
        self._frames: list[Sprite] = []
        self._stream = None
        self._load()

    # ---- decoding ----------------------------------------------------------------------
    def _scaled(self, frame) -> np.ndarray:
        return frame.reformat(width=self.w, height=self.h, format="yuv420p").to_ndarray()

    def _load(self) -> None:
        try:
            with av.open(str(self.path)) as c:
                s = c.streams.video[0]
                rate = float(s.average_rate or s.guessed_rate or self.fps)
                est = float(s.duration * s.time_base) if s.duration else (
                    c.duration / 1e6 if c.duration else 0.0)
                per_frame = self.w * self.h * 3 // 2
                if est * rate * per_frame > CACHE_BYTES:
                    self._probe_stream(c, s, rate)
                    return
                t0 = None
                for i, f in enumerate(c.decode(s)):
                    ft = f.time if f.time is not None else i / rate
                    t0 = ft if t0 is None else t0
                    self._times.append(ft - t0)
                    if self.visible:
                        self._frames.append(_sprite(self.x, self.y, self._scaled(f), self._crop))
                    if len(self._times) * per_frame > CACHE_BYTES:  # metadata lied: stream instead
                        self._times, self._frames = [], []
                        c.seek(0)
                        self._probe_stream(c, s, rate)
                        return
        except _AV_ERRORS as e:
            raise _fail(self.field, self.path, e) from None
        if not self._times:
            raise CorruptFileError(f"{self.field}: video {self.path} has no frames")
        self.duration = self._times[-1] + 1.0 / rate

    def _probe_stream(self, c, s, rate: float) -> None:
        """Long video: demux once for the timing (no decode), decode while playing."""
        pts = [p.pts for p in c.demux(s) if p.pts is not None]
        if not pts:
            raise CorruptFileError(f"{self.field}: video {self.path} has no frames")
        tb = float(s.time_base)
        t0 = min(pts) * tb
        self._times = sorted(p * tb - t0 for p in pts)
        self.duration = self._times[-1] + 1.0 / rate
        self._stream = _Sequential(self)

    # ---- playing ----------------------------------------------------------------------
    def index_at(self, t: float) -> int | None:
        """Index of the frame shown at scene time t; None once the loops are over."""
        t = max(0.0, t)
        if self.loop_count and t >= self.loop_count * self.duration - 1e-9:
            return None
        vt = t % self.duration
        return max(0, bisect.bisect_right(self._times, vt + 1e-6) - 1)

    def sprite_at(self, t: float, level: float = 0.0) -> Sprite | None:
        if not self.visible:
            return None
        i = self.index_at(t)
        if i is None:
            if self.cover is not None:
                return self.cover
            i = len(self._times) - 1
        if self._stream is not None:
            return self._stream.get(i)
        return self._frames[i]

    def close(self) -> None:
        """Close the decoder of a long (streamed) video; a later frame reopens it."""
        if self._stream is not None:
            self._stream.close()


class _Sequential:
    """Decode-as-you-go for videos too long to cache: forward steps, restart when going back."""

    def __init__(self, layer: VideoLayer):
        self.layer = layer
        self.container = None
        self.frames = None
        self.index = -1
        self.current: Sprite | None = None

    def _restart(self) -> None:
        if self.container is not None:
            self.container.close()
        self.container = av.open(str(self.layer.path))
        self.frames = self.container.decode(self.container.streams.video[0])
        self.index = -1

    def get(self, i: int) -> Sprite:
        L = self.layer
        try:
            if self.frames is None or i < self.index:
                self._restart()
            while self.index < i:
                f = next(self.frames, None)
                if f is None:
                    break
                self.index += 1
                if self.index >= i:
                    self.current = _sprite(L.x, L.y, L._scaled(f), L._crop)
        except _AV_ERRORS as e:
            raise _fail(L.field, L.path, e) from None
        if self.current is None:
            raise MediaFileError(f"{L.field}: video {L.path} ended before frame {i}")
        return self.current

    def close(self) -> None:
        if self.container is not None:
            self.container.close()
            self.container = None
        self.frames, self.index = None, -1


def video_layer(lay, prefix: str, library, view, fps: int, *, loop_count: int | None = None) -> VideoLayer:
    """The VideoLayer of a VIDEO layer (scene or smart): video_config.video_url, else asset_id,
    at its position and size, with its cover picture; every file opened and checked here."""
    from render.layers.geometry import checked, layer_size
    from render.layers.image import load_image

    vcfg = lay.video_config
    if vcfg is not None and vcfg.video_url:
        ref, field = vcfg.video_url, f"{prefix}.video_config.video_url"
    else:
        ref, field = lay.asset_id, f"{prefix}.asset_id"
    path = library.resolve(ref, "VIDEO", field=field)
    w, h = layer_size(lay.size, probe_size(path, field))
    pos = lay.position
    rect = view.rect(pos.dx if pos else 0, pos.dy if pos else 0, w, h)
    checked(rect, view, f"{prefix}.size")
    cover = None
    if vcfg is not None and vcfg.video_cover_url:
        cfield = f"{prefix}.video_config.video_cover_url"
        cover = load_image(library.resolve(vcfg.video_cover_url, "IMAGE", field=cfield), cfield)
    if loop_count is None:
        loop_count = getattr(vcfg, "loop_count", None) if vcfg is not None else None
    return VideoLayer(path, field, rect, view, fps, loop_count=loop_count, cover=cover)
