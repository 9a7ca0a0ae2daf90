"""One encode, many outputs.

The encoder turns I420 frames and float32 mono audio blocks into packets once (libx264 + AAC,
or libvpx VP8 + Opus) in a worker thread, and hands every packet to each output
(`render.sinks`), which muxes it into its own container (MP4/WebM file, FLV over RTMP).

    enc = Encoder(EncodeSettings("H264", 1080, 1920, bitrate_kbps=4000), [FileOutput("out.mp4", s)])
    with enc:                      # an exception inside the block aborts (no file left)
        for i420, block in frames:
            enc.push(i420, block)  # returns quickly: a bounded queue feeds the worker
    # leaving the block calls enc.close(): flush, finalize and rename every output

Errors in the worker surface on the next push()/close() as render.errors exceptions.
"""
from __future__ import annotations

import io
import queue
import threading
import time
from dataclasses import dataclass, replace
from fractions import Fraction

import av
import numpy as np

from render.errors import InternalError, OutputError, RenderError, SpecError
from render.timebase import SAMPLE_RATE, samples_per_frame

# codec -> (video encoder, audio encoder, file container, file extension)
CODECS = {
    "H264": ("libx264", "aac", "mp4", ".mp4"),
    "VP8": ("libvpx", "libopus", "webm", ".webm"),
}

_CLOSE = object()
_ABORT = object()


@dataclass(frozen=True)
class Profile:
    """How the encoders trade speed, delay and picture (chosen by bench/quality.py, density.py
    and react.py; docs/encode.md has the table of what was tried).

    x264: libx264 options (preset, x264-params, ...); threads: "FRAME" or "SLICE" (x264's
    threading; frame threads delay the output by thread_count - 1 frames); thread_count 0 lets
    x264 choose (1.5 x cores). vbv: VBV buffer in seconds of the bitrate, with maxrate = the
    bitrate (None: no VBV). vpx: libvpx VP8 options. keyint_seconds: keyframe interval when
    EncodeSettings.gop is not given."""

    name: str
    x264: dict[str, str]
    vpx: dict[str, str]
    threads: str = "FRAME"
    thread_count: int = 0
    vbv: float | None = None
    keyint_seconds: float = 2.0

    def with_options(self, **changes) -> Profile:
        """A copy with some fields replaced; "x264.NAME" / "vpx.NAME" keys change one option
        (value None removes it)."""
        fields, x264, vpx = {}, dict(self.x264), dict(self.vpx)
        for key, value in changes.items():
            group, _, opt = key.partition(".")
            if opt and group in ("x264", "vpx"):
                target = x264 if group == "x264" else vpx
                if value is None:
                    target.pop(opt, None)
                else:
                    target[opt] = str(value)
            else:
                fields[key] = value
        return replace(self, x264=x264, vpx=vpx, **fields)


# VP8 (files only: RTMP carries H264): libvpx's "good" deadline at cpu-used 2. At cpu-used >= 4
# (and in "realtime") every keyframe came out at the worst quantizer, 10-14 dB below the frames
# around it; at cpu-used 2 the keyframes after the first 8 s still sank 11 dB until qmax 16
# bounded them (2.2 dB); constrained quality (crf 2, with the bitrate as its ceiling) brings the
# worst keyframe to 1.6 / 1.9-2.0 dB below its neighbours at 4000 / 1500 kbit/s for 0.1 dB of mean
# PSNR. qmin 0 lets a still picture reach VP8's finest quantizer, whose ceiling on the reference
# room is ~62 dB (qmin = qmax = 0: 62.06 dB), below what H264 reaches at 4000 kbit/s (64.9).
_VPX = {"deadline": "good", "cpu-used": "2", "qmin": "0", "qmax": "16", "crf": "2", "lag-in-frames": "0",
        "auto-alt-ref": "0"}

