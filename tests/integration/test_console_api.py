"""The console's own endpoints on a real server: the page, example rooms, stills, a job's event
stream (fed from the worker's events file) and its live-view picture (made by LiveView in a
stand-in worker)."""

from __future__ import annotations

import contextlib
import io
import json
import time

import httpx
import pytest
from PIL import Image

from tests.integration.api_harness import (
    OTHER_PROJECT,
    PROJECT,
    TOKEN,
    ApiServer,
    fake_worker,
    make_settings,
    push_room,
    wait_state,
)

H = {"X-Auth-Token": TOKEN}

# A stand-in push worker: real event lines to --events-out, real LiveView pictures to --live-view,
# until SIGTERM (then an END stream state, as the real push writes).
WORKER = """
import json, signal, sys, time
import numpy as np
from render.console.liveview import LiveView
from render.layers.planes import rgb_to_i420
args = sys.argv[1:]
events = open(args[args.index("--events-out") + 1], "a")
view = LiveView(1, 160, args[args.index("--live-view") + 1])
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
def emit(n, kind, **message):
    events.write(json.dumps({"time": n / 25, "frame": n, "event_type": kind, "message": json.dumps(message)}) + "\\n")
    events.flush()
emit(0, "RTMP_STREAM_STATE_CHANGE", state="CONNECTED", output_url="rtmp://127.0.0.1:9/live", stream_key="k")
n = 0
while not stop:
    rgb = np.zeros((64, 64, 3), np.uint8); rgb[:, :, 0] = (n * 40) % 256
    view.submit(n, rgb_to_i420(rgb))
    if n == 5:
        emit(n, "SHOOT_SCRIPT_SWITCH", scene_script_name="s", shoot_script_sequence_no="2")
    n += 1
    time.sleep(0.05)
emit(n, "RTMP_STREAM_STATE_CHANGE", state="END", output_url="rtmp://127.0.0.1:9/live", stream_key="k")
view.close()
"""
ROOM = {"room_name": "console room", "scene_scripts": [{"script_name": "s",
                           "shoot_scripts": [{"text_config": {"text": "Hello."}}]}],
        "output_urls": ["rtmp://127.0.0.1:9/live"], "stream_keys": ["k"]}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    with ApiServer(make_settings(tmp, worker_command=fake_worker(tmp, WORKER))) as s:
        yield s


@pytest.fixture
def c(srv):
    with httpx.Client(base_url=f"{srv.url}/v1/{PROJECT}", headers=H, timeout=120, trust_env=False) as client:
        yield client


def sse(client: httpx.Client, path: str, until, timeout: float = 30.0) -> tuple[list[dict], bool]:
    """The event lines of an SSE response until until(lines) holds or the server ends it."""
    lines, ended, event = [], False, None
    with client.stream("GET", path, timeout=timeout) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for raw in r.iter_lines():
            if raw.startswith("event: "):
                event = raw[7:]
            elif raw.startswith("data: ") and event == "end":
                ended = True
                break
            elif raw.startswith("data: "):
                lines.append(json.loads(raw[6:]))
                if until(lines):
                    break
            elif raw == "":
                event = None
    return lines, ended


def test_the_page_and_its_modules_are_served_without_auth(srv):
    with httpx.Client(base_url=srv.url, trust_env=False) as http:
        page = http.get("/console")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "/console/static/main.js" in page.text
        for name in ("main.js", "api.js", "rooms.js", "live.js", "viewers.js", "rules.js", "ui.js"):
            r = http.get(f"/console/static/{name}")
            assert r.status_code == 200 and "javascript" in r.headers["content-type"], name
        assert http.get("/console/static/console.css").status_code == 200
        assert "http://" not in page.text.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from elsewhere


def test_console_endpoints_need_auth_and_the_right_project(srv):
    with httpx.Client(base_url=srv.url, trust_env=False) as http:
        r = http.get(f"/v1/{PROJECT}/console/example-rooms")
        assert r.status_code == 401 and r.json()["error_code"] == "MSS.00000001"
        r = http.post(f"/v1/{OTHER_PROJECT}/console/still", headers=H, json={"room_id": "x"})
        assert r.status_code == 401


def test_example_rooms_are_the_shipped_ones(c):
    rooms = {x["file"]: x for x in c.get("/console/example-rooms").json()["example_rooms"]}
    assert {"example.json", "showcase.json"} <= set(rooms)
    assert rooms["showcase.json"]["room"]["scene_scripts"] and rooms["example.json"]["name"] == "The Legend of Nature"


@pytest.mark.slow
def test_a_still_of_a_posted_room_and_of_a_stored_room(c):
    room = push_room("rtmp://127.0.0.1:9/live", "k")
    r = c.post("/console/still", json={"room": room, "scene": 0, "at": 0.5})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(r.content))
    assert img.size == (720, 1280)
    assert len(set(img.convert("L").resize((36, 64)).tobytes())) > 10  # a picture, not a flat colour
    room_id = c.post("/smart-live-rooms", json=room).json()["room_id"]
    r2 = c.post("/console/still", json={"room_id": room_id, "at": 0.5})
    assert r2.status_code == 200 and Image.open(io.BytesIO(r2.content)).size == (720, 1280)


