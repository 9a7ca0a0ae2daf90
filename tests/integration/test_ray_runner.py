"""The Ray runner on a real 2-node cluster (1 CPU each, loopback) with the real push worker and a
real nginx-rtmp: jobs placed on both nodes, a third WAITING (in show and list) until a node frees,
a command reaching the job on the second node, the console's live view copied from the node, no
server key in a worker's environment, a server restart that attaches the live actors again (the
streams go on), and node loss: FAILED naming the node, and a stop during the loss still ends."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest

from render.assets import POLICY_ENV
from tests.integration.api_harness import PROJECT, TOKEN, ApiServer, make_settings, push_room, wait_state
from tests.integration.conftest import SECRET

pytestmark = [pytest.mark.slow, pytest.mark.rtmp]
ENDED = ("SUCCEED", "FAILED", "CANCELED")
PAUSE = '<speak><break time="10s"/></speak>'  # a quiet, endless room (repeat_count -1)


def api(srv) -> httpx.Client:
    return httpx.Client(base_url=f"{srv.url}/v1/{PROJECT}", headers={"X-Auth-Token": TOKEN}, timeout=60,
                        trust_env=False)


def ray_settings(tmp_path: Path):
    s = make_settings(tmp_path, runner="ray", max_jobs=4)
    s.control.ping_interval, s.control.ping_timeout = 0.5, 10.0
    return s


def start(c, nginx, key: str) -> tuple[str, str]:
    room = push_room(nginx.url, key, text=PAUSE, repeat_count=-1)
    room_id = c.post("/smart-live-rooms", json=room).json()["room_id"]
    r = c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json={})
    assert r.status_code == 202, r.text
    return room_id, r.json()["job_id"]


def path(room_id: str, job_id: str) -> str:
    return f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}"


def state(c, room_id, job_id) -> str:
    return c.get(path(room_id, job_id)).json()["state"]


def command(c, room_id, job_id, name="GET_CURRENT_PLAYING_SCRIPTS"):
    return c.post(path(room_id, job_id) + "/command", json={"command": name})


def until_commands(c, room_id, job_id, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        r = command(c, room_id, job_id)
        if r.status_code == 200 or time.monotonic() > deadline:
            return r
        time.sleep(0.3)


def node_of(srv, job_id) -> dict:
    return srv.app.state.runner._workers[job_id].proc.node


def console_events(c, job_id: str) -> set[str]:
    """The event types of the job's console event stream (server-sent events), until its keep-alive."""
    seen: set[str] = set()
    with c.stream("GET", f"/console/jobs/{job_id}/events") as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("data: "):
                seen.add(json.loads(line[6:]).get("event_type"))
            elif line.startswith(": keep-alive") or "RTMP_STREAM_STATE_CHANGE" in seen:
                return seen
    return seen


