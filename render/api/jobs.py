"""Live jobs: each one a `python -m render push ROOM.json ...` worker process, watched by one thread.
What starts and reaches the worker is the job runner of render.runners (settings.runner): a
subprocess of this server (local, the default) or an actor on a Ray cluster (ray).

    runner = JobRunner(store, settings); runner.start()     # marks a dead server's jobs FAILED
    job = runner.submit(project_id, room_row, start_body)   # WAITING; 403/409/400 errors raised
    runner.stop_job(project_id, room_id, job_id)            # SIGTERM -> CANCELED
    runner.delete_room(project_id, room_id)                 # 409 while the room has a live job
    runner.shutdown()                                       # stops every worker (a cluster's keep running)

The runner thread spawns queued jobs (-> PROCESSING), polls its workers and ends each job once,
from the outcome the worker writes (render.control.worker.write_result: result.json in the job
folder): SUCCEED; FAILED with its error_info, or when no output ever connected; CANCELED when
stopped. A worker that wrote no outcome: exit 0 -> SUCCEED, else FAILED (its `MSS.xxx message`
stderr lines, else the exit status). The worker ends itself under the room's exit policy
(max_live_duration with its auto_stop_mode, changed live by RESET_EXIT_CONFIG). The runner ends a
job FAILED when no output has been connected for max_exception_waiting_duration (from the
worker's RTMP_STREAM_STATE_CHANGE events), and when the worker stops answering the pings of its
job channel (hung, or stopped: SIGKILL). `runner.link(job_id)` is that channel (render.control.channel)
for the API's commands and event reports.

`submit` validates the effective room (stored room + start overrides, rule groups imported) and
checks its media (render.api.media) before queueing. A job stays WAITING until its runner has
placed the worker (a cluster with no room: until a node frees). Local workers get SIGTERM if the
runner thread dies (Linux PR_SET_PDEATHSIG), so a killed server leaves no pushing orphans; at the
next start, jobs whose workers the runner can attach again (a cluster's actors) go on, the others
are marked FAILED, ended at the server's last heartbeat, and their folders (room file with
stream keys) removed. A runner that loses a worker (its actor or node died) ends it FAILED with
the runner's reason.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from render.api.media import check_room_media
from render.api.rule_groups import expand_groups
from render.api.settings import Settings
from render.api.store import Store
from render.control.channel import ChannelError
from render.control.worker import RESULT, read_result
from render.encode import live_profile
from render.errors import ConcurrencyError, NotFoundError, SpecError, StateError
from render.runners import make_runner
from render.runners.base import JobHandle
from render.runners.local import private_dir, strip_secrets
from render.spec import validate_room
from render.spec.enums import JobState

OVERRIDES = (  # the start body's fields (api-family.md), each replacing the room's own
    "video_config",
    "play_policy",
    "output_urls",
    "stream_keys",
    "live_event_callback_config",
    "rtc_callback_config",
    "view_mode",
    "co_streamer_config",
    "interaction_callback_url",
    "encode_profile",  # smartlive's own: "live" (default) or "low-latency" (render.encode)
)
HEARTBEAT = ".heartbeat"  # in the jobs folder: when the server was last alive (restart cleanup)
STOPPED_EXITS = (0, 130, 143, -signal.SIGTERM, -signal.SIGKILL)  # how a worker ends after our SIGTERM
_MSS_LINE = re.compile(r"^(MSS\.\d{8}) (.+)$")

log = logging.getLogger("smartlive.api.jobs")


def job_spec(room_body: dict, start_body: dict) -> dict:
    """The room a job pushes: the stored room with the start body's overrides applied."""
    spec = dict(room_body)
    for key in OVERRIDES:
        if start_body.get(key) is not None:
            spec[key] = start_body[key]
    return spec


def worker_env(settings: Settings, env=None) -> dict[str, str]:
    """The worker's environment: the server's without its keys, with the API's media policy."""
    return strip_secrets(os.environ if env is None else env, settings.media_policy().to_json())


