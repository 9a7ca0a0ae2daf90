"""Events: JSON lines, and callbacks to a real local HTTP server with the spec's signatures."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from render.callbacks import EventSink, sign
from render.spec.models import LiveEventCallBackConfig


@pytest.fixture
def server():
    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((self.path, dict(self.headers), json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", got
    srv.shutdown()
    srv.server_close()


EVENT = {"event_type": "SHOOT_SCRIPT_SWITCH", "message": json.dumps({"room_id": "r", "shoot_script_sequence_no": "1"})}


def test_json_lines_carry_stream_time(tmp_path):
    sink = EventSink(tmp_path / "ev.jsonl")
    sink.emit(EVENT, 1.24)
    sink.close()
    (line,) = (tmp_path / "ev.jsonl").read_text().splitlines()
    assert json.loads(line) == {"time": 1.24, **EVENT}


@pytest.mark.parametrize("auth", ["NONE", "MSS_A", "MSS_A_HEAD"])
def test_callbacks_are_posted_and_signed(server, auth):
    base, got = server
    url = f"{base}/hook?token=abc"
    cfg = LiveEventCallBackConfig(live_event_type_callback_url=url, auth_type=auth, key="k3y",
                                  callback_event_type=["SHOOT_SCRIPT_SWITCH"])
    sink = EventSink(None, cfg)
    sink.emit(EVENT, 0.0)
    sink.emit({"event_type": "RTMP_STREAM_STATE_CHANGE", "message": "{}"}, 0.1)  # not subscribed
    sink.close()
    assert len(got) == 1
    path, headers, body = got[0]
    assert body == EVENT
    query = parse_qs(urlsplit(path).query)
    assert query["token"] == ["abc"]
    if auth == "MSS_A":
        hw_time = query["hwTime"][0]
        assert query["hwSecret"][0] == hmac.new(b"k3y", (url + hw_time).encode(), hashlib.sha256).hexdigest()
    elif auth == "MSS_A_HEAD":
        hw_time = headers["x-hw-mss-time"]
        assert headers["x-hw-mss-secret"] == sign(url, "k3y", int(hw_time, 16))[0]
    else:
        assert "hwSecret" not in query and "x-hw-mss-secret" not in headers


def test_unreachable_callback_is_not_fatal():
    cfg = LiveEventCallBackConfig(live_event_type_callback_url="http://127.0.0.1:9/x",
                                  callback_event_type=["SHOOT_SCRIPT_SWITCH"])
    sink = EventSink(None, cfg, timeout=1.0)
    sink.emit(EVENT)
    sink.close()
    assert sink.events == [EVENT]


def test_the_api_policy_keeps_callbacks_off_private_addresses(server, monkeypatch):
    """A worker of the API (its policy in the environment) does not post to a private address;
    the same receiver taken as public (the policy's allow-list) gets the post."""
    from render.assets import POLICY_ENV, MediaPolicy

    base, got = server
    cfg = LiveEventCallBackConfig(live_event_type_callback_url=f"{base}/hook",
                                  callback_event_type=["SHOOT_SCRIPT_SWITCH"])
    monkeypatch.setenv(POLICY_ENV, MediaPolicy.restricted().to_json())
    sink = EventSink(None, cfg, timeout=1.0)
    sink.emit(EVENT)
    sink.close()
    assert got == [] and sink.events == [EVENT]  # refused, and the show went on

    allowed = MediaPolicy.restricted(url_allow_hosts=[urlsplit(base).netloc])
    monkeypatch.setenv(POLICY_ENV, allowed.to_json())
    sink = EventSink(None, cfg, timeout=1.0)
    sink.emit(EVENT)
    sink.close()
    assert [body for _, _, body in got] == [EVENT]
