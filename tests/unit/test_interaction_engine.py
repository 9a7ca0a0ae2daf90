"""Replies, the reply flow and the façade (render/interaction/): no I/O, fast."""
from __future__ import annotations

import gc
import json
import pickle
import random
import tracemalloc

from render.interaction import Callback, Interaction, Observe, Reply, ShowLayers, dynamic_text
from render.interaction.flow import GiftMerger, ReplyQueue
from render.interaction.match import compile_rules
from render.interaction.replies import ReplyPicker, fill
from render.spec import load_room
from render.spec.live_events import ViewerEvent
from tests.unit.test_interaction_match import comment, gift, rule, tag

BASE_ROOM = {"room_name": "r",
             "scene_scripts": [{"script_name": "S", "shoot_scripts": [{"text_config": {"text": "x"}}]}]}


def room(*rules, **extra):
    return load_room({**BASE_ROOM, "interaction_rules": list(rules), **extra}).room


def with_trigger(r, **trigger):
    r["trigger"].update(trigger)
    return r


# ---- replies ---------------------------------------------------------------------------------

def test_placeholders_any_depth_unknown_kept():
    content = {"user": {"name": "Li", "level": 7}, "gift": {"giftName": "rose", "giftNum": 3.0}, "content": "hi"}
    assert fill("Thanks {name} for {giftNum} {giftName}! {content} L{user.level} {nope} {user.nope} {}", content) == \
        "Thanks Li for 3 rose! hi L7 {nope} {user.nope} {}"


def test_dynamic_text_viewers():
    assert dynamic_text("{numberOfViewers} watching, {viewers}", None) == "{numberOfViewers} watching, {viewers}"
    assert dynamic_text("{numberOfViewers} watching, {viewers}", 5466) == "5466 watching, 5466"


def test_order_cycles_per_rule():
    rules = compile_rules([with_trigger(rule("a"), reply_texts=["1", "2", "3"], reply_order="ORDER"),
                           with_trigger(rule("b"), reply_texts=["x", "y"], reply_order="ORDER")])
    p = ReplyPicker(random.Random(0))
    got = [p.pick(rules[i % 2])[0] for i in range(8)]
    assert got == ["1", "x", "2", "y", "3", "x", "1", "y"]


def test_random_is_seeded_and_covers_texts_and_audios():
    r = compile_rules([with_trigger(rule("a"), reply_texts=["t1", "t2"], reply_order="RANDOM",
                                    reply_audios=[{"audio_url": "https://x/a.mp3", "audio_name": "a"}])])[0]
    def seq(seed):
        p = ReplyPicker(random.Random(seed))
        return [p.pick(r) for _ in range(30)]

    assert seq(7) == seq(7) and seq(7) != seq(8)
    picks = set(seq(7))
    assert ("t1", None, None) in picks and ("t2", None, None) in picks
    assert (None, "https://x/a.mp3", "interaction_rules[0].trigger.reply_audios[0].audio_url") in picks


def test_reply_fields_and_play_type_resolution():
    rules = [with_trigger(rule("1", priority=7), reply_texts=["Hi {name}"], reply_role="CO_STREAMER",
                          layer_config={"layer_type": "TEXT", "text_config": {"text_type": "DYNAMIC",
                                        "text_context": "{name}: {numberOfViewers}"}}),
             with_trigger(rule("2", event_type=2), reply_texts=["Welcome"], play_type="PLAY_NOW")]
    eng = Interaction(room(*rules, interaction_config={"play_type": "APPEND"}), None, seed=1, room_id="R", job_id="J")
    eng.on_event(comment("yo"), 3.0, "S")
    eng.on_event(ViewerEvent(2, {"user": {"name": "Wu"}}), 4.0, "S")
    r1, _ = eng.next_reply(5.0)
    r2, _ = eng.next_reply(5.0)
    assert isinstance(r1, Reply) and len(r1.reply_id) == 32
    assert (r1.rule_index, r1.rule_name, r1.text, r1.role, r1.play_type, r1.priority, r1.event_time) == \
        ("1", "rule 1", "Hi Li", "CO_STREAMER", "APPEND", 7, 3.0)
    assert r1.layers[0].text_config.text_context == "Li: {numberOfViewers}"  # the count stays live
    assert (r2.text, r2.play_type, r2.role) == ("Welcome", "PLAY_NOW", "STREAMER")
    eng2 = Interaction(room(rule("1")), None)
    eng2.on_event(comment("x"), 0, None)
    assert eng2.next_reply(0)[0].play_type == "INSERT"


