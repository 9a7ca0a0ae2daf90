"""A live room steered through the official SDK against `smartlive serve`'s app with the real
push worker and a real nginx-rtmp: inserts heard in the stream read back, queries, clean-ups,
rule replies to reported comments, REFRESH_OUTPUT_URL to a second application, signed
REPLY_COMMAND_FINISH callbacks, and 409 once the job has ended."""
from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkmetastudio.v1 import (
    ControlSmartLiveReq,
    CreateSmartLiveRoomReq,
    CreateSmartLiveRoomRequest,
    ExecuteSmartLiveCommandRequest,
    ListInsertCommandsRequest,
    LiveEvent,
    LiveEventReportRequest,
    ReportLiveEventReq,
    ShowSmartLiveRequest,
    StartSmartLiveReq,
    StartSmartLiveRequest,
    StopSmartLiveRequest,
)

from tests.integration.api_harness import ApiServer, free_port, make_settings, sdk_client, wait_state

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

pytestmark = [pytest.mark.slow, pytest.mark.rtmp]
ENDED = ("SUCCEED", "FAILED", "CANCELED")
MODEL = "a5d295cdb345c11bd9f36bc22ced3a7a"
KEY = "callback-signing-key"
LINE = "Thank you all for joining this evening."
PENDING = "This appended line must never be heard because it is cleaned up first."


class Callbacks:
    """A local receiver of the live event callbacks (MSS_A_HEAD signed)."""

    def __init__(self):
        self.got: list[tuple[dict, dict]] = []
        self.cond = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with owner.cond:
                    owner.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    owner.cond.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, pred, timeout=60.0) -> tuple[dict, dict]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for headers, body in self.got:
                    if pred(body):
                        return headers, body
                left = deadline - time.monotonic()
                assert left > 0, f"no such callback; got {[b['event_type'] for _, b in self.got]}"
                self.cond.wait(left)

    def close(self):
        self.server.shutdown()


def finished(reply_id):
    return lambda b: b["event_type"] == "REPLY_COMMAND_FINISH" and json.loads(b["message"])["reply_id"] == reply_id


def silent_room(output_url: str, callbacks: Callbacks) -> dict:
    """A room whose own script is silence (so any speech in the stream is an insert or a reply)."""
    return {
        "room_name": "steered live",
        "scene_scripts": [{
            "script_name": "Quiet",
            "model_asset_id": MODEL,
            "voice_config": {"voice_asset_id": MODEL},
            "shoot_scripts": [{"sequence_no": 1, "title": "pause",
                               "text_config": {"text": '<speak><break time="10s"/></speak>'}}],
        }],
        "video_config": {"codec": "H264", "bitrate": 800, "width": 720, "height": 1280},
        "play_policy": {"repeat_count": -1},
        "output_urls": [output_url],
        "stream_keys": ["steer"],
        "interaction_rules": [{
            "rule_index": "greet", "rule_name": "greet", "event_type": 1,
            "hit_condition": {"relation": "AND", "tags": [{"tag": "content", "match": "REGEX", "value": "hello"}]},
            "trigger": {"reply_mode": "SYSTEM_REPLY", "reply_texts": ["Welcome {name}!"], "play_type": "PLAY_NOW"},
        }, {
            "rule_index": "ask", "rule_name": "price question", "event_type": 1,
            "hit_condition": {"relation": "AND", "tags": [{"tag": "content", "match": "REGEX", "value": "price"}]},
            "trigger": {"reply_mode": "CALLBACK", "reply_texts": ["Let me check."]},
        }],
        "live_event_callback_config": {"live_event_type_callback_url": callbacks.url, "auth_type": "MSS_A_HEAD",
                                       "key": KEY, "callback_event_type": ["REPLY_COMMAND_FINISH"]},
    }


def command(c, room_id, job_id, name, params=None):
    return c.execute_smart_live_command(ExecuteSmartLiveCommandRequest(
        room_id=room_id, job_id=job_id, body=ControlSmartLiveReq(command=name, params=params or {})))


