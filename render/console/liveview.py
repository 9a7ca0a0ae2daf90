"""The console's live view: every n-th streamed frame as a small JPEG, made off the frame thread.

    view = LiveView(every_n_frames=5, width=320, out_path=folder / "liveview.jpg")
    view.submit(frame_index, i420, info={"scene": ..., "subtitle": ...})   # on the frame thread
    view.close()

`submit` costs the frame thread one strided copy of a few hundred kilobytes at most (the
picture subsampled to about `width` pixels across) every n-th frame, and nothing otherwise;
the colour conversion and the JPEG encode run on the view's own thread. When that thread is
still busy with the previous picture, the new one is dropped (counted in `dropped`): the
stream never waits for the view. Each picture is written to a temp name and renamed over
`out_path` (a reader never sees half a JPEG), beside it `<out_path>.json` with `info` plus
frame and time; or handed to `on_jpeg(jpeg_bytes, info)` when given.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image

from render.layers.planes import i420_to_rgb, planes

log = logging.getLogger(__name__)


def small_i420(i420: np.ndarray, width: int) -> np.ndarray:
    """An I420 frame (H*3//2, W) subsampled by a whole step to about `width` across (a copy; the
    whole frame when it is no wider). Chroma takes the same step on its half-size planes."""
    y, u, v = planes(i420)
    step = max(1, round(y.shape[1] / max(width, 1)))
    y, u, v = y[::step, ::step], u[::step, ::step], v[::step, ::step]
    sh = min(y.shape[0], 2 * u.shape[0]) // 2 * 2
    sw = min(y.shape[1], 2 * u.shape[1]) // 2 * 2
    out = np.empty((sh * 3 // 2, sw), np.uint8)
    oy, ou, ov = planes(out)
    oy[:], ou[:], ov[:] = y[:sh, :sw], u[:sh // 2, :sw // 2], v[:sh // 2, :sw // 2]
    return out


def jpeg_of(small: np.ndarray, quality: int = 70) -> bytes:
    buf = BytesIO()
    Image.fromarray(i420_to_rgb(small)).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


class LiveView:
    def __init__(self, every_n_frames: int = 5, width: int = 320, out_path: str | Path | None = None,
                 on_jpeg=None, fps: float = 25.0, quality: int = 70):
        if every_n_frames < 1:
            raise ValueError("every_n_frames must be at least 1")
        self.every, self.width, self.fps, self.quality = every_n_frames, width, fps, quality
        self.out_path = Path(out_path) if out_path is not None else None
        self.on_jpeg = on_jpeg
        self.made = self.dropped = 0
        self.busy_seconds = 0.0  # wall time the view's thread spent converting and encoding
        self.cpu_seconds = 0.0  # CPU time of that work (the view's thread only)
        self._pending = None
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="smartlive-liveview", daemon=True)
        self._thread.start()

    def submit(self, index: int, i420: np.ndarray, info: dict | None = None) -> None:
        """Called on the frame thread for every frame; takes one picture every n frames."""
        if index % self.every:
            return
        with self._wake:
            if self._pending is not None or self._closed:
                self.dropped += 1
                return
        small = small_i420(i420, self.width)
        with self._wake:
            self._pending = (index, small, info)
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._closed:
                    self._wake.wait()
                if self._pending is None:
                    return
                index, small, info = self._pending
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                self._emit(index, jpeg_of(small, self.quality), info)
                self.made += 1
            except Exception:  # a full disk or a bad path: the view stops, the stream goes on
                log.exception("live view: frame %d not written", index)
            finally:
                self.busy_seconds += time.perf_counter() - started
                self.cpu_seconds += time.thread_time() - cpu
                with self._wake:
                    self._pending = None

    def _emit(self, index: int, jpeg: bytes, info: dict | None) -> None:
        meta = {**(info or {}), "frame": index, "time": round(index / self.fps, 3)}
        if self.on_jpeg is not None:
            self.on_jpeg(jpeg, meta)
        if self.out_path is not None:
            _replace(self.out_path, jpeg)
            _replace(Path(f"{self.out_path}.json"), json.dumps(meta, ensure_ascii=False).encode())


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
