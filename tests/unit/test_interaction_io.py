"""The engine's edges that do I/O: the rule-hit callback and `smartlive feed` against a real local
HTTP server, and what `smartlive validate` says about rules."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from render.callbacks import sign
from render.feeds.lines import FeedError, feed
from render.interaction import Callback, CallbackSender, Interaction
from render.spec import load_room
from render.spec.models import LiveEventCallBackConfig
from tests.unit.test_interaction_engine import BASE_ROOM, with_trigger
from tests.unit.test_interaction_match import comment, rule, tag


@pytest.fixture
def server():
    """Records every POST; `answer` (status, body) is what it replies; `delay` slows it."""
    state = {"got": [], "answer": (200, {"live_event_report_url": "same"}), "delay": 0.0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            time.sleep(state["delay"])
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state["got"].append((self.path, dict(self.headers), json.loads(body), time.monotonic()))
            status, reply = state["answer"]
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{srv.server_address[1]}"
    yield state
    srv.shutdown()
    srv.server_close()


# ---- callback --------------------------------------------------------------------------------

def test_rule_hit_callback_is_posted_and_signed(server):
    room = load_room({**BASE_ROOM, "interaction_rules": [
        with_trigger(rule("7", tag("content", "REGEX", "buy")), reply_mode="CALLBACK", reply_texts=["On it, {name}"])],
        "live_event_callback_config": {"auth_type": "MSS_A_HEAD", "key": "k3y"}}).room
    engine = Interaction(room, None, room_id="room1", job_id="job1")
    (cb,) = [a for a in engine.on_event(comment("I want to buy"), 1.0, None) if isinstance(a, Callback)]
    url = server["url"] + "/hits?t=1"
    server["delay"] = 0.3
    sender = CallbackSender(url, room.live_event_callback_config)
    t0 = time.monotonic()
    sender.send(cb)
    assert time.monotonic() - t0 < 0.1  # never blocks the frame thread
    sender.close()
    ((path, headers, body, _),) = server["got"]
    assert path == "/hits?t=1" and body["event_type"] == "INTERACTION_RULE_HIT"
    msg = json.loads(body["message"])
    assert (msg["room_id"], msg["job_id"], msg["rule_index"], msg["rule_name"]) == ("room1", "job1", "7", "rule 7")
    assert msg["event"]["type"] == 1 and msg["event"]["content"]["content"] == "I want to buy"
    assert msg["reply_texts"] == ["On it, Li"]
    assert headers["x-hw-mss-secret"] == sign(url, "k3y", int(headers["x-hw-mss-time"], 16))[0]


def test_unreachable_callback_receiver_is_not_fatal():
    sender = CallbackSender("http://127.0.0.1:9/x", LiveEventCallBackConfig(), timeout=1.0)
    sender.send(Callback({"event_type": "INTERACTION_RULE_HIT", "message": "{}"}))
    sender.close()


# ---- feed ------------------------------------------------------------------------------------

def lines(*objs):
    return io.StringIO("".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs))


def test_feed_batches_at_most_100(server):
    events = [{"type": 1, "content": {"user": {"name": f"u{i}"}, "content": "hi"}, "timestamp": 1700000000000 + i}
              for i in range(250)]
    result = feed(server["url"] + "/report?auth_key=ab&expires_time=1", lines(*events))
    assert (result.sent, result.batches, result.bad_lines) == (250, 3, 0)
    sizes = [(b["total"], len(b["events"])) for _, _, b, _ in server["got"]]
    assert sizes == [(100, 100), (100, 100), (50, 50)]
    first = server["got"][0][2]["events"][0]
    assert server["got"][0][0] == "/report?auth_key=ab&expires_time=1"
    assert first["type"] == 1 and first["timestamp"] == 1700000000000
    assert json.loads(first["content"]) == {"user": {"name": "u0"}, "content": "hi"}  # a JSON string


def test_feed_flushes_every_half_second():
    """A slow source (a live collector): each event goes out within ~0.5 s, not at the end."""
    import os

    r, w = os.pipe()
    reader, writer = os.fdopen(r, "r"), os.fdopen(w, "w")
    sent_at = []

    def produce():
        for _ in range(3):
            writer.write(json.dumps({"type": 3, "content": json.dumps({"user": {"name": "a"}})}) + "\n")
            writer.flush()
            sent_at.append(time.monotonic())
            time.sleep(1.0)
        writer.close()

    # its own server, to see when each batch arrives
    got = []

    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append((json.loads(self.rfile.read(int(self.headers["Content-Length"]))), time.monotonic()))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    threading.Thread(target=produce, daemon=True).start()
    try:
        result = feed(f"http://127.0.0.1:{srv.server_address[1]}/r", reader)
    finally:
        srv.shutdown()
        srv.server_close()
    assert result.batches == 3 and [b["total"] for b, _ in got] == [1, 1, 1]
    lags = [at - s for (_, at), s in zip(got, sent_at, strict=True)]
    assert all(0.3 < lag < 0.95 for lag in lags), lags  # not held until the end (1 s apart)


def test_feed_skips_malformed_lines_and_says_which(server):
    err = io.StringIO()
    result = feed(server["url"], lines({"type": 1, "content": "{}"}, "not json", {"type": 9, "content": {}},
                                       {"type": 4, "content": "{broken"}, {"type": 2}), err=err)
    assert (result.sent, result.bad_lines) == (2, 3)
    text = err.getvalue()
    assert "line 2: not valid JSON" in text and "line 3.type: 9 is not an event type" in text
    assert "line 4.content: not valid JSON" in text


def test_feed_reports_the_http_status_and_api_error(server):
    server["answer"] = (401, {"error_code": "MSS.00000001", "error_msg": "Unauthorized: auth_key expired"})
    with pytest.raises(FeedError) as e:
        feed(server["url"], lines({"type": 1, "content": {}}))
    assert str(e.value) == "line 1: the report URL answered HTTP 401: MSS.00000001 Unauthorized: auth_key expired"


def run_cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "render", *args], capture_output=True, text=True, input=stdin,
                          timeout=60)


def test_feed_cli(server, tmp_path):
    f = tmp_path / "events.jsonl"
    f.write_text('{"type": 1, "content": {"content": "hi"}}\n{"type": 6, "content": {"numberOfViewers": 12}}\n')
    r = run_cli("feed", "--url", server["url"], str(f))
    assert r.returncode == 0 and r.stdout.strip() == "reported 2 event(s) in 1 batch(es)", r.stderr
    server["answer"] = (400, {"error_code": "MSS.00000003", "error_msg": "Invalid parameter: events[0].type"})
    r = run_cli("feed", "--url", server["url"], "-", stdin='{"type": 1, "content": {}}\n')
    assert r.returncode == 1 and "HTTP 400: MSS.00000003 Invalid parameter: events[0].type" in r.stderr
    assert "Traceback" not in r.stderr
    r = run_cli("feed", "--url", "http://127.0.0.1:9/x", "-", stdin='{"type": 1, "content": {}}\n')
    assert r.returncode == 1 and "cannot report line 1 to 127.0.0.1:9: ConnectError" in r.stderr
    assert "Traceback" not in r.stderr


# ---- validate ----------------------------------------------------------------------------------

def test_validate_errors_on_a_bad_regex_naming_the_field(tmp_path):
    room = {**BASE_ROOM, "interaction_rules": [rule("a", tag("content", "REGEX", "(price"))]}
    (tmp_path / "r.json").write_text(json.dumps(room))
    r = run_cli("validate", str(tmp_path / "r.json"))
    assert r.returncode == 2
    assert "MSS.00000003 Invalid parameter: interaction_rules[0].hit_condition.tags[0].value: '(price' is not a " \
           "valid regular expression" in r.stderr


def test_rewrite_rules_command_rejects_a_bad_regex():
    from render.errors import SpecError
    from render.spec.commands import parse_command

    with pytest.raises(SpecError) as e:
        parse_command({"command": "REWRITE_INTERACTION_RULES",
                       "params": {"interaction_rules": [rule("a"), rule("b", tag("content", "REGEX", "[a-"))]}})
    assert e.value.details[0].startswith("params.interaction_rules[1].hit_condition.tags[0].value: '[a-' is not")
    ok = parse_command({"command": "REWRITE_INTERACTION_RULES", "params": {"interaction_rules": [rule("a")]}})
    assert ok.params.interaction_rules[0].rule_index == "a"


def test_validate_warns_about_rules_that_never_fire(tmp_path):
    rules = [rule("a", tag("content", "MATH_GT", "3")),
             with_trigger(rule("b"), reply_texts=[]),
             with_trigger(rule("c", mode="INTELLIGENT_REPLY"), robot_id="no_such_robot"),
             rule("d", event_type=6),
             rule("e", tag("gift_num", "MATH_GE", "1", "SUM"), event_type=4),
             rule("f", tag("level", "MATH_GE", "lots")),
             with_trigger(rule("g", mode="INTELLIGENT_REPLY"), robot_id="robot_shop_assistant"),
             rule("h", tag("", "MATH_GE", "10", "COUNT"), event_type=3)]
    (tmp_path / "r.json").write_text(json.dumps({**BASE_ROOM, "interaction_rules": rules}))
    r = run_cli("validate", str(tmp_path / "r.json"))
    assert r.returncode == 2, r.stderr  # a robot_id naming no ROBOT asset is an error (issue 25)
    warnings = [w for w in r.stderr.splitlines() if w.startswith("warning: interaction_rules")]
    assert [w.split(":")[1].strip().split(".")[0] for w in warnings] == \
        ["interaction_rules[0]", "interaction_rules[1]", "interaction_rules[3]", "interaction_rules[4]",
         "interaction_rules[5]"], warnings
    assert ("MSS.10001001 Asset not found: interaction_rules[2].trigger.robot_id: no ROBOT asset with id "
            "'no_such_robot'") in r.stderr
    text = "\n".join(warnings)
    assert "MATH_GT on the text field 'content'" in text and "reply_texts: empty" in text
    assert "6 (viewer count)" in text and "'gift_num' is not a field of event type 4" in text
    assert "'lots' is not a number" in text


def test_showcase_room_validates(repo_root):
    r = run_cli("validate", str(repo_root / "assets" / "rooms" / "showcase.json"))
    assert r.returncode == 0 and "6 interaction rule(s)" in r.stdout and "warning" not in r.stderr, r.stderr
