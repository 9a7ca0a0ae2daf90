"""Commands and rule hits become effects without touching the programme (issue 20, item 1):
`commands` and `reactions` only read a ShowView and answer with frozen values, and an API
insert and a rule's reply are the same effects. A stand-in view, no TTS: milliseconds."""
from __future__ import annotations

import copy
import dataclasses
import json
from types import MappingProxyType

import numpy as np
import pytest

from render.interaction.actions import Callback, Observe, Reply
from render.programme import commands, reactions
from render.programme import items as it
from render.programme.effects import (
    CancelRuleReplies,
    DropInserts,
    Emit,
    FinishReply,
    Insert,
    Job,
    Lane,
    Prepare,
    RefreshOutputs,
    ReplaceRules,
    SendCallback,
    SetExitPolicy,
)
from render.spec.commands import parse_command
from render.speech import Clip


class View:
    """A ShowView over plain data; `snapshot()` tells whether anything was written."""

    fps = 25
    seed = 1
    scene = None
    scenes = MappingProxyType({})
    overlays = ()
    rules = None
    has_outputs = True

    def __init__(self, room=None, queue=(), waiting=()):
        self.room = room
        self.library = None
        self.view = None
        self.round_keys = ()
        self.queue = tuple(queue)
        self.side_waiting = ()
        self._waiting = dict.fromkeys(waiting)

    @property
    def waiting(self):
        return self._waiting.keys()

    def ids(self):
        return {"room_id": "r", "job_id": "j"}

    def is_finished(self, command_id):
        return False

    def speaking_early(self, command_id):
        return False

    def synth(self, text, role, where):
        raise AssertionError("no speech is made while translating")

    def snapshot(self):
        items = [(id(q), q.command_id, q.first_slice, q.start, q.end) for q in self.queue]
        return items, copy.deepcopy({k: v for k, v in vars(self).items() if k not in ("library", "queue")})


def _insert(cid: str, *, first=True) -> it.Item:
    clip = Clip(np.zeros(0, np.float32))
    return it.make_item(it.INSERT, clip, 25, command_id=cid, first_slice=first)


def test_an_api_insert_and_a_rule_reply_are_the_same_effects():
    view = View()
    before = view.snapshot()
    cmd = parse_command({"command": "INSERT_PLAY_SCRIPT",
                         "params": {"text_config": {"text": "Hello Li!"}, "play_type": "INSERT"}})
    answer, api = commands.take(view, cmd)
    reply = Reply(reply_id="r1", rule_index="1", rule_name="greet", text="Hello Li!", audio_ref=None,
                  audio_field=None, role="STREAMER", play_type="INSERT")
    rule = reactions.effects(view, [reply])
    assert answer == "SUCCESS"
    assert view.snapshot() == before  # nothing written: the effects are still to be applied

    def shape(effects):
        return sorted((type(e).__name__, getattr(e, "lane", None), getattr(e, "job", None),
                       getattr(e, "fn", None)) for e in effects)

    assert shape(api) == shape(rule) == sorted([("Insert", None, None, None),
                                                ("Prepare", Lane.SPEECH, Job.INSERT, commands.spoken)])
    inserted = next(e.cmd for e in rule if isinstance(e, Insert))
    assert (inserted.name, inserted.source, inserted.command_id) == ("INSERT_PLAY_SCRIPT", "AUTO", "r1")
    assert inserted.params.play_type == cmd.params.play_type and inserted.params.text_config.text == "Hello Li!"
    job = next(e for e in rule if isinstance(e, Prepare))
    assert job.tag == (Job.INSERT, inserted, "Hello Li!")


def test_effects_are_frozen():
    e = FinishReply("c1", "CLEANED_UP")
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.reason = None  # type: ignore[misc]


@pytest.mark.parametrize("body, expected", [
    ({"command": "RESET_EXIT_CONFIG", "params": {"max_live_duration": 1, "auto_stop_mode": "SCENE_END"}},
     [SetExitPolicy, Emit]),
    ({"command": "REWRITE_INTERACTION_RULES", "params": {"interaction_rules": []}}, [ReplaceRules]),
    ({"command": "REFRESH_OUTPUT_URL", "params": {"output_urls": ["rtmp://127.0.0.1/live"], "stream_keys": ["k"]}},
     [RefreshOutputs]),
])
def test_commands_answer_with_effects_and_write_nothing(body, expected):
    view = View()
    before = view.snapshot()
    answer, effects = commands.take(view, parse_command(body))
    assert answer == "SUCCESS" and [type(e) for e in effects] == expected
    assert view.snapshot() == before


def test_clean_up_names_what_it_drops_and_leaves_the_dropping_to_the_core():
    view = View(queue=[_insert("a"), _insert("b"), _insert("b", first=False)], waiting=["a", "b", "c"])
    before = view.snapshot()
    answer, effects = commands.take(view, parse_command(
        {"command": "CLEAN_UP_INSERT_COMMAND", "params": {"command_ids": ["b", "c"]}}))
    assert json.loads(answer) == {"cleaned": ["b", "c"]}
    assert effects == [DropInserts(frozenset({"b"})), FinishReply("b", "CLEANED_UP"), FinishReply("c", "CLEANED_UP")]
    assert view.snapshot() == before


def test_clean_up_cancels_the_rules_queued_replies_too():
    class Rules:
        def pending_replies(self):
            return [Reply("q1", "1", "", "hi", None, None, "STREAMER", "APPEND")]

    view = View()
    view.rules = Rules()
    answer, effects = commands.take(view, parse_command({"command": "CLEAN_UP_INSERT_COMMAND", "params": {}}))
    assert json.loads(answer) == {"cleaned": ["q1"]}
    assert effects == [DropInserts(frozenset()), CancelRuleReplies(None)]


def test_what_the_engine_answered_becomes_events_and_callbacks():
    view = View()
    hit = Observe("RULE_HIT", {"rule_index": "1"})
    callback = Callback({"event_type": "INTERACTION_RULE_HIT", "message": "{}"})
    assert reactions.effects(view, [hit, callback]) == [Emit("RULE_HIT", {"rule_index": "1"}),
                                                         SendCallback(callback)]


def test_a_failed_prepared_insert_is_rejected_and_finished():
    from render.errors import MediaFileError
    from render.programme.prep import Done

    cmd = parse_command({"command": "INSERT_PLAY_SCRIPT", "params": {"text_config": {"text": "x"}}})
    effects = commands.place(View(), Done((Job.INSERT, cmd, "x"), error=MediaFileError("voice: broken")))
    assert [type(e) for e in effects] == [Emit, FinishReply]
    assert effects[0].event_type == "COMMAND_REJECTED" and effects[1].command_id == cmd.command_id
