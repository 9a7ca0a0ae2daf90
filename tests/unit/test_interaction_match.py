"""The matcher alone (render/interaction/match.py): pure, table-driven, milliseconds."""
from __future__ import annotations

import pytest

from render.interaction.match import compile_rules, initial_state, lookup, step
from render.spec.live_events import ViewerEvent


def tag(name, match="EQUAL", value="", op="NONE"):
    return {"tag": name, "operation": op, "match": match, "value": value}


def rule(key, *tags, event_type=1, relation="AND", priority=500, mode="SYSTEM_REPLY", tw=0, enabled=True,
         scenes=None):
    r = {"rule_index": key, "rule_name": f"rule {key}", "enabled": enabled, "event_type": event_type,
         "hit_condition": {"relation": relation, "priority": priority, "tags": list(tags)},
         "trigger": {"time_window": tw, "reply_mode": mode, "reply_texts": ["ok"]}}
    if scenes is not None:
        r["enabled_scenes"] = scenes
    return r


def comment(text, **user):
    return ViewerEvent(1, {"user": {"name": "Li", **user}, "content": text})


def gift(num, value=1, name="rose"):
    return ViewerEvent(4, {"user": {"userId": "u1", "name": "Li", "level": 3},
                           "gift": {"giftName": name, "giftNum": num, "giftValue": value, "totalValue": num * value}})


LIKE = ViewerEvent(3, {"user": {"name": "Li"}})


def fired(rules, events):
    """Rule keys fired per event; events are (event, now[, scene])."""
    state = initial_state(compile_rules(rules))
    out = []
    for e in events:
        ev, now, scene = (*e, None)[:3]
        state, hits = step(state, ev, now, scene)
        out.append(sorted(h.rule.key for h in hits))
    return out