def test_actions_of_each_reply_mode():
    layer = {"layer_type": "IMAGE", "image_config": {"image_url": "showcase_logo", "display_duration": 3}}
    rules = [with_trigger(rule("cb", priority=1), reply_mode="SYSTEM_REPLY_AND_CALLBACK", reply_texts=["Hi {name}"]),
             with_trigger(rule("sl", mode="SHOW_LAYER"), layer_config=layer)]
    eng = Interaction(room(*rules), None, seed=3, room_id="R", job_id="J")
    ev = ViewerEvent(1, {"user": {"name": "Li"}, "content": "hello"}, 1700000000000)
    actions = eng.on_event(ev, 2.0, "S")
    hits = [a for a in actions if isinstance(a, Observe) and a.event_type == "RULE_HIT"]
    assert sorted(h.message["rule_index"] for h in hits) == ["cb", "sl"]
    (cb,) = [a for a in actions if isinstance(a, Callback)]
    assert cb.body["event_type"] == "INTERACTION_RULE_HIT"
    msg = json.loads(cb.body["message"])
    assert msg == {"room_id": "R", "job_id": "J", "rule_index": "cb", "rule_name": "rule cb",
                   "event": {"type": 1, "timestamp": 1700000000000, "content": ev.content}, "reply_texts": ["Hi Li"]}
    (show,) = [a for a in actions if isinstance(a, ShowLayers)]
    assert show.rule_index == "sl" and show.layers[0].image_config.display_duration == 3
    assert eng.next_reply(2.0)[0].text == "Hi Li"
    # CALLBACK alone queues nothing
    eng = Interaction(room(with_trigger(rule("c"), reply_mode="CALLBACK")), None)
    assert any(isinstance(a, Callback) for a in eng.on_event(comment("x"), 0, None))
    assert eng.next_reply(0) == (None, [])


def test_intelligent_reply_carries_the_question():
    eng = Interaction(room(with_trigger(rule("q", mode="INTELLIGENT_REPLY"), robot_id="robot_shop_assistant",
                                        reply_texts=["Thanks {name}"])), None)
    eng.on_event(comment("how much is it?"), 0, None)
    r, _ = eng.next_reply(0)
    assert (r.question, r.robot_id, r.text) == ("how much is it?", "robot_shop_assistant", "Thanks Li")


def test_sentence_events_and_viewers():
    eng = Interaction(room(with_trigger(rule("k", tag("content", "REGEX", "box"), event_type=10, mode="SHOW_LAYER"),
                                        layer_config={"layer_type": "IMAGE", "image_config": {"image_url": "x.png"}})),
                      None)
    assert any(isinstance(a, ShowLayers) for a in eng.on_sentence("The gift box.", 1.0, "S"))
    assert eng.viewers is None
    eng.on_event(ViewerEvent(6, {"numberOfViewers": 12}), 2.0, "S")
    assert eng.viewers == 12


# ---- the flow ----------------------------------------------------------------------------------

def _reply(i, priority=500, t=0.0):
    return Reply(f"id{i}", "r", "", f"t{i}", None, None, "STREAMER", "INSERT", (), priority, t)


def test_queue_bound_and_priority_drop():
    q = ReplyQueue(size=3)
    assert q.push(_reply(1, 500)) == [] and q.push(_reply(2, 100)) == [] and q.push(_reply(3, 500)) == []
    (d,) = q.push(_reply(4, 300))
    assert (d.reply.reply_id, d.reason) == ("id3", "QUEUE_FULL")  # the lowest priority, newest of equals
    (d,) = q.push(_reply(5, 900))
    assert d.reply.reply_id == "id5"  # the newcomer itself is the lowest
    assert [q.pop(0)[0].reply_id for _ in range(3)] == ["id2", "id4", "id1"]
    assert q.pop(0) == (None, [])


