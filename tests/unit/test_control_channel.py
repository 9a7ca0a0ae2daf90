"""The job channel (render.control.channel + worker): JSON lines over a Unix socket, both ends
real, served by an in-process object with the Programme's methods."""
from __future__ import annotations

import json
import stat
import threading
import time
from concurrent.futures import Future

import pytest

from render.control.channel import ChannelError, JobLink, Listener
from render.control.worker import SOCKET, read_result, serve_channel, write_result
from render.errors import InternalError, MediaFileError, SpecError, StateError


class LiveLike:
    """The Programme's interface (PROGRAMME_API.md), answering from a thread like a frame loop."""

    def __init__(self):
        self.taken, self.reported, self.i = [], [], 0
        self.block = threading.Event()

    def submit(self, cmd) -> Future:
        fut: Future = Future()

        def take():
            if self.block.is_set():
                return  # a hung frame loop never takes it
            self.taken.append(cmd)
            if cmd.name == "INSERT_PLAY_AUDIO" and cmd.params.audio_url.startswith("missing"):
                fut.set_exception(MediaFileError(f"params.audio_url: {cmd.params.audio_url} not found"))
            elif cmd.is_query:
                fut.set_result(json.dumps([{"script_name": "only scene"}]))
            else:
                fut.set_result("SUCCESS")

        threading.Timer(0.04, take).start()  # "the next frame"
        return fut

    def report(self, events) -> int:
        self.reported.extend(events)
        return len(events)

    def inserts(self, offset=0, limit=None):
        items = [{"command_id": c.command_id, "command": c.name, "params": c.raw_params, "source": c.source}
                 for c in self.taken if c.is_insert]
        return len(items), items[offset: None if limit is None else offset + limit]


@pytest.fixture
def served(tmp_path):
    prog = LiveLike()
    ch = serve_channel(tmp_path / SOCKET, prog)
    events: list[dict] = []
    link = JobLink(tmp_path / SOCKET, on_event=events.append)
    assert link.wait_connected(5)
    yield prog, ch, link, events
    link.close()
    ch.close()


def test_socket_is_private(tmp_path):
    ch = serve_channel(tmp_path / SOCKET)
    try:
        assert stat.S_IMODE((tmp_path / SOCKET).stat().st_mode) == 0o600
    finally:
        ch.close()
    assert not (tmp_path / SOCKET).exists()


def test_commands_events_and_inserts_round_trip(served):
    prog, ch, link, _ = served
    insert = {"command": "INSERT_PLAY_SCRIPT", "params": {"text_config": {"text": "Hello there"}}}
    out = link.request({"op": "command", "body": insert, "command_id": "c1"}, timeout=5)
    assert out == {"command_id": "c1", "command": "INSERT_PLAY_SCRIPT", "result": "SUCCESS"}
    assert prog.taken[0].params.text_config.text == "Hello there"
    query = link.request({"op": "command", "body": {"command": "GET_CURRENT_PLAYING_SCRIPTS"}}, timeout=5)
    assert json.loads(query["result"]) == [{"script_name": "only scene"}] and len(query["command_id"]) == 32

    report = {"total": 2, "events": [{"timestamp": 1, "type": 1, "content": '{"content": "hi"}'},
                                     {"type": 3, "content": {"count": 4}}]}
    assert link.request({"op": "events", "body": report}, timeout=5) == {"accepted": 2}
    assert [e.type for e in prog.reported] == [1, 3] and prog.reported[0].content == {"content": "hi"}

    listed = link.request({"op": "inserts", "offset": 0, "limit": 10}, timeout=5)
    assert listed == {"count": 1, "insert_commands": [
        {"command_id": "c1", "command": "INSERT_PLAY_SCRIPT", "params": insert["params"], "source": "EXTERNAL"}]}
    assert link.request({"op": "ping"}, timeout=5) == {"attached": True, "frame": 0}


