"""`smartlive feed bilibili ... --record` as a user runs it (a process, Ctrl-C to end it), then
`smartlive feed replay` of what it recorded, both against a report URL that is sometimes busy."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.bilibili_server import BilibiliServer, compressed, danmu, message
from tests.unit.test_feeds_bilibili import ENTER, GIFT, LIKE, T
from tests.unit.test_feeds_report import busy_server  # noqa: F401 -- the fixture

ENV = {**os.environ, "NO_PROXY": "127.0.0.1"}


def wait_for(cond, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_feed_bilibili_records_reports_ends_on_ctrl_c_and_replays(busy_server, tmp_path):  # noqa: F811
    comments = [danmu(i, f"user{i}", f"comment {i}", T + i) for i in range(120)]
    script = [compressed(comments[:60] + [GIFT, ENTER, LIKE]), b"\xff" * 20, ("sleep", 0.3),
              compressed(comments[60:], "zlib"), message(comments[5])]  # the last: a duplicate
    rec = tmp_path / "evening.jsonl"
    with BilibiliServer([script]) as srv:
        p = subprocess.Popen([sys.executable, "-m", "render", "feed", "bilibili", "5050", "--server", srv.url,
                              "--url", busy_server["url"], "--record", str(rec), "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        try:
            assert wait_for(lambda: len(busy_server["taken"]) >= 121), (busy_server["taken"][-3:], p.poll())
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
    assert p.returncode == 0, err
    assert "Traceback" not in err and "bad frame" in err  # logged, skipped
    texts = [t for t in busy_server["taken"] if str(t).startswith("comment")]
    assert texts == [f"comment {i}" for i in range(120)]  # all, once, in order, through 429s
    assert "124 event(s) seen (comment 120, gift 1, join 1, like 1, viewer count 1); reported 124" in out, out
    assert "dropped 1 (duplicate 1)" in out and "1 bad frame(s)" in out, out

    lines = [json.loads(x) for x in rec.read_text().splitlines() if not x.startswith("#")]
    assert rec.read_text().startswith("# smartlive feed recording: bilibili 5050")
    assert len(lines) == 124 and lines[0]["content"]["content"] == "comment 0" and lines[0]["type"] == 1
    ats = [x["at"] for x in lines]
    assert ats == sorted(ats) and ats[-1] - ats[0] >= 0.25  # the pause is kept

    busy_server["taken"].clear()
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "render", "feed", "replay", str(rec), "--url", busy_server["url"],
                        "--speed", "0.5", "-q"], capture_output=True, text=True, timeout=60, env=ENV)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert [t for t in busy_server["taken"] if str(t).startswith("comment")] == texts
    assert took >= 2 * (ats[-1] - ats[0])  # at half speed: the pause lasts twice as long

    r = subprocess.run([sys.executable, "-m", "render", "feed", "replay", str(tmp_path / "none.jsonl"), "--url",
                        busy_server["url"]], capture_output=True, text=True, timeout=60, env=ENV)
    assert r.returncode != 0 and "none.jsonl: no such file" in r.stderr and "Traceback" not in r.stderr
