"""The two-way channel between the API server and one live job worker: JSON lines over a Unix socket.

Worker side (the socket lives in the job's folder, mode 0600):

    listener = Listener(path, handler)     # handler(msg: dict) -> dict (the reply's result)
    listener.emit(line)                    # an event line to the connected server (buffered until one is)
    listener.close()

Server side (one per job):

    link = JobLink(path, on_event=callable(line))   # connects in the background, reconnects
    result = link.request({"op": "ping"}, timeout=2.0)   # ChannelError / the worker's RenderError
    fut = link.send({"op": "events", ...})               # a Future, for asyncio.wrap_future
    link.close()

Wire format, one JSON object per line:
    server -> worker  {"id": n, "op": "command" | "events" | "inserts" | "ping", ...}
    worker -> server  {"id": n, "ok": true, "result": ...}
                      {"id": n, "ok": false, "error_code": "MSS...", "error_msg": "..."}
                      {"event": {...an event line...}}
`Link` is the whole interface the server uses; a cluster backend can carry the same messages
over another transport by implementing it.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Protocol

from render.errors import MESSAGES, InternalError, RenderError

log = logging.getLogger(__name__)
MAX_LINE = 16 * 1024 * 1024  # a message larger than this closes the connection
EVENT_BUFFER = 2000  # event lines kept while no server is connected


class ChannelError(InternalError):
    """The worker did not answer (not connected, connection lost, or too slow); its message is
    shown to the API's caller (it names the operation and the wait, nothing internal)."""

    public = True


def error_class(code: str) -> type[RenderError]:
    """The RenderError subclass reported with `code` (a worker's error, raised again here)."""
    stack = list(RenderError.__subclasses__())
    while stack:
        cls = stack.pop(0)
        if cls.code == code and cls.code != InternalError.code:
            return cls
        stack.extend(cls.__subclasses__())
    return InternalError


def error_from_reply(reply: dict) -> RenderError:
    """The worker's `{error_code, error_msg}` as the same RenderError (its message unchanged)."""
    cls = error_class(str(reply.get("error_code")))
    msg, title = str(reply.get("error_msg") or ""), MESSAGES[cls.code] + ": "
    return cls(msg[len(title):] if msg.startswith(title) else msg)


class Link(Protocol):
    """What the server needs of a job's channel (JobLink here; a cluster backend later)."""

    ever_connected: bool

    @property
    def connected(self) -> bool: ...
    def send(self, msg: dict) -> Future: ...
    def request(self, msg: dict, timeout: float) -> object: ...
    def forget(self, fut: Future) -> None: ...
    def close(self) -> None: ...


def _lines(sock: socket.socket):
    """Decoded JSON objects from a stream socket until it closes (bad lines are skipped)."""
    buf = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except OSError:
            return
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                log.warning("channel: dropped a line that is not JSON (%d bytes)", len(line))
                continue
            if isinstance(obj, dict):
                yield obj
        if len(buf) > MAX_LINE:
            log.warning("channel: a line longer than %d bytes; closing", MAX_LINE)
            return


@contextlib.contextmanager
def _sun_path(path: Path):
    """A path short enough for AF_UNIX (108 bytes): a long one is reached through an open
    descriptor of its folder (/proc/self/fd/N/name, Linux)."""
    if len(os.fsencode(path)) < 100:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def _settle(fut: Future, result=None, error: BaseException | None = None) -> None:
    """Resolve a Future unless it is done already (timed out and cancelled by its waiter)."""
    try:
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(result)
    except InvalidStateError:
        pass


def _encode(obj: dict) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


