"""The Reporter honours the report's answer: `accepted` (the first n taken), 429 + Retry-After,
so a flood against a live that takes only some loses nothing and sends nothing twice."""
from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from render.feeds.lines import feed


@pytest.fixture
def busy_server():
    """A report URL that takes at most `room` events a report and answers 429 every third
    report, like a live whose queue fills; records the comments it took, in order."""
    state = {"taken": [], "posts": 0, "answers": []}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                state["posts"] += 1
                if state["posts"] % 3 == 0:
                    status, reply, headers = 429, {"error_code": "MSS.00000429", "error_msg": "busy"}, {
                        "Retry-After": "0"}
                else:
                    n = min(len(body["events"]), 37)
                    state["taken"] += [json.loads(e["content"]).get("content", e["type"]) for e in body["events"][:n]]
                    status, reply = 200, {"live_event_report_url": "u", "accepted": n}
                    headers = {"Retry-After": "0"} if n < len(body["events"]) else {}
                state["answers"].append(status)
            data = json.dumps(reply).encode()
            self.send_response(status)
            for k, v in {"Content-Type": "application/json", "Content-Length": str(len(data)), **headers}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{srv.server_address[1]}/report"
    yield state
    srv.shutdown()
    srv.server_close()


def test_a_flood_loses_nothing_when_the_live_takes_only_some(busy_server):
    lines = "".join(json.dumps({"type": 1, "content": {"content": f"c{i}"}}) + "\n" for i in range(550))
    result = feed(busy_server["url"], io.StringIO(lines))
    assert busy_server["taken"] == [f"c{i}" for i in range(550)]  # all, once each, in order
    assert result.sent == 550
    assert 429 in busy_server["answers"]
