"""Slow work for a running programme (TTS, decoding an audio file, loading an overlay, a rewritten
script) off the frame thread. Live: one daemon worker thread, results collected by the frame
loop when it drains its inbox, so the frame loop never waits. Preview (`sync`): the work runs
when submitted, so a timeline gives the same frames every time."""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_STOP = object()


@dataclass
class Done:
    tag: Any                 # what the caller needs to place the result
    result: Any = None
    error: BaseException | None = None


class Prep:
    def __init__(self, *, sync: bool):
        self.sync = sync
        self._jobs: queue.Queue = queue.Queue()
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = None
        if not sync:
            self._thread = threading.Thread(target=self._run, name="programme-prep", daemon=True)
            self._thread.start()

    def submit(self, tag: Any, fn: Callable, *args) -> None:
        if self.sync:
            self._done.put(self._call(tag, fn, args))
        else:
            self._jobs.put((tag, fn, args))

    def results(self) -> list[Done]:
        out = []
        while True:
            try:
                done = self._done.get_nowait()
            except queue.Empty:
                return out
            out.append(done)

    @staticmethod
    def _call(tag, fn, args) -> Done:
        try:
            return Done(tag, fn(*args))
        except Exception as e:  # noqa: BLE001 -- reported by the programme, the show goes on
            return Done(tag, error=e)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not _STOP:
            self._done.put(self._call(*job))

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(_STOP)
            self._thread.join(timeout=5)
            self._thread = None
