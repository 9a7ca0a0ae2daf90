"""The job runner behind a real server, with tiny stand-in workers (the runner's test seam):
states, error_info, stop, limits, TEMP/TEMPLATE rooms, a dead server's jobs.
The real push: test_api_push.py."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from render.api.store import Store
from tests.integration.api_harness import PROJECT, TOKEN, ApiServer, fake_worker, make_settings, wait_state

H = {"X-Auth-Token": TOKEN}
ROOM = {
    "room_name": "jobs room",
    "scene_scripts": [{"script_name": "s", "shoot_scripts": [{"text_config": {"text": "Hello."}}]}],
    "output_urls": ["rtmp://127.0.0.1:1935/live"],
    "stream_keys": ["main"],
    "play_policy": {"repeat_count": 0},
}
ENDED = ("SUCCEED", "FAILED", "CANCELED")

OK = """
import json, pathlib, sys, time
args = sys.argv[1:]
room = json.loads(pathlib.Path(args[0]).read_text())
pathlib.Path(__file__).with_name("seen.json").write_text(json.dumps({"argv": args, "room": room}))
time.sleep(0.3)
"""
FOREVER = """
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(0.05)
"""
CRASH = """
import sys
print("preparing: tts", file=sys.stderr)
print("MSS.10001001 Asset not found: scene_scripts[0].model_asset_id: no asset 'x'", file=sys.stderr)
sys.exit(2)
"""
TRACEBACK = "raise RuntimeError('boom in the worker')\n"
KILLED = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
DEAF = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(60)\n"


def api(srv):
    return httpx.Client(base_url=f"{srv.url}/v1/{PROJECT}", headers=H, timeout=30, trust_env=False)


def new_room(c, **extra) -> str:
    r = c.post("/smart-live-rooms", json={**ROOM, **extra})
    assert r.status_code == 200, r.text
    return r.json()["room_id"]


def start(c, room_id, body=None) -> httpx.Response:
    return c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json=body or {})


def job_of(c, room_id, job_id) -> dict:
    r = c.get(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}")
    assert r.status_code == 200, r.text
    return r.json()


def run_to_end(c, room_id, body=None, timeout=60) -> dict:
    r = start(c, room_id, body)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    wait_state(lambda: job_of(c, room_id, job_id)["state"], ENDED, timeout)
    return job_of(c, room_id, job_id)


def test_success_with_overrides(tmp_path):
    with ApiServer(make_settings(tmp_path, worker_command=fake_worker(tmp_path, OK))) as srv, api(srv) as c:
        room_id = new_room(c, video_config={"codec": "H264", "bitrate": 1000, "width": 720, "height": 1280})
        overrides = {
            "output_urls": ["rtmp://127.0.0.1:9/app"],
            "stream_keys": ["other"],
            "play_policy": {"repeat_count": 0, "live_exit_config": {"max_live_duration": 1}},
        }
        job = run_to_end(c, room_id, overrides)
        assert job["state"] == "SUCCEED" and "error_info" not in job
        assert job["room_id"] == room_id and job["room_name"] == "jobs room"
        assert job["start_time"] <= job["end_time"] and job["duration"] >= 0.3
        seen = json.loads((tmp_path / "seen.json").read_text())
        assert seen["room"]["output_urls"] == ["rtmp://127.0.0.1:9/app"] and seen["room"]["stream_keys"] == [
            "other"
        ]
        assert seen["room"]["video_config"]["width"] == 720  # not overridden: the room's
        argv = seen["argv"]
        assert argv[argv.index("--job-id") + 1] == job["job_id"]
        assert "--duration" not in argv  # the worker's programme applies max_live_duration and its stop mode
        assert seen["room"]["play_policy"]["live_exit_config"]["max_live_duration"] == 1
        listed = c.get(f"/smart-live-rooms/{room_id}/smart-live-jobs").json()
        assert listed["count"] == 1 and listed["smart_live_jobs"][0]["job_id"] == job["job_id"]
        everywhere = c.get("/smart-live-jobs", params={"state": "SUCCEED"}).json()
        assert [j["job_id"] for j in everywhere["smart_live_jobs"]] == [job["job_id"]]
        assert c.get("/smart-live-jobs", params={"state": "FAILED"}).json()["count"] == 0


@pytest.mark.parametrize(
    "body,code,msg",
    [
        (CRASH, "MSS.10001001", "Asset not found: scene_scripts[0].model_asset_id: no asset 'x'"),
        (TRACEBACK, "MSS.00000004", "exited with code 1 (RuntimeError: boom in the worker)"),
        (KILLED, "MSS.00000004", "was killed by SIGKILL"),
    ],
)
def test_a_failing_worker_fails_alone(tmp_path, body, code, msg):
    with ApiServer(make_settings(tmp_path, worker_command=fake_worker(tmp_path, body))) as srv, api(srv) as c:
        room_id = new_room(c)
        job = run_to_end(c, room_id)
        assert job["state"] == "FAILED"
        assert job["error_info"]["error_code"] == code and msg in job["error_info"]["error_msg"]
        assert "Traceback" not in job["error_info"]["error_msg"]
        assert c.get("/smart-live-rooms").status_code == 200  # the server is fine


def test_stop_limit_and_responsiveness(tmp_path):
    settings = make_settings(tmp_path, worker_command=fake_worker(tmp_path, FOREVER), max_jobs=2)
    with ApiServer(settings) as srv, api(srv) as c:
        rooms = [new_room(c, room_name=f"r{i}") for i in range(3)]
        jobs = [start(c, rooms[i]).json()["job_id"] for i in range(2)]
        for room_id, job_id in zip(rooms, jobs, strict=False):
            assert (
                wait_state(lambda r=room_id, j=job_id: job_of(c, r, j)["state"], ("PROCESSING",))
                == "PROCESSING"
            )
        third = start(c, rooms[2])
        assert third.status_code == 403 and third.json()["error_code"] == "MSS.41000012"
        again = start(c, rooms[0])  # one live job per room
        assert again.status_code == 409 and again.json()["error_code"] == "MSS.20020001"
        t0 = time.monotonic()
        assert c.get("/smart-live-rooms").json()["count"] == 3
        assert time.monotonic() - t0 < 5
        busy = c.delete(f"/smart-live-rooms/{rooms[0]}")
        assert busy.status_code == 409
        r = c.post(f"/smart-live-rooms/{rooms[0]}/smart-live-jobs/{jobs[0]}/stop")
        assert r.status_code == 204 and r.headers["X-Request-Id"]
        assert wait_state(lambda: job_of(c, rooms[0], jobs[0])["state"], ENDED) == "CANCELED"
        again = c.post(f"/smart-live-rooms/{rooms[0]}/smart-live-jobs/{jobs[0]}/stop")
        assert again.status_code == 409 and again.json()["error_code"] == "MSS.20020001"
        assert start(c, rooms[2]).status_code == 202  # a slot is free again
    # the server stopped: its running jobs were stopped and marked FAILED, none left active
    store = Store(settings.db_path)
    try:
        assert not store.active_jobs()
    finally:
        store.close()


def test_a_worker_deaf_to_sigterm_is_killed(tmp_path):
    settings = make_settings(tmp_path, worker_command=fake_worker(tmp_path, DEAF), stop_timeout=1.0)
    with ApiServer(settings) as srv, api(srv) as c:
        room_id = new_room(c)
        job_id = start(c, room_id).json()["job_id"]
        wait_state(lambda: job_of(c, room_id, job_id)["state"], ("PROCESSING",))
        time.sleep(0.5)  # let the worker install its SIG_IGN
        assert c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop").status_code == 204
        assert wait_state(lambda: job_of(c, room_id, job_id)["state"], ENDED, 30) == "CANCELED"


def test_temp_and_template_rooms(tmp_path):
    with ApiServer(make_settings(tmp_path, worker_command=fake_worker(tmp_path, OK))) as srv, api(srv) as c:
        template = new_room(c, room_type="TEMPLATE")
        r = start(c, template)
        assert (
            r.status_code == 409
            and r.json()["error_code"] == "MSS.20020001"
            and "TEMPLATE" in r.json()["error_msg"]
        )
        temp = new_room(c, room_type="TEMP")
        job = run_to_end(c, temp)
        assert job["state"] == "SUCCEED"
        gone = c.get(f"/smart-live-rooms/{temp}")
        assert gone.status_code == 404 and gone.json()["error_code"] == "MSS.41000003"
        assert c.get("/smart-live-jobs").json()["count"] == 1  # the job is still listed


def test_start_errors(tmp_path):
    with ApiServer(make_settings(tmp_path, worker_command=fake_worker(tmp_path, OK))) as srv, api(srv) as c:
        bare = c.post("/smart-live-rooms", json={"room_name": "no outputs"}).json()["room_id"]
        r = start(c, bare)
        assert r.status_code == 400 and r.json()["error_msg"].startswith("Invalid parameter: output_urls:")
        r = start(c, bare, {"output_urls": ["http://not-rtmp/x"], "stream_keys": ["k"]})
        assert r.status_code == 400 and "output_urls[0]" in r.json()["error_msg"]
        r = c.post(f"/smart-live-rooms/{bare}/smart-live-jobs", content=b"{nope")
        assert r.status_code == 400 and r.json()["error_code"] == "MSS.00000002"
        r = start(c, "no-such-room")
        assert r.status_code == 404 and r.json()["error_code"] == "MSS.41000003"
        r = c.get(f"/smart-live-rooms/{bare}/smart-live-jobs/no-such-job")
        assert r.status_code == 404 and r.json()["error_code"] == "MSS.41000003"


def test_jobs_of_a_dead_server_are_failed_at_startup(tmp_path):
    settings = make_settings(tmp_path, worker_command=fake_worker(tmp_path, OK))
    store = Store(settings.db_path)
    room = store.create_room(PROJECT, dict(ROOM))
    job = store.insert_job(PROJECT, room, room["body"])
    store.set_job(job["job_id"], state="PROCESSING", started=time.time(), pid=999999)
    store.close()
    with ApiServer(settings) as srv, api(srv) as c:
        shown = job_of(c, room["room_id"], job["job_id"])
        assert shown["state"] == "FAILED" and shown["error_info"]["error_code"] == "MSS.00000004"
        assert "server stopped" in shown["error_info"]["error_msg"]