def mask_keys(text: str, spec: dict) -> str:
    """`text` with every stream key of the job's room replaced by ***."""
    keys = spec.get("stream_keys") if isinstance(spec.get("stream_keys"), list) else []
    for key in sorted((k for k in keys if isinstance(k, str) and len(k) >= 2), key=len, reverse=True):
        text = text.replace(key, "***")
    return text


def exception_wait(spec: dict, default_minutes: int, minute: float) -> float | None:
    """Seconds without a connected output that end the job (max_exception_waiting_duration,
    minutes; absent: the default; 0: no limit)."""
    exit_config = (spec.get("play_policy") or {}).get("live_exit_config") or {}
    minutes = exit_config.get("max_exception_waiting_duration")
    if minutes is None:
        minutes = default_minutes
    return float(minutes) * minute if isinstance(minutes, (int, float)) and minutes > 0 else None


def outcome(result: dict) -> tuple[JobState, tuple[str, str] | None]:
    """The job's end state from the worker's result.json: its own FAILED, or FAILED when none of
    its outputs ever connected, else SUCCEED."""
    if result.get("state") == JobState.FAILED:
        return JobState.FAILED, (result.get("error_code") or "MSS.00000004",
                          result.get("error_msg") or "Internal Error: the live push failed")
    outputs = [o for o in result.get("outputs") or [] if isinstance(o, dict)]
    if outputs and not any(o.get("connections") for o in outputs):
        why = "; ".join(f"{o.get('url')}: {o.get('failure') or o.get('state')}" for o in outputs)
        return JobState.FAILED, ("MSS.00000004", f"Internal Error: no output ever connected ({why})"[:2000])
    return JobState.SUCCEED, None


def error_from_stderr(text: str, returncode: int) -> tuple[str, str]:
    """The worker's `MSS.xxx message` lines -> (code, message); otherwise an internal error."""
    found = [m.groups() for m in (_MSS_LINE.match(line.strip()) for line in text.splitlines()) if m]
    if found:
        code = found[0][0]
        msgs = list(dict.fromkeys(msg for c, msg in found if c == code))
        return code, "; ".join(msgs)[:2000]
    if returncode < 0:
        try:
            how = f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"was killed by signal {-returncode}"
    else:
        how = f"exited with code {returncode}"
    last = next((ln.strip() for ln in reversed(text.splitlines()) if ln.strip()), "")
    return "MSS.00000004", f"Internal Error: the live push worker {how}" + (
        f" ({last[:300]})" if last else ""
    )


@dataclass
class Worker:
    job_id: str
    proc: JobHandle  # the runner's handle of the worker (render.runners.base)
    folder: Path
    room_type: str
    project_id: str
    room_id: str
    stop_requested: bool = False
    term_sent_at: float | None = None
    reason: tuple[str, str] | None = None  # error forced by the runner (hung, no output)
    spec: dict | None = None  # the room pushed (its stream keys are masked in what is logged)
    placed: bool = False  # the runner has started it (not waiting for room): PROCESSING
    spawned_at: float = 0.0  # monotonic
    exception_wait: float | None = None  # s with no connected output that end the job
    wait_units: tuple[int, float] = (3, 60.0)  # (default minutes, seconds a minute) of exception_wait
    ping: Future | None = None
    ping_sent_at: float = 0.0
    last_answer: float | None = None  # monotonic: the worker last answered a ping
    outputs: dict[str, str] = field(default_factory=dict)  # output -> latest RTMP state (events)
    ever_connected: bool = False
    unconnected_since: float | None = None  # monotonic: no output CONNECTED since (once one started)

    def on_event(self, line: dict) -> None:
        """An event line from the worker's channel: follows its outputs' states and its exit
        policy (RESET_EXIT_CONFIG changes max_exception_waiting_duration too)."""
        kind = line.get("event_type") if isinstance(line, dict) else None
        if kind not in ("RTMP_STREAM_STATE_CHANGE", "EXIT_CONFIG_RESET"):
            return
        try:
            msg = json.loads(line.get("message") or "{}")
        except (TypeError, ValueError):
            return
        if kind == "EXIT_CONFIG_RESET":
            spec = {"play_policy": {"live_exit_config": msg.get("live_exit_config") or {}}}
            self.exception_wait = exception_wait(spec, *self.wait_units)
            return
        self.outputs[f"{msg.get('output_url')}/{msg.get('stream_key')}"] = str(msg.get("state"))
        if "CONNECTED" in self.outputs.values():
            self.ever_connected, self.unconnected_since = True, None
        elif self.unconnected_since is None:
            self.unconnected_since = time.monotonic()


