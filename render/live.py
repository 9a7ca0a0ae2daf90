"""Real-time pacing for a live push.

    stats = run_live(next_frame, settings, [RtmpOutput(url, key, on_state=cb)],
                     duration=None, stop_event=ev)

`next_frame(i) -> (i420, audio_block) | None` (None: the script ended) runs in a producer
thread a few frames ahead (bounded queue, < 0.5 s); frame i is pushed at t0 + i/fps by the
wall clock, never dropped or duplicated: a late frame goes out at once and the next ones keep
their own due times, so the stream catches up. Lateness is measured against that schedule.
A status line (fps, lateness p50/p99, bitrate, per-output state) goes to `on_status` (default:
one line on stderr) about every second. `stop_event` (set by the caller on SIGTERM/Ctrl-C)
stops the push; every output is closed cleanly (RTMP outputs report END).
"""
from __future__ import annotations

import queue
import sys
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from render.encode import Encoder, EncodeSettings
from render.memory import TRIM_EVERY, trim_heap
from render.outputs import Output
from render.timebase import frames_for

_END = object()

# Frames the producer renders ahead of the wall clock (bench/density.py, react.py): each one
# adds 1/fps to the delay between a change of the programme and the picture on the wire, and
# absorbs that much jitter of the renderer before a frame goes out late. Frames are made just in
# time (the producer waits for room before it renders), so 1 frame of lead held 0 late frames
# in react.py's pushes with a load of 6 on 2 cores.
LEAD_FRAMES = 1
# Frames waiting for the encoder: the queue is empty while the encoder keeps up (so it adds no
# delay then) and absorbs its bursts (a keyframe, a moment of contention) instead of pushing the
# next frames late. bench/density.py, 3 rooms on 2 cores for 40 s: 2 frames gave 0-67 late
# frames a room, 8 frames none (react.py's latency did not move: the queue was empty).
ENCODER_QUEUE_FRAMES = 8


@dataclass
class LiveStatus:
    elapsed: float
    frames: int
    fps: float
    lateness_p50: float  # seconds, over the last interval
    lateness_p99: float
    bitrate_kbps: float
    states: dict[str, str]

    def line(self) -> str:
        m, s = divmod(int(self.elapsed), 60)
        outs = "  ".join(f"{k} {v}" for k, v in self.states.items())
        return (f"live {m:02d}:{s:02d} frame {self.frames} {self.fps:5.1f} fps  late p50 "
                f"{self.lateness_p50 * 1000:4.0f} ms p99 {self.lateness_p99 * 1000:4.0f} ms  "
                f"{self.bitrate_kbps:6.0f} kbit/s  | {outs}")


@dataclass
class LiveStats:
    frames: int = 0
    wall_seconds: float = 0.0
    lateness_p50: float = 0.0  # seconds, over the whole push
    lateness_p99: float = 0.0
    lateness_max: float = 0.0
    late_frames: int = 0  # pushed more than one frame interval after their due time
    stopped: bool = False  # ended by stop_event (not by the script or the duration)
    states: dict[str, str] = field(default_factory=dict)


class LatenessHistogram:
    """Lateness of every frame of a push in 0.1 ms bins up to 10 s (later counts as 10 s):
    p50/p99 over a stream of any length in constant memory."""

    BIN = 1e-4
    BINS = 100_000

    def __init__(self):
        self.counts = np.zeros(self.BINS + 1, np.int64)
        self.n = 0
        self.max = 0.0

    def add(self, late: float) -> None:
        self.counts[min(int(late / self.BIN), self.BINS)] += 1
        self.n += 1
        self.max = max(self.max, late)

    def quantile(self, q: float) -> float:
        if not self.n:
            return 0.0
        return float(np.searchsorted(np.cumsum(self.counts), q * self.n, side="left")) * self.BIN

    def above(self, seconds: float) -> int:
        return int(self.counts[int(seconds / self.BIN) + 1:].sum())


def _percentiles(values) -> tuple[float, float]:
    if not len(values):
        return 0.0, 0.0
    p50, p99 = np.percentile(np.asarray(values, dtype=np.float64), [50, 99])
    return float(p50), float(p99)


def _print_status(status: LiveStatus) -> None:
    print(status.line(), file=sys.stderr, flush=True)


