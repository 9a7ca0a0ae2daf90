"""The spec's last corners in the programme (issue 25), on real speech: preset wording on the whole
sentence, reply layers that follow their reply, auto_play_script false waiting for its signal,
RESET_EXIT_CONFIG answered by GET_LIVE_JOB_CONFIG_INFO."""
from __future__ import annotations

import copy
import json

import pytest

from render.programme import Programme, parse_entry
from render.spec import load_room
from tests.integration.test_programme import room_dict, run
from tests.integration.test_rules_live import comment, kinds, rule

pytestmark = pytest.mark.slow

LONG = ("Tonight we look at three new lamps from the workshop of a very patient maker who lives far away "
        "in the green hills beyond the river where she works every day until late in the evening "
        "and at the very end of this long sentence I will say the word treasure.")


def test_preset_wording_matches_the_whole_sentence_not_its_first_subtitle_page(library):
    word = rule(9, 10, [{"tag": "content", "operation": "NONE", "match": "REGEX", "value": "treasure"}],
                {"time_window": 0, "reply_mode": "SHOW_LAYER", "layer_config": {
                    "layer_type": "TEXT", "position": {"dx": 10, "dy": 10, "layer_index": 9},
                    "text_config": {"text_context": "!", "font_size": 60, "display_duration": 1}}})
    room = room_dict(interaction_rules=[word])
    room["video_config"]["is_subtitle_enable"] = True
    room["video_config"]["subtitle_config"] = {"font_size": 100}
    room["scene_scripts"][0]["shoot_scripts"] = [{"sequence_no": 1, "title": "one", "text_config": {"text": LONG}}]
    _, events, _ = run(room, library)
    hits = kinds(events, "RULE_HIT")
    assert len(hits) == 1 and hits[0]["message"]["rule_index"] == "9"


def test_a_reply_layer_shows_when_its_reply_starts_and_hides_when_it_ends(library):
    append = rule(1, 1, [{"tag": "content", "operation": "NONE", "match": "REGEX", "value": "price"}],
                  {"time_window": 0, "reply_mode": "SYSTEM_REPLY", "reply_texts": ["Ninety nine yuan."],
                   "play_type": "APPEND", "layer_config": {
                       "layer_type": "TEXT", "position": {"dx": 10, "dy": 10, "layer_index": 9},
                       "text_config": {"text_context": "99", "font_size": 60}}})
    room = room_dict(interaction_rules=[append])
    _, events, _ = run(room, library, [comment(1.0, "price?")])
    start, finish = kinds(events, "REPLY_START")[0], kinds(events, "REPLY_COMMAND_FINISH")[0]
    show, hide = kinds(events, "LAYER_SHOW")[0], kinds(events, "LAYER_HIDE")[0]
    assert start["frame"] > 25 * 3  # APPEND: after the first paragraph, seconds after the comment
    assert show["frame"] == start["frame"]
    assert hide["frame"] == pytest.approx(finish["frame"], abs=1)


def test_a_dropped_reply_never_shows_its_layer(library):
    append = rule(1, 1, [{"tag": "content", "operation": "NONE", "match": "REGEX", "value": "price"}],
                  {"time_window": 0, "reply_mode": "SYSTEM_REPLY", "reply_texts": ["Ninety nine yuan."],
                   "play_type": "APPEND", "layer_config": {
                       "layer_type": "TEXT", "position": {"dx": 10, "dy": 10, "layer_index": 9},
                       "text_config": {"text_context": "99", "font_size": 60}}})
    room = room_dict(interaction_rules=[append])
    clean = {"at": 1.5, "command": "CLEAN_UP_INSERT_COMMAND", "params": {}}
    _, events, _ = run(room, library, [comment(1.0, "price?"), clean])
    assert kinds(events, "REPLY_COMMAND_FINISH") and not kinds(events, "REPLY_START")
    assert not kinds(events, "LAYER_SHOW")


def _paused(room: dict) -> dict:
    room = copy.deepcopy(room)
    room["play_policy"] = {"auto_play_script": False}
    return room


def test_auto_play_script_false_streams_answers_and_starts_on_the_first_rewrite(library):
    room = _paused(room_dict())
    said = {"at": 0.5, "command": "INSERT_PLAY_SCRIPT",
            "params": {"text_config": {"text": "Hello."}, "play_type": "PLAY_NOW"}}
    start = {"at": 4.0, "command": "REWRITE_PLAY_SCRIPT",
             "params": {"scene_scripts": room["scene_scripts"]}}
    audio, events, _ = run(room, library, [said, start], frames=250)
    assert len(audio) == 250 * 1920  # the show streams while it waits
    assert kinds(events, "REPLY_START")[0]["frame"] == round(0.5 * 25)
    switches = kinds(events, "SHOOT_SCRIPT_SWITCH")
    assert switches and switches[0]["frame"] == 100
    assert switches[0]["message"]["shoot_script_title"] == "one"


def test_auto_play_script_false_plays_nothing_without_its_signal(library):
    _, events, _ = run(_paused(room_dict()), library, frames=100)
    assert not kinds(events, "SHOOT_SCRIPT_SWITCH")


def test_reset_exit_config_changes_every_field_and_the_config_query_answers_it(library):
    prog = Programme(load_room(room_dict()), library, seed=1)
    reset = {"at": 0.2, "command": "RESET_EXIT_CONFIG",
             "params": {"max_live_duration": 2, "auto_stop_mode": "SEGMENT_END", "max_exception_waiting_duration": 7}}
    prog.schedule(parse_entry(json.dumps(reset), "reset"))
    try:
        for _ in range(10):
            prog.next_frame()
        from render.spec.commands import parse_command

        fut = prog.submit(parse_command({"command": "GET_LIVE_JOB_CONFIG_INFO"}))
        prog.next_frame()
        config = json.loads(fut.result(timeout=5))
    finally:
        prog.close()
    exit_config = config["play_policy"]["live_exit_config"]
    assert exit_config == {"max_live_duration": 2, "auto_stop_mode": "SEGMENT_END",
                           "max_exception_waiting_duration": 7}


@pytest.fixture(scope="module")
def library(repo_root):
    from render.assets import AssetLibrary

    return AssetLibrary.default(base_dir=repo_root)
