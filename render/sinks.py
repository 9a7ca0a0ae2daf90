"""Outputs of the one encoder: each muxes the shared packets into its own container.

An output has: `name`, `state`, `failure` (OutputError | None), `check(settings)` (SpecError
before any work), `start(templates)`, `send(packet)` (called from the encoder thread; must not
block for long), `finish()` (finalize; raises OutputError), `abort()` (no partial file left).

- FileOutput: MP4 (H264+AAC) or WebM (VP8+Opus), written to a hidden temp name in the same
  folder and renamed on success.
- RtmpOutput: FLV over RTMP (H264+AAC only), its own writer thread and bounded queue; drops
  packets while disconnected, reconnects with backoff and restarts at the next keyframe.
- NullOutput: counts packets (benchmarks).
"""
from __future__ import annotations

import collections
import contextlib
import logging
import os
import queue
import socket
import ssl
import threading
import uuid
from fractions import Fraction
from pathlib import Path
from urllib.parse import urlsplit

import av

from render.errors import OutputError, SpecError

CONNECTING, CONNECTED, DISCONNECTED, RECONNECTING, END = (
    "CONNECTING", "CONNECTED", "DISCONNECTED", "RECONNECTING", "END")

_STOP = object()
log = logging.getLogger(__name__)


def _add_streams(container, templates) -> dict:
    return {"video": container.add_stream_from_template(templates.video),
            "audio": container.add_stream_from_template(templates.audio)}


class FileOutput:
    """MP4 for H264, WebM for VP8; temp file in the same folder, renamed on success."""

    def __init__(self, path, settings=None):
        self.path = Path(path)
        self.name = str(self.path)
        self.state = "IDLE"
        self.failure: OutputError | None = None
        self._container = None
        self._tmp: Path | None = None
        if settings is not None:
            self.check(settings)

    def check(self, settings) -> None:
        ext = self.path.suffix.lower()
        if ext != settings.extension:
            kind = settings.container.upper() if settings.container == "mp4" else "WebM"
            raise SpecError(f"video_config.codec: {settings.codec} writes {kind}, not {self.path.name}")
        self._format = settings.container
        if not self.path.parent.is_dir():
            raise OutputError(f"{self.path}: folder {self.path.parent} does not exist")

    def start(self, templates) -> None:
        self._tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.part")
        opts = {"movflags": "+faststart"} if self._format == "mp4" else {}
        try:
            self._container = av.open(str(self._tmp), "w", format=self._format, options=opts)
            self._streams = _add_streams(self._container, templates)
        except (av.FFmpegError, OSError) as e:
            self._cleanup()
            raise OutputError(f"{self.path}: cannot open for writing: {e}") from e
        self.state = "WRITING"

    def send(self, pkt) -> None:
        try:
            self._container.mux_one(pkt.to_av(self._streams[pkt.kind]))
        except (av.FFmpegError, OSError) as e:
            self.failure = OutputError(f"{self.path}: write failed: {e}")
            raise self.failure from e

    def finish(self) -> None:
        if self._container is None:
            return
        try:
            self._container.close()
            self._container = None
            os.replace(self._tmp, self.path)
            self._tmp = None
            self.state = END
        except (av.FFmpegError, OSError) as e:
            self._cleanup()
            self.failure = OutputError(f"{self.path}: finalizing failed: {e}")
            raise self.failure from e

    def abort(self) -> None:
        self._cleanup()
        self.state = END

    def _cleanup(self) -> None:
        if self._container is not None:
            _close_quietly(self._container)  # the file is deleted anyway
            self._container = None
        if self._tmp is not None:
            try:
                self._tmp.unlink()
            except FileNotFoundError:
                pass
            self._tmp = None


class NullOutput:
    """Counts packets and bytes; for benchmarks and tests."""

    def __init__(self):
        self.name, self.state, self.failure = "null", "IDLE", None
        self.packets = {"video": 0, "audio": 0}
        self.bytes = 0

    def check(self, settings) -> None:
        pass

    def start(self, templates) -> None:
        self.state = "WRITING"

    def send(self, pkt) -> None:
        self.packets[pkt.kind] += 1
        self.bytes += len(pkt.data)

    def finish(self) -> None:
        self.state = END

    abort = finish


