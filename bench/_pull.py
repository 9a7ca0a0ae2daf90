"""A reading client for the benchmarks: pulls a live RTMP stream back from nginx-rtmp with PyAV
and stamps the arrival of every video frame and audio frame, so a benchmark (react.py) can time
what a viewer would see and hear.

    with Puller(f"{srv.url}/{key}") as pull:       # connects at once (nginx holds a player
        ...steer the pusher...                     # until the stream is published)
        a = pull.wait_for(lambda a: a.kind == "audio" and a.level > 0.05, timeout=10)
        print(a.arrived - t_steer)                 # seconds from the command to the sound
    pull.arrivals                                  # every Arrival, in order of arrival

It decodes in a child process by default (`process=False`: a thread), so that decoding 1080p
does not take the pusher's GIL. Arrival times are time.monotonic() (CLOCK_MONOTONIC: one clock
for every process of the machine), taken when the demuxer returns the packet, before decoding.
A player that joins a running stream gets its video from the next keyframe (nginx-rtmp), so
FFmpeg probes for up to `probe_seconds` (more than the keyframe interval) until it has seen both
streams; packets read while it probes are stamped when probing ends: measure after that.

Each Arrival: kind ("video" | "audio"), pts (seconds on the stream's timeline), arrived,
keyframe (video), and a summary of the decoded content: for video `luma`, the frame's luma
plane sampled every `step` pixels (uint8 array), and `mean` (its mean); for audio `level`, the
RMS of the frame's samples (float, full scale 1.0).
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
from dataclasses import dataclass

import av
import numpy as np


@dataclass
class Arrival:
    kind: str
    pts: float
    arrived: float
    keyframe: bool = False
    luma: np.ndarray | None = None
    mean: float = 0.0
    level: float = 0.0


def _read(url: str, out, stop, step: int, probe_seconds: float, timeout: float) -> None:
    """Demux and decode until the stream ends, `stop` is set or nothing comes for `timeout` s;
    put Arrival objects (then None) on `out`."""
    options = {"rtmp_live": "live", "fflags": "nobuffer", "flags": "low_delay",
               "analyzeduration": str(int(probe_seconds * 1e6)), "probesize": "1000000"}
    try:
        with av.open(url, options=options, timeout=(timeout, timeout)) as c:
            for packet in c.demux():
                arrived = time.monotonic()
                if stop.is_set():
                    break
                if packet.size == 0:
                    continue
                try:
                    frames = packet.decode()
                except av.FFmpegError:  # before the first keyframe
                    continue
                for f in frames:
                    pts = float(f.pts * f.time_base) if f.pts is not None else float(packet.pts * packet.time_base)
                    if packet.stream.type == "video":
                        y = f.to_ndarray(format="gray")[::step, ::step].copy()
                        out.put(Arrival("video", pts, arrived, packet.is_keyframe, y, float(y.mean())))
                    else:
                        s = f.to_ndarray().astype(np.float32)
                        out.put(Arrival("audio", pts, arrived, level=float(np.sqrt(np.mean(s * s)))))
    except (av.FFmpegError, OSError):
        pass  # the stream ended, or never came: the caller sees it in the arrivals
    finally:
        out.put(None)


class Puller:
    """Pull `url` in a child process (or a thread) and keep the arrivals; see the module doc."""

    def __init__(self, url: str, *, process: bool = True, step: int = 8, probe_seconds: float = 3.0,
                 timeout: float = 10.0):
        self.url = url
        self.arrivals: list[Arrival] = []
        self.ended = threading.Event()
        self._cond = threading.Condition()
        if process:
            ctx = mp.get_context("spawn")  # no fork of a process that has threads
            self._q, self._stop = ctx.Queue(), ctx.Event()
            self._worker = ctx.Process(target=_read, args=(url, self._q, self._stop, step, probe_seconds, timeout),
                                       daemon=True)
        else:
            self._q, self._stop = queue.Queue(), threading.Event()
            self._worker = threading.Thread(target=_read, args=(url, self._q, self._stop, step, probe_seconds,
                                                                 timeout), daemon=True)
        self._collector = threading.Thread(target=self._collect, daemon=True)

    def start(self) -> Puller:
        self._worker.start()
        self._collector.start()
        return self

    def _collect(self) -> None:
        while True:
            a = self._q.get()
            with self._cond:
                if a is None:
                    self.ended.set()
                else:
                    self.arrivals.append(a)
                self._cond.notify_all()
            if a is None:
                return

    def wait_for(self, predicate, timeout: float, since: float | None = None) -> Arrival | None:
        """The first arrival (after monotonic time `since`, if given) that satisfies
        `predicate`, waiting up to `timeout` s for it; None if none came."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for a in self.arrivals[seen:]:
                    if (since is None or a.arrived >= since) and predicate(a):
                        return a
                seen = len(self.arrivals)
                left = deadline - time.monotonic()
                if left <= 0 or self.ended.is_set():
                    return None
                self._cond.wait(left)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._worker.join(timeout)
        if not isinstance(self._worker, threading.Thread) and self._worker.is_alive():
            self._worker.terminate()  # blocked in a network read: our own child
            self._worker.join(timeout)
            self._q.put(None)
        self._collector.join(timeout)

    def __enter__(self) -> Puller:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