def _http_url(value) -> bool:
    """An http(s) URL with a host that parses (a callback the worker can post to)."""
    from urllib.parse import urlsplit

    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError on a port out of range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class JobRunner:
    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings
        self._lock = threading.RLock()
        self._queue: list[str] = []
        self._workers: dict[str, Worker] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.backend = make_runner(settings)  # what runs the workers (render.runners)

    # lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        down_at = self._last_heartbeat()
        for job in self.store.active_jobs():  # a runner whose workers outlive the server: attach again
            self._reattach(job)
        failed = self.store.fail_orphans(down_at, keep=set(self._workers))
        if failed:
            log.warning("marked %d job(s) of a previous server FAILED: %s", len(failed), ", ".join(failed))
        self._remove_stale_folders()
        self._thread = threading.Thread(target=self._run, name="smartlive-jobs", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.stop_timeout + 10)
            self._thread = None

    def link(self, job_id: str):
        """The channel of a running job's worker (render.control.channel.Link; None: not running)."""
        worker = self._workers.get(job_id)
        return worker.proc.link if worker is not None and worker.placed else None

    def _reattach(self, job: dict) -> None:
        spec = json.loads(job["spec"])
        folder = self.settings.jobs_dir / job["job_id"]
        try:
            handle = self.backend.reattach(job, spec, folder, self._on_event(job["job_id"]))
        except Exception:  # noqa: BLE001 -- it cannot be reached: FAILED below, like any orphan
            log.exception("job %s: cannot re-attach its worker", job["job_id"])
            return
        if handle is None:
            return
        worker = self._worker(job, handle, folder, spec)
        worker.placed = job["state"] == JobState.PROCESSING
        self._workers[job["job_id"]] = worker
        log.info("job %s: re-attached its worker %s", job["job_id"], handle.where)

    def _last_heartbeat(self) -> float | None:
        try:
            return float((self.settings.jobs_dir / HEARTBEAT).read_text())
        except (OSError, ValueError):
            return None

    def _heartbeat(self) -> None:
        try:
            self.settings.jobs_dir.mkdir(parents=True, exist_ok=True)
            (self.settings.jobs_dir / HEARTBEAT).write_text(f"{time.time():.3f}")
        except OSError as e:
            log.warning("cannot write the heartbeat in %s: %s", self.settings.jobs_dir, e)

    def _remove_stale_folders(self) -> None:
        """Folders of jobs no worker runs any more (they hold room files with stream keys)."""
        base = self.settings.jobs_dir
        if not base.is_dir():
            return
        for d in base.iterdir():
            if d.is_dir() and self.store.job(d.name) is not None and d.name not in self._workers:
                shutil.rmtree(d, ignore_errors=True)

    # API operations ------------------------------------------------------------------------
    def submit(self, project_id: str, room: dict, start_body: dict) -> dict:
        if room["room_type"] == "TEMPLATE":
            raise StateError(
                f"room_type: room {room['room_id']} is a TEMPLATE room; a template cannot "
                "start a live job (create a NORMAL or TEMP room from it)"
            )
        spec = job_spec(room["body"], start_body)
        if spec.get("interaction_rules") is not None:  # a rule {group_id} imports that rule group
            spec["interaction_rules"] = expand_groups(self.store, project_id, spec["interaction_rules"],
                                                      "interaction_rules")
        callback = spec.get("interaction_callback_url")
        if callback is not None and not _http_url(callback):
            raise SpecError(f"interaction_callback_url: {callback!r} is not an http:// or https:// URL")
        effective, _ = validate_room(spec)
        live_profile(spec.get("encode_profile"))  # 400 naming encode_profile, not a worker that fails
        if not spec.get("output_urls"):
            raise SpecError(
                "output_urls: a live job needs at least one RTMP output URL "
                "(in the room or in the start body)"
            )
        if not effective.scene_scripts:
            raise SpecError("scene_scripts: a live job needs at least one scene (what the stream shows)")
        check_room_media(effective, self.settings,
                         [("interaction_callback_url", callback)] if callback is not None else [])
        with self._lock:
            active = self.store.active_jobs()
            busy = [j for j in active if j["room_id"] == room["room_id"]]
            if busy:
                raise StateError(
                    f"room_id: room {room['room_id']} already has live job {busy[0]['job_id']} "
                    f"({busy[0]['state']}); stop it first"
                )
            if len(active) >= self.settings.max_jobs:
                raise ConcurrencyError(
                    f"{len(active)} live job(s) are running; the limit is {self.settings.max_jobs}"
                )
            job = self.store.insert_job(project_id, room, spec)
            self._queue.append(job["job_id"])
        self._wake.set()
        return job

    def stop_job(self, project_id: str, room_id: str, job_id: str) -> None:
        with self._lock:
            job = self.store.get_job(project_id, room_id, job_id)
            if job["state"] not in (JobState.WAITING, JobState.PROCESSING):
                raise StateError(
                    f"job_id: job {job_id} is {job['state']}; only a WAITING or PROCESSING job can be stopped"
                )
            if job_id in self._queue:
                self._queue.remove(job_id)
                self._finish_unspawned(job, JobState.CANCELED)
                return
            worker = self._workers.get(job_id)
            if worker is None:
                raise NotFoundError(f"job_id: job {job_id} has no worker")
            worker.stop_requested = True
            self._terminate(worker)
        self._wake.set()

    def delete_room(self, project_id: str, room_id: str) -> None:
        """Delete a room that has no active job (checked under the lock `submit` takes)."""
        with self._lock:
            self.store.get_room(project_id, room_id)
            busy = [j for j in self.store.active_jobs(room_id) if j["project_id"] == project_id]
            if busy:
                raise StateError(
                    f"room_id: room {room_id} has live job {busy[0]['job_id']} ({busy[0]['state']}); "
                    "stop it first"
                )
            self.store.delete_room(project_id, room_id)

    # the runner thread -----------------------------------------------------------------------
    def _run(self) -> None:
        beat = 0.0
        try:
            while not self._stopping.is_set():
                try:
                    if time.monotonic() - beat >= 1.0:
                        self._heartbeat()
                        beat = time.monotonic()
                    self._spawn_queued()
                    self._reap()
                except Exception:  # keep watching: a bug here must not leave hung jobs
                    log.exception("job runner iteration failed")
                self._wake.wait(self.settings.poll_interval)
                self._wake.clear()
        finally:
            self._stop_all()

    def _spawn_queued(self) -> None:
        with self._lock:
            queued, self._queue = self._queue, []
            for job_id in queued:
                job = self.store.job(job_id)
                if job is not None and job["state"] == JobState.WAITING:
                    self._spawn(job)

    def _spawn(self, job: dict) -> None:
        folder = self.settings.jobs_dir / job["job_id"]
        spec = json.loads(job["spec"])
        try:
            private_dir(self.settings.jobs_dir)
            private_dir(folder)
            handle = self.backend.launch(job, spec, folder, self._on_event(job["job_id"]))
        except OSError as e:
            shutil.rmtree(folder, ignore_errors=True)
            self._finish_unspawned(
                job, JobState.FAILED, ("MSS.00000004", (f"Internal Error: cannot start the live push worker ({e})"))
            )
            return
        worker = self._worker(job, handle, folder, spec)
        self._workers[job["job_id"]] = worker
        self._placed(worker)

    def _worker(self, job: dict, handle: JobHandle, folder: Path, spec: dict) -> Worker:
        ctl = self.settings.control
        return Worker(job["job_id"], handle, folder, job["room_type"], job["project_id"], job["room_id"],
                      spawned_at=time.monotonic(), spec=spec,
                      exception_wait=exception_wait(spec, ctl.default_exception_wait, ctl.minute),
                      wait_units=(ctl.default_exception_wait, ctl.minute))

    def _on_event(self, job_id: str):
        """The event lines of a job's channel, to its Worker (which may not exist yet)."""
        def on_event(line: dict) -> None:
            worker = self._workers.get(job_id)
            if worker is not None:
                worker.on_event(line)
        return on_event

    def _placed(self, worker: Worker) -> None:
        """WAITING -> PROCESSING once the runner has started the worker (at once, locally; when a
        node has room, on a cluster). No deadline: the worker ends itself (exit policy); pings
        find a hung one."""
        if worker.placed or not worker.proc.placed():
            return
        worker.placed, worker.spawned_at = True, time.monotonic()
        self.store.set_job(worker.job_id, state=JobState.PROCESSING, started=time.time(), pid=worker.proc.pid)
        log.info("job %s: worker pid %s started%s", worker.job_id, worker.proc.pid,
                 f" {worker.proc.where}" if worker.proc.where else "")

    def _terminate(self, worker: Worker) -> None:
        if worker.term_sent_at is None and worker.proc.poll() is None:
            worker.proc.terminate()
            worker.term_sent_at = time.monotonic()

    def _reap(self) -> None:
        with self._lock:
            for job_id, worker in list(self._workers.items()):
                rc = worker.proc.poll()
                now = time.monotonic()
                if rc is None:
                    self._placed(worker)
                    if (
                        worker.term_sent_at is not None
                        and now - worker.term_sent_at > self.settings.stop_timeout
                    ):
                        worker.proc.kill()
                    elif worker.term_sent_at is None and worker.reason is None and worker.placed:
                        self._watch(worker, now)
                    continue
                del self._workers[job_id]
                self._finish(worker, rc)

    def _watch(self, worker: Worker, now: float) -> None:
        """A running worker's channel: it must open it, answer pings, and keep an output connected."""
        ctl, link = self.settings.control, worker.proc.link
        if not link.ever_connected:
            if now - worker.spawned_at > ctl.connect_timeout:
                self._fail_running(worker, f"the live push worker did not open its control channel within "
                                           f"{ctl.connect_timeout:g} s", kill=True)
            return
        if worker.last_answer is None:
            worker.last_answer = now
        if worker.ping is not None and worker.ping.done():
            if not isinstance(worker.ping.exception(), ChannelError):
                worker.last_answer = now  # any answer, even an error reply: the worker is alive
            worker.ping = None
        if worker.ping is None and now - worker.ping_sent_at >= ctl.ping_interval:
            worker.ping, worker.ping_sent_at = link.send({"op": "ping"}), now
        if now - worker.last_answer > ctl.ping_timeout:
            self._fail_running(worker, f"the live push worker stopped answering its control channel for "
                                       f"{ctl.ping_timeout:g} s (hung or stopped) and was killed", kill=True)
        elif (worker.exception_wait is not None and worker.unconnected_since is not None
              and now - worker.unconnected_since > worker.exception_wait):
            states = ", ".join(f"{k.rsplit('/', 1)[0]} {v}" for k, v in dict(worker.outputs).items())
            self._fail_running(worker, f"no output connected for {worker.exception_wait / 60:g} min "
                                       f"(max_exception_waiting_duration): {states}")

    def _fail_running(self, worker: Worker, why: str, *, kill: bool = False) -> None:
        where = worker.proc.where if kill else ""  # a hung worker: which node it hangs on
        worker.reason = ("MSS.00000004", f"Internal Error: {why}" + (f" ({where})" if where else ""))
        log.warning("job %s: %s", worker.job_id, why)
        if kill:  # a hung or stopped process cannot act on SIGTERM
            worker.proc.kill()
            worker.term_sent_at = time.monotonic()
        else:
            self._terminate(worker)

    def _finish(self, worker: Worker, rc: int) -> None:
        try:
            text = (worker.folder / "stderr.log").read_text(encoding="utf-8", errors="replace")[-20000:]
        except OSError:
            text = ""
        result = read_result(worker.folder / RESULT)
        fault = worker.proc.fault()  # the runner lost it (its actor or node died): the most precise reason
        if fault is not None and not worker.stop_requested:
            state, error = JobState.FAILED, fault
        elif worker.reason is not None:
            state, error = JobState.FAILED, worker.reason
        elif worker.stop_requested and worker.term_sent_at is not None and (rc in STOPPED_EXITS or fault):
            state, error = JobState.CANCELED, None
        elif fault is not None:
            state, error = JobState.FAILED, fault
        elif result is not None:
            state, error = outcome(result)
        elif rc == 0 and worker.outputs and not worker.ever_connected:
            states = ", ".join(f"{k.rsplit('/', 1)[0]} {v}" for k, v in dict(worker.outputs).items())
            state, error = JobState.FAILED, ("MSS.00000004", f"Internal Error: no output ever connected ({states})")
        elif rc == 0:
            state, error = JobState.SUCCEED, None
        else:
            state, error = JobState.FAILED, error_from_stderr(text, rc)
        if error:
            error = (error[0], mask_keys(error[1], worker.spec or {}))
        self.store.end_job(worker.job_id, state, *(error or (None, None)))
        log.info("job %s: %s (exit %s)%s", worker.job_id, state, rc, f": {error[1]}" if error else "")
        worker.proc.release()
        shutil.rmtree(worker.folder, ignore_errors=True)
        self._drop_temp_room(worker.project_id, worker.room_id, worker.room_type)

    def _finish_unspawned(self, job: dict, state: JobState, error: tuple[str, str] | None = None) -> None:
        self.store.end_job(job["job_id"], state, *(error or (None, None)))
        self._drop_temp_room(job["project_id"], job["room_id"], job["room_type"])

    def _drop_temp_room(self, project_id: str, room_id: str, room_type: str) -> None:
        if room_type != "TEMP":
            return
        try:
            self.store.delete_room(project_id, room_id)
        except NotFoundError:
            pass

    def _stop_all(self) -> None:
        """Server shutdown: workers that outlive the server (a cluster's) are left running for the
        next server to attach again; every other worker gets SIGTERM (then SIGKILL) and its job
        ends FAILED."""
        with self._lock:
            for job_id in self._queue:
                job = self.store.job(job_id)
                if job is not None:
                    self._finish_unspawned(
                        job,
                        JobState.FAILED,
                        ("MSS.00000004", ("Internal Error: the server shut down before the job started")),
                    )
            self._queue = []
            workers = [w for w in self._workers.values() if not w.proc.detach()]
            for w in workers:
                self._terminate(w)
            deadline = time.monotonic() + self.settings.stop_timeout
            for w in workers:
                if w.proc.wait(max(0.1, deadline - time.monotonic())) is None:
                    w.proc.kill()
                    w.proc.wait(self.settings.stop_timeout)
                if not w.stop_requested:
                    w.reason = (
                        "MSS.00000004",
                        "Internal Error: the server shut down while the job was running",
                    )
                self._finish(w, w.proc.poll())
            self._workers.clear()
            self.backend.close()