class RtmpOutput:
    """FLV over RTMP to `url + "/" + stream_key`, reconnecting on its own.

    States go to `on_state(url, stream_key, state)`: CONNECTING -> CONNECTED; on a write error
    DISCONNECTED -> RECONNECTING (while retrying) -> CONNECTED; END when finished or given up.
    After `max_retries` failed retries in a row (backoff `backoff` s doubling, capped at
    `backoff_max`) it gives up: `failure` holds an OutputError naming the URL.
    """

    def __init__(self, url: str, stream_key: str = "", on_state=None, *, max_retries: int = 5,
                 backoff: float = 0.5, backoff_max: float = 8.0, connect_timeout: float = 5.0,
                 queue_packets: int = 400):
        parts = urlsplit(url)
        if parts.scheme not in ("rtmp", "rtmps") or not parts.hostname:
            raise SpecError(f"output_url: {url!r} is not an rtmp:// or rtmps://host[:port]/app URL")
        self.url, self.stream_key = url, stream_key
        self.full_url = url.rstrip("/") + ("/" + stream_key if stream_key else "")
        self.name = self.full_url
        self._tls = parts.scheme == "rtmps"
        self._host, self._port = parts.hostname, parts.port or (443 if self._tls else 1935)
        self.on_state = on_state
        self.max_retries, self.backoff, self.backoff_max = max_retries, backoff, backoff_max
        self.connect_timeout = connect_timeout
        self.state = "IDLE"
        self.failure: OutputError | None = None
        self.connections = 0
        self.dropped = 0
        self._q: queue.Queue = queue.Queue(maxsize=queue_packets)
        self._connected = False
        self._need_key = True
        self._lock = threading.Lock()
        self._backlog: list = []  # while disconnected: the packets since the latest keyframe
        self._backlog_max = queue_packets // 2
        self._lost = False  # some packet never reached a server
        # audio leaves the encoder ~0.5 s before the video of the same moment: keep the last
        # second sent, so a reconnection that restarts at an already-sent keyframe has sound
        self._recent_audio: collections.deque = collections.deque(maxlen=60)
        self._stop = threading.Event()
        self.last_error: str | None = None  # of the latest failed connection attempt
        self._settled = threading.Event()  # the first connection attempt ended (either way)
        self._thread: threading.Thread | None = None

    def check(self, settings) -> None:
        if settings.codec != "H264":
            raise SpecError(f"video_config.codec: {settings.codec} cannot be pushed over RTMP "
                            f"({self.url}); RTMP carries H264 only")

    def start(self, templates) -> None:
        self._templates = templates
        self._thread = threading.Thread(target=self._run, name=f"rtmp {self.full_url}", daemon=True)
        self._thread.start()

    def send(self, pkt) -> None:
        """Encoder thread: never blocks. While disconnected only the packets since the latest
        keyframe are kept (a reconnection starts there at once); when the queue is full the
        packet is dropped and the picture waits for the next keyframe."""
        with self._lock:  # put_nowait never blocks; the lock orders us with (dis)connection
            if not self._connected:
                self._keep(pkt)
                return
            try:
                self._q.put_nowait(pkt)
            except queue.Full:
                self.dropped += 1
                self._lost = True
                self._need_key = True  # the picture is broken until the next keyframe

    def _keep(self, pkt) -> None:
        """Add to the backlog (lock held); a keyframe makes everything before it useless,
        except the audio of its own moment and later (audio leaves the encoder first)."""
        if pkt.kind == "video" and pkt.keyframe and self._backlog:
            t = pkt.dts * pkt.time_base
            kept = [a for a in self._backlog if a.kind == "audio" and a.pts * a.time_base >= t]
            self._forget(len(self._backlog) - len(kept))
            self._backlog = kept
        self._backlog.append(pkt)
        if len(self._backlog) > self._backlog_max:
            self._forget(len(self._backlog) - self._backlog_max)
            del self._backlog[:-self._backlog_max]

    def _forget(self, n: int) -> None:
        if n > 0:
            self.dropped += n
            self._lost = True

    def join_late(self) -> None:
        """Added to a running encode: start at a keyframe with the timeline moved to 0."""
        self._lost = True

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the first connection attempt ended (connected, or failed: it goes on
        retrying while the stream runs, the packets since the latest keyframe kept)."""
        return self._settled.wait(timeout)

    @property
    def connected(self) -> bool:
        return self.state == CONNECTED

    def never_connected(self) -> str | None:
        """Why this output never reached its server (None once it has connected)."""
        if self.connections:
            return None
        why = self.failure.details[0] if self.failure and self.failure.details else self.last_error
        return f"RTMP output {self.full_url}: never connected" + (f" ({why})" if why else "")

    def stop(self) -> None:
        """Ask the writer to send what is queued, write the trailer and end (no wait)."""
        if not self._stop.is_set():
            self._stop.set()
            self._put_stop()

    def finish(self, timeout: float = 15.0) -> None:
        self.stop()
        if self._thread is not None:
            # one that never connected has nothing to flush: do not wait out its connection attempt
            self._thread.join(timeout if self.connections else min(timeout, 0.5))
            if self._thread.is_alive() and self.failure is None and self.connections:
                self.failure = OutputError(f"RTMP output {self.full_url}: did not finish within {timeout} s")
        if self.state != END:
            self._set_state(END)

    def abort(self) -> None:
        self.finish(timeout=5.0)

    # -- writer thread -----------------------------------------------------------------
    def _put_stop(self) -> None:
        while True:
            try:
                self._q.put_nowait(_STOP)
                return
            except queue.Full:
                try:
                    self._q.get_nowait()
                except queue.Empty:
                    pass

    def _set_state(self, state: str) -> None:
        if state == self.state:  # a change of state, not every retry
            return
        self.state = state
        if self.on_state is not None:
            try:
                self.on_state(self.url, self.stream_key, state)
            except Exception:  # a callback bug must not kill the stream
                log.exception("on_state callback failed for %s", self.full_url)

    def _connect(self):
        # PyAV runs FFmpeg's RTMP connect holding the GIL and without any timeout, so first
        # check with a timeout, in Python, that an RTMP server answers there at all.
        _rtmp_probe(self._host, self._port, self.connect_timeout, tls=self._tls)
        container = av.open(self.full_url, "w", format="flv",
                            options={"flvflags": "no_duration_filesize"})
        try:
            streams = _add_streams(container, self._templates)
            container.start_encoding()  # the RTMP handshake + publish happen here
        except BaseException:
            _close_quietly(container)
            raise
        return container, streams

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as e:  # a bug, not the network: give up at once, say why
            log.exception("RTMP output %s failed", self.full_url)
            self.failure = OutputError(f"RTMP output {self.full_url}: {type(e).__name__}: {e}")
        finally:
            with self._lock:
                self._connected = False
                self._backlog = []
            self._settled.set()
            self._set_state(END)

    def _loop(self) -> None:
        failures, delay = 0, self.backoff
        self._set_state(CONNECTING)
        while not self._stop.is_set():
            try:
                container, streams = self._connect()
            except (OSError, av.FFmpegError) as e:
                failures += 1
                self.last_error = str(e)
                self._settled.set()
                log.info("RTMP output %s: connection attempt %d failed: %s", self.full_url, failures, e)
                if failures > self.max_retries:
                    self.failure = OutputError(
                        f"RTMP output {self.full_url}: gave up after {failures} failed connection "
                        f"attempts: {e}")
                    break
                if self._stop.wait(delay):
                    break
                delay = min(delay * 2, self.backoff_max)
                self._set_state(RECONNECTING)
                continue
            failures, delay = 0, self.backoff
            self.connections += 1
            with self._lock:  # from now on send() queues; the backlog goes first
                self._drain()
                clean = self.connections == 1 and not self._lost
                for pkt in self._backlog:
                    self._q.put_nowait(pkt)
                self._backlog = []
                self._need_key = True
                self._connected = True
            self._set_state(CONNECTED)
            self._settled.set()
            try:
                done = self._pump(container, streams, clean)
            except (OSError, av.FFmpegError) as e:
                log.warning("RTMP output %s: disconnected: %s", self.full_url, e)
                done = False
            with self._lock:  # the last sent audio + what was queued but not sent seed the backlog
                self._connected = False
                self._lost = True
                self._backlog = list(self._recent_audio)
                self._recent_audio.clear()
                while True:
                    try:
                        pkt = self._q.get_nowait()
                    except queue.Empty:
                        break
                    if pkt is not _STOP:
                        self._keep(pkt)
            _close_quietly(container)
            if done or self._stop.is_set():
                break
            self._set_state(DISCONNECTED)
            self._set_state(RECONNECTING)

    def _pump(self, container, streams, clean_start: bool) -> bool:
        """Mux queued packets until _STOP (True) or a write error (raises). A connection that
        did not see the stream from its first packet starts at a keyframe, its timeline moved
        to start at 0."""
        offset = None  # seconds (Fraction) where this connection's timeline starts
        early_audio: collections.deque = collections.deque(maxlen=500)  # audio leads video
        while True:
            try:
                pkt = self._q.get(timeout=0.5)
            except queue.Empty:
                if self._stop.is_set():
                    container.close()
                    return True
                continue
            if pkt is _STOP:
                container.close()  # trailer
                return True
            if offset is None:
                if clean_start:
                    offset = Fraction(0)
                elif pkt.kind == "video" and pkt.keyframe:
                    offset = max(Fraction(0), pkt.dts * pkt.time_base)
                    self._need_key = False
                    self._mux(container, streams, pkt, offset)
                    for a in early_audio:  # the sound of the same moment, queued before it
                        if a.pts * a.time_base >= offset:
                            self._mux(container, streams, a, offset)
                    early_audio.clear()
                    continue
                else:
                    if pkt.kind == "audio":
                        early_audio.append(pkt)
                    continue
            if pkt.kind == "video" and self._need_key:
                if not pkt.keyframe:
                    continue
                self._need_key = False
            if pkt.pts * pkt.time_base >= offset:
                self._mux(container, streams, pkt, offset)

    def _mux(self, container, streams, pkt, offset) -> None:
        container.mux_one(pkt.to_av(streams[pkt.kind], int(offset / pkt.time_base)))
        if pkt.kind == "audio":
            self._recent_audio.append(pkt)

    def _drain(self) -> None:
        while True:
            try:
                self._q.get_nowait()
            except queue.Empty:
                return


def _rtmp_probe(host: str, port: int, timeout: float, tls: bool = False) -> None:
    """Open TCP (+TLS for rtmps, unverified like FFmpeg's default) and do the first half of the
    RTMP handshake (C0+C1 -> S0+S1); raises OSError when no RTMP server answers in time."""
    with contextlib.ExitStack() as stack:
        sock = stack.enter_context(socket.create_connection((host, port), timeout=timeout))
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            try:
                sock = stack.enter_context(ctx.wrap_socket(sock, server_hostname=host))
            except (ssl.SSLError, TimeoutError) as e:
                raise ConnectionError(f"rtmps: no TLS handshake with {host}:{port} ({e}); is it a plain "
                                      f"rtmp:// server?") from None
        sock.settimeout(timeout)
        sock.sendall(b"\x03" + bytes(8) + os.urandom(1528))
        need, got = 1 + 1536, b""
        while len(got) < need:
            chunk = sock.recv(need - len(got))
            if not chunk:
                raise ConnectionError("connection closed during the RTMP handshake")
            got += chunk
        if got[0] != 3:
            raise ConnectionError(f"not an RTMP server (handshake version byte {got[0]})")


def _close_quietly(container) -> None:
    with contextlib.suppress(Exception):  # the connection/file is gone anyway
        container.close()


def all_given_up(outputs) -> bool:
    """True when every output has failed for good (nothing left to push to)."""
    return bool(outputs) and all(o.failure is not None for o in outputs)