CASES = {
    # match ----------------------------------------------------------------------------------
    "EQUAL compares the whole text": (
        [rule("a", tag("content", "EQUAL", "hi"))],
        [(comment("hi"), 0), (comment("hi there"), 1)], [["a"], []]),
    "REGEX searches": (
        [rule("a", tag("content", "REGEX", "price|多少钱"))],
        [(comment("what's the price?"), 0), (comment("这个多少钱"), 1), (comment("nice"), 2)], [["a"], ["a"], []]),
    "REGEX with \\p{Han}": (
        [rule("a", tag("content", "REGEX", r"^\p{Han}+$"))], [(comment("你好"), 0), (comment("hi"), 1)], [["a"], []]),
    "a REGEX that backtracks forever gives up": (
        [rule("a", tag("content", "REGEX", "(a|aa)+$"))], [(comment("a" * 60 + "!"), 0)], [[]]),
    "invalid REGEX never matches": (
        [rule("a", tag("content", "REGEX", "(unclosed"))], [(comment("(unclosed"), 0)], [[]]),
    "MATH_GT/GE/LT/LE/EQ on numbers and numeric text": (
        [rule("gt", tag("level", "MATH_GT", "3")), rule("ge", tag("level", "MATH_GE", "3"), mode="SHOW_LAYER")],
        [(comment("x", level=4), 0), (comment("x", level="3"), 1), (comment("x", level=2), 2)],
        [["ge", "gt"], ["ge"], []]),
    "MATH_LT / LE / EQ": (
        [rule("lt", tag("level", "MATH_LT", "3")), rule("eq", tag("level", "MATH_EQ", "3.0"), mode="SHOW_LAYER")],
        [(comment("x", level=2), 0), (comment("x", level=3), 1)], [["lt"], ["eq"]]),
    "MATH_LE": ([rule("le", tag("level", "MATH_LE", "3"))], [(comment("x", level=3), 0), (comment("x", level=4), 1)],
                [["le"], []]),
    "a value that is not a number never matches MATH": (
        [rule("a", tag("level", "MATH_GE", "0"))],
        [(comment("x", level="gold"), 0), (comment("x", level=True), 1), (comment("x"), 2)], [[], [], []]),
    "a rule value that is not a number never matches MATH": (
        [rule("a", tag("level", "MATH_GE", "many"))], [(comment("x", level=9), 0)], [[]]),
    # tags -----------------------------------------------------------------------------------
    "dotted path and bare name at any depth": (
        [rule("p", tag("gift.giftNum", "MATH_GE", "5"), event_type=4),
         rule("b", tag("giftName", "EQUAL", "rose"), event_type=4, mode="SHOW_LAYER")],
        [(gift(5), 0), (gift(1, name="car"), 1)], [["b", "p"], []]),
    "a missing field never holds": (
        [rule("a", tag("user.badge", "REGEX", "."))], [(comment("x"), 0)], [[]]),
    # operations -----------------------------------------------------------------------------
    "COUNT: every third like, reset by the fire": (
        [rule("c", tag("", "MATH_GE", "3", "COUNT"), event_type=3)],
        [(LIKE, t) for t in range(7)], [[], [], ["c"], [], [], ["c"], []]),
    "COUNT of a field counts events carrying it": (
        [rule("c", tag("user.badge", "MATH_GE", "2", "COUNT"))],
        [(comment("x"), 0), (comment("x", badge="vip"), 1), (comment("x"), 2), (comment("x", badge="vip"), 3)],
        [[], [], [], ["c"]]),
    "SUM of gifts since the last fire": (
        [rule("s", tag("giftNum", "MATH_GE", "10", "SUM"), event_type=4)],
        [(gift(4), 0), (gift(4), 1), (gift(4), 2), (gift(4), 3), (gift(6), 4)], [[], [], ["s"], [], ["s"]]),
    "COUNT on likes counts likes (a like's count), not reports": (
        [rule("c", tag("", "MATH_GE", "10", "COUNT"), event_type=3),
         rule("n", tag("count", "MATH_GE", "10", "COUNT"), event_type=3, mode="SHOW_LAYER")],
        [(ViewerEvent(3, {"count": 8}), 0), (LIKE, 1), (LIKE, 2)], [[], [], ["c", "n"]]),
    "SUM of likes counts a like's count (absent: 1)": (
        [rule("s", tag("count", "MATH_GE", "10", "SUM"), event_type=3)],
        [(ViewerEvent(3, {"count": 8}), 0), (LIKE, 1), (LIKE, 2)], [[], [], ["s"]]),
    "AVG level": (
        [rule("v", tag("level", "MATH_GE", "5", "AVG"))],
        [(comment("x", level=2), 0), (comment("x", level=6), 1), (comment("x", level=8), 2),
         (comment("x", level=5), 3)],
        [[], [], ["v"], ["v"]]),
    "EQUAL on an aggregate compares its text": (
        [rule("c", tag("", "EQUAL", "2", "COUNT"), event_type=2)],
        [(ViewerEvent(2, {}), 0), (ViewerEvent(2, {}), 1), (ViewerEvent(2, {}), 2)], [[], ["c"], []]),
    # relation -------------------------------------------------------------------------------
    "AND needs every tag": (
        [rule("a", tag("content", "REGEX", "hi"), tag("level", "MATH_GE", "3"))],
        [(comment("hi", level=3), 0), (comment("hi", level=1), 1), (comment("yo", level=5), 2)], [["a"], [], []]),
    "OR needs one tag": (
        [rule("o", tag("content", "REGEX", "hi"), tag("level", "MATH_GE", "3"), relation="OR")],
        [(comment("hi", level=1), 0), (comment("yo", level=5), 1), (comment("yo", level=1), 2)], [["o"], ["o"], []]),
    "no tags: every event of the type": (
        [rule("w", event_type=2)], [(ViewerEvent(2, {}), 0), (comment("x"), 1)], [["w"], []]),
    "RESERVED only when no other rule of the type matched": (
        [rule("r", relation="RESERVED"), rule("p", tag("content", "REGEX", "price"))],
        [(comment("price?"), 0), (comment("hello"), 1)], [["p"], ["r"]]),
    "RESERVED stays quiet when the matching rule is suppressed": (
        [rule("r", relation="RESERVED"), rule("p", tag("content", "REGEX", "price"), tw=60)],
        [(comment("price?"), 0), (comment("price?"), 1), (comment("hello"), 2)], [["p"], [], ["r"]]),
    "RESERVED is blocked by a matching SHOW_LAYER rule too": (
        [rule("r", relation="RESERVED"), rule("l", tag("content", "REGEX", "wow"), mode="SHOW_LAYER")],
        [(comment("wow"), 0), (comment("meh"), 1)], [["l"], ["r"]]),
    "RESERVED does not check its own tags": (
        [rule("r", tag("content", "EQUAL", "never"), relation="RESERVED")], [(comment("x"), 0)], [["r"]]),
    "RESERVED of another event type does not count": (
        [rule("r", relation="RESERVED", event_type=2), rule("p")], [(ViewerEvent(2, {}), 0)], [["r"]]),
    # priority -------------------------------------------------------------------------------
    "lower priority value wins": (
        [rule("a", priority=300), rule("b", priority=100), rule("c", priority=200)], [(comment("x"), 0)], [["b"]]),
    "ties: the first in the list": (
        [rule("a", priority=100), rule("b", priority=100)], [(comment("x"), 0)], [["a"]]),
    "one reply rule and one SHOW_LAYER rule per event": (
        [rule("r1", priority=2, mode="CALLBACK"), rule("r2", priority=1, mode="INTELLIGENT_REPLY"),
         rule("l1", priority=5, mode="SHOW_LAYER"), rule("l2", priority=9, mode="SHOW_LAYER")],
        [(comment("x"), 0)], [["l1", "r2"]]),
    "a suppressed winner lets the next one fire": (
        [rule("a", priority=1, tw=-1), rule("b", priority=2)], [(comment("x"), 0), (comment("x"), 1)],
        [["a"], ["b"]]),
    # enabled, scenes, suppression -----------------------------------------------------------
    "enabled false never fires": ([rule("a", enabled=False)], [(comment("x"), 0)], [[]]),
    "enabled_scenes limits to those scenes": (
        [rule("a", scenes=["Product"])],
        [(comment("x"), 0, "Welcome"), (comment("x"), 1, "Product"), (comment("x"), 2, None)], [[], ["a"], []]),
    "time_window -1: once per live": ([rule("a", tw=-1)], [(comment("x"), t) for t in (0, 100, 10000)],
                                      [["a"], [], []]),
    "time_window 0: no suppression": ([rule("a", tw=0)], [(comment("x"), t) for t in (0, 0, 0)],
                                      [["a"], ["a"], ["a"]]),
    "time_window n: at most once per n s": ([rule("a", tw=10)], [(comment("x"), t) for t in (0, 5, 9.9, 10, 15)],
                                            [["a"], [], [], ["a"], []]),
    "events during suppression still count": (
        [rule("c", tag("", "MATH_GE", "2", "COUNT"), tw=10)],
        [(comment("x"), t) for t in (0, 1, 2, 3, 12)], [[], ["c"], [], [], ["c"]]),
    "sentences (type 10) match the script": (
        [rule("k", tag("content", "REGEX", "gift box"), event_type=10, mode="SHOW_LAYER")],
        [(ViewerEvent(10, {"content": "Look at this gift box."}), 0), (comment("gift box"), 1)], [["k"], []]),
}


