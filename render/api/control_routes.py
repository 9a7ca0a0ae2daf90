"""Live control over the API (interaction.md, Commands and Viewer events): the job's command,
insert-commands and live-event-report operations, carried to the worker by its job channel.

    install_control(app, router, store=..., runner=..., settings=..., parse_body=..., raw_body=...,
                    authorize=...)                    # from create_app
    job_report_url(request, settings, job)           # {"live_event_report_url": ...} for start/show

An event report answers how many of its events the live took (`accepted`: the first n), or 429
with Retry-After when it took none: nothing is cut silently. A report with an Idempotency-Key
that was already taken answers as it did then, without taking its events again (report_keys.py).

The handlers are async and wait for the worker without holding a thread, so a burst of event
reports never blocks the server's other requests. live-event-report is authenticated by AK/SK
or by the pre-signed auth_key + expires_time of the job's live_event_report_url (query, or the
x-mss-auth-key / x-mss-expires-time headers).
"""
from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse

from render.api.media import check_command_media
from render.api.presign import check_presigned, report_secret, report_url
from render.api.report_keys import ReportKeys
from render.api.rule_groups import expand_groups
from render.api.settings import Settings
from render.control.channel import ChannelError
from render.errors import BusyError, InternalError, StateError, UnauthorizedError
from render.spec.commands import parse_command
from render.spec.enums import JobState
from render.spec.live_events import IDEMPOTENCY_HEADER, parse_report

ONE_JOB = "/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}"
PREPARE_WAIT = 60.0  # s a command or report waits for a PROCESSING job's worker to start playing
RETRY_AFTER = 1  # s a caller waits before reporting again the events a full live did not take


def job_report_url(request: Request, settings: Settings, job: dict, *, fresh: bool = False) -> dict:
    """The job's pre-signed live_event_report_url: valid report_url_ttl from the job's creation,
    or from now when `fresh` (refresh_url=true), never past report_url_max_lifetime from the
    job's creation (a leaked URL cannot renew itself forever)."""
    start = time.time() if fresh else job["created"]
    ends = min(start + settings.control.report_url_ttl, job["created"] + settings.control.report_url_max_lifetime)
    expires = int(ends * 1000)
    url = report_url(str(request.base_url), report_secret(settings), job["project_id"], job["room_id"],
                     job["job_id"], expires)
    return {"live_event_report_url": url}


def report_answer(taken, given: int, url: dict) -> JSONResponse:
    """A live-event-report's answer from the worker's `{accepted: n}`: the live takes events in
    order, so the first n were taken. 200 `{live_event_report_url, accepted}` when it took any
    (with Retry-After when it took only some: send the rest again then); 429 + Retry-After when
    it took none. Before this, a full queue cut a flood while the report still answered 200."""
    accepted = taken.get("accepted") if isinstance(taken, dict) else None
    if isinstance(accepted, bool) or not isinstance(accepted, int) or not 0 <= accepted <= given:
        raise InternalError(f"the job's worker answered {taken!r} to an event report (no accepted count)")
    if given and accepted == 0:
        raise BusyError(f"events: the live is not taking events now (its queue is full); none of the "
                        f"{given} was taken, report them again after {RETRY_AFTER} s", retry_after=RETRY_AFTER)
    headers = {"Retry-After": str(RETRY_AFTER)} if accepted < given else None
    return JSONResponse({**url, "accepted": accepted}, headers=headers)


async def ask(link, msg: dict, timeout: float):
    """A request to the worker, awaited without a thread; ChannelError when it does not answer."""
    fut = link.send(msg)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(fut), timeout)
    except asyncio.TimeoutError:
        link.forget(fut)
        raise ChannelError(f"the job's worker did not answer {msg.get('op')!r} within {timeout:g} s") from None


