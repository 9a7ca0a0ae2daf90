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


def test_the_reporter_holds_back_its_source_instead_of_growing(busy_server):
    """Backpressure: with 5 events allowed to wait, the source waits; all arrive, in order."""
    import asyncio

    from render.feeds.events import FeedEvent
    from render.feeds.report import Reporter
    from render.feeds.status import Stats

    most = []

    async def main():
        reporter = Reporter(busy_server["url"], Stats(), max_pending=5, interval=0.01)
        reporter.start()
        for i in range(300):
            await reporter.put(FeedEvent(1, {"content": f"c{i}"}))
            most.append(reporter.pending)
        await reporter.close()
        await reporter.task
        return reporter.stats

    stats = asyncio.run(main())
    assert max(most) <= 5 and stats.sent == 300 and stats.busy > 0
    assert busy_server["taken"] == [f"c{i}" for i in range(300)]


def test_the_status_line_says_rates_by_type_reconnects_and_drops():
    from render.feeds.status import Stats, status_line, summary

    s = Stats()
    for t in (1, 1, 1, 4, 6):
        s.seen(t)
    s.drop("duplicate", 2)
    s.reconnects, s.sent, s.batches, s.bad_frames = 3, 5, 1, 1
    line = status_line(s, s.rates(now=s._window_at + 2.0), pending=7)
    assert line == ("2.5 ev/s (comment 1.5, gift 0.5, viewer count 0.5) | sent 5 in 1 report(s), waiting 7 "
                    "| reconnects 3 | dropped 2 (duplicate 2) | bad frames 1")
    assert s.rates() == {}  # a new window
    assert summary(s) == ("5 event(s) seen (comment 3, gift 1, viewer count 1); reported 5 in 1 batch(es); "
                          "dropped 2 (duplicate 2); 3 reconnect(s); 1 bad frame(s) skipped")


def test_a_job_still_preparing_is_waited_for_and_an_ended_one_stops_the_feed():
    """409 before anything was taken: the job is starting, so the feed retries; once reports have
    been taken, 409 means the job ended: the feed stops with the API's error."""
    from render.feeds.lines import FeedError

    calls = {"n": 0}

    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            calls["n"] += 1
            ok = calls["n"] in (3, 4)
            body = (json.dumps({"live_event_report_url": "u", "accepted": 1}) if ok else
                    json.dumps({"error_code": "MSS.20020001", "error_msg": "job_id: job j is starting"})).encode()
            self.send_response(200 if ok else 409)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        lines = "".join(json.dumps({"type": 1, "content": {"content": f"c{i}"}}) + "\n" for i in range(3))
        with pytest.raises(FeedError, match="HTTP 409: MSS.20020001 job_id: job j is starting"):
            feed(f"http://127.0.0.1:{srv.server_address[1]}/r", io.StringIO(lines), batch=1, give_up=10)
    finally:
        srv.shutdown()
        srv.server_close()
    assert calls["n"] == 5  # 409, 409 (retried), 200, 200, then 409: the end


def test_a_batch_sent_again_after_a_lost_answer_carries_its_key():
    """The first answer comes too late (the client times out) though the events were taken: the
    resend has the same Idempotency-Key, so a server that keeps keys (smartlive's) takes them once;
    the next batch has a key of its own."""
    import asyncio
    import time

    from render.feeds.events import FeedEvent
    from render.feeds.report import Reporter
    from render.feeds.status import Stats

    seen: dict[str, int] = {}
    taken: list[str] = []
    posts: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = self.headers.get("Idempotency-Key", "")
            with lock:
                posts.append(key)
                first = key not in seen
                if first:
                    seen[key] = len(body["events"])
                    taken.extend(json.loads(e["content"])["content"] for e in body["events"])
            if len(posts) == 1:
                time.sleep(1.0)  # the answer is lost: the client gave up after 0.3 s
            data = json.dumps({"live_event_report_url": "u", "accepted": seen[key]}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/report"

    async def main():
        reporter = Reporter(url, Stats(), interval=0.05, timeout=0.3)
        reporter.start()
        for i in range(3):
            await reporter.put(FeedEvent(1, {"content": f"c{i}"}))
        await asyncio.sleep(1.5)  # the first batch, lost and sent again
        await reporter.put(FeedEvent(1, {"content": "c3"}))
        await reporter.close()
        await reporter.task
        return reporter.stats

    try:
        stats = asyncio.run(main())
    finally:
        srv.shutdown()
        srv.server_close()
    assert taken == ["c0", "c1", "c2", "c3"]  # once each
    assert len(posts) == 3 and posts[0] == posts[1] != posts[2] and all(len(k) == 32 for k in posts)
    assert stats.sent == 4