# Files: speed and quality for a whole file, delay does not matter (x264 as ffmpeg's reference
# graph runs it: veryfast, frame threads, 10 frames of lookahead, B-frames).
FILE = Profile("file", x264={"preset": "veryfast"}, vpx=dict(_VPX))
# Live: x264 superfast in one thread, with 10 frames of lookahead, macroblock-tree rate control
# and 3 B-frames: on the reference room it is 0.2 dB above ffmpeg's own x264 settings (FILE) at
# 4000 kbit/s for 0.55-0.7x their encoder CPU (three frame threads on 2 cores cost 20-30% more
# than one; one thread encodes a full-frame 1080x1920 motion at 58 frames/s, so a room keeps
# real time on its own core). The first packet leaves 13 frames after its frame (bench/react.py:
# a change is on the wire in under 0.75 s, p95).
# The rate is bounded by a 2 s VBV buffer (maxrate = bitrate, as FFmpeg's streaming guide sets
# it) and a keyframe comes every 2 s exactly (no scene-cut keyframes), as RTMP platforms expect.
LIVE = Profile("live", x264={"preset": "superfast", "rc-lookahead": "10", "bf": "3", "sc_threshold": "0",
                             "x264-params": "mbtree=1"},
               vpx=dict(_VPX), threads="FRAME", thread_count=1, vbv=2.0)
# Low latency (a job chooses it: the room's or start body's `encode_profile: "low-latency"`,
# smartlive's own field): x264 superfast tuned zerolatency (no lookahead, no B-frames, no
# mb-tree), one thread, a 1 s VBV: a frame's packet leaves with the frame, 13 frames (0.52 s)
# sooner than LIVE, for a picture below LIVE's at the same bitrate (bench/react_api.py: the
# reply on the wire and the encoder's CPU, both profiles in one run).
LOW_LATENCY = Profile("low-latency", x264={"preset": "superfast", "tune": "zerolatency", "sc_threshold": "0"},
                      vpx=dict(_VPX), threads="FRAME", thread_count=1, vbv=1.0)
PROFILES = {p.name: p for p in (FILE, LIVE, LOW_LATENCY)}
LIVE_PROFILES = ("live", "low-latency")  # what a live job may choose (default: live)


def live_profile(name: object = None) -> Profile:
    """The encode profile of a live job: `encode_profile` of its room (smartlive's own field, the
    start body may set it too); None is LIVE. SpecError naming the field otherwise."""
    if name is None:
        return LIVE
    if name not in LIVE_PROFILES:
        raise SpecError(f"encode_profile: {name!r} is not a live encode profile ({', '.join(LIVE_PROFILES)})")
    return PROFILES[str(name)]


@dataclass(frozen=True)
class EncodeSettings:
    codec: str
    width: int
    height: int
    fps: int = 25
    bitrate_kbps: int = 4000
    sample_rate: int = SAMPLE_RATE
    audio_bitrate_kbps: int = 128
    gop: int | None = None  # frames between keyframes; None = the profile's (2 s: quick RTMP reconnects)
    profile: Profile = FILE

    def __post_init__(self):
        codec = getattr(self.codec, "value", self.codec)  # accept the spec's str Enum
        object.__setattr__(self, "codec", str(codec).upper())
        bad = []
        if self.codec not in CODECS:
            bad.append(f"video_config.codec: {self.codec!r} is not one of {', '.join(CODECS)}")
        for name in ("width", "height"):
            v = getattr(self, name)
            if not isinstance(v, int) or v <= 0 or v % 2:
                bad.append(f"video_config.{name}: {v!r} must be a positive even number of pixels")
        if not isinstance(self.fps, int) or self.fps <= 0 or SAMPLE_RATE % self.fps:
            bad.append(f"video_config.frame_rate: {self.fps!r} must divide {SAMPLE_RATE}")
        if self.bitrate_kbps <= 0:
            bad.append(f"video_config.bitrate: {self.bitrate_kbps!r} must be positive")
        if self.sample_rate != SAMPLE_RATE:
            bad.append(f"sample_rate: {self.sample_rate} is not supported (only {SAMPLE_RATE})")
        if self.gop is not None and self.gop <= 0:
            bad.append(f"gop: {self.gop!r} must be positive")
        if bad:
            raise SpecError(details=bad)

    @property
    def keyint(self) -> int:
        return self.gop or max(1, round(self.profile.keyint_seconds * self.fps))

    @property
    def vbv_kbps(self) -> tuple[int, int] | None:
        """(maxrate, bufsize) in kbit/s under the profile's VBV, or None: any 1 s of the stream
        then carries at most maxrate + bufsize kbit of video."""
        if self.profile.vbv is None:
            return None
        return self.bitrate_kbps, round(self.bitrate_kbps * self.profile.vbv)

    @property
    def samples_per_frame(self) -> int:
        return samples_per_frame(self.fps)

    @property
    def extension(self) -> str:
        return CODECS[self.codec][3]

    @property
    def container(self) -> str:
        return CODECS[self.codec][2]


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    """A packet as the encoder made it, independent of any container (thread-safe to share)."""

    kind: str  # "video" | "audio"
    data: bytes
    pts: int
    dts: int
    duration: int
    time_base: Fraction
    keyframe: bool

    def to_av(self, stream, shift: int = 0) -> av.Packet:
        """A fresh av.Packet for `stream` (timestamps moved back by `shift` time_base units)."""
        p = av.Packet(self.data)
        p.pts, p.dts, p.duration = self.pts - shift, self.dts - shift, self.duration
        p.time_base = self.time_base
        p.is_keyframe = self.keyframe
        p.stream = stream
        return p


