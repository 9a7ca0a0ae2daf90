"""The Ray runner (`smartlive serve --runner ray [--ray-address ADDR]`, extra smartlive[cluster]):
each live job is one detached, named actor (render.runners.ray_actor.JobActor, `smartlive-job-
<job_id>` in namespace `smartlive`) reserving settings.ray_num_cpus on a node with room, never
restarted (max_restarts=0: a failed room must not come back as a second stream). While no node
has room the actor waits and the job stays WAITING; it is PROCESSING once the actor runs.

The job channel is actor method calls: RayLink sends each op as `actor.request` (a Future, no
thread held). One thread per job calls `actor.sync` every SYNC_INTERVAL s and copies what the
worker wrote on its node into the job's folder here (events.jsonl; liveview.jpg; at the end
result.json and stderr.log) and hands the channel's event lines to the scheduler, so the
scheduler and the console read them as they read a local worker's.

Faults: an actor that dies (or whose node dies) ends the job FAILED with the cause and the node;
a kill the actor does not answer within KILL_GRACE s (its node is gone) ends it at once. A server
that shuts down leaves the actors running (`detach`), and the next server attaches them again by
name (`reattach`). Ray is imported here only.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
from concurrent.futures import Future, InvalidStateError
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import ActorUnavailableError, GetTimeoutError, RayActorError

from render.control.channel import ChannelError, error_from_reply
from render.control.worker import RESULT
from render.errors import SpecError
from render.runners.local import private_dir
from render.runners.ray_actor import PYTHON, JobActor

log = logging.getLogger("smartlive.runners.ray")
NAMESPACE = "smartlive"
SYNC_INTERVAL = 0.2  # s between syncs of a job's folder
SYNC_TIMEOUT = 5.0  # s a sync may take
KILL_GRACE = 5.0  # s after a kill the actor has to confirm before it is taken as lost
SYNC_FAILING = 30.0  # s of failing syncs (an actor of another smartlive version...) that end the job


def actor_name(job_id: str) -> str:
    return f"smartlive-job-{job_id}"


def connect(address: str | None) -> None:
    """Join the cluster at `address` (None: RAY_ADDRESS, else the one `ray start` made on this
    machine, else a new local one with no dashboard). Usage stats are off unless set."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if ray.is_initialized():
        return
    kw: dict[str, Any] = {"namespace": NAMESPACE, "log_to_driver": False, "logging_level": logging.WARNING}
    try:
        ray.init(address=address or "auto", **kw)
    except ConnectionError:
        if address:
            raise
        ray.init(include_dashboard=False, **kw)


def _settle(fut: Future, result=None, error: BaseException | None = None) -> None:
    with contextlib.suppress(InvalidStateError):
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(result)


class RayLink:
    """The job channel over actor calls (render.control.channel.Link)."""

    def __init__(self, actor):
        self.actor = actor
        self.ever_connected = False
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    def send(self, msg: dict) -> Future:
        out: Future = Future()
        if not self._connected:
            out.set_exception(ChannelError("the job's worker is not connected to the server"))
            return out
        timeout = float(msg.get("timeout") or 10.0) + 10.0  # the caller gives up first
        group = "watch" if msg.get("op") == "ping" else "channel"  # a ping never waits behind commands
        ref_future = self.actor.request.options(concurrency_group=group).remote(msg, timeout).future()

        def done(f: Future) -> None:
            try:
                reply = f.result()
            except Exception as e:  # noqa: BLE001 -- the actor is gone or unreachable
                _settle(out, error=ChannelError(f"the job's Ray actor did not answer ({type(e).__name__})"))
                return
            if reply.get("ok"):
                _settle(out, reply.get("result"))
            elif reply.get("channel"):  # the same ChannelError the local channel raises
                _settle(out, error=ChannelError("; ".join(error_from_reply(reply).details)))
            else:
                _settle(out, error=error_from_reply(reply))

        ref_future.add_done_callback(done)
        return out

    def request(self, msg: dict, timeout: float) -> object:
        try:
            return self.send(msg).result(timeout)
        except FutureTimeout:
            raise ChannelError(f"the job's worker did not answer {msg.get('op')!r} within {timeout:g} s") from None

    def forget(self, fut: Future) -> None:
        pass  # the actor's reply is dropped when it comes

    def close(self) -> None:
        self._connected = False