def test_errors_come_back_as_the_same_error(served):
    _, _, link, _ = served
    with pytest.raises(SpecError, match=r"params\.text_config"):
        link.request({"op": "command", "body": {"command": "INSERT_PLAY_SCRIPT", "params": {}}}, timeout=5)
    with pytest.raises(SpecError, match=r"events\[0\]\.type"):
        link.request({"op": "events", "body": {"events": [{"type": 99}]}}, timeout=5)
    bad_audio = {"command": "INSERT_PLAY_AUDIO", "params": {"audio_url": "missing.wav"}}
    with pytest.raises(MediaFileError, match="missing.wav not found") as err:
        link.request({"op": "command", "body": bad_audio}, timeout=5)
    assert err.value.message == "File not found: params.audio_url: missing.wav not found"


def test_events_reach_the_server_even_those_before_it_connected(tmp_path):
    ch = serve_channel(tmp_path / SOCKET)
    ch.emit({"event_type": "REPLY_START", "frame": 1})
    got: list[dict] = []
    link = JobLink(tmp_path / SOCKET, on_event=got.append)
    try:
        assert link.wait_connected(5)
        ch.emit({"event_type": "LAYER_SHOW", "frame": 2})
        deadline = time.monotonic() + 5
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [e["frame"] for e in got] == [1, 2]
    finally:
        link.close()
        ch.close()


def test_preparing_then_attached(tmp_path):
    ch = serve_channel(tmp_path / SOCKET)
    link = JobLink(tmp_path / SOCKET)
    try:
        assert link.wait_connected(5)
        assert link.request({"op": "ping"}, timeout=5)["attached"] is False
        with pytest.raises(StateError, match="still preparing"):
            link.request({"op": "events", "body": {"events": []}}, timeout=5)
        ch.attach(LiveLike())
        assert link.request({"op": "events", "body": {"events": []}}, timeout=5) == {"accepted": 0}
    finally:
        link.close()
        ch.close()


def test_a_hung_live_times_out_but_pings_still_answer(served):
    prog, _, link, _ = served
    prog.block.set()
    body = {"command": "CLEAN_UP_INSERT_COMMAND", "params": {}}
    with pytest.raises(InternalError, match="did not take the command within 0.3 s"):
        link.request({"op": "command", "body": body, "timeout": 0.3}, timeout=5)
    assert link.request({"op": "ping"}, timeout=2)["attached"]


def test_a_silent_or_gone_worker_is_a_channel_error(tmp_path):
    hang = threading.Event()
    listener = Listener(tmp_path / SOCKET, lambda msg: hang.wait(10))
    link = JobLink(tmp_path / SOCKET, retry=0.05)
    try:
        assert link.wait_connected(5)
        with pytest.raises(ChannelError, match="did not answer 'ping' within 0.2 s"):
            link.request({"op": "ping"}, timeout=0.2)
        pending = link.send({"op": "ping"})
        listener.close()
        with pytest.raises(ChannelError, match="lost"):
            pending.result(5)
        with pytest.raises(ChannelError, match="not connected"):
            link.request({"op": "ping"}, timeout=1)
    finally:
        hang.set()
        link.close()
        listener.close()


def test_result_file(tmp_path):
    path = tmp_path / "result.json"
    assert read_result(path) is None
    write_result(path, state="FAILED", error=SpecError("output_urls: bad"), frames=3,
                 outputs=[{"url": "rtmp://127.0.0.1/live", "state": "END", "connections": 0, "failure": None}])
    got = read_result(path)
    assert got["state"] == "FAILED" and got["error_code"] == "MSS.00000003"
    assert got["error_msg"] == "Invalid parameter: output_urls: bad" and got["outputs"][0]["connections"] == 0
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_a_job_folder_deeper_than_af_unix_allows(tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    ch = serve_channel(deep / SOCKET, LiveLike())
    link = JobLink(deep / SOCKET)
    try:
        assert link.wait_connected(5) and link.request({"op": "ping"}, timeout=5)["attached"]
        assert stat.S_IMODE((deep / SOCKET).stat().st_mode) == 0o600
    finally:
        link.close()
        ch.close()