class _Producer:
    """Calls next_frame(i) ahead of the clock into a small queue: at most `ahead` frames wait.
    A frame is made only once there is room for it (just in time), never made and then held,
    so a change that reaches the programme shows `ahead` frames later at most."""

    def __init__(self, next_frame, ahead: int):
        self.q: queue.Queue = queue.Queue()
        self._room = threading.Semaphore(ahead)
        self._next = next_frame
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="live-producer", daemon=True)
        self.thread.start()

    def _wait_room(self) -> bool:
        while not self._stop.is_set():
            if self._room.acquire(timeout=0.2):
                return True
        return False

    def _run(self) -> None:
        i = 0
        try:
            while self._wait_room():
                item = self._next(i)
                if item is None:
                    break
                self.q.put(item)
                i += 1
        except BaseException as e:  # noqa: BLE001 -- handed to the pacing loop, raised there
            self.q.put(e)
            return
        self.q.put(_END)

    def get(self, stop_event: threading.Event):
        while True:
            try:
                item = self.q.get(timeout=0.1)
                self._room.release()
                return item
            except queue.Empty:
                if stop_event.is_set():
                    return _END

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)


def run_live(next_frame, settings: EncodeSettings, outputs: list[Output], *, duration: float | None = None,
             stop_event: threading.Event | None = None, on_status=None,
             status_interval: float = 1.0, ahead_frames: int | None = None, connect_wait: float = 10.0,
             clock=time.monotonic, on_pushed=None, on_encoder=None) -> LiveStats:
    """Push frames to `outputs` at the frame rate of the wall clock; see the module doc."""
    stop_event = stop_event or threading.Event()
    on_status = on_status or _print_status
    max_frames = frames_for(duration, settings.fps) if duration is not None else None
    interval = 1.0 / settings.fps
    encoder = Encoder(settings, outputs, queue_frames=ENCODER_QUEUE_FRAMES)
    try:  # start the clock once the RTMP outputs are connected (or gave up: OutputError)
        encoder.wait_ready(connect_wait, stop_event)
    except BaseException:
        encoder.abort()
        raise
    if on_encoder is not None:  # e.g. REFRESH_OUTPUT_URL adds and removes outputs while it runs
        on_encoder(encoder)
    producer = _Producer(next_frame, LEAD_FRAMES if ahead_frames is None else ahead_frames)
    stats = LiveStats()
    lateness = LatenessHistogram()
    window: list[float] = []
    t0 = clock()
    last_status, last_frames, last_bytes = t0, 0, 0
    last_trim = t0
    ok = False
    try:
        i = 0
        while max_frames is None or i < max_frames:
            item = producer.get(stop_event)
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            due = t0 + i * interval
            wait = due - clock()
            if wait > 0 and stop_event.wait(wait):
                break
            if stop_event.is_set():
                break
            late = max(0.0, clock() - due)
            encoder.push(*item)
            if on_pushed is not None:
                on_pushed(i, clock())
            i += 1
            lateness.add(late)
            window.append(late)
            now = clock()
            if now - last_status >= status_interval:
                p50, p99 = _percentiles(window)
                span = now - last_status
                on_status(LiveStatus(now - t0, i, (i - last_frames) / span, p50, p99,
                                     (encoder.bytes_out - last_bytes) * 8 / 1000 / span,
                                     encoder.states()))
                last_status, last_frames, last_bytes = now, i, encoder.bytes_out
                window = []
            if now - last_trim >= TRIM_EVERY:  # right after a frame went out: ~1 ms of its slack
                trim_heap()
                last_trim = now
        stats.stopped = stop_event.is_set()
        ok = True
    except KeyboardInterrupt:  # the caller should set stop_event instead; still end cleanly
        stats.stopped = ok = True
        raise
    finally:
        producer.stop()
        stats.frames = lateness.n
        stats.wall_seconds = clock() - t0
        stats.lateness_p50, stats.lateness_p99 = lateness.quantile(0.5), lateness.quantile(0.99)
        stats.lateness_max = lateness.max
        stats.late_frames = lateness.above(interval)
        if ok:
            try:
                encoder.close()
            except Exception as e:
                e.stats = stats
                raise
            finally:
                stats.states = encoder.states()
        else:
            encoder.abort()
            stats.states = encoder.states()
    return stats