class _Conn:
    """One connected socket with a write lock (replies and events come from several threads)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._lock = threading.Lock()
        self.alive = True

    def write(self, obj: dict) -> bool:
        data = _encode(obj)
        with self._lock:
            if not self.alive:
                return False
            try:
                self.sock.sendall(data)
                return True
            except OSError:
                self.alive = False
                return False

    def close(self) -> None:
        self.alive = False
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()


# -- worker side -----------------------------------------------------------------------------
class Listener:
    """Serves `handler` on a Unix socket; requests run on a small pool so a slow command never
    holds back a ping. Event lines go to every connected server, or wait (bounded) for one."""

    def __init__(self, path: str | Path, handler: Callable[[dict], object], *, workers: int = 4):
        self.path = Path(path)
        self.handler = handler
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="channel")
        self._conns: list[_Conn] = []
        self._pending: deque = deque(maxlen=EVENT_BUFFER)
        self._lock = threading.Lock()
        self._closed = False
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # the socket is created 0600: only this user may steer the live
        try:
            with _sun_path(self.path) as where:
                self._sock.bind(where)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        self._sock.listen(8)
        self._thread = threading.Thread(target=self._accept, name="channel-listen", daemon=True)
        self._thread.start()

    def emit(self, line: dict) -> None:
        """Send an event line to the server(s); kept (the last EVENT_BUFFER) while none is connected."""
        with self._lock:
            conns = [c for c in self._conns if c.alive]
            if not conns:
                self._pending.append(line)
                return
        for c in conns:
            c.write({"event": line})

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            c.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(OSError):
            self.path.unlink()

    def _accept(self) -> None:
        while not self._closed:
            try:
                sock, _ = self._sock.accept()
            except OSError:
                return
            conn = _Conn(sock)
            with self._lock:
                self._conns = [c for c in self._conns if c.alive] + [conn]
                backlog = list(self._pending)
                self._pending.clear()
            for line in backlog:
                conn.write({"event": line})
            threading.Thread(target=self._serve, args=(conn,), name="channel-conn", daemon=True).start()

    def _serve(self, conn: _Conn) -> None:
        try:
            for msg in _lines(conn.sock):
                if isinstance(msg, dict) and msg.get("op") == "ping":  # answered here: never queued
                    self._answer(conn, msg)                          # behind slow commands
                    continue
                try:
                    self._pool.submit(self._answer, conn, msg)
                except RuntimeError:  # pool shut down: the worker is ending
                    return
        finally:
            conn.close()

    def _answer(self, conn: _Conn, msg: dict) -> None:
        rid = msg.get("id")
        try:
            reply = {"id": rid, "ok": True, "result": self.handler(msg)}
        except RenderError as e:
            reply = {"id": rid, "ok": False, **e.body()}
        except Exception as e:  # noqa: BLE001 -- a handler bug answers 500, the live goes on
            log.exception("channel: op %r failed", msg.get("op"))
            reply = {"id": rid, "ok": False, **InternalError(f"{type(e).__name__}: {e}").body()}
        conn.write(reply)


# -- server side -----------------------------------------------------------------------------
class JobLink:
    """The server's end of one job's channel. Connects (and reconnects) in the background;
    `send` fails at once with ChannelError while it is not connected."""

    def __init__(self, path: str | Path, on_event: Callable[[dict], None] | None = None, *,
                 retry: float = 0.2):
        self.path = Path(path)
        self.on_event = on_event
        self.retry = retry
        self.ever_connected = False
        self._ids = itertools.count(1)
        self._waiting: dict[int, Future] = {}
        self._lock = threading.Lock()
        self._conn: _Conn | None = None
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"joblink {self.path.parent.name}", daemon=True)
        self._thread.start()

    @property
    def connected(self) -> bool:
        conn = self._conn
        return conn is not None and conn.alive

    def wait_connected(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.connected:
            if self._closed.is_set() or time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def send(self, msg: dict) -> Future:
        """Send a request; the Future resolves to the reply's result or raises its error."""
        fut: Future = Future()
        with self._lock:
            conn = self._conn
            if conn is None or not conn.alive:
                fut.set_exception(ChannelError("the job's worker is not connected to the server"))
                return fut
            rid = next(self._ids)
            self._waiting[rid] = fut
        if not conn.write({**msg, "id": rid}):
            self._fail(rid, ChannelError("the connection to the job's worker was lost"))
        return fut

    def request(self, msg: dict, timeout: float) -> object:
        fut = self.send(msg)
        try:
            return fut.result(timeout)
        except FutureTimeout:
            self.forget(fut)
            raise ChannelError(f"the job's worker did not answer {msg.get('op')!r} within {timeout:g} s") from None

    def forget(self, fut: Future) -> None:
        """Stop waiting for a request's reply (it timed out)."""
        with self._lock:
            for rid, f in list(self._waiting.items()):
                if f is fut:
                    del self._waiting[rid]

    def close(self) -> None:
        self._closed.set()
        conn = self._conn
        if conn is not None:
            conn.close()
        self._fail_all(ChannelError("the job's channel was closed"))

    def _fail(self, rid: int, err: Exception) -> None:
        with self._lock:
            fut = self._waiting.pop(rid, None)
        if fut is not None:
            _settle(fut, error=err)

    def _fail_all(self, err: Exception) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        for fut in waiting.values():
            _settle(fut, error=err)

    def _run(self) -> None:
        while not self._closed.is_set():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                with _sun_path(self.path) as where:
                    sock.connect(where)
            except OSError:
                sock.close()
                self._closed.wait(self.retry)
                continue
            conn = _Conn(sock)
            with self._lock:
                self._conn = conn
            self.ever_connected = True
            for msg in _lines(sock):
                if "event" in msg:
                    if self.on_event is not None:
                        try:
                            self.on_event(msg["event"])
                        except Exception:  # noqa: BLE001 -- a consumer bug must not cut the channel
                            log.exception("channel: event handler failed")
                    continue
                with self._lock:
                    fut = self._waiting.pop(msg.get("id"), None)
                if fut is not None:
                    _settle(fut, msg.get("result"), None if msg.get("ok") else error_from_reply(msg))
            conn.close()
            with self._lock:
                if self._conn is conn:
                    self._conn = None
            self._fail_all(ChannelError("the connection to the job's worker was lost"))
            self._closed.wait(self.retry)