class Templates:
    """The encoder's codec contexts, opened inside a throwaway in-memory container so that
    their parameters (with extradata: SPS/PPS, AudioSpecificConfig, OpusHead) can serve as
    stream templates: `out.add_stream_from_template(templates.video)`."""

    def __init__(self, settings: EncodeSettings):
        vname, aname, _, _ = CODECS[settings.codec]
        self._holder = av.open(io.BytesIO(), "w", format="matroska")
        v = self._holder.add_stream(vname, rate=settings.fps, width=settings.width,
                                    height=settings.height, options=_video_options(settings))
        vc = v.codec_context
        vc.pix_fmt = "yuv420p"
        vc.time_base = Fraction(1, settings.fps)
        vc.bit_rate = settings.bitrate_kbps * 1000
        vc.gop_size = settings.keyint
        if settings.codec == "H264":
            vc.thread_type = settings.profile.threads  # PyAV's default is SLICE
            vc.thread_count = settings.profile.thread_count
        else:
            vc.thread_count = 2
        a = self._holder.add_stream(aname, rate=settings.sample_rate)
        ac = a.codec_context
        ac.layout = "mono"
        ac.format = "fltp" if aname == "aac" else "flt"
        ac.bit_rate = settings.audio_bitrate_kbps * 1000
        ac.time_base = Fraction(1, settings.sample_rate)
        try:
            self._holder.start_encoding()  # opens both codecs, fills codecpar + extradata
        except av.FFmpegError as e:
            raise InternalError(f"cannot open the {vname}/{aname} encoders: {e}") from e
        self.video, self.audio = v, a

    def close(self) -> None:
        try:
            self._holder.close()
        except av.FFmpegError:
            pass


def _video_options(s: EncodeSettings) -> dict[str, str]:
    opts = dict(s.profile.x264 if s.codec == "H264" else s.profile.vpx)
    if s.vbv_kbps is not None:
        maxrate, bufsize = s.vbv_kbps
        opts.update(maxrate=f"{maxrate}k", bufsize=f"{bufsize}k")
    return opts


