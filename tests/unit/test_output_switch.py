"""REFRESH_OUTPUT_URL's switch (render.outputs.switch) and the output protocol, on in-memory outputs:
the old outputs stay until a new one is connected, a switch that finds none keeps them, a later
refresh replaces a pending one, and the number of outputs is capped."""
from __future__ import annotations

import threading
import time

import pytest

from render.errors import OutputError, SpecError
from render.outputs import Output, open_output
from render.outputs.files import FileOutput, NullOutput
from render.outputs.rtmp import RtmpOutput
from render.outputs.switch import OutputSwitch
from render.spec.commands import parse_command
from render.spec.models import MAX_OUTPUTS


class Link(NullOutput):
    """An in-memory network stand-in: connected or failed when the test says so."""

    remote = True

    def __init__(self, url, key=""):
        super().__init__()
        self.name, self._url, self.up = url, url, False

    @property
    def connected(self) -> bool:
        return self.up

    @property
    def url(self) -> str:
        return self._url


class FakeEncoder:
    settings = None

    def __init__(self, outputs):
        self.outputs = list(outputs)

    def add_output(self, out):
        self.outputs.append(out)

    def remove_output(self, out):
        self.outputs.remove(out)
        out.finish()


def until(cond, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.01)


@pytest.fixture
def switch():
    stop, failed = threading.Event(), []
    old = Link("old")
    sw = OutputSwitch([old], Link, on_failed=lambda urls, e: failed.append((urls, e)), stop_event=stop, poll=0.01)
    enc = FakeEncoder([old])
    sw.attach(enc)
    yield sw, enc, old, failed
    stop.set()


def test_old_outputs_stay_until_a_new_one_connects(switch):
    sw, enc, old, failed = switch
    sw.refresh(["new"], [""])
    new = enc.outputs[1]
    time.sleep(0.1)
    assert enc.outputs == [old, new] and sw.current == [old] and sw.live() == [old, new]
    new.up = True
    until(lambda: enc.outputs == [new])
    assert sw.current == [new] and sw.pending == [] and old.state == "END" and not failed


def test_a_switch_that_finds_no_output_keeps_the_old_ones_and_reports(switch):
    sw, enc, old, failed = switch
    sw.refresh(["bad1", "bad2"], ["", ""])
    a, b = enc.outputs[1:]
    a.name = "bad1/secret"  # as a network output's name: its url and stream key
    a.failure = OutputError("RTMP output bad1/secret: gave up")
    time.sleep(0.1)
    assert enc.outputs == [old, a, b]  # one may still connect
    b.failure = OutputError("RTMP output bad2: gave up")
    until(lambda: enc.outputs == [old])
    assert sw.current == [old] and len(failed) == 1
    urls, err = failed[0]
    assert urls == ["bad1", "bad2"] and "no new output connected" in err.message and "bad2" in err.message
    assert "secret" not in err.message  # stream keys are not told
    assert not sw.all_given_up()


def test_a_later_refresh_replaces_a_pending_one(switch):
    sw, enc, old, failed = switch
    sw.refresh(["slow"], [""])
    slow = enc.outputs[1]
    sw.refresh(["fast"], [""])
    fast = enc.outputs[-1]
    assert enc.outputs == [old, fast] and slow.state == "END"
    fast.up = True
    until(lambda: enc.outputs == [fast])
    assert sw.current == [fast] and not failed


def test_refresh_before_the_stream_and_beyond_the_cap_are_refused():
    sw = OutputSwitch([Link("a")], Link, on_failed=lambda *a: None, stop_event=threading.Event())
    with pytest.raises(OutputError, match="has not started"):
        sw.refresh(["b"], [""])
    sw.attach(FakeEncoder(sw.current))
    with pytest.raises(SpecError, match=f"at most {MAX_OUTPUTS}"):
        sw.refresh([f"o{i}" for i in range(MAX_OUTPUTS + 1)], [""] * (MAX_OUTPUTS + 1))
    with pytest.raises(SpecError, match="params.output_urls: list should have at most 5"):
        parse_command({"command": "REFRESH_OUTPUT_URL", "params": {"output_urls": ["rtmp://h/live"] * 6}})


def test_open_output_by_scheme(tmp_path):
    rtmp = open_output("rtmp://127.0.0.1:1935/live", "k", max_retries=1)
    assert isinstance(rtmp, RtmpOutput) and rtmp.full_url == "rtmp://127.0.0.1:1935/live/k" and rtmp.max_retries == 1
    assert isinstance(open_output("rtmps://h/live", "k"), RtmpOutput)
    out = open_output(f"file://{tmp_path}/x.mp4")
    assert isinstance(out, FileOutput) and out.path == tmp_path / "x.mp4"
    assert isinstance(open_output("null:"), NullOutput)
    for o in (rtmp, out, NullOutput()):
        assert isinstance(o, Output)  # each implements the protocol
    with pytest.raises(SpecError, match="output_url: 'srt://h:9000' has no supported scheme"):
        open_output("srt://h:9000")
