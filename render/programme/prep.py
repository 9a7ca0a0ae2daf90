"""Slow work for a running programme (TTS, decoding an audio file, loading an overlay, a rewritten
script) off the frame thread. Live: one daemon worker thread, results collected by the frame
loop when it drains its inbox, so the frame loop never waits. Preview (`sync`): the work runs
when submitted, so a timeline gives the same frames every time."""
from __future__ import annotations

import inspect
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_STOP = object()
NICE = 10  # the workers' niceness above the process's (Linux: per thread)


@dataclass
class Done:
    tag: Any                 # what the caller needs to place the result
    result: Any = None
    error: BaseException | None = None
    part: int = 0            # a job that yields: which part this is
    final: bool = True       # the job's last result


class Prep:
    """`threads` workers; the programme keeps two: speech (one thread: lines keep the order they
    were sent in) and media (overlays and rewritten scripts, whose downloads never hold back a
    reply's speech)."""

    def __init__(self, *, sync: bool, threads: int = 1):
        self.sync = sync
        self._jobs: queue.Queue = queue.Queue()
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = []
        if not sync:
            for n in range(threads):
                t = threading.Thread(target=self._run, name=f"programme-prep-{n}", daemon=True)
                t.start()
                self._threads.append(t)

    def submit(self, tag: Any, fn: Callable, *args) -> None:
        """Run fn(*args); a generator's values arrive one by one as parts (the first sentence of
        a streamed answer plays while the next ones are made), then an empty final part."""
        if self.sync:
            self._call(tag, fn, args)
        else:
            self._jobs.put((tag, fn, args))

    def results(self) -> list[Done]:
        out: list[Done] = []
        while True:
            try:
                done = self._done.get_nowait()
            except queue.Empty:
                return out
            out.append(done)

    def _call(self, tag, fn, args) -> None:
        part = 0
        try:
            result = fn(*args)
            if not inspect.isgenerator(result):
                self._done.put(Done(tag, result))
                return
            for value in result:
                self._done.put(Done(tag, value, part=part, final=False))
                part += 1
            self._done.put(Done(tag, None, part=part, final=True))
        except Exception as e:  # noqa: BLE001 -- reported by the programme, the show goes on
            self._done.put(Done(tag, error=e, part=part))

    def _run(self) -> None:
        try:  # below the frame thread: a slow neural voice takes spare CPU, never the frame's
            nice = min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICE)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        except (AttributeError, OSError):
            pass
        while (job := self._jobs.get()) is not _STOP:
            self._call(*job)

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(_STOP)
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []
