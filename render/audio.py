"""Sound at 48 kHz mono float32: decode (PyAV), resample, limiter, and the frame-locked mix.

Everything is counted in samples: frame i of a `fps` stream covers samples
[i * spf, (i + 1) * spf) with spf = 48000 // fps, so sound never drifts from the picture,
however long a stream runs. The mix renders any block on demand from the scheduled sources
(clips at sample offsets, looping beds), so a live stream never holds more than its sources.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from render.errors import CorruptFileError, MediaFileError
from render.timebase import SAMPLE_RATE, samples_per_frame

CEILING = 10 ** (-1.2 / 20)  # limiter ceiling, -1.2 dBFS: peaks stay below -1 dBFS
LOOKAHEAD = 240  # samples (5 ms): the limiter's gain ramps down before a peak
RELEASE = 1.0 / (0.25 * SAMPLE_RATE)  # gain recovers linearly from 0 to 1 in 250 ms
FADE = 480  # samples (10 ms) of a cut's fade-out


def resample(x: np.ndarray, rate: int, out_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 at `rate` -> `out_rate` (PyAV/libswresample), length exactly n*out/in."""
    import av

    x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)
    want = round(len(x) * out_rate / rate)
    if rate == out_rate or len(x) == 0:
        return x.copy() if rate == out_rate else np.zeros(0, np.float32)
    rs = av.AudioResampler(format="flt", layout="mono", rate=out_rate)
    frame = av.AudioFrame.from_ndarray(x.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = rate
    chunks = [f.to_ndarray().reshape(-1) for f in rs.resample(frame)]
    chunks += [f.to_ndarray().reshape(-1) for f in rs.resample(None)]
    y = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return _fit(y.astype(np.float32), want)


def _fit(y: np.ndarray, n: int) -> np.ndarray:
    if len(y) >= n:
        return y[:n]
    return np.concatenate([y, np.zeros(n - len(y), np.float32)])


def decode_audio(path, *, optional: bool = False) -> np.ndarray:
    """Any audio file PyAV reads (MP3, WAV, AAC, a video's sound) -> 48 kHz mono float32.

    `optional`: a file with no audio stream (a silent VIDEO layer) gives an empty array
    instead of a MediaFileError.
    """
    import av

    path = Path(path)
    if not path.is_file():
        raise MediaFileError(f"{path}: audio file not found")
    try:
        with av.open(str(path)) as box:
            if not box.streams.audio:
                if optional:
                    return np.zeros(0, np.float32)
                raise CorruptFileError(f"{path}: no audio stream")
            stream = box.streams.audio[0]
            rs = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            chunks = []
            for frame in box.decode(stream):
                frame.pts = None
                chunks += [f.to_ndarray().reshape(-1) for f in rs.resample(frame)]
            chunks += [f.to_ndarray().reshape(-1) for f in rs.resample(None)]
    except MediaFileError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as e:
        raise CorruptFileError(f"{path}: not a readable audio file ({e})") from None
    if not chunks:
        if optional:
            return np.zeros(0, np.float32)
        raise CorruptFileError(f"{path}: no audio samples")
    return np.concatenate(chunks).astype(np.float32)


def _sliding_min(a: np.ndarray, w: int) -> np.ndarray:
    """out[k] = min(a[k:k+w]) for k in 0..len(a)-w, by doubling (log2(w) passes)."""
    m, span = a.copy(), 1
    while span * 2 <= w:
        m = np.minimum(m[:-span], m[span:])
        span *= 2
    if span < w:
        m = np.minimum(m[: len(m) - (w - span)], m[w - span:])
    return m[: len(a) - w + 1]


class Limiter:
    """Look-ahead peak limiter that works block by block with no delay.

    `process(x_ext)` takes the block plus the LOOKAHEAD samples that follow it and returns
    the limited block; the gain never exceeds ceiling/|x| at any sample, ramps down over the
    lookahead and recovers over 250 ms. Consecutive blocks carry the state.
    """

    def __init__(self, ceiling: float = CEILING, lookahead: int = LOOKAHEAD, release: float = RELEASE):
        self.ceiling, self.la, self.release = ceiling, lookahead, release
        self.reset()

    def reset(self) -> None:
        self._g_last = 1.0
        self._hist = np.ones(self.la, np.float32)

    def process(self, x_ext: np.ndarray) -> np.ndarray:
        la, c = self.la, self.ceiling
        n = len(x_ext) - la
        peak = float(np.max(np.abs(x_ext))) if len(x_ext) else 0.0
        if peak <= c and self._g_last >= 1.0 and self._hist.min() >= 1.0:
            return x_ext[:n].astype(np.float32, copy=True)
        req = np.minimum(1.0, c / np.maximum(np.abs(x_ext).astype(np.float64), 1e-12))
        h = _sliding_min(req, la + 1)[:n]
        idx = np.arange(n, dtype=np.float64)
        g = np.minimum.accumulate(h - self.release * idx) + self.release * idx
        g = np.minimum(np.minimum(g, self._g_last + self.release * (idx + 1)), 1.0)
        full = np.concatenate([self._hist.astype(np.float64), g])
        cs = np.concatenate([[0.0], np.cumsum(full)])
        smooth = (cs[la + 1:] - cs[: -la - 1]) / (la + 1)  # mean of full[k..k+la] -> out k
        self._g_last = float(g[-1]) if n else self._g_last
        self._hist = full[-la:].astype(np.float32)
        y = x_ext[:n] * smooth[:n]
        return np.clip(y, -c, c).astype(np.float32)


def limit(x: np.ndarray, ceiling: float = CEILING, block: int = SAMPLE_RATE) -> np.ndarray:
    """Limit a whole signal (offline, in 1 s blocks) so every peak stays at or under `ceiling`."""
    x = np.asarray(x, np.float32).reshape(-1)
    lim = Limiter(ceiling)
    ext = np.concatenate([x, np.zeros(lim.la, np.float32)])
    out = [lim.process(ext[s: min(s + block, len(x)) + lim.la]) for s in range(0, len(x), block)]
    return np.concatenate(out) if out else np.zeros(0, np.float32)


@dataclass
class _Source:
    samples: np.ndarray
    start: int  # sample offset in the stream
    end: int | None  # exclusive; None = loops forever
    gain: float
    loop: bool
    ducked: bool  # a bed that goes down while a voice clip plays
    applied: float | None = None  # the gain of the last block rendered (for click-free changes)


class Mix:
    """The stream's sound timeline: clips at sample offsets, looping beds under them.

    `block(i)` returns exactly samples_per_frame(fps) samples for frame i: the sum of every
    source, beds ducked by `duck` while a clip plays (ramped over one frame), limited so
    peaks stay below -1 dBFS. Sources that ended are dropped as the stream moves on.
    """

    def __init__(self, fps: int = 25, *, duck: float = 0.5):
        self.fps = fps
        self.spf = samples_per_frame(fps)
        self.duck = duck
        self._sources: list[_Source] = []
        self._limiter = Limiter()
        self._next_frame = 0
        self._duck_gain = 1.0

    def add(self, audio, at: int, gain: float = 1.0, *, end: int | None = None) -> _Source:
        """Play a clip (Clip or float32 array) once from sample `at` (optionally cut at `end`)."""
        samples = np.asarray(getattr(audio, "samples", audio), np.float32).reshape(-1)
        stop = at + len(samples) if end is None else min(end, at + len(samples))
        src = _Source(samples, int(at), int(stop), float(gain), False, False)
        self._sources.append(src)
        return src

    def add_bed(self, samples, start: int = 0, end: int | None = None, gain: float = 0.3,
                *, ducked: bool = True) -> _Source:
        """Loop `samples` from sample `start` until `end` (None: forever), under the voice."""
        samples = np.asarray(getattr(samples, "samples", samples), np.float32).reshape(-1)
        src = _Source(samples, int(start), None if end is None else int(end), float(gain), True, ducked)
        if len(samples):
            self._sources.append(src)
        return src

    def set_gain(self, source: _Source, gain: float) -> None:
        """Change a source's gain from the next block on, ramped over one frame (no click);
        e.g. the streamer's voice down while a co-streamer speaks."""
        source.gain = float(gain)

    def fade_out(self, source: _Source, at: int, n: int = FADE) -> None:
        """End a clip at sample `at` with a linear fade over `n` samples: a cut with no click."""
        rel = int(at) - source.start
        if rel <= 0:
            source.end = min(source.end, int(at))
            return
        keep = min(len(source.samples), rel + n)
        samples = source.samples[:keep].copy()
        tail = samples[rel:keep]
        tail *= np.linspace(1.0, 0.0, n, dtype=np.float32)[: len(tail)]
        source.samples = samples
        source.end = min(source.end, source.start + keep)

    def stop(self, source: _Source, at: int) -> None:
        """End a clip or bed at sample `at` (e.g. when its scene ends)."""
        source.end = int(at) if source.end is None else min(source.end, int(at))

    def block(self, frame_index: int, fps: int | None = None) -> np.ndarray:
        """Exactly one frame of limited mono float32 samples for frame `frame_index`."""
        if fps is not None and fps != self.fps:
            raise ValueError(f"this mix runs at {self.fps} fps, not {fps}")
        if frame_index != self._next_frame:
            self._limiter.reset()  # out of order (a seek): start the limiter afresh
        s = frame_index * self.spf
        n = self.spf + self._limiter.la
        voice, beds, voice_on, voice_next = self._render(s, n)
        target = self.duck if voice_on or voice_next else 1.0
        ramp = np.full(n, target, np.float32)
        if target != self._duck_gain:
            ramp[: self.spf] = np.linspace(self._duck_gain, target, self.spf, dtype=np.float32)
        out = self._limiter.process(voice + beds[0] + beds[1] * ramp)
        self._duck_gain = target
        self._next_frame = frame_index + 1
        self._sources = [src for src in self._sources if src.end is None or src.end > s]
        return out

    def _render(self, s: int, n: int):
        voice = np.zeros(n, np.float32)
        plain_bed = np.zeros(n, np.float32)
        ducked_bed = np.zeros(n, np.float32)
        voice_on = voice_next = False
        spf = self.spf
        for src in self._sources:
            if not src.loop:
                voice_on |= src.start < s + spf and src.end > s
                voice_next |= src.start < s + 2 * spf and src.end > s + spf
            a = max(s, src.start)
            b = s + n if src.end is None else min(s + n, src.end)
            if b <= a:
                continue
            if src.loop:
                idx = (np.arange(a, b, dtype=np.int64) - src.start) % len(src.samples)
                chunk = src.samples[idx]
            else:
                chunk = src.samples[a - src.start: b - src.start]
            target = voice if not src.loop else (ducked_bed if src.ducked else plain_bed)
            gain = np.full(len(chunk), src.gain, np.float32)
            if src.applied is not None and src.applied != src.gain:
                head = max(0, min(len(chunk), s + spf - a))
                gain[:head] = np.linspace(src.applied, src.gain, s + spf - a, dtype=np.float32)[:head]
            target[a - s: a - s + len(chunk)] += chunk * gain
            if a < s + spf:
                src.applied = src.gain
        return voice, (plain_bed, ducked_bed), voice_on, voice_next
