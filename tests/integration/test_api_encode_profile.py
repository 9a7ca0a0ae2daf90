"""A job chooses its encoder profile: `encode_profile` (smartlive's own field) in the room or the
start body; an unknown one is refused at start with 400 naming the field."""
from __future__ import annotations

import json

from tests.integration.api_harness import ApiServer
from tests.integration.test_api_control import ROOM, api, settings, until_live


def test_a_job_chooses_the_low_latency_profile_and_a_bad_one_is_refused(tmp_path):
    with ApiServer(settings(tmp_path)) as srv, api(srv) as c:
        room_id = c.post("/smart-live-rooms", json={**ROOM, "room_description": "live"}).json()["room_id"]
        bad = c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json={"encode_profile": "ultra"})
        assert bad.status_code == 400 and bad.json()["error_code"] == "MSS.00000003"
        assert "encode_profile: 'ultra' is not a live encode profile (live, low-latency)" in bad.json()["error_msg"]
        r = c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json={"encode_profile": "low-latency"})
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        until_live(c, room_id, job_id)
        (room_file,) = srv.settings.jobs_dir.glob(f"{job_id}/room.json")
        assert json.loads(room_file.read_text())["encode_profile"] == "low-latency"  # what the worker pushes with
        c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop")
