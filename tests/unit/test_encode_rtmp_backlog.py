"""RtmpOutput while disconnected: only the packets since the latest keyframe are kept."""
from __future__ import annotations

from fractions import Fraction

from render.encode import EncodedPacket
from render.sinks import RtmpOutput

V, A = Fraction(1, 25), Fraction(1, 48000)


def vid(i, key=False):
    return EncodedPacket("video", b"v", i, i, 1, V, key)


def aud(t):  # t in seconds
    return EncodedPacket("audio", b"a", int(t * 48000), int(t * 48000), 1024, A, True)


def test_backlog_restarts_at_the_latest_keyframe_with_its_sound():
    out = RtmpOutput("rtmp://127.0.0.1:1/live", "k", queue_packets=400)
    for p in [vid(0, True), aud(0.0), vid(1), aud(0.6), aud(0.8), vid(10, True), aud(1.0), vid(11)]:
        out.send(p)  # not connected: kept aside, never blocks
    kinds = [(p.kind, p.pts) for p in out._backlog]
    # the old GOP is gone; audio from the keyframe's moment (0.4 s) on is kept, in order
    assert kinds == [("audio", 28800), ("audio", 38400), ("video", 10), ("audio", 48000), ("video", 11)]
    assert out.dropped == 3 and out._lost  # vid 0, aud 0.0, vid 1


def test_backlog_is_bounded():
    out = RtmpOutput("rtmp://127.0.0.1:1/live", "k", queue_packets=20)
    for i in range(100):  # no keyframe at all
        out.send(vid(i))
    assert len(out._backlog) == 10 and out._backlog[-1].pts == 99
    assert out.dropped == 90