class Encoder:
    """Encode once in a worker thread, fan packets out to every output."""

    def __init__(self, settings: EncodeSettings, outputs, *, queue_frames: int = 6):
        if not outputs:
            raise SpecError("at least one output (file or RTMP) is needed")
        for out in outputs:
            out.check(settings)  # SpecError before any work (extension, VP8 over RTMP, ...)
        self.settings = settings
        self.outputs = list(outputs)
        self._outputs_lock = threading.Lock()  # add_output/remove_output against each other and close
        self.frames_in = 0
        self.frames_encoded = 0
        self.bytes_out = 0
        self._error: RenderError | None = None
        self._closed = False
        self._spf = settings.samples_per_frame
        self._templates = Templates(settings)
        started = []
        try:
            for out in self.outputs:
                out.start(self._templates)
                started.append(out)
        except BaseException:
            for out in started:
                out.abort()
            self._templates.close()
            raise
        self._q: queue.Queue = queue.Queue(maxsize=max(1, queue_frames))
        self._worker = threading.Thread(target=self._run, name="encoder", daemon=True)
        self._worker.start()

    # -- public ------------------------------------------------------------------------
    def push(self, i420: np.ndarray, audio: np.ndarray) -> None:
        """Queue one frame and its audio block (samples_per_frame(fps) float32 samples)."""
        if self._closed:
            raise InternalError("push() after close()/abort()")
        self.check()
        s = self.settings
        if i420.shape != (s.height * 3 // 2, s.width) or i420.dtype != np.uint8:
            raise InternalError(f"frame {self.frames_in}: I420 array {i420.shape} {i420.dtype}, "
                                f"expected ({s.height * 3 // 2}, {s.width}) uint8")
        if audio.shape != (self._spf,):
            raise InternalError(f"frame {self.frames_in}: audio block of shape {audio.shape}, "
                                f"expected ({self._spf},) float32")
        item = (i420, np.asarray(audio, dtype=np.float32))
        while True:
            try:
                self._q.put(item, timeout=0.5)
                break
            except queue.Full:
                self.check()
        self.frames_in += 1

    def check(self) -> None:
        """Raise the worker's error, or OutputError once every output has given up."""
        if self._error is not None:
            raise self._error
        if self.outputs and all(o.failure is not None for o in self.outputs):
            raise OutputError(details=[str(o.failure.details[0]) if o.failure.details else str(o.failure)
                                       for o in self.outputs])

    def wait_ready(self, timeout: float = 10.0, stop_event=None) -> None:
        """Wait (up to `timeout` s) until an output is connected, or every output's first
        connection attempt has ended, so a live push does not start by dropping its first
        seconds, nor wait for a dead output; `stop_event` ends the wait at once. Then check()."""
        deadline = time.monotonic() + timeout
        waiting = [o for o in self.outputs if hasattr(o, "wait_ready")]
        while waiting and time.monotonic() < deadline:
            if (stop_event is not None and stop_event.is_set()) or any(o.connected for o in waiting):
                break
            if all(o.wait_ready(0) for o in waiting):
                break
            time.sleep(0.02)
        self.check()

    def add_output(self, out) -> None:
        """Add an output while encoding (REFRESH_OUTPUT_URL): it connects in the background and
        joins at a keyframe, its timeline starting at 0; the others never wait for it."""
        with self._outputs_lock:
            if self._closed:
                raise InternalError("add_output() after close()/abort()")
            out.check(self.settings)
            joining = getattr(out, "join_late", None)
            if joining is not None:
                joining()
            out.start(self._templates)
            self.outputs = [*self.outputs, out]  # a new list: the encoder thread reads it unlocked

    def remove_output(self, out, *, wait: bool = False) -> threading.Thread:
        """Take an output out of the fan-out and finish it cleanly (RTMP: trailer, END) in the
        background; `wait` joins that. The returned thread is done when the output has ended."""
        with self._outputs_lock:
            if not any(o is out for o in self.outputs):
                raise InternalError(f"remove_output(): {out.name} is not an output of this encoder")
            self.outputs = [o for o in self.outputs if o is not out]

        def finish():
            try:
                out.finish()
            except RenderError:
                pass  # out.failure holds it; the stream goes on on the other outputs

        t = threading.Thread(target=finish, name=f"finish {out.name}", daemon=True)
        t.start()
        if wait:
            t.join()
        return t

    def states(self) -> dict[str, str]:
        return {o.name: o.state for o in self.outputs}

    def close(self) -> None:
        """Flush the encoders, finalize every output; raise if anything failed."""
        with self._outputs_lock:
            if self._closed:
                return
            self._closed = True
        self._put_control(_CLOSE)
        self._worker.join()
        if self._error is not None:
            for out in self.outputs:
                out.abort()
            self._templates.close()
            raise self._error
        for out in self.outputs:  # let every network output wind down at once
            if hasattr(out, "stop"):
                out.stop()
        failures = []
        for out in self.outputs:
            try:
                out.finish()
            except RenderError as e:
                failures.append(e)
            if out.failure is not None and out.failure not in failures:
                failures.append(out.failure)
        self._templates.close()
        if failures:
            details = [d for f in failures for d in (f.details or [str(f)])]
            raise OutputError(details=details)

    def abort(self) -> None:
        """Stop now and delete partial files; RTMP outputs end."""
        with self._outputs_lock:
            if self._closed:
                return
            self._closed = True
        self._put_control(_ABORT)
        self._worker.join(timeout=30)
        for out in self.outputs:
            if hasattr(out, "stop"):
                out.stop()
        for out in self.outputs:
            out.abort()
        self._templates.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False

    # -- worker --------------------------------------------------------------------------
    def _put_control(self, token) -> None:
        if token is _ABORT:  # make room: pending frames are thrown away
            while True:
                try:
                    self._q.get_nowait()
                except queue.Empty:
                    break
        while self._worker.is_alive():
            try:
                self._q.put(token, timeout=0.5)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        s = self.settings
        vctx = self._templates.video.codec_context
        actx = self._templates.audio.codec_context
        afs = actx.frame_size or 1024
        afmt = actx.format.name
        pending = np.zeros(0, np.float32)
        asent = 0
        try:
            while True:
                item = self._q.get()
                if item is _ABORT:
                    return
                if item is _CLOSE:
                    if len(pending):  # small last frame: audio length == video length
                        self._emit_all(actx.encode(_audio_frame(pending, asent, s.sample_rate, afmt)),
                                       "audio")
                    self._emit_all(vctx.encode(None), "video")
                    self._emit_all(actx.encode(None), "audio")
                    return
                i420, block = item
                # no copy: the encoder reads the array (x264 and libvpx copy it into their own
                # frames before encode() returns; the producer never writes a frame it handed out)
                frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(i420), format="yuv420p")
                frame.pts = self.frames_encoded
                frame.time_base = vctx.time_base
                self._emit_all(vctx.encode(frame), "video")
                self.frames_encoded += 1
                pending = np.concatenate((pending, block)) if len(pending) else block
                while len(pending) >= afs:
                    frame = _audio_frame(pending[:afs], asent, s.sample_rate, afmt)
                    self._emit_all(actx.encode(frame), "audio")
                    asent += afs
                    pending = pending[afs:]
        except RenderError as e:
            self._error = e
        except Exception as e:  # noqa: BLE001 -- surfaces on the next push/close
            self._error = InternalError(f"encoder ({s.codec}): {type(e).__name__}: {e}")
        finally:
            if self._error is not None:  # drain so push() never blocks on a dead worker
                while True:
                    try:
                        if self._q.get_nowait() is _ABORT:
                            break
                    except queue.Empty:
                        break

    def _emit_all(self, packets, kind: str) -> None:
        for p in packets:
            if p.size == 0:
                continue
            duration = p.duration or (1 if kind == "video" else 0)
            pkt = EncodedPacket(kind, bytes(p), p.pts, p.dts, duration, p.time_base, p.is_keyframe)
            self.bytes_out += len(pkt.data)
            for out in self.outputs:
                out.send(pkt)


def _audio_frame(samples: np.ndarray, pts: int, rate: int, fmt: str) -> av.AudioFrame:
    """Mono float32 samples as one frame in the encoder's own format (flt or fltp: for mono
    both are one plane of float32, so no resampler is involved)."""
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.reshape(1, -1)),
                                       format=fmt, layout="mono")
    frame.sample_rate = rate
    frame.pts = pts
    frame.time_base = Fraction(1, rate)
    return frame