class RayHandle:
    """A job's actor, seen from the server (render.runners.base.JobHandle)."""

    def __init__(self, actor, job_id: str, folder: Path, on_event):
        self.actor, self.job_id, self.folder, self.on_event = actor, job_id, folder, on_event
        self.link = RayLink(actor)
        self.pid: int | None = None
        self.node: dict | None = None
        self.where = "waiting for a Ray node"
        self._rc: int | None = None
        self._fault: tuple[str, str] | None = None
        self._killed_at: float | None = None
        self._stop = threading.Event()
        self._view_stamp: int | None = None
        events = folder / "events.jsonl"  # attached again: the file goes on from what is here
        self._offset = events.stat().st_size if events.exists() else 0
        self._thread = threading.Thread(target=self._run, name=f"ray-sync {job_id}", daemon=True)
        self._thread.start()

    # JobHandle ----------------------------------------------------------------------------
    def placed(self) -> bool:
        return self.node is not None

    def poll(self) -> int | None:
        return self._rc

    def terminate(self) -> None:
        if self.node is None:  # still waiting for room: nothing runs yet
            self.kill()
            return
        self.actor.terminate.remote()

    def kill(self) -> None:
        if self._killed_at is None:
            self._killed_at = time.monotonic()
        if self.node is None:
            self._end(-9, None)
            return
        self.actor.kill_push.remote()

    def wait(self, timeout: float) -> int | None:
        self._thread.join(timeout)
        return self._rc

    def fault(self) -> tuple[str, str] | None:
        return self._fault

    def release(self) -> None:
        self._stop.set()
        self.link.close()
        threading.Thread(target=self._remove_actor, name=f"ray-release {self.job_id}", daemon=True).start()

    def detach(self) -> bool:
        self._stop.set()
        self._thread.join(SYNC_TIMEOUT + 1)
        return self._rc is None

    # the sync thread ------------------------------------------------------------------------
    def _run(self) -> None:
        info_ref = self.actor.info.remote()
        failing_since: float | None = None
        while not self._stop.is_set() and self._rc is None:
            try:
                if self.node is None:
                    ready, _ = ray.wait([info_ref], timeout=0.5)
                    if ready:
                        self._placed(ray.get(info_ref))
                    continue
                ref = self.actor.sync.options(concurrency_group="watch").remote(self._offset, self._view_stamp)
                self._apply(ray.get(ref, timeout=SYNC_TIMEOUT))
                failing_since = None
            except (GetTimeoutError, ActorUnavailableError):  # unreachable for now: pings and kills judge
                pass
            except RayActorError as e:
                self._end(-9, self._death(e))
                return
            except Exception as e:  # noqa: BLE001 -- a bug or a node of another version: logged once
                if failing_since is None:
                    failing_since = time.monotonic()
                    log.exception("job %s: sync with its Ray actor failed", self.job_id)
                elif time.monotonic() - failing_since > SYNC_FAILING:
                    self._fault = ("MSS.00000004", f"Internal Error: the job's Ray actor ({self.where}) "
                                   f"could not be followed for {SYNC_FAILING:g} s ({type(e).__name__}; is every "
                                   "node on the same smartlive version?)")
                    self.kill()
                    failing_since = None
            if self._killed_at is not None and time.monotonic() - self._killed_at > KILL_GRACE:
                self._end(-9, self._lost())
                return
            self._stop.wait(SYNC_INTERVAL)

    def _placed(self, info: dict) -> None:
        self.pid = info.get("pid")
        self.where = f"on Ray node {info['node_ip']} (node id {info['node_id'][:16]})"
        self.node = info

    def _apply(self, state: dict) -> None:
        data = state.get("file") or b""
        if data:  # the worker's events file, for the console
            with open(self.folder / "events.jsonl", "ab") as f:
                f.write(data)
            self._offset += len(data)
        for line in state.get("events") or ():  # its channel's event lines, for the scheduler
            if isinstance(line, dict):
                self.on_event(line)
        view = state.get("view")
        if view is not None:
            stamp, jpeg, meta = view
            _replace(self.folder / "liveview.jpg", jpeg)
            _replace(self.folder / "liveview.jpg.json", meta)
            self._view_stamp = stamp
        self.link.ever_connected = self.link.ever_connected or bool(state.get("ever_connected"))
        self.link._connected = bool(state.get("connected"))
        if "rc" in state:
            if state.get("result"):  # the worker's outcome as it wrote it
                _replace(self.folder / RESULT, json.dumps(state["result"], ensure_ascii=False).encode())
            _replace(self.folder / "stderr.log", state.get("stderr") or b"")
            self._end(int(state["rc"]), None)

    def _end(self, rc: int, fault: tuple[str, str] | None) -> None:
        self.link.close()
        self._fault = self._fault or fault  # the first reason found stands
        self._rc = rc

    def _node_gone(self) -> bool:
        node_id = (self.node or {}).get("node_id")
        with contextlib.suppress(Exception):
            return not any(n.get("NodeID") == node_id and n.get("Alive") for n in ray.nodes())
        return False

    def _death(self, err: Exception) -> tuple[str, str]:
        text = str(err)
        cause = next((ln.strip() for ln in text.splitlines() if "because" in ln or "died" in ln.lower()), "")
        if self._node_gone():
            what = "its Ray node died or was removed"
        else:
            what = "its Ray actor died"
        detail = f": {cause[:300]}" if cause else ""
        return ("MSS.00000004", f"Internal Error: the live job ended because {what} ({self.where}){detail}")

    def _lost(self) -> tuple[str, str]:
        what = "its Ray node died or was removed" if self._node_gone() else "its Ray actor stopped answering"
        return ("MSS.00000004", f"Internal Error: the live job ended because {what} ({self.where})")

    def _remove_actor(self) -> None:
        try:
            if self.node is not None and self._fault is None:
                ray.get(self.actor.close.remote(), timeout=SYNC_TIMEOUT)
        except Exception:  # noqa: BLE001 -- gone already: nothing left to tidy
            pass
        with contextlib.suppress(Exception):
            ray.kill(self.actor, no_restart=True)


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class RayRunner:
    name = "ray"

    def __init__(self, settings):
        self.settings = settings
        try:
            connect(settings.ray_address)
        except (ConnectionError, ValueError, RuntimeError) as e:
            raise SpecError(f"--ray-address: cannot join the Ray cluster at {settings.ray_address or 'auto'} "
                            f"({e})") from None
        # channel: commands, reports, inserts; watch: pings and syncs, never queued behind them
        self._remote = ray.remote(concurrency_groups={"channel": 16, "watch": 2}, max_concurrency=2,
                                  allow_out_of_order_execution=True)(JobActor)  # type: ignore[call-overload]

    def _command(self) -> list[str]:
        base = list(self.settings.worker_command)
        return [PYTHON if base and base[0] == sys.executable else base[0], *base[1:]]

    def launch(self, job: dict, spec: dict, folder: Path, on_event) -> RayHandle:
        private_dir(folder)
        try:
            actor = self._remote.options(
                name=actor_name(job["job_id"]), namespace=NAMESPACE, lifetime="detached",
                num_cpus=self.settings.ray_num_cpus, max_restarts=0, max_task_retries=0,
            ).remote(job, spec, self._command(), self.settings.push_retries,
                     self.settings.media_policy().to_json())
        except ValueError as e:  # a name taken (a job id used twice) or bad options
            raise OSError(f"Ray refused the job's actor: {e}") from None
        return RayHandle(actor, job["job_id"], folder, on_event)

    def reattach(self, job: dict, spec: dict, folder: Path, on_event) -> RayHandle | None:
        try:
            actor = ray.get_actor(actor_name(job["job_id"]), namespace=NAMESPACE)
        except ValueError:  # no such actor (any more)
            return None
        private_dir(folder)
        return RayHandle(actor, job["job_id"], folder, on_event)

    def close(self) -> None:
        pass  # the actors stay; the connection ends with the process
