"""Live jobs running the real `python -m render push` worker against a real nginx-rtmp server."""

from __future__ import annotations

import sys
from pathlib import Path

import av
import httpx
import pytest

from tests.integration.api_harness import PROJECT, TOKEN, ApiServer, make_settings, push_room, wait_state

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rtmp_server  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.rtmp]
ENDED = ("SUCCEED", "FAILED", "CANCELED")
FIVE_SECONDS = (
    "Hello everyone, and welcome to the live room. Today we test a short stream of about five seconds."
)


@pytest.fixture
def nginx(tmp_path):
    yield from rtmp_server.running(tmp_path)


def run_job(srv, room: dict, timeout: float = 120) -> dict:
    with httpx.Client(
        base_url=f"{srv.url}/v1/{PROJECT}", headers={"X-Auth-Token": TOKEN}, timeout=30, trust_env=False
    ) as c:
        room_id = c.post("/smart-live-rooms", json=room).json()["room_id"]
        r = c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json={})
        assert r.status_code == 202, r.text
        url = f"/smart-live-rooms/{room_id}/smart-live-jobs/{r.json()['job_id']}"
        wait_state(lambda: c.get(url).json()["state"], ENDED, timeout)
        return c.get(url).json()


def test_a_job_pushes_its_script_and_succeeds(tmp_path, nginx):
    with ApiServer(make_settings(tmp_path)) as srv:
        job = run_job(srv, push_room(nginx.url, "five", text=FIVE_SECONDS))
    assert job["state"] == "SUCCEED", job
    assert job["duration"] >= 4 and "error_info" not in job
    nginx.stop()  # closes the recording
    with av.open(str(nginx.recording("five"))) as rec:
        v = rec.streams.video[0]
        assert (v.codec_context.name, v.width, v.height) == ("h264", 720, 1280)
        frames = sum(1 for _ in rec.decode(video=0))
    assert frames >= 4 * 25, frames


def test_a_job_without_its_rtmp_server_fails_with_error_info(tmp_path):
    absent = f"rtmp://127.0.0.1:{rtmp_server.free_port()}/live"
    with ApiServer(make_settings(tmp_path, push_retries=1)) as srv:
        job = run_job(srv, push_room(absent, "nobody", room_type="TEMP"))
    assert job["state"] == "FAILED", job
    info = job["error_info"]
    assert info["error_code"] == "MSS.00000004" and absent in info["error_msg"]
    assert "Traceback" not in info["error_msg"]
