"""The node side of the Ray runner: one JobActor per live job runs the same push worker the
local runner runs, as its subprocess on the actor's node, and carries its job channel.

    actor = ray.remote(JobActor).options(...).remote(job, spec, command, retries, policy_json)
    actor.info()                        # {node_id, node_ip, pid}: answered once it is placed
    actor.request(msg, timeout)         # a channel op -> {"ok": True, "result"} or the error reply
    actor.sync(offset, view_stamp)      # new event lines (channel and file), the live view, the outcome
    actor.terminate() / actor.kill_push() / actor.close()

The worker's folder is private to the node (SMARTLIVE_NODE_DIR, else the temp folder): its room
file (stream keys) is removed once the worker has opened its channel (it has read the room). The
worker's environment is the node's without the server's keys (SMARTLIVE_SK ...), with the API's
media policy, so media URLs are fetched on the node under the same policy. The worker dies with
the actor (Linux PR_SET_PDEATHSIG on the thread that waits for it): a dead actor leaves no stream.
As on the server's own machine, the worker's event lines reach the job two ways: over its
channel (they wait in the actor, the last EVENT_BACKLOG, until a server takes them; the
scheduler follows output states with them) and in its --events-out file (copied from the byte
`offset` the server has, for the console, whose order and completeness do not depend on a
connection).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
from collections import deque
from pathlib import Path

from render.control.channel import ChannelError, JobLink
from render.control.worker import RESULT, SOCKET, read_result
from render.errors import RenderError
from render.runners.local import spawn_worker, strip_secrets, worker_args, write_room

PYTHON = "{python}"  # in the command: the node's own Python
EVENT_BATCH = 2000  # channel event lines per sync at most
FILE_CHUNK = 1 << 20  # bytes of the events file per sync at most
EVENT_BACKLOG = 20000  # event lines kept for a server (the oldest dropped past this)
STDERR_TAIL = 20000


def node_jobs_dir() -> Path:
    base = os.environ.get("SMARTLIVE_NODE_DIR") or os.path.join(tempfile.gettempdir(), f"smartlive-jobs-{os.getuid()}")
    return Path(base)


def _read_from(path: Path, offset: int, limit: int) -> tuple[bytes, int]:
    """Whole lines of `path` from byte `offset` (about `limit` bytes at most), and the file's size."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(offset)
            data = f.read(limit)
    except OSError:
        return b"", 0
    return data[:data.rfind(b"\n") + 1], size


class JobActor:
    def __init__(self, job: dict, spec: dict, command: list[str], retries: int | None, policy_json: str):
        import ray

        ctx = ray.get_runtime_context()
        self.node = {"node_id": ctx.get_node_id(), "node_ip": ray.util.get_node_ip_address()}
        self.folder = node_jobs_dir() / job["job_id"]
        self.proc = None
        self.rc: int | None = None
        self.events: deque = deque(maxlen=EVENT_BACKLOG)
        self.link = JobLink(self.folder / SOCKET, on_event=self.events.append)
        started = threading.Event()
        base = [sys.executable if part == PYTHON else part for part in command]
        cmd = worker_args(base, self.folder, job, retries)

        def keep() -> None:  # the worker dies when this thread does (the actor's end)
            try:
                write_room(self.folder, spec)
                self.proc = spawn_worker(cmd, self.folder, strip_secrets(os.environ, policy_json))
            except OSError as e:
                with contextlib.suppress(OSError):
                    (self.folder / "stderr.log").write_text(
                        f"MSS.00000004 Internal Error: cannot start the live push worker on node "
                        f"{self.node['node_ip']} ({e})\n")
                self.rc = 127
                return
            finally:
                started.set()
            self.rc = self.proc.wait()

        threading.Thread(target=keep, name="smartlive-worker", daemon=True).start()
        started.wait()

    def info(self) -> dict:
        return {**self.node, "pid": self.proc.pid if self.proc else None}

    def request(self, msg: dict, timeout: float) -> dict:
        try:
            return {"ok": True, "result": self.link.request(msg, timeout)}
        except ChannelError as e:
            return {"ok": False, "channel": True, **e.body()}
        except RenderError as e:
            return {"ok": False, **e.body()}

    def sync(self, offset: int, view_stamp: int | None) -> dict:
        # the end is reported once the channel is closed too: every event line has been read
        connected, rc = self.link.connected, self.rc
        out: dict = {"connected": connected, "ever_connected": self.link.ever_connected}
        if self.link.ever_connected:  # the worker has read its room: the stream keys leave the disk
            with contextlib.suppress(OSError):
                (self.folder / "room.json").unlink()
        lines = []
        while self.events and len(lines) < EVENT_BATCH:
            lines.append(self.events.popleft())
        out["events"] = lines
        data, size = _read_from(self.folder / "events.jsonl", offset, FILE_CHUNK)
        out["file"] = data
        view = self.folder / "liveview.jpg.json"
        with contextlib.suppress(OSError):
            stamp = view.stat().st_mtime_ns
            if stamp != view_stamp:
                out["view"] = (stamp, (self.folder / "liveview.jpg").read_bytes(), view.read_bytes())
        if rc is not None and not connected and not self.events and offset + len(data) >= size:  # all out
            out["rc"] = rc
            out["result"] = read_result(self.folder / RESULT)
            try:
                out["stderr"] = (self.folder / "stderr.log").read_bytes()[-STDERR_TAIL:]
            except OSError:
                out["stderr"] = b""
        return out

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def kill_push(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()

    def close(self) -> None:
        """The job has ended and the server has its outcome: nothing of it stays on the node."""
        self.kill_push()
        self.link.close()
        shutil.rmtree(self.folder, ignore_errors=True)
