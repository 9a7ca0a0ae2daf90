"""What a user notices on the command line (issue 25, item 12): flags that are refused or warn
instead of surprising, --assets anywhere, exit codes, a busy port, a preview's codec and ids."""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT_ARGS = [sys.executable, "-m", "render"]


def run(*args, cwd=None, timeout=300):
    return subprocess.run([*ROOT_ARGS, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def test_push_url_without_key_is_refused(repo_root):
    r = run("push", str(repo_root / "assets/rooms/example.json"), "--url", "rtmp://127.0.0.1:9/live", "--duration", "1")
    assert r.returncode == 2 and "--key" in r.stderr and "Traceback" not in r.stderr


def test_assets_missing_folder_is_an_error_and_works_after_the_subcommand(repo_root, tmp_path):
    room = str(repo_root / "assets/rooms/example.json")
    r = run("--assets", str(tmp_path / "nope"), "validate", room)
    assert r.returncode == 2 and f"--assets: {tmp_path / 'nope'} is not a folder" in r.stderr
    r = run("validate", room, "--assets", str(tmp_path / "nope"))
    assert r.returncode == 2 and "is not a folder" in r.stderr
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "manifest.json").write_text('{"assets": []}')
    r = run("validate", room, "--assets", str(tmp_path / "lib"))
    assert r.returncode == 0, r.stderr


def test_serve_on_a_busy_port_fails_before_creating_anything(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        db = tmp_path / "data" / "smartlive.db"
        r = run("serve", "--no-auth", "--port", str(port), "--db", str(db), timeout=60)
    assert r.returncode == 2 and f"--port: cannot listen on 127.0.0.1:{port}" in r.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.slow
def test_frame_past_the_end_warns(repo_root, tmp_path):
    r = run("frame", str(repo_root / "assets/rooms/example.json"), "--at", "99", "-o", str(tmp_path / "f.png"))
    assert r.returncode == 0 and "warning: --at: 99 s is past the end of scene 0's speech" in r.stderr


@pytest.mark.slow
def test_sigterm_exits_143(repo_root, tmp_path):
    room = json.loads((repo_root / "assets/rooms/example.json").read_text())
    room["play_policy"] = {"repeat_count": -1}  # endless: still rendering when the signal comes
    (tmp_path / "room.json").write_text(json.dumps(room))
    p = subprocess.Popen([*ROOT_ARGS, "preview", str(tmp_path / "room.json"), "-o", str(tmp_path / "x.mp4"),
                          "--duration", "60"], stderr=subprocess.PIPE, text=True, cwd=repo_root)
    deadline = time.monotonic() + 120
    for line in p.stderr:  # until it renders
        if "preview:" in line or time.monotonic() > deadline:
            break
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) == 143
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.slow
def test_a_webm_preview_of_an_h264_room_is_vp8_and_the_same_seed_gives_the_same_events(repo_root, tmp_path):
    import av

    timeline = tmp_path / "t.jsonl"
    timeline.write_text(json.dumps({"at": 0.5, "command": "INSERT_PLAY_SCRIPT",
                                    "params": {"text_config": {"text": "Hi."}}}) + "\n")
    room = json.loads((repo_root / "assets/rooms/example.json").read_text())
    # small and short: VP8 encodes slowly (a CROP window of the canvas, one short sentence)
    room["video_config"] = {"codec": "H264", "bitrate": 300, "width": 240, "height": 320, "clip_mode": "CROP",
                            "dx": 400, "dy": 900}
    room["scene_scripts"][0]["shoot_scripts"] = [{"sequence_no": 1, "text_config": {"text": "Hello there."}}]
    (tmp_path / "room.json").write_text(json.dumps(room))
    events = []
    for n in (1, 2):
        out = tmp_path / f"p{n}.webm"
        r = run("preview", str(tmp_path / "room.json"), "-o", str(out), "-q", "--seed", "3",
                "--events-in", str(timeline), "--events-out", str(tmp_path / f"e{n}.jsonl"), cwd=repo_root)
        assert r.returncode == 0, r.stderr
        with av.open(str(out)) as f:
            assert f.streams.video[0].codec_context.name in ("vp8", "libvpx")
        events.append((tmp_path / f"e{n}.jsonl").read_text())
    assert events[0] == events[1] and '"reply_id' in events[0]
    r = run("preview", str(tmp_path / "room.json"), "-o", str(tmp_path / "c.mkv"), "--codec", "VP8", "-q",
            cwd=repo_root)
    assert "Traceback" not in r.stderr