def test_queue_max_age():
    q = ReplyQueue(size=5, max_age=30)
    q.push(_reply(1, t=0.0))
    q.push(_reply(2, t=20.0))
    reply, dropped = q.pop(40.0)
    assert reply.reply_id == "id2" and [(d.reply.reply_id, d.reason) for d in dropped] == [("id1", "EXPIRED")]


def test_drops_are_reported():
    eng = Interaction(room(rule("a")), None, room_id="R", job_id="J", queue_size=1)
    eng.on_event(comment("x"), 0.0, None)
    actions = eng.on_event(comment("x"), 0.0, None)
    kinds = [(a.event_type, a.message.get("reason")) for a in actions if isinstance(a, Observe)]
    assert ("REPLY_COMMAND_FINISH", "QUEUE_FULL") in kinds and ("RULE_DROPPED", "QUEUE_FULL") in kinds
    reply, dropped = eng.next_reply(31.0)
    assert reply is None and [o.event_type for o in dropped] == ["REPLY_COMMAND_FINISH", "RULE_DROPPED"]
    assert dropped[0].message == {"room_id": "R", "job_id": "J", "reply_id": dropped[1].message["reply_id"],
                                  "reason": "EXPIRED"}


def test_gift_merge_per_user_and_gift_within_window():
    m = GiftMerger(window=3.0)
    assert m.add(gift(2, 5), 0.0) == []
    assert m.add(gift(3, 5), 1.0) == []
    assert m.add(gift(1, 5, name="car"), 2.0) == []
    assert m.due(2.9) == []
    ((t0, merged),) = m.due(3.0)
    assert t0 == 0.0 and merged.content["gift"]["giftNum"] == 5 and merged.content["gift"]["totalValue"] == 25
    ((_, car),) = m.due(5.0)
    assert car.content["gift"]["giftName"] == "car" and len(m) == 0


def test_gift_merge_before_matching():
    eng = Interaction(room(rule("big", tag("giftNum", "MATH_GE", "5"), event_type=4, scenes=["S"])), None)
    assert eng.on_event(gift(2), 0.0, "S") == [] and eng.on_event(gift(3), 1.0, "S") == []
    assert eng.tick(2.9) == []
    actions = eng.tick(3.0)  # in the last scene reported
    assert [a.message["values"] for a in actions if isinstance(a, Observe)] == [{"giftNum": 5}]


def test_replace_rules_drops_replies_of_removed_rules():
    eng = Interaction(room(rule("a"), rule("b", event_type=2)), None)
    eng.on_event(comment("x"), 0, None)
    eng.on_event(ViewerEvent(2, {}), 0, None)
    dropped = eng.replace_rules([rule("b", event_type=2)])
    assert [o.message["reason"] for o in dropped if o.event_type == "RULE_DROPPED"] == ["RULES_REPLACED"]
    assert eng.next_reply(0)[0].rule_index == "b" and eng.queued() == 0


def test_pending_and_cancelled_replies():
    eng = Interaction(room(rule("a")), None)
    for _ in range(3):
        eng.on_event(comment("x"), 0, None)
    ids = [r.reply_id for r in eng.pending_replies()]
    assert len(ids) == 3 and len(set(ids)) == 3
    dropped = eng.cancel_replies([ids[1]])
    assert [(o.event_type, o.message["reply_id"], o.message["reason"]) for o in dropped] == \
        [("REPLY_COMMAND_FINISH", ids[1], "CLEANED_UP"), ("RULE_DROPPED", ids[1], "CLEANED_UP")]
    assert [r.reply_id for r in eng.pending_replies()] == [ids[0], ids[2]]
    assert len(eng.cancel_replies()) == 4 and eng.next_reply(0) == (None, [])