def until_taking_commands(c, room_id, job_id, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return command(c, room_id, job_id, "GET_CURRENT_PLAYING_SCRIPTS")
        except ClientRequestException as e:  # 409 while the worker prepares
            assert e.status_code == 409 and time.monotonic() < deadline, (e.status_code, e.error_msg)
            time.sleep(0.3)


def voiced_seconds(path: Path) -> float:
    """Seconds of the recording's audio louder than -40 dBFS (20 ms windows)."""
    with av.open(str(path)) as c:
        chunks = [f.to_ndarray().astype(np.float32).mean(axis=0) for f in c.decode(audio=0)]
        rate = c.streams.audio[0].rate
    x = np.concatenate(chunks)
    n = rate // 50
    win = x[: len(x) // n * n].reshape(-1, n)
    return float((np.sqrt((win ** 2).mean(axis=1)) > 0.01).sum()) / 50


def speech_seconds(text: str) -> float:
    from render.assets import AssetLibrary
    from render.spec.models import VoiceConfig
    from render.speech import speak

    repo = Path(__file__).resolve().parents[2]
    clip = speak(text, VoiceConfig(voice_asset_id=MODEL), AssetLibrary.default(base_dir=repo))
    x = clip.samples
    n = 48000 // 50
    win = x[: len(x) // n * n].reshape(-1, n)
    return float((np.sqrt((win ** 2).mean(axis=1)) > 0.01).sum()) / 50


@pytest.fixture
def live(tmp_path, nginx, runner):
    """A steered live job, run by each job runner (`runner`: local, and the 2-node Ray cluster)."""
    callbacks = Callbacks()
    receiver = f"127.0.0.1:{callbacks.server.server_port}"  # taken as public: the policy's test seam
    with ApiServer(make_settings(tmp_path, url_allow_hosts=(receiver,), **runner)) as srv:
        c = sdk_client(srv.url)
        room = silent_room(nginx.url, callbacks)
        room_id = c.create_smart_live_room(CreateSmartLiveRoomRequest(body=CreateSmartLiveRoomReq(**room))).room_id
        job = c.start_smart_live(StartSmartLiveRequest(room_id=room_id, body=StartSmartLiveReq(
            interaction_callback_url=callbacks.url + "/interaction")))
        scripts = until_taking_commands(c, room_id, job.job_id)
        yield c, srv, room_id, job, scripts, callbacks
        try:
            c.stop_smart_live(StopSmartLiveRequest(room_id=room_id, job_id=job.job_id))
        except ClientRequestException:
            pass
        wait_state(lambda: c.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job.job_id)).state,
                   ENDED, 60)
    callbacks.close()


def test_insert_query_clean_up_and_callbacks(live, nginx):
    c, srv, room_id, job, scripts, callbacks = live
    assert json.loads(scripts.result) == [{"script_name": "Quiet", "model_asset_id": MODEL,
                                           "shoot_scripts": [{"sequence_no": 1, "title": "pause",
                                                              "text": '<speak><break time="10s"/></speak>'}]}]
    said = command(c, room_id, job.job_id, "INSERT_PLAY_SCRIPT", {"text_config": {"text": LINE}})
    assert said.command == "INSERT_PLAY_SCRIPT" and said.result == "SUCCESS" and said.command_id
    headers, body = callbacks.wait(finished(said.command_id))
    secret = hmac.new(KEY.encode(), (callbacks.url + headers["x-hw-mss-time"]).encode(), hashlib.sha256).hexdigest()
    assert headers["x-hw-mss-secret"] == secret  # MSS_A_HEAD: signed with the room's key
    assert json.loads(body["message"])["job_id"] == job.job_id

    # two APPEND lines wait for the end of the 10 s paragraph; CLEAN_UP drops them unheard
    pending = [command(c, room_id, job.job_id, "INSERT_PLAY_SCRIPT",
                       {"text_config": {"text": PENDING}, "play_type": "APPEND"}).command_id for _ in range(2)]
    listed = c.list_insert_commands(ListInsertCommandsRequest(room_id=room_id, job_id=job.job_id, limit=10))
    assert listed.count == 3 and [i.command_id for i in listed.insert_commands] == [said.command_id, *pending]
    assert {i.source for i in listed.insert_commands} == {"EXTERNAL"}
    assert listed.insert_commands[0].params["text_config"]["text"] == LINE
    cleaned = command(c, room_id, job.job_id, "CLEAN_UP_INSERT_COMMAND", {})
    assert json.loads(cleaned.result) == {"cleaned": pending}
    for reply_id in pending:
        assert json.loads(callbacks.wait(finished(reply_id))[1]["message"]).get("reason")
    time.sleep(11)  # past the paragraph's end: the dropped lines would be playing now

    bad = pytest.raises(ClientRequestException)
    with bad as err:
        command(c, room_id, job.job_id, "INSERT_PLAY_SCRIPT", {"text_config": {"text": ""}})
    assert err.value.status_code == 400 and err.value.error_code == "MSS.00000003"
    assert "params.text_config.text" in err.value.error_msg

    c.stop_smart_live(StopSmartLiveRequest(room_id=room_id, job_id=job.job_id))
    wait_state(lambda: c.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job.job_id)).state, ENDED, 60)
    with pytest.raises(ClientRequestException) as err:
        command(c, room_id, job.job_id, "GET_CURRENT_PLAYING_SCRIPTS")
    assert err.value.status_code == 409 and err.value.error_code == "MSS.20020001"

    nginx.stop()
    heard, line = voiced_seconds(nginx.recording("steer")), speech_seconds(LINE)
    assert 0.7 * line <= heard <= 1.3 * line + 0.3, (heard, line)  # the line, and not the cleaned-up ones


