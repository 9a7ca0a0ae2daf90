"""What plays when: the play policy turned into an order of paragraphs and a timeline
of segments counted in frames. Pure: no pixels, no audio, no I/O.

The order (`play_order`) follows play_policy: paragraphs in sequence_no order inside
their scene, scenes in the order written; random_play_mode shuffles scenes (SCENE),
paragraphs inside each scene (SCRIPT_ITEM) or both, reshuffled on every repetition
from one seeded generator; repeat_count 0 plays once, n plays n + 1 times, -1 forever.
The programme (render/programme) asks for one round at a time (`round_order`).
"""
from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator

from render.spec.models import LiveVideoScriptInfo, PlayMode, PlayPolicy, RandomPlayMode, Room

Key = tuple[int, int]  # (scene index, paragraph index in scene.shoot_scripts)


def policy_of(room: Room) -> PlayPolicy:
    return room.play_policy or PlayPolicy()


def is_idle(room: Room) -> bool:
    """No preset script plays: auto_play_script false, NO_PRESET, or no paragraphs at all."""
    p = policy_of(room)
    return (not p.auto_play_script or p.play_mode == PlayMode.NO_PRESET
            or not any(s.shoot_scripts for s in room.scene_scripts or []))


def waits_for_signal(room: Room) -> bool:
    """auto_play_script false with a script to play: the show streams (and answers inserts and
    rules) but its script waits for the signal, the first REWRITE_PLAY_SCRIPT."""
    p = policy_of(room)
    return (not p.auto_play_script and p.play_mode != PlayMode.NO_PRESET
            and any(s.shoot_scripts for s in room.scene_scripts or []))


def signalled(room: Room) -> Room:
    """The room once its signal came: its script plays (auto_play_script true from now on)."""
    policy = policy_of(room).model_copy(update={"auto_play_script": True})
    return room.model_copy(update={"play_policy": policy})


def with_exit_config(room: Room, config) -> Room:
    """The room with play_policy.live_exit_config replaced (RESET_EXIT_CONFIG)."""
    policy = policy_of(room).model_copy(update={"live_exit_config": config})
    return room.model_copy(update={"play_policy": policy})


def paragraphs_in_order(room: Room, scene_index: int) -> list[int]:
    """Indexes of a scene's paragraphs by sequence_no (missing numbers keep their written place)."""
    paras = room.scene_scripts[scene_index].shoot_scripts
    return sorted(range(len(paras)), key=lambda i: (paras[i].sequence_no is None,
                                                    paras[i].sequence_no or 0, i))


def round_order(room: Room, rng: random.Random) -> list[Key]:
    """One round of (scene, paragraph) under the play policy, shuffled from `rng` as it says."""
    if is_idle(room):
        return []
    p = policy_of(room)
    shuffle_scenes = p.random_play_mode in (RandomPlayMode.SCENE, RandomPlayMode.SCENE_AND_SCRIPT_ITEM)
    shuffle_paras = p.random_play_mode in (RandomPlayMode.SCRIPT_ITEM, RandomPlayMode.SCENE_AND_SCRIPT_ITEM)
    scenes = [i for i, s in enumerate(room.scene_scripts) if s.shoot_scripts]
    order = rng.sample(scenes, len(scenes)) if shuffle_scenes else scenes
    keys = []
    for s in order:
        paras = paragraphs_in_order(room, s)
        if shuffle_paras:
            paras = rng.sample(paras, len(paras))
        keys += [(s, para) for para in paras]
    return keys


def rounds_total(room: Room) -> int | None:
    """How many rounds the play policy plays (None: forever)."""
    p = policy_of(room)
    return None if p.repeat_count == -1 else p.repeat_count + 1


def play_order(room: Room, seed: int | None = None) -> Iterator[Key]:
    """(scene, paragraph) in play order; endless when repeat_count is -1."""
    if is_idle(room):
        return
    rng = random.Random(seed)
    total = rounds_total(room)
    for _ in itertools.count() if total is None else range(total):
        yield from round_order(room, rng)


def shoot_script_switch(scene: LiveVideoScriptInfo, p: int, *, room_id: str = "", job_id: str = "") -> dict:
    """The SHOOT_SCRIPT_SWITCH callback body of the spec (message is a JSON string) for paragraph
    `p` of a scene."""
    para = scene.shoot_scripts[p]
    message = {"room_id": room_id, "job_id": job_id, "scene_script_name": scene.script_name,
               "shoot_script_sequence_no": "" if para.sequence_no is None else str(para.sequence_no),
               "shoot_script_title": para.title or ""}
    return {"event_type": "SHOOT_SCRIPT_SWITCH", "message": json.dumps(message, ensure_ascii=False)}
