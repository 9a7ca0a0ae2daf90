"""The FastAPI application: rooms and live jobs under /v1/{project_id}, errors as the spec writes them.

    app = create_app(Settings(db_path=..., credentials=load_credentials(...)))

Every response carries X-Request-Id. Errors: one handler turns any RenderError into
`err.http_status` + `err.body()`; anything unexpected becomes 500 MSS.00000004 "Internal Error"
(logged with its traceback, never sent).

Limits: the caller is authenticated from the headers before the body is read; a body over
`max_body_bytes` is refused while it arrives (413), one that takes longer than `body_timeout`
with 400; path components over 255 bytes are refused; with --no-auth only loopback Host
headers are served. Log lines escape control characters (no forged lines).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
import uuid
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from functools import partial

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from render.api.auth import check_headers, check_request, header_map
from render.api.console_routes import install_console
from render.api.control_routes import install_control, job_report_url
from render.api.jobs import JobRunner
from render.api.media import check_room_media
from render.api.rtc import install_rtc
from render.api.rule_groups import install_rule_groups
from render.api.settings import Settings
from render.api.store import Store, iso
from render.errors import (
    BodyError,
    BodyTooLargeError,
    InternalError,
    NotFoundError,
    RenderError,
    SpecError,
    UnauthorizedError,
)
from render.spec import validate_room
from render.spec.load import json_path, parse_json

log = logging.getLogger("smartlive.api")
REQUEST_ID = "smartlive.request_id"
MAX_OFFSET = 2**31 - 1
MAX_PATH_COMPONENT = 255  # bytes, as a file name
LOGGERS = ("smartlive.api", "smartlive.api.jobs", "smartlive.api.auth")


class EscapeControl(logging.Filter):
    """A record's message with control characters escaped: a path holding a newline cannot
    forge a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(ord(c) < 32 or ord(c) == 127 for c in message):
            record.msg = message.encode("unicode_escape").decode("ascii")
            record.args = ()
        return True


def is_loopback(name: str) -> bool:
    """localhost, 127.x.x.x or ::1 (brackets allowed)."""
    name = name.strip().lower().strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_is_loopback(host: str) -> bool:
    """A Host header naming this machine (with or without a port)."""
    host = host.strip()
    if host.startswith("["):
        return is_loopback(host[: host.find("]") + 1])
    return is_loopback(host.rsplit(":", 1)[0] if host.count(":") == 1 else host)


class GuardMiddleware:
    """Before any handler: path components of at most 255 bytes, a loopback Host when auth is
    off, a declared Content-Length within the limit (413)."""

    def __init__(self, app, settings: Settings):
        self.app, self.settings = app, settings

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            err = self.refusal(scope)
            if err is not None:
                return await error_response(err)(scope, receive, send)
        return await self.app(scope, receive, send)

    def refusal(self, scope) -> RenderError | None:
        if any(len(part.encode("utf-8", "surrogatepass")) > MAX_PATH_COMPONENT for part in scope["path"].split("/")):
            return SpecError(f"path: a path component is longer than {MAX_PATH_COMPONENT} bytes")
        headers = dict(scope.get("headers") or [])
        if self.settings.no_auth and not host_is_loopback(headers.get(b"host", b"").decode("latin-1")):
            return UnauthorizedError("Host: authentication is off (--no-auth), so only loopback names are served")
        length = headers.get(b"content-length", b"").strip()
        if length.isdigit() and int(length) > self.settings.max_body_bytes:
            return BodyTooLargeError(f"body: larger than {self.settings.max_body_bytes} bytes")
        return None