@pytest.mark.parametrize(
    "body, names",
    [
        ({"scene": 0}, "room: give either room"),
        ({"room": {}, "room_id": "x"}, "room: give either room"),
        ({"room_id": "x", "scene": -1}, "scene: must be a scene index"),
        ({"room_id": "x", "at": "soon"}, "at: must be a time"),
        ({"room": {"room_name": "r"}, "scene": 3}, "scene: 3 is not a scene of this room"),
        ({"room": {"room_name": "r", "video_config": {"codec": "H265"}}}, "video_config.codec"),
    ],
)
def test_bad_still_requests_name_their_field(c, body, names):
    r = c.post("/console/still", json=body)
    assert r.status_code == 400 and r.json()["error_code"] == "MSS.00000003"
    assert names in r.json()["error_msg"]


def test_a_still_of_an_unknown_room_is_404_and_a_missing_asset_400(c):
    assert c.post("/console/still", json={"room_id": "nope"}).status_code == 404
    room = push_room("rtmp://127.0.0.1:9/live", "k")
    room["scene_scripts"][0]["model_asset_id"] = "no-such-model"
    r = c.post("/console/still", json={"room": room})
    assert r.status_code == 400 and r.json()["error_code"] == "MSS.10001001"
    assert "scene_scripts[0].model_asset_id" in r.json()["error_msg"]


@contextlib.contextmanager
def served_by(runner: dict, srv, tmp_path):
    """A client of the module's server (the local runner), or of one running jobs on the Ray cluster."""
    with contextlib.ExitStack() as stack:
        if runner:
            srv = stack.enter_context(ApiServer(make_settings(tmp_path, worker_command=fake_worker(tmp_path, WORKER),
                                                              **runner)))
        yield srv, stack.enter_context(httpx.Client(base_url=f"{srv.url}/v1/{PROJECT}", headers=H, timeout=120,
                                                     trust_env=False))


def test_a_jobs_events_and_live_view_follow_the_worker_and_end_with_it(srv, runner, tmp_path):
    with served_by(runner, srv, tmp_path) as (srv, c):
        follow_a_job(srv, c)


def follow_a_job(srv, c):
    room_id = c.post("/smart-live-rooms", json=ROOM).json()["room_id"]
    job_id = c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json={}).json()["job_id"]
    job = f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}"
    assert wait_state(lambda: c.get(job).json()["state"], ("PROCESSING",), 30) == "PROCESSING"
    events = f"/console/jobs/{job_id}/events"

    lines, ended = sse(c, events, lambda ls: any(x["event_type"] == "SHOOT_SCRIPT_SWITCH" for x in ls))
    kinds = [x["event_type"] for x in lines]
    assert not ended and kinds[:1] == ["JOB_STATE"] and "RTMP_STREAM_STATE_CHANGE" in kinds
    states = [json.loads(x["message"])["state"] for x in lines if x["event_type"] == "JOB_STATE"]
    assert states[-1] == "PROCESSING" and set(states) <= {"WAITING", "PROCESSING"}

    srv.app.state.console.hub.publish(job_id, {"event_type": "RULE_HIT", "message": json.dumps({"rule_index": "1"})})
    more, _ = sse(c, f"{events}?after={len(lines)}", lambda ls: any(x["event_type"] == "RULE_HIT" for x in ls))
    assert [x["event_type"] for x in more] == ["RULE_HIT"]

    frames = set()
    deadline = time.monotonic() + 20
    while len(frames) < 3 and time.monotonic() < deadline:
        info = c.get(f"/console/jobs/{job_id}/live-view-info").json()
        if info["frame"] is not None:
            pic = c.get(f"/console/jobs/{job_id}/live-view")
            assert pic.status_code == 200 and pic.headers["content-type"] == "image/jpeg"
            assert Image.open(io.BytesIO(pic.content)).size == (64, 64)
            frames.add(info["frame"])
        time.sleep(0.1)
    assert len(frames) >= 3, "the live view did not change"

    assert c.post(f"{job}/stop").status_code == 204
    rest, ended = sse(c, f"{events}?after={len(lines) + 1}", lambda ls: False)
    assert ended
    assert [json.loads(x["message"])["state"] for x in rest[-2:]] == ["END", "CANCELED"]  # the worker's last line too
    assert c.get(f"/console/jobs/{job_id}/live-view").status_code == 404  # the job folder is gone
    assert c.get(f"/console/jobs/{job_id}/live-view-info").json() == {"frame": None}
    again, ended = sse(c, events, lambda ls: False)  # an ended job: what is kept, then the end
    assert ended and [x["event_type"] for x in again][-1] == "JOB_STATE"


def test_events_of_an_unknown_or_foreign_job_are_404(c):
    r = c.get("/console/jobs/nope/events")
    assert r.status_code == 404 and r.json()["error_code"] == "MSS.41000003"
    assert c.get("/console/jobs/nope/live-view").status_code == 404
