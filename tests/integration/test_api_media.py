"""The API checks media as `smartlive validate` does: at room create/update and at job start
(on the room with the start body's overrides), with the server's extra asset folders."""

from __future__ import annotations

import json

import httpx
import numpy as np
from PIL import Image

from tests.integration.api_harness import PROJECT, TOKEN, ApiServer, fake_worker, make_settings, wait_state

MODEL = "a5d295cdb345c11bd9f36bc22ced3a7a"  # in the project library (a model and a voice)
OK_WORKER = """
import json, pathlib, sys
pathlib.Path(__file__).with_name("seen.json").write_text(pathlib.Path(sys.argv[1]).read_text())
"""


def image_layer(i: int, **ref) -> dict:
    return {
        "layer_type": "IMAGE",
        "position": {"dx": 0, "dy": 0, "layer_index": i},
        "size": {"width": 100, "height": 100},
        **ref,
    }


def room(*layers, model=MODEL) -> dict:
    return {
        "room_name": "media room",
        "output_urls": ["rtmp://127.0.0.1:9/live"],
        "stream_keys": ["k"],
        "scene_scripts": [
            {
                "script_name": "s",
                "model_asset_id": model,
                "voice_config": {"voice_asset_id": "voice_en_male"},
                "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": "hello"}}],
                "layer_config": [
                    {"layer_type": "HUMAN", "position": {"dx": 0, "dy": 0, "layer_index": 1}, "size": {"width": 700}},
                    *layers,
                ],
            }
        ],
    }


def extra_library(folder) -> None:
    folder.mkdir()
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(folder / "logo.png")
    manifest = {"assets": [{"id": "extra_logo", "kind": "IMAGE", "file": "logo.png"}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_media_checked_at_create_update_and_start(tmp_path):
    extra_library(tmp_path / "lib")
    (tmp_path / "media").mkdir()
    missing = "missing.png"  # under the media root, which has no such file
    settings = make_settings(
        tmp_path, assets_dirs=[tmp_path / "lib"], worker_command=fake_worker(tmp_path, OK_WORKER),
        media_roots=[tmp_path / "media"], url_allow_hosts=("127.0.0.1:9",),
    )
    with ApiServer(settings) as srv, httpx.Client(
        base_url=f"{srv.url}/v1/{PROJECT}", headers={"X-Auth-Token": TOKEN}, timeout=30, trust_env=False
    ) as c:
        # two problems: the first one's code, every message joined with "; "
        bad = room(image_layer(2, image_config={"image_url": str(missing)}), model="nope")
        r = c.post("/smart-live-rooms", json=bad)
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["error_code"] == "MSS.10001001"
        first, second = body["error_msg"].split("; ")
        assert first.startswith("Asset not found: scene_scripts[0].model_asset_id:") and "'nope'" in first
        assert "scene_scripts[0].layer_config[1].image_config.image_url" in second and missing in second
        r = c.post("/smart-live-rooms", json=room(image_layer(2, image_config={"image_url": str(missing)})))
        assert r.status_code == 400 and r.json()["error_code"] == "MSS.10001004", r.text
        assert c.get("/smart-live-rooms").json()["count"] == 0  # nothing stored

        # an asset of the server's extra folder resolves; an http(s) URL is not fetched here
        # (127.0.0.1:9 is taken as a public host by the test seam url_allow_hosts)
        good = room(
            image_layer(2, asset_id="extra_logo"),
            image_layer(3, image_config={"image_url": "https://127.0.0.1:9/never-fetched.png"}),
        )
        r = c.post("/smart-live-rooms", json=good)
        assert r.status_code == 200, r.text
        room_id = r.json()["room_id"]

        r = c.put(f"/smart-live-rooms/{room_id}", json=room(image_layer(2, asset_id="no_such_logo")))
        assert r.status_code == 400 and r.json()["error_code"] == "MSS.10001001", r.text
        assert "layer_config[1].asset_id" in r.json()["error_msg"]
        stored = c.get(f"/smart-live-rooms/{room_id}").json()
        assert stored["scene_scripts"][0]["layer_config"][1]["asset_id"] == "extra_logo"  # unchanged

        # job start: the effective room (with overrides) is checked
        jobs = f"/smart-live-rooms/{room_id}/smart-live-jobs"
        bad_voice = {"co_streamer_config": {"voice_config": {"voice_asset_id": "no_such_voice"}}}
        r = c.post(jobs, json=bad_voice)
        assert r.status_code == 400 and r.json()["error_code"] == "MSS.10001001", r.text
        assert "co_streamer_config.voice_config.voice_asset_id" in r.json()["error_msg"]
        assert c.get(jobs).json()["count"] == 0

        overrides = {
            "co_streamer_config": {"voice_config": {"voice_asset_id": "voice_cmn_female"}},
            "view_mode": "LANDSCAPE",
            "live_event_callback_config": {
                "live_event_type_callback_url": "http://127.0.0.1:9/cb",
                "callback_event_type": ["SHOOT_SCRIPT_SWITCH"],
            },
        }
        r = c.post(jobs, json=overrides)
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        wait_state(lambda: c.get(f"{jobs}/{job_id}").json()["state"], ("SUCCEED", "FAILED", "CANCELED"))
        assert c.get(f"{jobs}/{job_id}").json()["state"] == "SUCCEED"
        seen = json.loads((tmp_path / "seen.json").read_text())
        for key, value in overrides.items():
            assert seen[key] == value, key


def test_a_rule_asking_a_robot_the_server_lacks_is_refused_at_create(tmp_path):
    """The robot of an INTELLIGENT_REPLY rule is an asset reference like any other: a room, a rule
    group or a REWRITE_INTERACTION_RULES naming one the server has not gets 400 at the API,
    naming the field, not a live whose rule never answers."""
    def robot_rule(robot_id: str) -> dict:
        return {"rule_index": "1", "rule_name": "ask", "enabled": True, "event_type": 1,
                "hit_condition": {"relation": "RESERVED", "priority": 1, "tags": []},
                "trigger": {"reply_mode": "INTELLIGENT_REPLY", "robot_id": robot_id, "play_type": "APPEND",
                            "reply_texts": ["Let me check, {name}."]}}

    settings = make_settings(tmp_path, worker_command=fake_worker(tmp_path, OK_WORKER))
    with ApiServer(settings) as srv, httpx.Client(
        base_url=f"{srv.url}/v1/{PROJECT}", headers={"X-Auth-Token": TOKEN}, timeout=30, trust_env=False
    ) as c:
        r = c.post("/smart-live-rooms", json={**room(), "interaction_rules": [robot_rule("no_such_robot")]})
        assert r.status_code == 400 and r.json()["error_code"] == "MSS.10001001", r.text
        assert "interaction_rules[0].trigger.robot_id" in r.json()["error_msg"]
        assert c.get("/smart-live-rooms").json()["count"] == 0
        r = c.post("/smart-live-rooms", json={**room(), "interaction_rules": [robot_rule("robot_shop_assistant")]})
        assert r.status_code == 200, r.text
