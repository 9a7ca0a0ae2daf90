"""Encoder + file outputs: real encodes reopened with PyAV."""
from __future__ import annotations

import threading

import av
import numpy as np
import pytest

from render.encode import Encoder, EncodeSettings
from render.errors import InternalError, OutputError, SpecError
from render.sinks import FileOutput, NullOutput, RtmpOutput

W, H = 320, 240


def frames(n, w=W, h=H, fps=25):
    """A precomputed grey frame with a moving bar, and a 440 Hz tone: cheap, not constant."""
    base = np.full((h * 3 // 2, w), 128, np.uint8)
    base[:h] = np.linspace(16, 235, w, dtype=np.uint8)[None, :]
    spf = 48000 // fps
    for i in range(n):
        f = base.copy()
        x = (i * 7) % (w - 16)
        f[:h, x:x + 16] = 235
        t = np.arange(i * spf, (i + 1) * spf) / 48000
        yield f, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def encode(settings, outputs, n):
    with Encoder(settings, outputs) as enc:
        for f, a in frames(n, settings.width, settings.height, settings.fps):
            enc.push(f, a)
    return enc


def probe(path):
    """(container, video codec, w, h, fps, decoded frames, audio codec, rate, decoded samples)."""
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        info = [c.format.name, v.codec_context.name, v.width, v.height, v.average_rate,
                a.codec_context.name, a.rate]
    with av.open(str(path)) as c:
        nv = sum(1 for _ in c.decode(video=0))
    with av.open(str(path)) as c:
        na = sum(f.samples for f in c.decode(audio=0))
    return info, nv, na


@pytest.mark.parametrize("codec,ext,fmt,vcodec,acodec", [
    ("H264", ".mp4", "mp4", "h264", "aac"),
    ("VP8", ".webm", "webm", "vp8", "opus"),
])
def test_file_round_trip(tmp_path, codec, ext, fmt, vcodec, acodec):
    s = EncodeSettings(codec, W, H, fps=25, bitrate_kbps=600)
    out = tmp_path / f"out{ext}"
    encode(s, [FileOutput(out, s)], 60)
    info, nv, na = probe(out)
    assert fmt in info[0]
    assert info[1:] == [vcodec, W, H, 25, acodec, 48000]
    assert nv == 60
    # audio and video the same length within one frame
    assert abs(na / 48000 - nv / 25) <= 1 / 25
    assert list(tmp_path.iterdir()) == [out]  # no temp file left


def test_one_encode_two_files(tmp_path):
    s = EncodeSettings("H264", W, H, bitrate_kbps=600)
    a, b, null = tmp_path / "a.mp4", tmp_path / "b.mp4", NullOutput()
    encode(s, [FileOutput(a, s), FileOutput(b, s), null], 30)
    assert probe(a) == probe(b)
    assert probe(a)[1] == 30 and null.packets["video"] == 30


def test_gop_and_frame_rate(tmp_path):
    s = EncodeSettings("H264", W, H, fps=30, bitrate_kbps=600, gop=10)
    out = tmp_path / "gop.mp4"
    encode(s, [FileOutput(out, s)], 45)
    with av.open(str(out)) as c:
        keys = [p.pts for p in c.demux(video=0) if p.is_keyframe and p.size]
        assert c.streams.video[0].average_rate == 30
    assert len(keys) >= 4  # a keyframe at least every 10 frames (x264 may add scene cuts)


@pytest.mark.parametrize("codec,name,msg", [
    ("H264", "out.webm", "video_config.codec: H264 writes MP4, not out.webm"),
    ("VP8", "out.mp4", "video_config.codec: VP8 writes WebM, not out.mp4"),
    ("H264", "out.avi", "video_config.codec: H264 writes MP4, not out.avi"),
])
def test_extension_contradicting_codec(tmp_path, codec, name, msg):
    s = EncodeSettings(codec, W, H)
    with pytest.raises(SpecError) as e:
        FileOutput(tmp_path / name, s)
    assert msg in str(e.value) and e.value.code == "MSS.00000003"
    assert list(tmp_path.iterdir()) == []


def test_bad_settings_name_the_fields():
    with pytest.raises(SpecError) as e:
        EncodeSettings("H265", 321, 0, fps=7, bitrate_kbps=0)
    text = str(e.value)
    for field in ("video_config.codec", "video_config.width", "video_config.height",
                  "video_config.frame_rate", "video_config.bitrate"):
        assert field in text


def test_abort_leaves_no_file(tmp_path):
    s = EncodeSettings("H264", W, H, bitrate_kbps=600)
    enc = Encoder(s, [FileOutput(tmp_path / "x.mp4", s)])
    for f, a in frames(20):
        enc.push(f, a)
    enc.abort()
    assert list(tmp_path.iterdir()) == []


def test_exception_inside_with_leaves_no_file(tmp_path):
    s = EncodeSettings("VP8", W, H, bitrate_kbps=600)
    # KeyboardInterrupt: what Ctrl-C raises in the main thread
    with pytest.raises(KeyboardInterrupt), Encoder(s, [FileOutput(tmp_path / "x.webm", s)]) as enc:
        for i, (f, a) in enumerate(frames(20)):
            enc.push(f, a)
            if i == 10:
                raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_an_output_error(tmp_path):
    s = EncodeSettings("H264", W, H)
    with pytest.raises(OutputError, match="does not exist"):
        FileOutput(tmp_path / "nope" / "x.mp4", s)


def test_wrong_frame_shape_is_reported(tmp_path):
    s = EncodeSettings("H264", W, H)
    enc = Encoder(s, [FileOutput(tmp_path / "x.mp4", s)])
    with pytest.raises(InternalError, match=r"expected \(360, 320\) uint8"):
        enc.push(np.zeros((240, 320), np.uint8), np.zeros(1920, np.float32))
    with pytest.raises(InternalError, match=r"audio block"):
        enc.push(np.zeros((360, 320), np.uint8), np.zeros(1000, np.float32))
    enc.abort()
    assert list(tmp_path.iterdir()) == []


class FailingOutput(NullOutput):
    """A real output whose disk 'fills up' after some packets."""

    def send(self, pkt):
        super().send(pkt)
        if self.packets["video"] >= 5:
            self.failure = OutputError("disk.mp4: write failed: No space left on device")
            raise self.failure


def test_worker_error_surfaces_on_push_or_close(tmp_path):
    s = EncodeSettings("H264", W, H)
    good = tmp_path / "good.mp4"
    enc = Encoder(s, [FileOutput(good, s), FailingOutput()])
    with pytest.raises(OutputError, match="No space left"):
        for f, a in frames(200):
            enc.push(f, a)
        enc.close()
    enc.abort()
    assert list(tmp_path.iterdir()) == []


class ThreadRecordingOutput(NullOutput):
    def __init__(self):
        super().__init__()
        self.threads = set()

    def send(self, pkt):
        super().send(pkt)
        self.threads.add(threading.current_thread().name)


def test_encoding_runs_in_the_worker_thread():
    """push() only queues: encoding and muxing happen in the encoder's worker thread."""
    s = EncodeSettings("H264", W, H)
    out = ThreadRecordingOutput()
    enc = encode(s, [out], 10)
    assert out.threads == {"encoder"}
    assert enc.frames_encoded == 10 and out.packets["video"] == 10


def test_vp8_to_rtmp_refused_before_connecting(tmp_path):
    states = []
    out = RtmpOutput("rtmp://127.0.0.1:9/live", "k", on_state=lambda *x: states.append(x))
    s = EncodeSettings("VP8", W, H)
    with pytest.raises(SpecError, match="VP8 cannot be pushed over RTMP"):
        Encoder(s, [FileOutput(tmp_path / "x.webm", s), out])
    assert states == [] and out.state == "IDLE"
    assert list(tmp_path.iterdir()) == []


def test_rtmp_url_must_be_rtmp():
    with pytest.raises(SpecError, match="output_url"):
        RtmpOutput("http://example.com/live", "k")
