"""The README runs as written (issue 25, item 8): every sh and python block, in order, literally,
against the real server it starts and a real nginx-rtmp; only the ports 8080 and 1935 are
replaced by free loopback ports. Background blocks (servers, a push) must last; each foreground
block must succeed and no API answer may be an error body. How blocks opt out: readme_blocks.py.
Also `make demo` (item 9): the showcase steered by its timeline, and it says where the file is."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.readme_blocks import Block, Heading, parse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rtmp_server  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.rtmp,
              pytest.mark.skipif(rtmp_server.missing() is not None, reason=str(rtmp_server.missing()))]

ROOT = Path(__file__).resolve().parents[2]
LASTS = 5.0  # s a background block must keep running


def test_the_readme_blocks_are_found_and_marked():
    blocks = [b for b in parse((ROOT / "README.md").read_text(encoding="utf-8")) if isinstance(b, Block)]
    runnable = [b for b in blocks if b.mode != "skip"]
    assert len([b for b in runnable if b.lang == "python"]) >= 2 and len([b for b in runnable if b.lang == "sh"]) >= 3
    assert all(b.mode in ("run", "skip", "background", "background-section") for b in blocks)


def _port_open(port: int) -> bool:
    return rtmp_server.port_open(port)


def _wait_port(port: int, proc, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not _port_open(port):
        assert proc.poll() is None, f"the background block ended (exit {proc.returncode}) before listening"
        assert time.monotonic() < deadline, f"nothing listens on {port} after {timeout:g} s"
        time.sleep(0.2)


def _stop(proc) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_the_readme_runs_as_written(tmp_path, monkeypatch):
    api_port, rtmp_port = rtmp_server.free_port(), rtmp_server.free_port()

    def literal(text: str) -> str:
        return re.sub(r"\b1935\b", str(rtmp_port), re.sub(r"\b8080\b", str(api_port), text))

    env = {**os.environ, "SMARTLIVE_DATA": str(tmp_path / "data")}
    for key in ("SMARTLIVE_AK", "SMARTLIVE_SK", "SMARTLIVE_TOKEN"):
        env.pop(key, None)
    state = tmp_path / "shell-state.sh"
    monkeypatch.chdir(ROOT)
    namespace: dict = {"__name__": "__readme__"}
    running: list[tuple[int, subprocess.Popen, Block]] = []  # (section level, process, block)
    try:
        for item in parse((ROOT / "README.md").read_text(encoding="utf-8")):
            if isinstance(item, Heading):  # a section ends: its background-section blocks too
                for level, proc, block in [r for r in running if r[2].mode == "background-section"]:
                    if item.level <= level:
                        _stop(proc)
                        running.remove((level, proc, block))
                continue
            if item.mode == "skip":
                continue
            code = literal(item.text)
            where = f"README.md:{item.line}"
            if item.lang == "python":
                exec(compile(code, where, "exec"), namespace)  # noqa: S102 -- the README's own code
                continue
            if item.mode.startswith("background"):
                log = open(tmp_path / f"block-{item.line}.log", "w")  # noqa: SIM115 -- closed with the process
                proc = subprocess.Popen(["bash", "-c", code], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
                running.append((item.level, proc, item))
                if "rtmp-server" in code:
                    _wait_port(rtmp_port, proc)
                elif " serve" in code:
                    _wait_port(api_port, proc)
                time.sleep(LASTS)
                assert proc.poll() is None, f"{where}: ended after less than {LASTS:g} s: " + \
                    (tmp_path / f"block-{item.line}.log").read_text()[-2000:]
                continue
            script = f"set -a\n[ -f {state} ] && . {state}\nset -e -o pipefail\n{code}\nexport -p > {state}\n"
            r = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            assert r.returncode == 0, f"{where}: exit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
            assert "error_code" not in r.stdout, f"{where}: an API error\n{r.stdout[-2000:]}"
    finally:
        for _, proc, _ in reversed(running):
            _stop(proc)
    assert namespace.get("room_id") and namespace.get("job") is not None


@pytest.mark.skipif(os.environ.get("SMARTLIVE_TEST_DEMO") == "0", reason="SMARTLIVE_TEST_DEMO=0")
def test_make_demo_renders_the_steered_showcase_and_says_where(tmp_path):
    r = subprocess.run(["make", "--no-print-directory", "demo", f"DEMO_OUT={tmp_path}",
                        "DEMO_SECONDS=16"], cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    video = tmp_path / "demo.mp4"
    assert str(video) in r.stdout
    import av

    with av.open(str(video)) as f:
        assert f.duration / 1e6 > 15
    kinds = [json.loads(line)["event_type"] for line in (tmp_path / "demo.jsonl").read_text().splitlines()]
    for kind in ("REPLY_START", "LAYER_SHOW", "RULE_HIT", "SHOOT_SCRIPT_SWITCH"):
        assert kind in kinds, kind
    lines = [json.loads(line) for line in (tmp_path / "demo.jsonl").read_text().splitlines()]
    thanks = [e for e in lines
              if e["event_type"] == "REPLY_START" and json.loads(e["message"])["role"] == "CO_STREAMER"]
    assert thanks, "the co-streamer never thanked the gift"
    # the gift's thank-you text appears with the co-streamer's spoken thanks (a rule reply's layer)
    rule = json.loads(thanks[0]["message"])["rule_index"]
    shown = [e["frame"] for e in lines if e["event_type"] == "LAYER_SHOW" and
             json.loads(e["message"]).get("rule_index") == rule]
    assert shown == [thanks[0]["frame"]]
