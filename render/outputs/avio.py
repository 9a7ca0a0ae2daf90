"""An FFmpeg protocol output (rtmp://, rtmps://) opened and written through ctypes, for PyAV to
mux into as a file object:

    with AvioWriter(url, {"tcp_nodelay": "1"}) as sink:    # OSError when it cannot connect
        container = av.open(sink, "w", format="flv")        # PyAV writes the FLV bytes to sink

Why: PyAV opens a URL output (`start_encoding` -> avio_open) and closes it holding the GIL, and
passes no protocol options. An RTMP connect is several round trips (connect, releaseStream,
FCPublish, createStream, publish): measured 175 ms against a local nginx-rtmp (Nagle's delay
on the command's small segments, 40 ms each), more over a real network, and during it no other
Python thread runs: the live's frame loop stalled 2-3 frames at every REFRESH_OUTPUT_URL and
reconnection of the one-hour soak. ctypes releases the GIL during each call, so the connect,
the writes and the close block only the output's own thread; and the options reach the
protocol (tcp_nodelay: the connect takes ~1 ms on loopback).

The libraries are PyAV's own (the wheel's av.libs, already loaded by `import av`), or the
system's when PyAV was built against them.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
from pathlib import Path

import av

AVIO_FLAG_WRITE = 2


class _AVIOContext(ctypes.Structure):
    """The public head of FFmpeg's AVIOContext (libavformat/avio.h), up to `error`."""

    _fields_ = [("av_class", ctypes.c_void_p), ("buffer", ctypes.c_void_p), ("buffer_size", ctypes.c_int),
                ("buf_ptr", ctypes.c_void_p), ("buf_end", ctypes.c_void_p), ("opaque", ctypes.c_void_p),
                ("read_packet", ctypes.c_void_p), ("write_packet", ctypes.c_void_p), ("seek", ctypes.c_void_p),
                ("pos", ctypes.c_int64), ("eof_reached", ctypes.c_int), ("error", ctypes.c_int)]


def _find(name: str) -> str:
    """The path of PyAV's copy of an FFmpeg library (lib<name>), else the system's soname."""
    wheel_libs = Path(av.__file__).resolve().parent.parent / "av.libs"
    found = sorted(glob.glob(str(wheel_libs / f"lib{name}-*.so*")))
    if found:
        return found[0]
    return ctypes.util.find_library(name) or f"lib{name}.so"


_libs: tuple[ctypes.CDLL, ctypes.CDLL] | None = None


def _ffmpeg() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    """(libavformat, libavutil) with the signatures used here."""
    global _libs
    if _libs is None:
        fmt, util = ctypes.CDLL(_find("avformat")), ctypes.CDLL(_find("avutil"))
        pp = ctypes.POINTER(ctypes.c_void_p)
        fmt.avio_open2.argtypes = [pp, ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p, pp]
        fmt.avio_write.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        fmt.avio_write.restype = None
        fmt.avio_flush.argtypes = [ctypes.c_void_p]
        fmt.avio_flush.restype = None
        fmt.avio_closep.argtypes = [pp]
        fmt.avformat_network_init.argtypes = []
        util.av_dict_set.argtypes = [pp, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
        util.av_dict_free.argtypes = [pp]
        util.av_dict_free.restype = None
        util.av_strerror.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
        fmt.avformat_network_init()
        _libs = fmt, util
    return _libs


def _error(util: ctypes.CDLL, code: int) -> str:
    buf = ctypes.create_string_buffer(256)
    util.av_strerror(code, buf, len(buf))
    return buf.value.decode("utf-8", "replace")


class AvioWriter:
    """A write-only, unseekable file object over an FFmpeg protocol URL (see the module doc).
    Errors are OSError naming `shown` (the URL without its secret)."""

    def __init__(self, url: str, options: dict[str, str] | None = None, *, shown: str | None = None):
        fmt, util = _ffmpeg()
        self.shown = shown or url
        self._ctx = ctypes.c_void_p()
        opts = ctypes.c_void_p()
        try:
            for k, v in (options or {}).items():
                util.av_dict_set(ctypes.byref(opts), k.encode(), str(v).encode(), 0)
            ret = fmt.avio_open2(ctypes.byref(self._ctx), url.encode(), AVIO_FLAG_WRITE, None, ctypes.byref(opts))
        finally:
            util.av_dict_free(ctypes.byref(opts))
        if ret < 0:
            raise ConnectionError(-ret, f"{self.shown}: {_error(util, ret)}")

    @property
    def closed(self) -> bool:
        return not self._ctx

    def write(self, data) -> int:
        addr = self._ctx.value
        if addr is None:
            raise OSError(f"{self.shown}: written after close")
        fmt, util = _ffmpeg()
        buf = bytes(data)
        fmt.avio_write(self._ctx, buf, len(buf))
        fmt.avio_flush(self._ctx)  # out now: a live stream, not a file
        err = _AVIOContext.from_address(addr).error
        if err < 0:
            raise ConnectionError(-err, f"{self.shown}: {_error(util, err)}")
        return len(buf)

    def flush(self) -> None:
        if self._ctx:
            _ffmpeg()[0].avio_flush(self._ctx)

    def close(self) -> None:
        if self._ctx:
            _ffmpeg()[0].avio_closep(ctypes.byref(self._ctx))

    def __enter__(self) -> AvioWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if os is not None:  # (not at interpreter exit)
            self.close()
