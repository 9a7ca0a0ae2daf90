"""The job's RTC channel, local stand-in (table 28, rtc_callback_config): a WebSocket per job under
its URL, `.../smart-live-jobs/{job_id}/rtc-events`, with the API's authentication, delivering

    {"message_type": "live_progress_notify", "data": {"script_name", "shoot_script_sequence_no",
                                                      "shoot_script_title", "offset", "reply_id"?}}
    {"message_type": "reply_command_finish_notify", "data": {"reply_id"}}

for the event types the job subscribes (rtc_callback_config of the room or the start body; absent:
LIVE_PROGRESS only, as the spec says). Progress is sent when a paragraph starts (offset "0") and
when a reply starts over it (offset: milliseconds into the paragraph, reply_id set). The data
comes from the job's event lines (the console's event hub, fed from the worker's events file),
so the channel works whatever runs the job.

Authentication: X-Auth-Token or an AK/SK signature of the GET handshake (no body), as any call;
a browser, which cannot set headers on a WebSocket, sends `{"x-auth-token": "..."}` as its first
message instead. A refused handshake closes with 1008 (HTTP 403 before accept).
"""
from __future__ import annotations

import asyncio
import json
from contextlib import aclosing
from datetime import datetime, timezone

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from render.api.auth import check_headers, check_request, header_map
from render.errors import RenderError

ENDED = ("SUCCEED", "FAILED", "CANCELED", "BLOCKED")
FIRST_MESSAGE_TIMEOUT = 10.0  # s for a browser's token message
DEFAULT_TYPES = ("LIVE_PROGRESS",)  # table 3: "If the configuration is not carried, LIVE_PROGRESS is subscribed"


def subscribed(spec: dict) -> set[str]:
    """The RTC event types a job's room (with its start body applied) subscribes."""
    cfg = spec.get("rtc_callback_config")
    types = cfg.get("rtc_callback_event_type") if isinstance(cfg, dict) else None
    return set(DEFAULT_TYPES if types is None else types)


class Progress:
    """Event lines -> the RTC messages of table 28 (pure; remembers the paragraph on air)."""

    def __init__(self, types: set[str]):
        self.types = types
        self.paragraph: dict | None = None
        self.started: float | None = None  # stream seconds the paragraph started

    def messages(self, line: dict) -> list[dict]:
        kind = line.get("event_type")
        try:
            msg = json.loads(line.get("message") or "{}")
        except (TypeError, ValueError):
            return []
        if kind == "SHOOT_SCRIPT_SWITCH":
            no = msg.get("shoot_script_sequence_no")
            self.paragraph = {"script_name": msg.get("scene_script_name", ""),
                              "shoot_script_sequence_no": int(no) if str(no).lstrip("-").isdigit() else no,
                              "shoot_script_title": msg.get("shoot_script_title", "")}
            self.started = line.get("time")
            return self._progress("0")
        if kind == "REPLY_START" and msg.get("reply_id"):
            offset = 0
            if self.started is not None and isinstance(line.get("time"), (int, float)):
                offset = max(0, round((line["time"] - self.started) * 1000))
            return self._progress(str(offset), msg["reply_id"])
        if kind == "REPLY_COMMAND_FINISH" and "REPLY_COMMAND_FINISH" in self.types and msg.get("reply_id"):
            return [{"message_type": "reply_command_finish_notify", "data": {"reply_id": msg["reply_id"]}}]
        return []

    def _progress(self, offset: str, reply_id: str | None = None) -> list[dict]:
        if "LIVE_PROGRESS" not in self.types:
            return []
        data = {**(self.paragraph or {"script_name": "", "shoot_script_sequence_no": None,
                                      "shoot_script_title": ""}), "offset": offset}
        if reply_id:
            data["reply_id"] = reply_id
        return [{"message_type": "live_progress_notify", "data": data}]


def _ended(line: dict) -> bool:
    if line.get("event_type") != "JOB_STATE":
        return False
    try:
        return json.loads(line["message"]).get("state") in ENDED
    except (TypeError, ValueError, AttributeError):
        return False


def install_rtc(app: FastAPI, settings, store, hub, *, loopback_host) -> None:
    path = "/v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/rtc-events"

    async def authorized(ws: WebSocket, project_id: str) -> bool:
        """Before accept: headers (token or AK/SK); else after accept, a first message with the token."""
        headers = header_map(ws.scope["headers"])
        if settings.no_auth:
            return loopback_host(headers.get("host", ""))
        now = datetime.now(timezone.utc)
        if "x-auth-token" in headers or "authorization" in headers:
            try:
                check_request(settings.credentials, method="GET",
                              raw_path=(ws.scope.get("raw_path") or ws.url.path.encode()).decode("latin-1"),
                              raw_query=ws.scope.get("query_string", b"").decode("latin-1"),
                              headers=headers, body=b"", project_id=project_id, now=now)
                return True
            except RenderError:
                return False
        await ws.accept()
        try:
            first = json.loads(await asyncio.wait_for(ws.receive_text(), FIRST_MESSAGE_TIMEOUT))
            token = first.get("x-auth-token") if isinstance(first, dict) else None
            if not isinstance(token, str):
                return False
            check_headers(settings.credentials, headers={"x-auth-token": token}, project_id=project_id, now=now)
            return True
        except (asyncio.TimeoutError, ValueError, RenderError, WebSocketDisconnect):
            return False

    @app.websocket(path)
    async def rtc_events(ws: WebSocket, project_id: str, room_id: str, job_id: str):
        if not await authorized(ws, project_id):
            try:
                await ws.close(code=1008, reason="MSS.00000001 Unauthorized")
            except (WebSocketDisconnect, RuntimeError):  # the client has gone already
                pass
            return
        try:
            job = store.get_job(project_id, room_id, job_id)
        except RenderError as e:
            await ws.close(code=1008, reason=f"{e.code} {e.message}"[:120])
            return
        if ws.client_state.name != "CONNECTED":
            await ws.accept()
        try:
            spec = json.loads(job.get("spec") or "{}")
        except ValueError:
            spec = {}
        progress = Progress(subscribed(spec))
        # what was already said: only where the show is now (the paragraph on air), then each new line
        history = hub.history(job_id)
        after = history[-1][0] if history else 0
        last = []
        for _, line in history:
            found = [m for m in progress.messages(line) if m["message_type"] == "live_progress_notify"]
            last = found or last
        try:
            for m in last[-1:]:
                await ws.send_json(m)
            if job["state"] in ENDED:
                await ws.close(code=1000)
                return
            async with aclosing(hub.follow(job_id, after, heartbeat=5.0)) as lines:
                async for seq, line in lines:
                    if seq is None:
                        continue
                    for m in progress.messages(line):
                        await ws.send_json(m)
                    if _ended(line):
                        await ws.close(code=1000)
                        return
        except (WebSocketDisconnect, RuntimeError):  # the client went away
            return
