"""Progress of a render on stderr: a bar on a terminal, a plain line every few seconds otherwise."""
from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:d}:{seconds % 60:02d}"


class Progress:
    """`update(frames_done)`; `total` frames may be None (endless: no bar, no ETA)."""

    def __init__(self, total: int | None, fps: int, *, stream=None, every: float = 5.0, label: str = "render"):
        self.total, self.fps, self.label = total, fps, label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = 0.2 if self.tty else every
        self.t0 = time.monotonic()
        self._last = 0.0

    def line(self, done: int) -> str:
        elapsed = time.monotonic() - self.t0
        rt = done / self.fps / elapsed if elapsed > 0 else 0.0
        head = f"{self.label}: {done}"
        if self.total:
            eta = (self.total - done) / (done / elapsed) if done and elapsed > 0 else 0
            pct = 100 * done / self.total
            if self.tty:
                filled = int(30 * done / self.total)
                head = f"{self.label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total}"
            else:
                head += f"/{self.total} frames ({pct:.0f}%)"
            return f"{head} {rt:.2f}x realtime, elapsed {_clock(elapsed)}, ETA {_clock(eta)}"
        return f"{head} frames, {rt:.2f}x realtime, elapsed {_clock(elapsed)}"

    def update(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last < self.every:
            return
        self._last = now
        self._write(self.line(done))

    def _write(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + text.ljust(100)[:120])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self, frames: int) -> None:
        self._write(self.line(frames))
        if self.tty:
            self.stream.write("\n")
        self.stream.flush()