def test_a_reported_comment_gets_its_rules_reply(live, nginx):
    c, srv, room_id, job, _, callbacks = live
    comment = json.dumps({"user": {"userId": "u1", "name": "Li Lei"}, "content": "hello there"})
    anon = httpx.Client(trust_env=False, timeout=30)  # the pre-signed URL: no AK/SK
    r = anon.post(job.live_event_report_url, json={"total": 1, "events": [
        {"timestamp": int(time.time() * 1000), "type": 1, "content": comment}]})
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 30
    while True:
        listed = c.list_insert_commands(ListInsertCommandsRequest(room_id=room_id, job_id=job.job_id))
        auto = [i for i in listed.insert_commands if i.source == "AUTO"]
        if auto or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert auto and auto[0].params["text_config"]["text"] == "Welcome Li Lei!", listed
    callbacks.wait(finished(auto[0].command_id))
    # a CALLBACK rule posts to the start body's interaction_callback_url, signed as the room's callbacks
    question = json.dumps({"user": {"userId": "u2", "name": "Han Meimei"}, "content": "what is the price?"})
    assert anon.post(job.live_event_report_url, json={"total": 1, "events": [
        {"timestamp": int(time.time() * 1000), "type": 1, "content": question}]}).status_code == 200
    headers, hit = callbacks.wait(lambda b: b["event_type"] == "INTERACTION_RULE_HIT")
    msg = json.loads(hit["message"])
    assert msg["job_id"] == job.job_id and msg["rule_index"] == "ask" and msg["reply_texts"] == ["Let me check."]
    assert msg["event"]["type"] == 1 and msg["event"]["content"]["user"]["name"] == "Han Meimei"
    assert headers["x-hw-mss-secret"] == hmac.new(
        KEY.encode(), (callbacks.url + "/interaction" + headers["x-hw-mss-time"]).encode(), hashlib.sha256).hexdigest()
    # the same through the SDK, signed with AK/SK
    report = c.live_event_report(LiveEventReportRequest(room_id=room_id, job_id=job.job_id, refresh_url=True,
                                                        body=ReportLiveEventReq(total=1, events=[
                                                            LiveEvent(timestamp=int(time.time() * 1000), type=3,
                                                                      content="{}")])))
    assert report.live_event_report_url != job.live_event_report_url
    c.stop_smart_live(StopSmartLiveRequest(room_id=room_id, job_id=job.job_id))
    wait_state(lambda: c.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job.job_id)).state, ENDED, 60)
    nginx.stop()
    heard, reply = voiced_seconds(nginx.recording("steer")), speech_seconds("Welcome Li Lei!")
    assert 0.7 * reply <= heard <= 1.3 * reply + 0.3, (heard, reply)


