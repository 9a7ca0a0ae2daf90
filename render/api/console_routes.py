"""The browser console (/console) and the few endpoints only it uses, under /v1/{project_id}/console.

    console = install_console(app, settings, store, authorize, parse_body=..., raw_body=...)   # from create_app
    console.start() / console.stop()                             # in the app's lifespan
    console.hub.publish(job_id, line)                            # any thread: a job's event line

| GET  /console                                   | the page (static files under /console/static) |
| GET  .../console/example-rooms                  | {example_rooms: [{name, file, room}]} from render/data/rooms |
| POST .../console/still                          | {room | room_id, scene (index), at (s)} -> image/png |
| GET  .../console/jobs/{job_id}/events?after=N   | text/event-stream of the job's event lines |
| GET  .../console/jobs/{job_id}/live-view        | the latest live-view JPEG of a running job |
| GET  .../console/jobs/{job_id}/live-view-info   | {frame, time, ...} of that picture ({frame: null}: none) |

The still is rendered by render.still (the `frame` command's picture) in the thread pool, one
at a time. An event stream ends once its job has ended and every line was sent, and after
`stream_seconds` (+ at most one `heartbeat`) in any case: the client reconnects with
?after=<last id>, and no request outlives a server's shutdown for long.
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
import time
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from render.api.settings import Settings
from render.api.store import Store
from render.console import STATIC_DIR
from render.console.events import EventHub
from render.console.jobfeed import JobFeed
from render.errors import NotFoundError, SpecError
from render.spec.enums import JOB_ENDED

ROOMS_DIR = Path(__file__).resolve().parents[1] / "data" / "rooms"  # shipped in the wheel; assets/rooms links here
ENDED = JOB_ENDED


@dataclass
class Console:
    hub: EventHub
    feed: JobFeed

    def start(self) -> None:
        self.feed.start()

    def stop(self) -> None:
        self.feed.stop()


def still_request(data: dict) -> tuple[dict | None, str | None, int, float]:
    """(room, room_id, scene, at) of a still body; SpecError naming the field otherwise."""
    room, room_id = data.get("room"), data.get("room_id")
    if (room is None) == (room_id is None):
        raise SpecError("room: give either room (a room body) or room_id")
    if room is not None and not isinstance(room, dict):
        raise SpecError("room: must be a JSON object (a room body)")
    if room_id is not None and not isinstance(room_id, str):
        raise SpecError("room_id: must be a string")
    scene, at = data.get("scene", 0), data.get("at", 0.0)
    if not isinstance(scene, int) or isinstance(scene, bool) or scene < 0:
        raise SpecError(f"scene: must be a scene index (0 or more), not {scene!r}")
    if not isinstance(at, (int, float)) or isinstance(at, bool) or not math.isfinite(at) or at < 0:
        raise SpecError(f"at: must be a time in seconds (0 or more), not {at!r}")
    return room, room_id, scene, float(at)


def render_still_png(room: dict, scene: int, at: float, settings: Settings) -> bytes:
    from render.api.media import api_library, check_room_media
    from render.spec import LoadedRoom, validate_room
    from render.still import render_still

    valid, warnings = validate_room(room)
    scenes = valid.scene_scripts or []
    if not 0 <= scene < len(scenes):
        raise SpecError(f"scene: {scene} is not a scene of this room (it has {len(scenes)})")
    check_room_media(valid, settings)
    library = api_library(settings)
    with tempfile.TemporaryDirectory(prefix="smartlive-still-") as tmp:
        out = render_still(LoadedRoom(valid, warnings), library, scene, at, Path(tmp) / "still.png")
        return out.read_bytes()


def example_rooms() -> list[dict]:
    out = []
    for path in sorted(ROOMS_DIR.glob("*.json")):
        try:
            room = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append({"name": room.get("room_name", path.stem), "file": path.name, "room": room})
    return out


def install_console(app: FastAPI, settings: Settings, store: Store, authorize, *, parse_body, raw_body,
                    stream_seconds: float = 25.0, heartbeat: float = 5.0) -> Console:
    """The console's routes; `parse_body` / `raw_body` are the app's (passed in, as to the other
    route modules, so this module does not import the app)."""
    console = Console(hub := EventHub(), JobFeed(hub, store, settings.jobs_dir))
    still_lock = threading.Lock()

    @app.get("/console", include_in_schema=False)
    def page():
        if not settings.no_auth:
            return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})
        html = (STATIC_DIR / "index.html").read_text(encoding="utf-8").replace(  # the page opens at once
            '<meta name="smartlive-auth" content="token">', '<meta name="smartlive-auth" content="off">')
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    @app.get("/console/", include_in_schema=False)
    def page_slash():
        return RedirectResponse("/console")

    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")

    r = APIRouter(prefix="/v1/{project_id}/console", dependencies=[Depends(authorize)], tags=["console"])

    def job_folder(project_id: str, job_id: str) -> Path:
        job = store.job(job_id)
        if job is None or job["project_id"] != project_id:
            raise NotFoundError(f"job_id: no live job {job_id} in project {project_id}")
        return settings.jobs_dir / job_id

    @r.get("/example-rooms", summary="The example rooms shipped with smartlive")
    def list_example_rooms(project_id: str):
        return {"example_rooms": example_rooms()}

    @r.post("/still", summary="One frame of a scene as a PNG", response_class=Response)
    def still(project_id: str, body: bytes = Depends(raw_body)):
        room, room_id, scene, at = still_request(parse_body(body, settings))
        if room_id is not None:
            room = store.get_room(project_id, room_id)["body"]
        with still_lock:
            png = render_still_png(room, scene, at, settings)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    @r.get("/jobs/{job_id}/live-view", summary="The latest live-view picture of a job (JPEG)",
           response_class=Response)
    def live_view(project_id: str, job_id: str):
        try:
            data = (job_folder(project_id, job_id) / "liveview.jpg").read_bytes()
        except OSError:
            raise NotFoundError(f"job_id: job {job_id} has no live-view picture (yet)") from None
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    @r.get("/jobs/{job_id}/live-view-info", summary="Frame, time and what was on screen in that picture")
    def live_view_info(project_id: str, job_id: str):
        try:
            return json.loads((job_folder(project_id, job_id) / "liveview.jpg.json").read_bytes())
        except (OSError, ValueError):  # no picture yet (or the job has ended)
            return {"frame": None}

    @r.get("/jobs/{job_id}/events", summary="The job's event lines as server-sent events",
           response_class=StreamingResponse)
    def events(project_id: str, job_id: str, after: int = Query(0, ge=0)):
        job_folder(project_id, job_id)  # 404 for another project's job

        async def stream():
            deadline = time.monotonic() + stream_seconds
            yield "retry: 1000\n\n"
            job = store.job(job_id)
            if job is None or job["state"] in ENDED:  # nothing more will come: what is kept, then end
                for seq, line in hub.history(job_id, after):
                    yield f"id: {seq}\ndata: {json.dumps(line, ensure_ascii=False)}\n\n"
                yield "event: end\ndata: {}\n\n"
                return
            async with aclosing(hub.follow(job_id, after, heartbeat=heartbeat)) as lines:
                async for seq, line in lines:
                    if seq is None:
                        yield ": keep-alive\n\n"
                    else:
                        yield f"id: {seq}\ndata: {json.dumps(line, ensure_ascii=False)}\n\n"
                        if line.get("event_type") == "JOB_STATE" and json.loads(line["message"])["state"] in ENDED:
                            yield "event: end\ndata: {}\n\n"
                            return
                    if time.monotonic() > deadline:
                        return

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    app.include_router(r)
    return console
