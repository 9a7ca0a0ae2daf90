"""RTMP and RTMPS outputs: FLV (H264 + AAC) to `url + "/" + stream_key`, streamed by NetworkOutput."""
from __future__ import annotations

import contextlib
import os
import socket
import ssl
from urllib.parse import urlsplit

import av

from render.errors import SpecError
from render.outputs.avio import AvioWriter
from render.outputs.network import NetworkOutput


class RtmpOutput(NetworkOutput):
    """FLV over RTMP to `url + "/" + stream_key`, reconnecting on its own (see NetworkOutput)."""

    label = "RTMP"

    def __init__(self, url: str, stream_key: str = "", on_state=None, **options):
        parts = urlsplit(url)
        if parts.scheme not in ("rtmp", "rtmps") or not parts.hostname:
            raise SpecError(f"output_url: {url!r} is not an rtmp:// or rtmps://host[:port]/app URL")
        self.full_url = url.rstrip("/") + ("/" + stream_key if stream_key else "")
        self._tls = parts.scheme == "rtmps"
        self._host, self._port = parts.hostname, parts.port or (443 if self._tls else 1935)
        self._sink: AvioWriter | None = None
        super().__init__(url, stream_key, on_state, **options)

    def check(self, settings) -> None:
        if settings.codec != "H264":
            raise SpecError(f"video_config.codec: {settings.codec} cannot be pushed over RTMP "
                            f"({self.url}); RTMP carries H264 only")

    def _open(self):
        # FFmpeg's RTMP connect has no timeout of its own: first check with one, in Python,
        # that an RTMP server answers there at all. Then FFmpeg connects through ctypes, without
        # the GIL and with Nagle off (render.outputs.avio: PyAV's own open stalled the frame
        # loop 175 ms), and PyAV muxes into that connection, each packet sent as it comes.
        _rtmp_probe(self._host, self._port, self.connect_timeout, tls=self._tls)
        self._sink = AvioWriter(self.full_url, {"tcp_nodelay": "1"}, shown=self.shown_url)
        return av.open(self._sink, "w", format="flv",
                       options={"flvflags": "no_duration_filesize", "flush_packets": "1"})

    def _release(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None


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
