"""Honest outcomes of the CLI: outputs refused before any work, a push that reached nobody fails."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rtmp_server  # noqa: E402

from tests.integration.test_preview import room  # noqa: E402


def smartlive(*args, timeout=180):
    return subprocess.run([sys.executable, "-m", "render", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_events_out_equal_to_output_is_refused_before_work(tmp_path):
    out = tmp_path / "a.mp4"
    r = smartlive("preview", room(tmp_path), "-o", out, "--events-out", out)
    assert r.returncode == 2 and "--events-out" in r.stderr and "MSS.00000003" in r.stderr
    assert "preparing" not in r.stderr and not out.exists()


@pytest.mark.parametrize("events", ["dir", "/proc/smartlive-events.jsonl"])
def test_unwritable_events_file_is_refused_before_work(tmp_path, events):
    ev = tmp_path if events == "dir" else Path(events)
    r = smartlive("preview", room(tmp_path), "-o", tmp_path / "a.mp4", "--events-out", ev)
    assert r.returncode == 2 and "--events-out" in r.stderr and str(ev) in r.stderr, r.stderr
    assert "preparing" not in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "a.mp4").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name,fmt", [("x.jpg", "JPEG"), ("x.jpeg", "JPEG"), ("x.png", "PNG")])
def test_frame_writes_the_format_its_name_says(tmp_path, name, fmt):
    out = tmp_path / name
    r = smartlive("frame", room(tmp_path), "-o", out, "--at", 0.5)
    assert r.returncode == 0, r.stderr
    with Image.open(out) as im:
        assert im.format == fmt


def test_frame_refuses_an_unknown_picture_format_before_work(tmp_path):
    r = smartlive("frame", room(tmp_path), "-o", tmp_path / "x.txt")
    assert r.returncode == 2 and "--output" in r.stderr and ".txt" in r.stderr
    assert not (tmp_path / "x.txt").exists()


@pytest.mark.rtmp
@pytest.mark.slow
def test_a_push_that_never_connected_fails_whatever_the_duration(tmp_path):
    url = f"rtmp://127.0.0.1:{rtmp_server.free_port()}/live"
    r = smartlive("push", room(tmp_path, policy={"repeat_count": -1}), "--url", url, "--key", "k",
                  "--duration", 3, "-q")
    assert r.returncode == 1, r.stderr + r.stdout
    assert "never connected" in r.stderr and url in r.stderr and "pushed" not in r.stdout
    assert "Traceback" not in r.stderr


@pytest.mark.rtmp
@pytest.mark.slow
def test_a_dead_output_does_not_delay_the_start(tmp_path):
    """One good output and one dead: the stream starts once the good one is connected (not after
    a wait for the dead one), the good one gets every frame, and the push says the other failed."""
    for srv in rtmp_server.running(tmp_path):
        dead = f"rtmp://127.0.0.1:{rtmp_server.free_port()}/live"
        p = subprocess.Popen([sys.executable, "-m", "render", "push", str(room(tmp_path, policy={"repeat_count": -1})),
                              "--url", srv.url, "--key", "ok", "--url", dead, "--key", "dead", "--duration", "2"],
                             stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        connected, lines = None, []
        for line in p.stderr:
            lines.append(line)
            if connected is None and line.startswith(f"{srv.url}/ok: CONNECTED"):
                connected = time.monotonic()
        p.wait(timeout=60)
        took = time.monotonic() - connected
        err = "".join(lines)
        assert p.returncode == 1 and "never connected" in err and dead in err, err
        assert took < 6, f"{took:.1f} s from the connection to the end of a 2 s push"
        srv.stop()
        import av
        with av.open(str(srv.recording("ok"))) as c:
            assert abs(sum(1 for _ in c.decode(video=0)) - 50) <= 3


@pytest.mark.rtmp
@pytest.mark.slow
@pytest.mark.parametrize("server", ["none", "silent"])
def test_ctrl_c_stops_a_push_to_a_dead_server_at_once(tmp_path, server):
    """Nothing listening, or a server that accepts TCP and never answers (each connection
    attempt waits its 5 s timeout): Ctrl-C ends the push at once either way."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    if server == "silent":
        lsock.listen(8)
    url = f"rtmp://127.0.0.1:{lsock.getsockname()[1]}/live"
    p = subprocess.Popen([sys.executable, "-m", "render", "push", str(room(tmp_path, paras=1)), "--url", url,
                          "--key", "k", "-q"], stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(6)  # speech prepared, the stream running or waiting on its output
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
        assert time.monotonic() - t0 < 2.0
        assert p.returncode != 0 and "Traceback" not in p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
        lsock.close()


@pytest.mark.rtmp
@pytest.mark.slow
def test_rtmps_to_a_plain_server_fails_clearly(tmp_path):
    for srv in rtmp_server.running(tmp_path):
        url = srv.url.replace("rtmp://", "rtmps://")
        r = smartlive("push", room(tmp_path, paras=1), "--url", url, "--key", "k", "--retries", "0",
                      "--duration", 2, "-q")
        assert r.returncode == 1 and url in r.stderr and "TLS" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
