"""What every streamed output protocol shares (render.outputs.rtmp is one; SRT would be another).

A NetworkOutput has its own writer thread and a bounded queue, so `send` never blocks the
encoder. While disconnected it keeps only the packets since the latest keyframe (and the audio
of that moment), so a reconnection starts there at once; it reconnects with backoff and gives up
after `max_retries` failed attempts in a row (`failure` names the URL). A connection that did
not see the stream from its first packet starts at a keyframe with its timeline moved to 0.
States go to `on_state(url, stream_key, state)`: CONNECTING -> CONNECTED; on a write error
DISCONNECTED -> RECONNECTING -> CONNECTED; END when finished or given up.

A protocol subclasses it with `label` (for messages), `__init__` (check the URL, set
`full_url`, then NetworkOutput.__init__), `check(settings)` (the codecs it carries) and
`_open()` (a container connected and ready for streams, or OSError / av.FFmpegError).
"""
from __future__ import annotations

import collections
import logging
import queue
import threading
from fractions import Fraction

import av

from render.errors import OutputError
from render.outputs import CONNECTED, CONNECTING, DISCONNECTED, END, RECONNECTING, StateCallback
from render.outputs.files import add_streams, close_quietly

_STOP = object()
log = logging.getLogger(__name__)


class NetworkOutput:
    """A streamed output (see the module doc); subclasses connect it."""

    label = "network"
    remote = True
    full_url: str

    def __init__(self, url: str, stream_key: str = "", on_state: StateCallback | None = None, *,
                 max_retries: int = 5, backoff: float = 0.5, backoff_max: float = 8.0,
                 connect_timeout: float = 5.0, queue_packets: int = 400):
        self.url, self.stream_key = url, stream_key
        self.name = self.full_url
        # what logs and errors show: the URL with its stream key masked (a key is a credential)
        self.shown_url = url.rstrip("/") + ("/***" if stream_key else "")
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

    def start(self, templates) -> None:
        self._templates = templates
        self._thread = threading.Thread(target=self._run, name=f"{self.label.lower()} {self.full_url}", daemon=True)
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
        return f"{self.label} output {self.full_url}: never connected" + (f" ({why})" if why else "")

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
                self.failure = OutputError(f"{self.label} output {self.full_url}: did not finish within {timeout} s")
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
                log.exception("on_state callback failed for %s", self.shown_url)

    def check(self, settings) -> None:
        raise NotImplementedError

    def _open(self):
        """A container connected to the server, to add streams to (OSError / av.FFmpegError)."""
        raise NotImplementedError

    def _release(self) -> None:
        """After a container of `_open` is closed: what it wrote through is closed too (RTMP: its
        connection, render.outputs.avio)."""

    def _connect(self):
        container = self._open()
        try:
            streams = add_streams(container, self._templates)
            container.start_encoding()  # the protocol handshake (RTMP: + publish) happens here
        except BaseException:
            close_quietly(container)
            self._release()
            raise
        return container, streams

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as e:  # a bug, not the network: give up at once, say why
            log.exception("%s output %s failed", self.label, self.shown_url)
            self.failure = OutputError(f"{self.label} output {self.full_url}: {type(e).__name__}: {e}")
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
                log.info("%s output %s: connection attempt %d failed: %s", self.label, self.shown_url, failures, e)
                if failures > self.max_retries:
                    self.failure = OutputError(
                        f"{self.label} output {self.full_url}: gave up after {failures} failed connection "
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
                log.warning("%s output %s: disconnected: %s", self.label, self.shown_url, e)
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
            close_quietly(container)
            self._release()
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