def worker_env(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


def test_placement_waiting_commands_live_view_and_restart(tmp_path, nginx, ray_cluster):
    s = ray_settings(tmp_path)
    try:
        with ApiServer(s) as srv, api(srv) as c:
            a, b = start(c, nginx, "a"), start(c, nginx, "b")
            for job in (a, b):
                assert until_commands(c, *job).status_code == 200
            nodes = {node_of(srv, a[1])["node_id"], node_of(srv, b[1])["node_id"]}
            assert nodes == {n.node_id for n in ray_cluster.nodes}  # one on each node
            second = b if node_of(srv, b[1])["node_id"] != ray_cluster.nodes[0].node_id else a
            said = c.post(path(*second) + "/command", json={"command": "INSERT_PLAY_SCRIPT",
                                                             "params": {"text_config": {"text": "Hello there."}}})
            assert said.status_code == 200 and said.json()["result"] == "SUCCESS", said.text
            listed = c.get(path(*second) + "/command/insert-commands").json()
            assert listed["count"] == 1 and listed["insert_commands"][0]["command_id"] == said.json()["command_id"]

            env = worker_env(srv.app.state.store.job(a[1])["pid"])  # the push process on its node
            assert "SMARTLIVE_SK" not in env and SECRET not in "".join(env.values())
            assert json.loads(env[POLICY_ENV]) == json.loads(s.media_policy().to_json())  # the API's policy

            third = start(c, nginx, "c")  # no node has a free CPU
            time.sleep(3)
            assert state(c, *third) == "WAITING"
            listed = c.get(f"/smart-live-rooms/{third[0]}/smart-live-jobs").json()
            assert [j["state"] for j in listed["smart_live_jobs"]] == ["WAITING"]

            view = wait_state(lambda: c.get(f"/console/jobs/{a[1]}/live-view").status_code, (200,), 30)
            jpeg = c.get(f"/console/jobs/{a[1]}/live-view")
            assert view == 200 and jpeg.content[:2] == b"\xff\xd8"  # copied from its node
            assert c.get(f"/console/jobs/{a[1]}/live-view-info").json()["frame"] is not None
            assert "RTMP_STREAM_STATE_CHANGE" in console_events(c, a[1])  # the console's event stream

            assert c.post(path(*b) + "/stop").status_code == 204
            assert wait_state(lambda: state(c, *b), ENDED, 60) == "CANCELED"
            assert wait_state(lambda: state(c, *third), ("PROCESSING",), 60) == "PROCESSING"
            assert until_commands(c, *third).status_code == 200

        # the server stops; the actors go on; a new server attaches them again
        size = nginx.recording("a").stat().st_size
        with ApiServer(s) as srv, api(srv) as c:
            for job in (a, third):
                assert state(c, *job) == "PROCESSING"
                assert until_commands(c, *job, timeout=30).status_code == 200
            time.sleep(4)
            assert state(c, *a) == "PROCESSING"  # its pings answered: still live
            assert nginx.recording("a").stat().st_size > size  # the stream went on
            for job in (a, third):
                assert c.post(path(*job) + "/stop").status_code == 204
            for job in (a, third):
                assert wait_state(lambda job=job: state(c, *job), ENDED, 60) == "CANCELED"
    finally:
        ray_cluster.clear()


def gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def test_node_loss_fails_its_job_and_a_stop_during_the_loss_ends(tmp_path, nginx, ray_cluster):
    s = ray_settings(tmp_path)
    try:
        with ApiServer(s) as srv, api(srv) as c:
            a, b = start(c, nginx, "a"), start(c, nginx, "b")
            for job in (a, b):
                assert until_commands(c, *job).status_code == 200
            lost = ray_cluster.nodes[1]
            lost_job = next(job for job in (a, b) if node_of(srv, job[1])["node_id"] == lost.node_id)
            pid = srv.app.state.store.job(lost_job[1])["pid"]
            ray_cluster.remove(lost)
            removed = time.monotonic()
            assert wait_state(lambda: state(c, *lost_job), ENDED, 40) == "FAILED"
            took = time.monotonic() - removed
            shown = c.get(path(*lost_job)).json()["error_info"]["error_msg"]
            assert took < 30, took
            assert "Ray node" in shown and lost.node_id[:16] in shown and "127.0.0.1" in shown, shown
            assert gone(pid)  # its push died with its actor: no stream left behind

            # a stop sent while a node is being lost still ends the job
            other = next(job for job in (a, b) if job != lost_job)
            assert c.post(path(*other) + "/stop").status_code == 204
            assert wait_state(lambda: state(c, *other), ENDED, 60) == "CANCELED"
            fresh = ray_cluster.add()
            d, e = start(c, nginx, "d"), start(c, nginx, "e")
            for job in (d, e):
                assert until_commands(c, *job).status_code == 200
            doomed = next(job for job in (d, e) if node_of(srv, job[1])["node_id"] == fresh.node_id)
            ray_cluster.remove(fresh)
            assert c.post(path(*doomed) + "/stop").status_code == 204
            stop_at = time.monotonic()
            assert wait_state(lambda: state(c, *doomed), ENDED, 40) in ("CANCELED", "FAILED")
            assert time.monotonic() - stop_at < 30
            survivor = d if doomed == e else e
            assert state(c, *survivor) == "PROCESSING"
            assert c.post(path(*survivor) + "/stop").status_code == 204
            assert wait_state(lambda: state(c, *survivor), ENDED, 60) == "CANCELED"
    finally:
        ray_cluster.clear()
        ray_cluster.restore()
