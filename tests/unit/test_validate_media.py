"""`smartlive validate` opens every media file the room names, as the render will."""
from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading

import pytest

VOICE = "a5d295cdb345c11bd9f36bc22ced3a7a"


def run(*args):
    return subprocess.run([sys.executable, "-m", "render", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def http_dir(tmp_path):
    """A local HTTP server on 127.0.0.1 serving an empty folder: every file is a 404."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def room(tmp_path, layers=(), background=None, audio=None) -> str:
    scene = {"script_name": "s", "model_asset_id": VOICE, "voice_config": {"voice_asset_id": VOICE},
             "background_config": [background or {"background_type": "COLOR", "background_color_config": "#203050"}],
             "layer_config": list(layers),
             "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": "Hello."},
                                **({"audio_config": audio} if audio else {})}]}
    body = {"room_name": "r", "scene_scripts": [scene]}
    path = tmp_path / "room.json"
    path.write_text(json.dumps(body))
    return path


def image_layer(ref):
    return {"layer_type": "IMAGE", "image_config": {"image_url": ref}, "position": {"dx": 0, "dy": 0, "layer_index": 2}}


def test_bad_media_all_fail_at_validate_in_one_run(tmp_path, http_dir):
    (tmp_path / "text.png").write_text("not a picture at all")
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    (tmp_path / "broken.mp3").write_bytes(b"ID3" + bytes(1000))
    (tmp_path / "bad.srt").write_text("1\nthis is no timing line\nHello\n\nxx\n")
    layers = [image_layer("text.png"), image_layer("missing.png"), image_layer(f"{http_dir}/gone.png"),
              {"layer_type": "VIDEO", "video_config": {"video_url": "broken.mp4"},
               "position": {"dx": 0, "dy": 0, "layer_index": 3}}]
    path = room(tmp_path, layers, background={"background_type": "VIDEO", "background_config": "broken.mp4"},
                audio={"audio_url": "broken.mp3", "subtitle_url": "bad.srt"})
    r = run("validate", path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    by_field = {}
    for line in lines:
        assert line.startswith("MSS.10001004 "), line
        by_field[line.split(": ")[1]] = line
    sc = "scene_scripts[0]"
    assert set(by_field) == {f"{sc}.layer_config[{i}].image_config.image_url" for i in range(3)} | {
        f"{sc}.layer_config[3].video_config.video_url", f"{sc}.background_config[0].background_config",
        f"{sc}.shoot_scripts[0].audio_config.audio_url", f"{sc}.shoot_scripts[0].audio_config.subtitle_url"}, lines
    corrupt = by_field[f"{sc}.layer_config[0].image_config.image_url"]
    missing = by_field[f"{sc}.layer_config[1].image_config.image_url"]
    gone = by_field[f"{sc}.layer_config[2].image_config.image_url"]
    assert "text.png" in corrupt and "not a readable image" in corrupt
    assert corrupt.startswith("MSS.10001004 File corrupt or unreadable: ")  # not "File not found"
    for name in ("video_config.video_url", "background_config", "audio_url", "subtitle_url"):
        assert all("File corrupt or unreadable" in line for f, line in by_field.items() if f.endswith(name)), name
    assert "missing.png" in missing and "does not exist" in missing
    assert missing.startswith("MSS.10001004 File not found: ")
    assert "HTTP 404" in gone
    assert "broken.mp4" in by_field[f"{sc}.layer_config[3].video_config.video_url"]
    assert "broken.mp3" in by_field[f"{sc}.shoot_scripts[0].audio_config.audio_url"]
    assert "SRT" in by_field[f"{sc}.shoot_scripts[0].audio_config.subtitle_url"]
    assert "{" not in r.stderr


def test_good_media_pass(tmp_path):
    from PIL import Image

    Image.new("RGB", (32, 32), "red").save(tmp_path / "ok.png")
    r = run("validate", room(tmp_path, [image_layer("ok.png")]))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("field,value", [("background_color_config", "#12345G")])
def test_no_message_prints_a_template(tmp_path, field, value):
    path = room(tmp_path, background={"background_type": "COLOR", field: value})
    r = run("validate", path)
    assert r.returncode == 2 and "#12345G" in r.stderr and "{" not in r.stderr, r.stderr


def test_frame_rate_message_has_the_value(tmp_path):
    body = json.loads(room(tmp_path).read_text())
    body["video_config"] = {"codec": "H264", "bitrate": 1000, "width": 720, "height": 1280, "frame_rate": "25.5"}
    (tmp_path / "room.json").write_text(json.dumps(body))
    r = run("validate", tmp_path / "room.json")
    assert r.returncode == 2 and "25.5" in r.stderr and "{" not in r.stderr, r.stderr


def test_spec_and_media_problems_are_reported_in_one_run(tmp_path):
    path = room(tmp_path, [image_layer("missing.png")])
    body = json.loads(path.read_text())
    body["scene_scripts"][0]["voice_config"]["speed"] = 300
    path.write_text(json.dumps(body))
    r = run("validate", path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert any(ln.startswith("MSS.00000003 ") and "voice_config.speed" in ln for ln in lines), lines
    assert any(ln.startswith("MSS.10001004 ") and "layer_config[0].image_config.image_url" in ln
               and "missing.png" in ln for ln in lines), lines
    r = run("validate", "--json", path)
    body = json.loads(r.stdout)
    assert body["error_code"] == "MSS.00000003" and "missing.png" in body["error_msg"]


def test_format_and_url_messages_have_the_value(tmp_path):
    body = json.loads(room(tmp_path, audio={"audio_url": "talk.wav"}).read_text())
    body["output_urls"], body["stream_keys"] = ["http://127.0.0.1/live"], ["k"]
    (tmp_path / "room.json").write_text(json.dumps(body))
    r = run("validate", tmp_path / "room.json")
    assert r.returncode == 2 and "'talk.wav'" in r.stderr and "'http://127.0.0.1/live'" in r.stderr
    assert "{" not in r.stderr, r.stderr