def test_refresh_output_url_moves_the_stream(live, nginx):
    c, srv, room_id, job, _, _ = live
    time.sleep(2)
    moved = command(c, room_id, job.job_id, "REFRESH_OUTPUT_URL",
                    {"output_urls": [nginx.alt_url], "stream_keys": ["moved"]})
    assert moved.result == "SUCCESS"
    time.sleep(4)
    said = command(c, room_id, job.job_id, "INSERT_PLAY_SCRIPT", {"text_config": {"text": LINE}})
    time.sleep(6)
    state = c.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job.job_id)).state
    assert state == "PROCESSING" and said.result == "SUCCESS"
    c.stop_smart_live(StopSmartLiveRequest(room_id=room_id, job_id=job.job_id))
    wait_state(lambda: c.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job.job_id)).state, ENDED, 60)
    nginx.stop()
    with av.open(str(nginx.recording("steer"))) as old:
        before = sum(1 for _ in old.decode(video=0))
    with av.open(str(nginx.recording("moved", "alt"))) as new:
        after = sum(1 for _ in new.decode(video=0))
    assert 25 <= before <= 25 * 6, before  # ~2 s, then it ended there
    assert after >= 25 * 8, after  # the rest went to the second application
    line = speech_seconds(LINE)
    assert voiced_seconds(nginx.recording("moved", "alt")) >= 0.7 * line  # the insert is heard there


def test_a_hung_push_worker_is_detected(live):
    import os
    import signal

    c, srv, room_id, job, _, _ = live
    pid = srv.app.state.store.job(job.job_id)["pid"]
    os.kill(pid, signal.SIGSTOP)
    state = wait_state(lambda: c.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job.job_id)).state,
                       ENDED, 30)
    shown = c.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job.job_id))
    assert state == "FAILED" and "stopped answering its control channel" in shown.error_info.error_msg


def test_smartlive_feed_reports_comments_and_a_callback_receiver_answers(live, nginx):
    """Done-when of issue 11: events fed with `smartlive feed` get their replies live, and the
    receiver of a CALLBACK rule answers with INSERT_PLAY_SCRIPT carrying the rule_index."""
    import subprocess

    c, srv, room_id, job, _, callbacks = live
    lines = [{"type": 1, "content": {"user": {"name": "Wang Fang"}, "content": "hello from the feed"}},
             {"type": 1, "content": {"user": {"name": "Zhao Lei"}, "content": "what is the price?"}}]
    r = subprocess.run([sys.executable, "-m", "render", "feed", "--url", job.live_event_report_url, "-"],
                       input="".join(json.dumps(x) + "\n" for x in lines), capture_output=True, text=True,
                       timeout=60, env={**__import__("os").environ, "NO_PROXY": "127.0.0.1"})
    assert r.returncode == 0, r.stderr
    _, hit = callbacks.wait(lambda b: b["event_type"] == "INTERACTION_RULE_HIT")
    rule_index = json.loads(hit["message"])["rule_index"]
    answer = command(c, room_id, job.job_id, "INSERT_PLAY_SCRIPT", {
        "text_config": {"text": "It is ninety nine yuan."}, "play_type": "APPEND", "rule_index": rule_index})
    callbacks.wait(finished(answer.command_id))  # heard to its end
    listed = c.list_insert_commands(ListInsertCommandsRequest(room_id=room_id, job_id=job.job_id, limit=20))
    texts = {(i.source, i.params["text_config"]["text"]) for i in listed.insert_commands}
    assert ("AUTO", "Welcome Wang Fang!") in texts and ("EXTERNAL", "It is ninety nine yuan.") in texts
    assert next(i for i in listed.insert_commands if i.command_id == answer.command_id).params["rule_index"] == "ask"
