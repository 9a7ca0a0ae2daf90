"""The job channel in front of the real Programme (in process): what the API's commands, event
reports and insert listings become, and what they answer."""
from __future__ import annotations

import json
import threading

import pytest

from render.assets import AssetLibrary
from render.control.channel import JobLink
from render.control.worker import SOCKET, serve_channel
from render.errors import SpecError
from render.programme import Programme
from render.spec import load_room
from tests.integration.test_programme import room_dict

pytestmark = pytest.mark.slow


@pytest.fixture
def live(tmp_path, repo_root):
    ch = serve_channel(tmp_path / SOCKET)  # open before the programme prepares: pings answer
    link = JobLink(tmp_path / SOCKET)
    assert link.wait_connected(5)
    assert link.request({"op": "ping"}, timeout=5) == {"attached": False, "frame": None}
    rules = [{"rule_index": "r1", "rule_name": "hello", "event_type": 1,
              "hit_condition": {"relation": "AND", "tags": [{"tag": "content", "match": "REGEX", "value": "hi"}]},
              "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": ["Hello {name}!"]}}]
    prog = Programme(load_room(room_dict(interaction_rules=rules)), AssetLibrary.default(base_dir=repo_root),
                     seed=1)
    ch.attach(prog)
    stop = threading.Event()

    def loop():
        while not stop.wait(0.002) and prog.next_frame() is not None:
            pass

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    yield prog, link
    stop.set()
    t.join(10)
    link.close()
    ch.close()
    prog.close()


def test_the_programme_behind_the_channel(live):
    prog, link = live
    body = {"command": "INSERT_PLAY_SCRIPT", "params": {"text_config": {"text": "A word from the shop."},
                                                        "play_type": "APPEND"}}
    out = link.request({"op": "command", "body": body, "command_id": "ext-1"}, timeout=30)
    assert out == {"command_id": "ext-1", "command": "INSERT_PLAY_SCRIPT", "result": "SUCCESS"}
    scripts = link.request({"op": "command", "body": {"command": "GET_CURRENT_PLAYING_SCRIPTS"}}, timeout=30)
    assert json.loads(scripts["result"])[0]["script_name"] == "Lamps"
    report = {"total": 1, "events": [{"type": 1, "content": json.dumps({"user": {"name": "Li"}, "content": "hi"})}]}
    assert link.request({"op": "events", "body": report}, timeout=30) == {"accepted": 1}
    listed = link.request({"op": "inserts", "offset": 0, "limit": 10}, timeout=30)
    assert listed["insert_commands"][0] == {"command_id": "ext-1", "command": "INSERT_PLAY_SCRIPT",
                                            "params": body["params"], "source": "EXTERNAL"}
    assert link.request({"op": "ping"}, timeout=5)["frame"] > 0
    with pytest.raises(SpecError, match="params.scene_scripts"):
        link.request({"op": "command", "body": {"command": "REWRITE_PLAY_SCRIPT", "params": {}}}, timeout=30)
