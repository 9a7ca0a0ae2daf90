"""The worker's side of a job's control: the channel's ops mapped onto the programme, and the
structured outcome the server reads when the worker ends.

    ch = serve_channel(control_dir / SOCKET)     # early: pings answer while the live prepares
    sink.subscribe(ch.emit)                      # event lines go to the server too
    ch.attach(prog)                              # once frames flow: commands, events, inserts served
    ...
    write_result(control_dir / RESULT, state=JobState.SUCCEED, frames=n, outputs=outputs)
    ch.close()

Ops (render.control.channel carries them):
    {"op": "ping"}                                  -> {"attached": bool, "frame": int | None}
    {"op": "command", "body": {command, params}, "command_id"?, "timeout"?}
                                                    -> {"command_id", "command", "result"}
    {"op": "events", "body": {total, events}}       -> {"accepted": n}
    {"op": "inserts", "offset": 0, "limit": null}   -> {"count", "insert_commands"}
"""
from __future__ import annotations

import concurrent.futures
import json
import os
from pathlib import Path

from render.control.channel import Listener
from render.errors import InternalError, RenderError, SpecError, StateError
from render.spec.commands import parse_command
from render.spec.enums import JobState
from render.spec.live_events import parse_report

SOCKET = "control.sock"
RESULT = "result.json"
COMMAND_TIMEOUT = 10.0  # s the frame loop may take to take a command


class ProgrammeHandler:
    """Maps channel ops onto a Programme (submit, report, inserts); None until `attach`."""

    def __init__(self, programme=None):
        self.programme = programme

    def __call__(self, msg: dict):
        op = msg.get("op")
        if op == "ping":
            return {"attached": self.programme is not None, "frame": getattr(self.programme, "i", None)}
        prog = self.programme
        if prog is None:
            raise StateError("job_id: the live is still preparing; commands and events are taken once it plays")
        if op == "command":
            return self._command(prog, msg)
        if op == "events":
            return {"accepted": prog.report(parse_report(msg.get("body")))}
        if op == "inserts":
            offset, limit = msg.get("offset") or 0, msg.get("limit")
            count, items = prog.inserts(offset=offset, limit=limit)
            return {"count": count, "insert_commands": items}
        raise SpecError(f"op: {op!r} is not a channel operation (command, events, inserts, ping)")

    @staticmethod
    def _command(prog, msg: dict) -> dict:
        cmd = parse_command(msg.get("body"), command_id=msg.get("command_id"))
        timeout = float(msg.get("timeout") or COMMAND_TIMEOUT)
        try:
            result = prog.submit(cmd).result(timeout)
        except concurrent.futures.TimeoutError:
            raise InternalError(f"{cmd.name}: the live did not take the command within {timeout:g} s") from None
        return {"command_id": cmd.command_id, "command": cmd.name, "result": result}


class Channel:
    """A served channel: `emit(line)` for event lines, `attach(programme)`, `close()`."""

    def __init__(self, socket_path: str | Path, programme=None):
        self.handler = ProgrammeHandler(programme)
        self.listener = Listener(socket_path, self.handler)

    def attach(self, programme) -> None:
        self.handler.programme = programme

    def emit(self, line: dict) -> None:
        self.listener.emit(line)

    def close(self) -> None:
        self.listener.close()


def serve_channel(socket_path: str | Path, programme=None) -> Channel:
    return Channel(socket_path, programme)


def output_result(out) -> dict:
    """An output's outcome (no stream key: it is a secret): url, state, connections, failure."""
    if isinstance(out, dict):
        return out
    failure = getattr(out, "failure", None)
    return {
        "url": getattr(out, "url", getattr(out, "name", "")),
        "state": getattr(out, "state", ""),
        "connections": getattr(out, "connections", 0),
        "failure": failure.message if isinstance(failure, RenderError) else (str(failure) if failure else None),
    }


def write_result(path: str | Path, *, state: JobState, error: RenderError | tuple[str, str] | None = None,
                 frames: int = 0, outputs=(), late_frames: int = 0) -> None:
    """The worker's outcome as JSON, written atomically: {state, error_code, error_msg, frames,
    late_frames, outputs: [{url, state, connections, failure}]}. state: SUCCEED | FAILED | CANCELED."""
    if isinstance(error, RenderError):
        error = (error.code, error.message)
    data = {
        "state": state,
        "error_code": error[0] if error else None,
        "error_msg": error[1] if error else None,
        "frames": frames,
        "late_frames": late_frames,
        "outputs": [output_result(o) for o in outputs],
    }
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def read_result(path: str | Path) -> dict | None:
    """The outcome a worker wrote, or None (none written, or unreadable)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("state") else None
