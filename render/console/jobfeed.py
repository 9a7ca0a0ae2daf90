"""Feeds the event hub from the job runner: each live job's events file and its state changes.

    feed = JobFeed(hub, store, jobs_dir); feed.start(); ...; feed.stop()

A push worker writes its event lines to <jobs_dir>/<job_id>/events.jsonl (--events-out); the
feed reads what is new every `interval` seconds and publishes each complete line, and publishes
a JOB_STATE line {state, error_info?} whenever a job's state changes. The file stays open while
the job runs, so the lines written just before the runner removes the job's folder are still
read (an unlinked file stays readable through an open handle). The job channel delivers the
same lines to the runner (Worker.on_event); the console reads the file, whose order and
completeness do not depend on a connection.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from render.console.events import EventHub

log = logging.getLogger("smartlive.console")


class JobFeed:
    def __init__(self, hub: EventHub, store, jobs_dir: Path, interval: float = 0.2):
        self.hub, self.store, self.jobs_dir, self.interval = hub, store, Path(jobs_dir), interval
        self._files: dict[str, object] = {}  # job -> its events.jsonl, open
        self._partial: dict[str, bytes] = {}
        self._states: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="smartlive-console-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for job_id in list(self._files):
            self._forget(job_id)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # the console's feed must never take anything else down
                log.exception("console job feed failed")

    def poll(self) -> None:
        active = {j["job_id"]: j for j in self.store.active_jobs()}
        for job_id in list(self._states):
            if job_id not in active:  # ended since the last poll: its last lines, its end state
                self._read(job_id)
                job = self.store.job(job_id)
                if job is not None:
                    self._state(job)
                self._forget(job_id)
        for job in active.values():
            self._state(job)
            self._read(job["job_id"])

    def _state(self, job: dict) -> None:
        if self._states.get(job["job_id"]) == job["state"]:
            return
        self._states[job["job_id"]] = job["state"]
        message = {"job_id": job["job_id"], "room_id": job["room_id"], "state": job["state"]}
        if job.get("error_code"):
            message["error_info"] = {"error_code": job["error_code"], "error_msg": job["error_msg"]}
        self.hub.publish(job["job_id"], {"event_type": "JOB_STATE", "message": json.dumps(message)})

    def _read(self, job_id: str) -> None:
        f = self._files.get(job_id)
        if f is None:
            try:
                f = self._files[job_id] = open(self.jobs_dir / job_id / "events.jsonl", "rb")  # noqa: SIM115
            except OSError:
                return
        data = f.read()
        if not data:
            return
        data = self._partial.pop(job_id, b"") + data
        *lines, rest = data.split(b"\n")
        if rest:
            self._partial[job_id] = rest
        for raw in lines:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict) and "event_type" in line:
                self.hub.publish(job_id, line)

    def _forget(self, job_id: str) -> None:
        f = self._files.pop(job_id, None)
        if f is not None:
            f.close()
        self._partial.pop(job_id, None)
        self._states.pop(job_id, None)
