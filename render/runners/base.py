"""The job-runner seam: how the API's job scheduler (render.api.jobs.JobRunner) starts, reaches
and ends the worker of one live job, whatever runs it.

    runner = make_runner(settings)                         # render.runners: by settings.runner
    handle = runner.launch(job, spec, folder, on_event)    # OSError: could not start
    handle.placed()            # False while the job waits for room (the job stays WAITING)
    handle.link                # the job channel (render.control.channel.Link): commands, events,
                               # inserts, pings; answers as the worker gave them
    handle.poll()              # None while it runs, else its exit status
    handle.terminate()         # ask it to stop (SIGTERM); handle.kill(): now, whatever its state
    handle.fault()             # why the runner lost it (actor or node died), or None
    handle.release()           # it has ended: free what it held (after the outcome is read)
    handle.detach()            # server shutdown: True = it keeps running and can be re-attached
    runner.reattach(job, spec, folder, on_event)   # a previous server's live job, or None

Whatever the runner, the job's folder on the API server (`folder`) holds what the scheduler and the
console read: result.json (the outcome, render.control.worker), stderr.log, events.jsonl (every
event line, which also reach `on_event`) and liveview.jpg(.json). A runner whose workers run
elsewhere copies them there. A new runner is one module implementing `Runner` and one line in
render.runners.RUNNERS.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from render.control.channel import Link

EventHandler = Callable[[dict], None]


class JobHandle(Protocol):
    link: Link
    pid: int | None  # the worker's process id on its machine (None until placed)
    where: str  # where it runs, for messages: "" on this machine, else e.g. "on Ray node 10.0.0.2 (id ...)"

    def placed(self) -> bool: ...
    def poll(self) -> int | None: ...
    def terminate(self) -> None: ...
    def kill(self) -> None: ...
    def wait(self, timeout: float) -> int | None: ...
    def fault(self) -> tuple[str, str] | None: ...
    def release(self) -> None: ...
    def detach(self) -> bool: ...


class Runner(Protocol):
    name: str

    def launch(self, job: dict, spec: dict, folder: Path, on_event: EventHandler) -> JobHandle: ...
    def reattach(self, job: dict, spec: dict, folder: Path, on_event: EventHandler) -> JobHandle | None: ...
    def close(self) -> None: ...