def test_flood_memory_is_bounded():
    """100k comments through on_event: the state stays the same size whatever the count."""
    rules = [rule("price", tag("content", "REGEX", "price"), priority=1, tw=0),
             rule("count", tag("", "MATH_GE", "500", "COUNT"), priority=2),
             rule("avg", tag("level", "MATH_GE", "9", "AVG"), mode="SHOW_LAYER"),
             with_trigger(rule("fallback", relation="RESERVED", tw=1), reply_texts=["Thanks {name}"])]
    eng = Interaction(room(*rules), None, seed=0)
    events = [comment("what price?" if i % 7 == 0 else f"msg {i}", level=i % 10, userId=str(i)) for i in range(1000)]

    def flood(n, t0):
        drops = 0
        for i in range(n):
            now = t0 + i / 1000  # 1,000 comments a second
            drops += len(eng.on_event(events[i % 1000], now, "S"))
            if i % 40 == 0:  # a reply spoken every 40 ms at most
                eng.next_reply(now)
        return drops

    flood(20_000, 0.0)
    size = len(pickle.dumps((eng._state, eng._picker._next)))
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    assert flood(10_000, 20.0) > 0  # traced: a leak of even 10 bytes an event would show
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert grown < 50_000, f"memory grew by {grown} bytes over 10k events"
    flood(70_000, 30.0)  # 100k in all
    assert eng.queued() <= 20
    assert len(pickle.dumps((eng._state, eng._picker._next))) <= size + 64  # the state's size is flat


def test_the_documented_example_rule(repo_root):
    """docs/interaction.md's example does what the page says."""
    doc = (repo_root / "docs" / "interaction.md").read_text(encoding="utf-8")
    example = json.loads(doc.split("```json", 1)[1].split("```", 1)[0])
    eng = Interaction(room(example, scene_scripts=[{"script_name": n, "shoot_scripts": [{"text_config": {"text": "x"}}]}
                                                   for n in ("Welcome", "Product")]), None, seed=0)
    big = ViewerEvent(4, {"user": {"userId": "u9", "name": "Ana", "level": 4},
                          "gift": {"giftName": "rocket", "giftNum": 1, "giftValue": 60, "totalValue": 60}})
    eng.on_event(big, 0.0, "Product")
    eng.on_event(big, 1.0, "Product")  # merged with the first: 2 rockets, 120
    actions = eng.tick(3.0)
    assert [a.message["values"] for a in actions if isinstance(a, Observe)] == [{"gift.totalValue": 120, "level": 4}]
    reply, _ = eng.next_reply(3.0)
    assert (reply.text, reply.role, reply.play_type) == ("Thank you Ana for 2 rocket!", "CO_STREAMER", "INSERT")
    assert reply.layers[0].text_config.text_context == "Ana sent rocket! {numberOfViewers} watching"
    eng.on_event(big, 10.0, "Product")
    eng.on_event(big, 10.5, "Product")
    assert eng.tick(13.5) == []  # 120 again, but within the 30 s window
    eng.on_event(big, 40.0, "Welcome")
    assert eng.tick(43.0) == []  # 180 summed since the fire, but not in Product
    eng.on_event(big, 50.0, "Product")
    assert [a.message["values"] for a in eng.tick(53.0) if isinstance(a, Observe)] == \
        [{"gift.totalValue": 240, "level": 4}]
    assert eng.next_reply(53.0)[0].text == "Ana, you are amazing!"


def test_a_replys_age_counts_from_its_events_own_timestamp_when_plausible():
    """A collector's backlog of minute-old comments is not answered as fresh (issue 25, item 6)."""
    wall = 1_700_000_000.0
    eng = Interaction(room(rule("a", tag("content", "REGEX", "hi"))), None, seed=1, wall=lambda: wall)

    def at(ts_ms):
        return ViewerEvent(1, {"content": "hi"}, ts_ms)

    eng.on_event(at(int((wall - 60) * 1000)), 100.0, None)  # a minute old on arrival
    reply, dropped = eng.next_reply(100.0)
    assert reply is None and any(o.message.get("reason") == "EXPIRED" for o in dropped)
    for ts in (int((wall - 5) * 1000), 0, int((wall + 3600) * 1000), int((wall - 3 * 86400) * 1000)):
        eng = Interaction(room(rule("a", tag("content", "REGEX", "hi"))), None, seed=1, wall=lambda: wall)
        eng.on_event(at(ts), 100.0, None)  # fresh, or a timestamp not to believe: from its arrival
        assert eng.next_reply(120.0)[0] is not None, ts
