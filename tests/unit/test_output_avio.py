"""render.outputs.avio: an RTMP connection FFmpeg makes without holding the GIL (PyAV's own open
held it for the whole handshake, stalling the live's frame loop at every reconnection)."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from render.outputs.avio import AvioWriter


def slow_server(delay: float):
    """A TCP server that reads the client's first bytes, waits `delay` s, then hangs up."""
    srv = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = srv.accept()
        with conn:
            conn.recv(4096)
            time.sleep(delay)
        srv.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1]


def test_the_connect_runs_without_the_gil_and_fails_naming_the_url():
    port = slow_server(0.4)
    ticks, stop = [0], threading.Event()

    def tick():
        while not stop.is_set():
            time.sleep(0.001)
            ticks[0] += 1

    t = threading.Thread(target=tick)
    t.start()
    start = time.monotonic()
    try:
        with pytest.raises(ConnectionError, match=r"rtmp://127\.0\.0\.1:\d+/live/\*\*\*"):
            AvioWriter(f"rtmp://127.0.0.1:{port}/live/s3cret", {"tcp_nodelay": "1"},
                       shown=f"rtmp://127.0.0.1:{port}/live/***")
    finally:
        stop.set()
        t.join()
    took = time.monotonic() - start
    assert took >= 0.35  # it did wait for the server
    assert ticks[0] >= 50  # another Python thread ran meanwhile (~350 here; the GIL held: 0-2)

