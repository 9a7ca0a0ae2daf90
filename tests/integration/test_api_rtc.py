"""The job's RTC channel (rtc_callback_config, issue 25 item 2): a WebSocket under the job's URL,
with the API's authentication, delivering live_progress_notify and reply_command_finish_notify
from the job's event lines (a stand-in worker writes them, as the real push does)."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from render.api.rtc import Progress
from tests.integration.api_harness import PROJECT, TOKEN, ApiServer, fake_worker, make_settings, wait_state

H = {"X-Auth-Token": TOKEN}

WORKER = """
import json, signal, sys, time
args = sys.argv[1:]
events = open(args[args.index("--events-out") + 1], "a")
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
def emit(n, kind, **message):
    events.write(json.dumps({"time": n / 25, "frame": n, "event_type": kind, "message": json.dumps(message)}) + "\\n")
    events.flush()
emit(0, "RTMP_STREAM_STATE_CHANGE", state="CONNECTED", output_url="rtmp://127.0.0.1:9/live", stream_key="k")
n = 0
while not stop:
    if n % 40 == 5:
        emit(n, "SHOOT_SCRIPT_SWITCH", scene_script_name="Lamps", shoot_script_sequence_no="2",
             shoot_script_title="Greeting")
    if n % 40 == 15:
        emit(n, "REPLY_START", reply_id="r%d" % n, role="STREAMER", text="hi")
    if n % 40 == 25:
        emit(n, "REPLY_COMMAND_FINISH", reply_id="r%d" % (n - 10))
    n += 1
    time.sleep(0.02)
emit(n, "RTMP_STREAM_STATE_CHANGE", state="END", output_url="rtmp://127.0.0.1:9/live", stream_key="k")
"""
SCENE = {"script_name": "Lamps", "shoot_scripts": [{"sequence_no": 2, "title": "Greeting",
                                                    "text_config": {"text": "Hello."}}]}
ROOM = {"room_name": "rtc room", "scene_scripts": [SCENE], "output_urls": ["rtmp://127.0.0.1:9/live"],
        "stream_keys": ["k"]}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rtc")
    with ApiServer(make_settings(tmp, worker_command=fake_worker(tmp, WORKER))) as s:
        yield s


@pytest.fixture
def c(srv):
    with httpx.Client(base_url=f"{srv.url}/v1/{PROJECT}", headers=H, timeout=60, trust_env=False) as client:
        yield client


def start(c, **body) -> tuple[str, str]:
    room_id = c.post("/smart-live-rooms", json=ROOM).json()["room_id"]
    r = c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json=body)
    assert r.status_code == 202, r.text
    job = f"/smart-live-rooms/{room_id}/smart-live-jobs/{r.json()['job_id']}"
    assert wait_state(lambda: c.get(job).json()["state"], ("PROCESSING",), 30) == "PROCESSING"
    return job, r.json()["job_id"]


def ws_url(srv, job: str) -> str:
    return f"ws://127.0.0.1:{srv.port}/v1/{PROJECT}{job}/rtc-events"


def take(ws, n: int) -> list[dict]:
    return [json.loads(ws.recv(timeout=20)) for _ in range(n)]


def test_progress_and_reply_finish_arrive_as_the_spec_writes_them(srv, c):
    job, _ = start(c, rtc_callback_config={"rtc_callback_event_type": ["LIVE_PROGRESS", "REPLY_COMMAND_FINISH"]})
    with connect(ws_url(srv, job), additional_headers=H) as ws:
        got = take(ws, 6)
    kinds = {m["message_type"] for m in got}
    assert kinds == {"live_progress_notify", "reply_command_finish_notify"}
    progress = [m["data"] for m in got if m["message_type"] == "live_progress_notify"]
    assert {"script_name": "Lamps", "shoot_script_sequence_no": 2, "shoot_script_title": "Greeting",
            "offset": "0"} in progress
    replies = [d for d in progress if "reply_id" in d]
    assert replies and replies[0]["offset"] == "400" and replies[0]["script_name"] == "Lamps"
    finish = [m["data"] for m in got if m["message_type"] == "reply_command_finish_notify"]
    assert finish and set(finish[0]) == {"reply_id"}
    c.post(f"{job}/stop")


def test_without_rtc_callback_config_only_progress_is_sent_and_the_channel_ends_with_the_job(srv, c):
    job, _ = start(c)
    with connect(ws_url(srv, job), additional_headers=H) as ws:
        got = take(ws, 4)
        assert {m["message_type"] for m in got} == {"live_progress_notify"}
        assert c.post(f"{job}/stop").status_code == 204
        with pytest.raises(Exception):  # noqa: B017 -- closed by the server (1000) when the job ends
            for _ in range(200):
                ws.recv(timeout=20)
        assert ws.close_code == 1000


def test_the_channel_needs_the_apis_authentication(srv, c):
    job, _ = start(c)
    with pytest.raises(InvalidStatus) as e:
        with connect(ws_url(srv, job), additional_headers={"X-Auth-Token": "wrong"}):
            pass
    assert e.value.response.status_code == 403
    with pytest.raises(InvalidStatus):  # another project's credentials
        with connect(ws_url(srv, job).replace(PROJECT, "f" * 32), additional_headers=H):
            pass
    # a browser's way: the token as the first message
    with connect(ws_url(srv, job)) as ws:
        ws.send(json.dumps({"x-auth-token": TOKEN}))
        assert json.loads(ws.recv(timeout=20))["message_type"] == "live_progress_notify"
    with connect(ws_url(srv, job)) as ws:
        ws.send(json.dumps({"x-auth-token": "wrong"}))
        with pytest.raises(Exception):  # noqa: B017
            ws.recv(timeout=20)
        assert ws.close_code == 1008
    c.post(f"{job}/stop")


def test_start_refuses_a_room_with_no_scene_naming_scene_scripts(c):
    room_id = c.post("/smart-live-rooms", json={**ROOM, "scene_scripts": None}).json()["room_id"]
    r = c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json={})
    assert r.status_code == 400 and "scene_scripts" in r.json()["error_msg"]


def test_progress_lines_to_messages():
    p = Progress({"LIVE_PROGRESS"})
    line = {"time": 1.0, "event_type": "SHOOT_SCRIPT_SWITCH", "message": json.dumps(
        {"scene_script_name": "S", "shoot_script_sequence_no": "", "shoot_script_title": ""})}
    assert p.messages(line)[0]["data"]["shoot_script_sequence_no"] == ""
    fin = {"event_type": "REPLY_COMMAND_FINISH", "message": json.dumps({"reply_id": "x"})}
    assert p.messages(fin) == []  # not subscribed
    assert p.messages({"event_type": "RULE_HIT", "message": "{}"}) == []
