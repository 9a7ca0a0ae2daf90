"""The local runner (the default): each live job is a `python -m render push ROOM.json ...`
subprocess of the API server, in the job's folder on this machine.

    spawn_worker(cmd, folder, env, parent_pid)   # also used by the Ray actor on its node
    LocalRunner(settings).launch(job, spec, folder, on_event) -> LocalHandle

Workers get SIGTERM when the thread that started them dies (Linux PR_SET_PDEATHSIG), so a killed
server (or actor) leaves no pushing orphans. A local worker cannot outlive its server: `detach`
is False and a restarted server finds nothing to re-attach.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from render.assets import POLICY_ENV
from render.control.channel import JobLink
from render.control.worker import SOCKET

SECRET_ENV = ("SMARTLIVE_SK", "SMARTLIVE_AK", "SMARTLIVE_TOKEN")  # the server's keys: never a worker's

# exec the worker with PR_SET_PDEATHSIG=SIGTERM (dies with the thread that started it);
# argv[1] = the parent's pid (when it is already gone, do not start at all)
_LAUNCHER = (
    "import ctypes, os, signal, sys\n"
    "try:\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"
    "except Exception:\n"
    "    pass\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(75)\n"
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)


def strip_secrets(env, policy_json: str) -> dict[str, str]:
    """A worker's environment: `env` without the server's keys, with the API's media policy."""
    out = {k: v for k, v in env.items() if k not in SECRET_ENV}
    out[POLICY_ENV] = policy_json
    return out


def private_dir(path: Path) -> Path:
    """A folder only its owner can read (job folders hold stream keys)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def write_room(folder: Path, spec: dict) -> Path:
    """The room the worker pushes, as <folder>/room.json (it holds the stream keys: owner only)."""
    private_dir(folder.parent)
    private_dir(folder)
    room_file = folder / "room.json"
    fd = os.open(room_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(spec, ensure_ascii=False, indent=1))
    return room_file


def worker_args(base: list[str], folder: Path, job: dict, push_retries: int | None) -> list[str]:
    """The push worker's command line: `base` (settings.worker_command) + the job's folder files.
    No --duration: the worker follows play_policy.live_exit_config itself (max_live_duration with
    its auto_stop_mode, and RESET_EXIT_CONFIG while live)."""
    cmd = list(base) + [str(folder / "room.json"), "--events-out", str(folder / "events.jsonl"),
                        "--live-view", str(folder / "liveview.jpg")]
    cmd += ["--room-id", job["room_id"], "--job-id", job["job_id"], "--control", str(folder), "-q"]
    if push_retries is not None:
        cmd += ["--retries", str(push_retries)]
    return cmd


def spawn_worker(cmd: list[str], folder: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start the worker in its own session, stderr to <folder>/stderr.log (owner only); on Linux it
    dies with the calling thread. OSError when it cannot start."""
    if sys.platform.startswith("linux"):
        cmd = [sys.executable, "-c", _LAUNCHER, str(os.getpid())] + cmd
    fd = os.open(folder / "stderr.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "wb") as stderr:  # the child keeps its own copy
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                start_new_session=True, env=env)


class LocalHandle:
    """A worker subprocess of this server and its Unix-socket channel."""

    where = ""

    def __init__(self, proc: subprocess.Popen, link: JobLink):
        self.proc, self.link, self.pid = proc, link, proc.pid

    def placed(self) -> bool:
        return True

    def poll(self) -> int | None:
        return self.proc.poll()

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.proc.kill()

    def wait(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def fault(self) -> tuple[str, str] | None:
        return None

    def release(self) -> None:
        self.link.close()

    def detach(self) -> bool:
        return False


class LocalRunner:
    name = "local"

    def __init__(self, settings):
        self.settings = settings

    def launch(self, job: dict, spec: dict, folder: Path, on_event) -> LocalHandle:
        write_room(folder, spec)
        cmd = worker_args(self.settings.worker_command, folder, job, self.settings.push_retries)
        env = strip_secrets(os.environ, self.settings.media_policy().to_json())
        proc = spawn_worker(cmd, folder, env)
        return LocalHandle(proc, JobLink(folder / SOCKET, on_event=on_event))

    def reattach(self, job: dict, spec: dict, folder: Path, on_event) -> None:
        return None  # a local worker dies with its server

    def close(self) -> None:
        pass