@pytest.mark.parametrize("rules,events,expected", CASES.values(), ids=CASES.keys())
def test_matching(rules, events, expected):
    assert fired(rules, events) == expected


def test_rule_identity_is_rule_index_else_position():
    rules = compile_rules([rule(None), rule("x"), rule("")])
    assert [r.key for r in rules] == ["0", "x", "2"]


def test_hit_carries_the_values_compared():
    state = initial_state(compile_rules([rule("s", tag("giftNum", "MATH_GE", "5", "SUM"), tag("giftName", "EQUAL",
                                                                                            "rose"), event_type=4)]))
    state, hits = step(state, gift(2), 0, None)
    state, hits = step(state, gift(3), 1, None)
    assert hits[0].values == {"giftNum": 5.0, "giftName": "rose"}


def test_a_losing_rule_keeps_counting_the_winner_resets():
    rules = [rule("w", tag("", "MATH_GE", "1", "COUNT"), priority=1, tw=10),
             rule("l", tag("", "MATH_GE", "1", "COUNT"), priority=2)]
    state = initial_state(compile_rules(rules))
    state, hits = step(state, comment("x"), 0, None)
    assert [(h.rule.key, h.values) for h in hits] == [("w", {"COUNT": 1})]  # l matched and lost
    state, hits = step(state, comment("x"), 1, None)
    assert [(h.rule.key, h.values) for h in hits] == [("l", {"COUNT": 2})]  # w suppressed; l counted both
    state, hits = step(state, comment("x"), 11, None)
    assert [(h.rule.key, h.values) for h in hits] == [("w", {"COUNT": 2})]  # reset by its fire at 0


def test_viewer_count_updates_viewers_only():
    state = initial_state(compile_rules([rule("a", event_type=6)]))
    state, hits = step(state, ViewerEvent(6, {"numberOfViewers": 5466}), 0, None)
    assert state.viewers == 5466 and hits == []
    state, _ = step(state, ViewerEvent(6, {"numberOfViewers": "lots"}), 1, None)
    assert state.viewers == 5466


def test_step_is_pure():
    state = initial_state(compile_rules([rule("c", tag("", "MATH_GE", "2", "COUNT"))]))
    s1, h1 = step(state, comment("x"), 0, None)
    s1b, _ = step(state, comment("x"), 0, None)
    assert h1 == [] and s1 == s1b and state.per_rule["c"].aggs[0].count == 0
    _, h2 = step(s1, comment("x"), 1, None)
    assert [h.rule.key for h in h2] == ["c"]


def test_unchanged_rules_keep_state_when_replaced():
    old = initial_state(compile_rules([rule("a", tw=-1), rule("b", tw=-1)]))
    old, _ = step(old, comment("x"), 0, None)  # a fires (first in list)
    new = initial_state(compile_rules([rule("a", tw=-1), rule("b", tw=-1, priority=1)]), old)
    assert new.per_rule["a"].last_fired == 0 and new.per_rule["b"].last_fired is None


def test_lookup():
    c = {"user": {"name": "Li", "meta": {"deep": 1}}, "name": "top"}
    assert lookup(c, "name") == "top" and lookup(c, "deep") == 1 and lookup(c, "user.name") == "Li"
    assert lookup(c, "user.nope", None) is None and lookup(c, "nope", None) is None
