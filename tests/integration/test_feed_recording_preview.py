"""A recorded evening steers a preview: `smartlive feed bilibili --record` (here: follow +
Recorder against the local danmaku server) -> `smartlive preview --events-in RECORDING`, twice,
with the same frames and the same replies."""
from __future__ import annotations

import asyncio
import json

import pytest

from render.feeds.bilibili import Bilibili
from render.feeds.follow import follow
from render.feeds.record import Recorder
from render.feeds.status import Stats
from tests.bilibili_server import BilibiliServer, compressed, danmu
from tests.integration.test_preview import events, room, smartlive
from tests.integration.test_timeline_cli import frame_hashes
from tests.unit.test_feeds_bilibili import GIFT, T

pytestmark = pytest.mark.slow


def record(path):
    script = [compressed([danmu(1, "Wang Fang", "how much is it?", T), GIFT]), ("sleep", 0.6),
              compressed([danmu(2, "Li Lei", "hello", T + 600)], "zlib")]
    with BilibiliServer([script]) as srv:
        recorder, stats = Recorder(path, "bilibili 5050"), Stats()

        async def main():
            stop = asyncio.Event()

            async def put(ev):
                if ev.type == 1 and ev.content["content"] == "hello":
                    stop.set()

            await asyncio.wait_for(follow(Bilibili(5050, server=srv.url), put, stats, stop=stop, recorder=recorder,
                                          say=lambda s: None), 20)

        asyncio.run(main())
        recorder.close()


def test_a_recording_steers_a_preview_the_same_way_twice(tmp_path):
    rec = tmp_path / "evening.jsonl"
    record(rec)
    r = room(tmp_path, paras=2)
    body = json.loads(r.read_text())
    body["interaction_rules"] = [
        {"rule_index": "price", "rule_name": "price", "event_type": 1,
         "hit_condition": {"relation": "AND", "tags": [{"tag": "content", "operation": "NONE", "match": "REGEX",
                                                        "value": "how much"}]},
         "trigger": {"time_window": 0, "reply_mode": "SYSTEM_REPLY", "reply_texts": ["{name}, it is ninety nine."]}},
        {"rule_index": "gift", "rule_name": "gift", "event_type": 4,
         "hit_condition": {"relation": "AND", "tags": [{"tag": "giftNum", "operation": "NONE", "match": "MATH_GE",
                                                        "value": "1"}]},
         "trigger": {"time_window": 0, "reply_mode": "SHOW_LAYER", "layer_config": {
             "layer_type": "TEXT", "position": {"dx": 20, "dy": 100, "layer_index": 9},
             "text_config": {"text_context": "Thanks {name}!", "font_size": 40, "font_color": "#FF2020",
                             "display_duration": 1}}}}]
    r.write_text(json.dumps(body))
    outs = []
    for n in (1, 2):
        out, ev = tmp_path / f"p{n}.mp4", tmp_path / f"e{n}.jsonl"
        smartlive("preview", r, "-o", out, "--events-in", rec, "--events-out", ev, "--seed", 3, "-q")
        outs.append((frame_hashes(out), [(e["frame"], e["event_type"], e["message"]) for e in events(ev)]))
    assert outs[0] == outs[1]
    kinds = [k for _, k, _ in outs[0][1]]
    assert "LAYER_SHOW" in kinds
    replies = [json.loads(m)["text"] for _, k, m in outs[0][1] if k == "REPLY_START"]
    assert replies == ["Wang Fang, it is ninety nine."]