class RequestIdMiddleware:
    """X-Request-Id on every response; an unexpected exception -> 500 MSS.00000004, no trace."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = scope[REQUEST_ID] = uuid.uuid4().hex
        started = False

        async def send_with_id(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)["X-Request-Id"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception(
                "request %s %s failed (X-Request-Id %s)", scope.get("method"), scope.get("path"), rid
            )
            if started:
                raise
            await error_response(InternalError())(scope, receive, send_with_id)


def error_response(err: RenderError, status: int | None = None) -> JSONResponse:
    retry_after = getattr(err, "retry_after", None)  # BusyError: 429 says when to try again
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(err.body(), status_code=status or err.http_status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RenderError)
    async def render_error(request: Request, err: RenderError):
        if err.http_status >= 500:
            log.error("request %s: %s", request.scope.get(REQUEST_ID), err.message)
            if getattr(err, "public", False):  # says what failed without internals (a worker too slow)
                return error_response(err)
            return error_response(InternalError())
        return error_response(err)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        details = [
            f"{json_path(e['loc'][1:]) if len(e['loc']) > 1 else json_path(e['loc'])}: {e['msg']}"
            for e in exc.errors()
        ]
        return error_response(SpecError(details=details))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return error_response(NotFoundError(f"no such API path: {request.method} {request.url.path}"))
        return error_response(
            SpecError(f"{request.method} {request.url.path}: {exc.detail}"), exc.status_code
        )


async def read_body(request: Request, settings: Settings) -> bytes:
    """The request body, read once: refused (413) as soon as it passes max_body_bytes, and
    (400) when it takes longer than body_timeout to arrive."""
    cached = getattr(request, "_body", None)
    if cached is not None:
        return cached

    async def read() -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > settings.max_body_bytes:
                raise BodyTooLargeError(f"body: larger than {settings.max_body_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        request._body = await asyncio.wait_for(read(), settings.body_timeout)
    except asyncio.TimeoutError:
        raise BodyError(f"body: not received within {settings.body_timeout:g} s") from None
    return request._body


async def raw_body(request: Request) -> bytes:
    """The request body (a dependency: the only part of a request handled on the event loop)."""
    return await read_body(request, request.app.state.settings)


def parse_body(body: bytes, settings: Settings, *, optional: bool = False) -> dict:
    if len(body) > settings.max_body_bytes:
        raise BodyTooLargeError(f"body: larger than {settings.max_body_bytes} bytes")
    if not body.strip():
        if optional:
            return {}
        raise BodyError("body: empty; a JSON object is required")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("body: not UTF-8 text") from None
    data = parse_json(text, "body")
    if not isinstance(data, dict):
        raise BodyError("body: must be a JSON object")
    return data


def room_view(row: dict) -> dict:
    return {
        **row["body"],
        "room_id": row["room_id"],
        "create_time": iso(row["created"]),
        "update_time": iso(row["updated"]),
        "room_state": row["room_state"],
    }


LIVE_STATES = {"WAITING", "PROCESSING", "SUCCEED", "FAILED", "CANCELED", "BLOCKED", "NULL"}


def live_states(value: str | None) -> list[str] | None:
    """The list query's live_state: job states of a room's latest job, comma-separated (SUCCESS
    is SUCCEED; NULL: no job yet); 400 naming live_state for anything else."""
    if not value:
        return None
    states = [{"SUCCESS": "SUCCEED"}.get(s.strip().upper(), s.strip().upper()) for s in value.split(",")]
    bad = [s for s in states if s not in LIVE_STATES]
    if bad:
        raise SpecError(f"live_state: {', '.join(bad)} is not a live state ({', '.join(sorted(LIVE_STATES))})")
    return states


def room_summary(row: dict, last_job: dict | None) -> dict:
    """A listing's entry, from the row's columns (never the stored body)."""
    out = {
        "room_id": row["room_id"],
        "project_id": row["project_id"],
        "room_name": row["room_name"],
        "room_type": row["room_type"],
        "room_state": row["room_state"],
        "room_description": row["room_description"],
        "view_mode": row["view_mode"],
        "create_time": iso(row["created"]),
        "update_time": iso(row["updated"]),
    }
    if last_job:
        out.update(
            last_job_start_time=iso(last_job["started"]),
            last_job_end_time=iso(last_job["ended"]),
            last_job_status=last_job["state"],
        )
    return {k: v for k, v in out.items() if v is not None}


def job_view(job: dict) -> dict:
    started, ended = job["started"], job["ended"]
    duration = (ended or time.time()) - started if started else 0.0
    out = {
        "job_id": job["job_id"],
        "room_id": job["room_id"],
        "room_name": job["room_name"],
        "state": job["state"],
        "duration": round(max(duration, 0.0), 3),
        "start_time": iso(started),
        "end_time": iso(ended),
        "create_time": iso(job["created"]),
        "lastupdate_time": iso(job["updated"]),
    }
    if job["error_code"]:
        out["error_info"] = {"error_code": job["error_code"], "error_msg": job["error_msg"]}
    return {k: v for k, v in out.items() if v is not None}


ROOM_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Room"}}},
    }
}
START_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StartSmartLiveReq"}}},
    }
}


def openapi_schema(app: FastAPI) -> dict:
    """FastAPI's schema plus the room body (render.spec.Room) and the start-job body."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    from render.spec import Room

    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    room = Room.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(room.pop("$defs", {}))
    components["Room"] = room
    strings = {"type": "array", "items": {"type": "string"}}
    components["StartSmartLiveReq"] = {
        "type": "object",
        "description": "Overrides of the room's settings for this job.",
        "properties": {
            "video_config": {"$ref": "#/components/schemas/VideoConfig"},
            "play_policy": {"$ref": "#/components/schemas/PlayPolicy"},
            "output_urls": strings,
            "stream_keys": strings,
            "live_event_callback_config": {"$ref": "#/components/schemas/LiveEventCallBackConfig"},
            "rtc_callback_config": {"$ref": "#/components/schemas/RTCLiveEventCallBackConfig"},
            "view_mode": {"$ref": "#/components/schemas/ViewMode"},
            "co_streamer_config": {"$ref": "#/components/schemas/CoStreamerConfig"},
        },
    }
    components["ErrorBody"] = {
        "type": "object",
        "required": ["error_code", "error_msg"],
        "properties": {"error_code": {"type": "string", "example": "MSS.00000003"},
                       "error_msg": {"type": "string"}},
    }
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            op["responses"].pop("422", None)
            for status in error_statuses(method, path):
                op["responses"][str(status)] = {
                    "description": ERROR_STATUSES[status],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                }
    app.openapi_schema = schema
    return schema


