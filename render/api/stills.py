"""Console stills rendered off the request pool, a few per project at a time (issue 24 item 4).

    stills = StillQueue(workers=2, per_project=2)
    png = await stills.run(project_id, render)    # BusyError (429 + Retry-After) when the project is at its limit
    stills.shutdown()

150 concurrent POST .../console/still used to fill the server's request threads behind one
render lock, and every tenant's create, list, start and stop waited 42 s. A still now renders in
this queue's own threads (the request's coroutine awaits it, holding no request thread); a
project may have `per_project` stills rendering or waiting, and its next one is refused at once
with 429 and a Retry-After of about one render per still ahead of it, so one project can neither
starve another's stills nor the rest of the API.
"""
from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from render.errors import BusyError

WORKERS = 2       # stills rendering at once, all projects together
PER_PROJECT = 2   # stills rendering or waiting, per project


class StillQueue:
    def __init__(self, workers: int = WORKERS, per_project: int = PER_PROJECT):
        self.per_project = per_project
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="still")
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}
        self._seconds = 1.0  # a render's duration, smoothed (for Retry-After)

    def _take(self, project_id: str) -> None:
        with self._lock:
            n = self._open.get(project_id, 0)
            if n >= self.per_project:
                raise BusyError(f"still: project {project_id} has {n} stills rendering or waiting, at most "
                                f"{self.per_project}; try again shortly", retry_after=math.ceil(self._seconds * n))
            self._open[project_id] = n + 1

    def _give(self, project_id: str) -> None:
        with self._lock:
            n = self._open.get(project_id, 1) - 1
            if n:
                self._open[project_id] = n
            else:
                self._open.pop(project_id, None)

    def _timed(self, render: Callable[[], bytes]) -> bytes:
        t0 = time.monotonic()
        try:
            return render()
        finally:
            self._seconds = 0.8 * self._seconds + 0.2 * (time.monotonic() - t0)

    async def run(self, project_id: str, render: Callable[[], bytes]) -> bytes:
        self._take(project_id)
        try:
            return await asyncio.wrap_future(self._pool.submit(self._timed, render))
        finally:
            self._give(project_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
