"""`smartlive validate` as a user runs it: a subprocess, exit codes, stderr lines, --json."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.unit.test_spec_models import BASE


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "render", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


@pytest.fixture
def room_file(tmp_path):
    def write(data, name="room.json"):
        p = tmp_path / name
        p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return p
    return write


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("smartlive ")


def test_example_room_is_valid(repo_root):
    r = run("validate", str(repo_root / "assets" / "rooms" / "example.json"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("valid:") and "1 scene(s), 1 paragraph(s)" in r.stdout
    assert "Traceback" not in r.stderr


def test_five_violations_five_lines(room_file):
    room = json.loads(json.dumps(BASE))
    room["room_type"] = "PARTY"
    room["scene_scripts"][0]["voice_config"]["speed"] = 300
    room["scene_scripts"][0]["shoot_scripts"].append({"text_config": {}})
    room["scene_scripts"][0]["layer_config"] = [{"layer_type": "IMAGE"}]
    room["video_config"] = {"codec": "H265", "bitrate": 4000, "width": 1080, "height": 1920}
    r = run("validate", str(room_file(room)))
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.startswith("MSS.00000003 ")]
    assert len(lines) == 5, r.stderr
    assert all(line.startswith("MSS.00000003 Invalid parameter: ") for line in lines)
    # the same run checks the media of the valid rest: BASE names ids no library has
    assert "MSS.10001001 Asset not found: scene_scripts[0].model_asset_id" in r.stderr
    assert ("MSS.00000003 Invalid parameter: scene_scripts[0].shoot_scripts[1].text_config.text: field required"
            in lines)
    assert "Traceback" not in r.stderr


def test_json_error_body(room_file):
    room = json.loads(json.dumps(BASE))
    room["scene_scripts"][0]["voice_config"]["volume"] = 10
    room["view_mode"] = "SIDEWAYS"
    r = run("validate", "--json", str(room_file(room)))
    assert r.returncode == 2
    body = json.loads(r.stdout)
    assert body["error_code"] == "MSS.00000003"
    assert "scene_scripts[0].voice_config.volume" in body["error_msg"] and "view_mode" in body["error_msg"]


def test_not_json(room_file):
    r = run("validate", str(room_file('{"room_name": "x",,}')))
    assert r.returncode == 2
    assert r.stderr.startswith("MSS.00000002 ") and "line 1 column" in r.stderr
    r = run("validate", "--json", str(room_file("nope")))
    assert json.loads(r.stdout)["error_code"] == "MSS.00000002"


def test_missing_file(tmp_path):
    r = run("validate", str(tmp_path / "nothere.json"))
    assert r.returncode == 2 and "nothere.json" in r.stderr and "Traceback" not in r.stderr


def test_unknown_fields_warn_but_pass(room_file, repo_root):
    room = json.loads((repo_root / "assets" / "rooms" / "example.json").read_text())
    room["interaction_mood"] = {"enable": True}
    r = run("validate", str(room_file(room, "ex.json")))
    assert r.returncode == 0, r.stderr
    assert "warning: interaction_mood: unknown field, ignored" in r.stderr


def test_missing_asset_names_field_and_code(room_file, repo_root):
    room = json.loads((repo_root / "assets" / "rooms" / "example.json").read_text())
    room["scene_scripts"][0]["background_config"][0]["background_config"] = "0123456789abcdef0123456789abcdef"
    room["scene_scripts"][0]["layer_config"] = [
        {"layer_type": "IMAGE", "position": {"dx": 0, "dy": 0, "layer_index": 2},
         "image_config": {"image_url": "missing/logo.png"}}]
    r = run("validate", str(room_file(room)))
    assert r.returncode == 2
    assert ("MSS.10001001 Asset not found: scene_scripts[0].background_config[0].background_config"
            in r.stderr)
    assert "MSS.10001004 File not found: scene_scripts[0].layer_config[0].image_config.image_url" in r.stderr


def test_a_robot_id_naming_no_robot_asset_is_an_error(room_file, repo_root):
    room = json.loads((repo_root / "assets" / "rooms" / "example.json").read_text())
    room["interaction_rules"] = [{"rule_index": "1", "enabled": True, "event_type": 1,
                                  "hit_condition": {"relation": "OR", "tags": []},
                                  "trigger": {"reply_mode": "INTELLIGENT_REPLY", "robot_id": "no_such_robot",
                                              "reply_texts": ["hi"]}}]
    r = run("validate", str(room_file(room, "robot.json")), cwd=repo_root)
    assert r.returncode == 2, r.stderr
    assert "MSS.10001001" in r.stderr and "interaction_rules[0].trigger.robot_id" in r.stderr
    room["interaction_rules"][0]["trigger"]["robot_id"] = "robot_shop_assistant"
    r = run("validate", str(room_file(room, "robot.json")), cwd=repo_root)
    assert r.returncode == 0, r.stderr