ERROR_STATUSES = {
    400: "Invalid body or parameter (MSS.00000002, MSS.00000003), asset or file not found (MSS.10001001, "
    "MSS.10001004)",
    401: "Unauthorized (MSS.00000001)",
    403: "Job concurrency limit exceeded (MSS.41000012)",
    404: "Room or job not found (MSS.41000003)",
    409: "Task state does not allow this operation (MSS.20020001)",
    413: "Body larger than the server's limit (MSS.00000002)",
    500: "Internal Error (MSS.00000004)",
}


def error_statuses(method: str, path: str) -> list[int]:
    """The error responses an operation can give (its OpenAPI `responses`)."""
    if not path.startswith("/v1/"):
        return []
    out = [400, 401]
    if "{room_id}" in path:
        out.append(404)
    if method in ("post", "put"):
        out.append(413)
    if path.endswith("/smart-live-jobs") and method == "post":
        out += [403, 409]
    elif method == "delete" or path.endswith("/stop"):
        out.append(409)
    return sorted(out) + [500]


def create_app(settings: Settings) -> FastAPI:
    store = Store(settings.db_path)
    runner = JobRunner(store, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runner.start()
        console.start()
        try:
            yield
        finally:
            console.stop()
            runner.shutdown()
            store.close()

    app = FastAPI(
        title="smartlive",
        version="1",
        lifespan=lifespan,
        description="A local intelligent livestreaming room service (smart-live API family).",
    )
    app.state.settings, app.state.store, app.state.runner = settings, store, runner
    app.openapi = lambda: openapi_schema(app)
    app.add_middleware(GuardMiddleware, settings=settings)
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, EscapeControl) for f in logger.filters):
            logger.addFilter(EscapeControl())

    async def authorize(request: Request, project_id: str) -> None:
        if settings.no_auth:
            return
        headers = header_map(request.scope["headers"])
        key = check_headers(settings.credentials, headers=headers, project_id=project_id,
                            now=datetime.now(timezone.utc))
        if key is None:  # a token: nothing in the body to verify
            return
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        body = await read_body(request, settings)  # kept: `raw_body` gets the same bytes
        await run_in_threadpool(  # hashes up to max_body_bytes: off the event loop
            partial(
                check_request,
                settings.credentials,
                method=request.method,
                raw_path=raw_path.decode("latin-1"),
                raw_query=request.scope.get("query_string", b"").decode("latin-1"),
                headers=headers,
                body=body,
                project_id=project_id,
                now=datetime.now(timezone.utc),
            )
        )

    def checked_room(body: bytes) -> dict:
        """A create/update body: parsed, validated (400 MSS.00000003) and its media resolved (400)."""
        data = parse_body(body, settings)
        room, _ = validate_room(data)
        check_room_media(room, settings)
        return data

    r = APIRouter(prefix="/v1/{project_id}", dependencies=[Depends(authorize)])
    rooms = "/smart-live-rooms"
    one_room = rooms + "/{room_id}"
    jobs = one_room + "/smart-live-jobs"
    one_job = jobs + "/{job_id}"

    @r.post(rooms, summary="Create a smart live room", tags=["rooms"], openapi_extra=ROOM_BODY)
    def create_room(project_id: str, body: bytes = Depends(raw_body)):
        return {"room_id": store.create_room(project_id, checked_room(body))["room_id"]}

    @r.get(rooms, summary="List smart live rooms", tags=["rooms"])
    def list_rooms(
        project_id: str,
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        limit: int = Query(10, ge=1, le=100),
        room_name: str | None = None,
        room_type: str | None = None,
        live_state: str | None = None,
    ):
        count, rows = store.list_rooms(
            project_id, offset=offset, limit=limit, room_name=room_name, room_type=room_type,
            live_state=live_states(live_state),
        )
        return {
            "count": count,
            "smart_live_rooms": [
                room_summary(row, store.last_job(project_id, row["room_id"])) for row in rows
            ],
        }

    @r.get(one_room, summary="Show a smart live room", tags=["rooms"])
    def show_room(project_id: str, room_id: str):
        return room_view(store.get_room(project_id, room_id))

    @r.put(one_room, summary="Update a smart live room (whole body)", tags=["rooms"], openapi_extra=ROOM_BODY)
    def update_room(project_id: str, room_id: str, body: bytes = Depends(raw_body)):
        store.get_room(project_id, room_id)
        return room_view(store.update_room(project_id, room_id, checked_room(body)))

    @r.delete(one_room, status_code=204, summary="Delete a smart live room", tags=["rooms"])
    def delete_room(project_id: str, room_id: str):
        runner.delete_room(project_id, room_id)
        return Response(status_code=204)

    @r.post(
        jobs, status_code=202, summary="Start a live job in a room", tags=["jobs"], openapi_extra=START_BODY
    )
    def start_job(request: Request, project_id: str, room_id: str, body: bytes = Depends(raw_body)):
        room = store.get_room(project_id, room_id)
        job = runner.submit(project_id, room, parse_body(body, settings, optional=True))
        return JSONResponse({"job_id": job["job_id"], **job_report_url(request, settings, job)}, status_code=202)

    @r.get(jobs, summary="List the live jobs of a room", tags=["jobs"])
    def list_room_jobs(
        project_id: str,
        room_id: str,
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        limit: int = Query(10, ge=1, le=100),
        state: str | None = None,
    ):
        count, rows = store.list_jobs(project_id, room_id=room_id, state=state, offset=offset, limit=limit)
        return {"count": count, "smart_live_jobs": [job_view(j) for j in rows]}

    @r.get("/smart-live-jobs", summary="List the live jobs of every room", tags=["jobs"])
    def list_all_jobs(
        project_id: str,
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        limit: int = Query(10, ge=1, le=100),
        state: str | None = None,
        room_name: str | None = None,
    ):
        count, rows = store.list_jobs(
            project_id, state=state, room_name=room_name, offset=offset, limit=limit
        )
        return {"count": count, "smart_live_jobs": [job_view(j) for j in rows]}

    @r.get(one_job, summary="Show a live job", tags=["jobs"])
    def show_job(request: Request, project_id: str, room_id: str, job_id: str):
        job = store.get_job(project_id, room_id, job_id)
        return {**job_view(job), **job_report_url(request, settings, job)}

    @r.post(one_job + "/stop", status_code=204, summary="Stop a live job", tags=["jobs"])
    def stop_job(project_id: str, room_id: str, job_id: str):
        runner.stop_job(project_id, room_id, job_id)
        return Response(status_code=204)

    install_rule_groups(r, store, partial(parse_body, settings=settings), raw_body)
    install_control(app, r, store=store, runner=runner, settings=settings, parse_body=parse_body,
                    raw_body=raw_body, authorize=authorize)
    app.include_router(r)
    app.state.console = console = install_console(app, settings, store, authorize, parse_body=parse_body,
                                                  raw_body=raw_body)
    install_rtc(app, settings, store, console.hub, loopback_host=host_is_loopback)
    return app
