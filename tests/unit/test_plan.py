"""The play plan: order under each policy, repeat counts and events. Pure and fast."""
from __future__ import annotations

import itertools
import json

from render.plan import is_idle, play_order, shoot_script_switch
from render.spec import validate_room


def room(policy=None, scenes=3, paras=3, shuffled_seq=False):
    scene_scripts = []
    for s in range(scenes):
        seqs = list(range(1, paras + 1))
        if shuffled_seq:
            seqs = seqs[::-1]
        scene_scripts.append({"script_name": f"S{s}", "shoot_scripts": [
            {"sequence_no": n, "title": f"P{s}.{n}", "text_config": {"text": f"scene {s} para {n}"}}
            for n in seqs]})
    body = {"room_name": "r", "scene_scripts": scene_scripts}
    if policy is not None:
        body["play_policy"] = policy
    return validate_room(body)[0]


def test_default_plays_every_paragraph_once_in_order():
    assert list(play_order(room())) == [(s, p) for s in range(3) for p in range(3)]


def test_sequence_no_decides_paragraph_order():
    # written 3, 2, 1: plays index 2 (seq 1) first
    assert list(play_order(room(scenes=1, shuffled_seq=True))) == [(0, 2), (0, 1), (0, 0)]


def test_repeat_count():
    assert len(list(play_order(room({"repeat_count": 0})))) == 9
    assert len(list(play_order(room({"repeat_count": 1})))) == 18
    endless = play_order(room({"repeat_count": -1}))
    assert len(list(itertools.islice(endless, 1000))) == 1000


def test_scene_shuffle_keeps_paragraphs_in_order_and_is_repeatable():
    r = room({"random_play_mode": "SCENE", "repeat_count": 3}, scenes=5)
    a, b = list(play_order(r, seed=7)), list(play_order(r, seed=7))
    assert a == b
    for k in range(0, len(a), 3):  # each scene's three paragraphs in sequence
        block = a[k:k + 3]
        assert [p for _, p in block] == [0, 1, 2] and len({s for s, _ in block}) == 1
    scene_orders = [[s for s, _ in a[k:k + 15:3]] for k in range(0, len(a), 15)]
    assert any(o != sorted(o) for o in scene_orders)
    assert list(play_order(r, seed=8)) != a


def test_script_item_shuffle_keeps_scene_order():
    r = room({"random_play_mode": "SCRIPT_ITEM", "repeat_count": 2}, scenes=3, paras=6)
    a = list(play_order(r, seed=1))
    assert [s for s, _ in a] == sorted([s for s, _ in a[:18]]) * 3
    assert any([p for _, p in a[k:k + 6]] != list(range(6)) for k in range(0, len(a), 6))
    assert all(sorted(p for _, p in a[k:k + 6]) == list(range(6)) for k in range(0, len(a), 6))


def test_scene_and_script_item_shuffles_both():
    r = room({"random_play_mode": "SCENE_AND_SCRIPT_ITEM", "repeat_count": 4}, scenes=4, paras=4)
    a = list(play_order(r, seed=3))
    assert sorted(a[:16]) == [(s, p) for s in range(4) for p in range(4)]
    assert any([s for s, _ in a[k:k + 16:4]] != list(range(4)) for k in range(0, 80, 16))
    assert any([p for _, p in a[k:k + 4]] != list(range(4)) for k in range(0, 80, 4))


def test_idle_policies():
    assert is_idle(room({"auto_play_script": False}))
    assert is_idle(room({"play_mode": "NO_PRESET"}))
    assert not is_idle(room({"play_mode": "AUDIO"}))
    assert list(play_order(room({"auto_play_script": False}))) == []


def test_shoot_script_switch_event_has_the_spec_fields():
    r = room(scenes=1)
    ev = shoot_script_switch(r.scene_scripts[0], 1, room_id="R", job_id="J")
    assert ev["event_type"] == "SHOOT_SCRIPT_SWITCH"
    msg = json.loads(ev["message"])
    assert msg == {"room_id": "R", "job_id": "J", "scene_script_name": "S0",
                   "shoot_script_sequence_no": "2", "shoot_script_title": "P0.2"}
