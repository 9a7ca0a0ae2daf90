"""Where play events go: JSON lines (--events-out) and the room's HTTP callback.

An event is the spec's callback body `{event_type, message}` (message a JSON string);
the JSON lines add the stream time. The callback (live_event_callback_config) is posted
from a background thread so a slow or absent server never holds the stream back; its
failures are logged, never fatal. auth_type MSS_A adds hwSecret and hwTime to the URL
query, MSS_A_HEAD sends them as x-hw-mss-secret / x-hw-mss-time headers, where
hwSecret = hex hmac_sha256(key, url + hwTime) and hwTime = hex(unix time).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import queue
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from render.downloads import check_url
from render.errors import OutputError

log = logging.getLogger(__name__)


def sign(url: str, key: str, now: float | None = None) -> tuple[str, str]:
    """(hwSecret, hwTime) of the spec's MSS_A signatures."""
    hw_time = format(int(time.time() if now is None else now), "x")
    secret = hmac.new(key.encode(), (url + hw_time).encode(), hashlib.sha256).hexdigest()
    return secret, hw_time


def callback_request(config, body: dict, now: float | None = None) -> tuple[str, dict]:
    """(url, headers) of one callback POST under the config's auth_type."""
    url = config.live_event_type_callback_url
    auth = getattr(config.auth_type, "value", config.auth_type) or "NONE"
    headers = {"Content-Type": "application/json"}
    if auth in ("MSS_A", "MSS_A_HEAD"):
        secret, hw_time = sign(url, config.key or "", now)
        if auth == "MSS_A":
            parts = urlsplit(url)
            query = (parts.query + "&" if parts.query else "") + urlencode({"hwSecret": secret, "hwTime": hw_time})
            url = urlunsplit(parts._replace(query=query))
        else:
            headers.update({"x-hw-mss-secret": secret, "x-hw-mss-time": hw_time})
    return url, headers


class Poster:
    """POSTs JSON bodies to one callback URL from a background thread, signed under a
    LiveEventCallBackConfig's auth_type; a slow or absent receiver never blocks `send`, a full
    queue drops (logged), failures are logged, never fatal, and `close` keeps its deadline.

    Each POST first checks the URL against the media policy (`policy`, default: the one the API
    gives its workers in the environment; the command line's allows everything): under the API's,
    a name that resolves to a private address at that moment is not posted to, and redirects
    are not followed."""

    def __init__(self, config, *, timeout: float = 5.0, maxsize: int = 1000, what: str = "callback",
                 policy=None):
        from render.assets import MediaPolicy

        self._config, self._timeout, self._what = config, timeout, what
        self._policy = policy or MediaPolicy.from_env()
        self._q: queue.Queue = queue.Queue(maxsize=maxsize)
        self._until: float | None = None  # set by close: send what is queued until then, then stop
        self._thread = threading.Thread(target=self._loop, name=f"{what}s", daemon=True)
        self._thread.start()

    def send(self, body: dict) -> None:
        try:
            self._q.put_nowait(body)
        except queue.Full:
            log.warning("%s queue full: %s not sent", self._what, body.get("event_type"))

    def _loop(self) -> None:
        import httpx

        with httpx.Client(timeout=self._timeout) as client:
            while True:
                try:
                    body = self._q.get(timeout=0.1)
                except queue.Empty:
                    if self._until is not None:
                        return
                    continue
                if self._until is not None and time.monotonic() > self._until:
                    return
                try:
                    url, headers = callback_request(self._config, body)
                    check_url(url, self._what, self._policy)  # SpecError/MediaFileError: logged, not sent
                    r = client.post(url, content=json.dumps(body, ensure_ascii=False).encode(), headers=headers)
                    if r.status_code >= 400:
                        log.warning("%s %s answered HTTP %s", self._what, urlsplit(url).netloc, r.status_code)
                except Exception as e:  # noqa: BLE001 -- a bad URL or a dead receiver never stops the show
                    log.warning("%s to %s failed: %s", self._what, urlsplit(self._config.live_event_type_callback_url
                                                                           or "").netloc, e)

    def close(self, wait: float = 5.0) -> None:
        """Sends what is queued for at most `wait` s (and the request under way), then stops."""
        if self._thread is not None:
            self._until = time.monotonic() + wait
            self._thread.join(wait + self._timeout)
            self._thread = None


class EventSink:
    """The one event writer of preview and push: JSON lines `{time, frame, event_type, message}`
    appended to a file as they happen (`atomic`: under a temp name, renamed by close(commit=True),
    so a failed preview leaves no events file), subscribers (the job channel), and the room's
    callback URL for the subscribed event types."""

    def __init__(self, path: Path | None = None, callback=None, *, timeout: float = 5.0, keep: bool = True,
                 atomic: bool = False):
        self.events: list[dict] = []
        self._keep = keep  # an endless live push keeps none in memory
        self._lock = threading.Lock()  # emitted from the frame producer and every output's thread
        self._subscribers: list = []
        self._path = Path(path) if path else None
        self._tmp = self._path.with_name(f".{self._path.name}.part") if self._path and atomic else None
        try:
            self._file = open(self._tmp or self._path, "w", encoding="utf-8") if path else None  # noqa: SIM115
        except OSError as e:
            raise OutputError(f"events file {path}: cannot be written ({e.strerror or e})") from None
        wanted = callback is not None and callback.live_event_type_callback_url
        self._wanted = {getattr(e, "value", e) for e in (callback.callback_event_type or [])} if wanted else set()
        self._poster = Poster(callback, timeout=timeout) if wanted else None

    def subscribe(self, fn) -> None:
        """fn(line) for every event line from now on (called on the emitting thread: keep it quick)."""
        self._subscribers.append(fn)

    def emit(self, event: dict, stream_time: float | None = None, frame: int | None = None) -> None:
        line = dict(event)
        if frame is not None:
            line = {"frame": frame, **line}
        if stream_time is not None:
            line = {"time": round(stream_time, 3), **line}
        with self._lock:
            if self._keep:
                self.events.append(line)
            if self._file:
                self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
                self._file.flush()
        for fn in self._subscribers:
            try:
                fn(line)
            except Exception as e:  # noqa: BLE001 -- a subscriber never stops the stream
                log.warning("event subscriber failed: %s", e)
        if self._poster is not None and event.get("event_type") in self._wanted:
            self._poster.send({"event_type": event["event_type"], "message": event["message"]})

    def close(self, wait: float = 5.0, *, commit: bool = True) -> None:
        if self._poster is not None:
            self._poster.close(wait)
            self._poster = None
        if self._file:
            self._file.close()
            self._file = None
            if self._tmp is not None:
                try:
                    if commit:
                        os.replace(self._tmp, self._path)
                finally:
                    self._tmp.unlink(missing_ok=True)