def install_control(app: FastAPI, r: APIRouter, *, store, runner, settings: Settings, parse_body, raw_body,
                    authorize) -> None:
    ctl = settings.control
    playing: set[str] = set()  # jobs whose worker has answered it plays (takes commands)
    report_keys = ReportKeys()

    async def live_link(project_id: str, room_id: str, job_id: str):
        """The channel of a PROCESSING job (404 no such job, 409 not live / not yet listening). A job
        just PROCESSING whose worker is still opening its channel is waited for (command_timeout)."""
        job = store.get_job(project_id, room_id, job_id)
        if job["state"] != JobState.PROCESSING:
            raise StateError(f"job_id: job {job_id} is {job['state']}; only a PROCESSING job takes commands and events")
        deadline = time.monotonic() + ctl.command_timeout
        link = runner.link(job_id)
        while (link is None or not link.connected) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            link = runner.link(job_id)
        if link is None or not link.connected:
            raise StateError(f"job_id: job {job_id} is starting; its control channel is not open yet, try again")
        if job_id not in playing:  # its worker may still be preparing (speech, outputs): wait for it to play
            deadline = time.monotonic() + PREPARE_WAIT
            while not (await ask(link, {"op": "ping"}, ctl.command_timeout)).get("attached"):
                if time.monotonic() > deadline:
                    raise StateError("job_id: the live is still preparing; commands and events are taken once "
                                     "it plays, try again")
                await asyncio.sleep(0.2)
            playing.add(job_id)
            if len(playing) > 10000:
                playing.clear()
        return job, link

    @r.post(ONE_JOB + "/command", summary="Send a command to a live job", tags=["live control"])
    async def command(project_id: str, room_id: str, job_id: str, body: bytes = Depends(raw_body)):
        data = parse_body(body, settings)
        _, link = await live_link(project_id, room_id, job_id)
        params = data.get("params")
        if str(data.get("command", "")).upper() == "REWRITE_INTERACTION_RULES" and isinstance(params, dict):
            params = {**params, "interaction_rules": expand_groups(
                store, project_id, params.get("interaction_rules"), "params.interaction_rules")}
        cmd = parse_command({"command": data.get("command"), "params": params})
        check_command_media(cmd, settings)  # 400 naming the field, before the worker sees it
        msg = {"op": "command", "body": {"command": cmd.name, "params": params or {}},
               "command_id": cmd.command_id, "timeout": ctl.command_timeout}
        return await ask(link, msg, ctl.command_timeout + 5)

    @r.get(ONE_JOB + "/command/insert-commands", summary="List a live job's inserted scripts and audios",
           tags=["live control"])
    async def insert_commands(project_id: str, room_id: str, job_id: str, offset: int = Query(0, ge=0),
                              limit: int = Query(10, ge=1, le=100)):
        _, link = await live_link(project_id, room_id, job_id)
        return await ask(link, {"op": "inserts", "offset": offset, "limit": limit}, ctl.command_timeout)

    public = APIRouter(prefix="/v1/{project_id}")  # authenticated here: AK/SK or the pre-signed URL

    @public.post(ONE_JOB + "/live-event-report", summary="Report viewer events to a live job", tags=["live control"])
    async def live_event_report(request: Request, project_id: str, room_id: str, job_id: str,
                                auth_key: str | None = None, expires_time: str | None = None,
                                refresh_url: bool = False):
        key = auth_key or request.headers.get("x-mss-auth-key")
        expires = expires_time or request.headers.get("x-mss-expires-time")
        if key:
            check_presigned(report_secret(settings), project_id, room_id, job_id, key, expires,
                            int(time.time() * 1000))
        elif expires:
            raise UnauthorizedError("auth_key: missing next to expires_time")
        else:
            await authorize(request, project_id)
        body = await raw_body(request)
        data = parse_body(body, settings)
        job, link = await live_link(project_id, room_id, job_id)
        events = parse_report(data)  # 400 naming events[i].<field> before anything reaches the live

        def send():
            return ask(link, {"op": "events", "body": data}, ctl.command_timeout)

        key = request.headers.get(IDEMPOTENCY_HEADER)
        taken = await (send() if key is None else report_keys.once(job_id, key, body, send))
        return report_answer(taken, len(events), job_report_url(request, settings, job, fresh=refresh_url))

    app.include_router(public)
