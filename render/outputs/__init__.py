"""Outputs of the one encoder: each muxes the shared packets into its own container.

Every output implements `Output` (below); the encoder (render.encode) calls only that, never
probes. `open_output(url, key, ...)` makes one from a URL by its scheme:

    out = open_output("rtmp://127.0.0.1:1935/live", "main", on_state=print)   # RtmpOutput
    out = open_output("file:///tmp/show.mp4")                                 # FileOutput
    out = open_output("null:")                                                # NullOutput

- render.outputs.files: FileOutput (MP4 H264+AAC or WebM VP8+Opus, written to a hidden temp
  name and renamed on success), NullOutput (counts packets: benchmarks, tests).
- render.outputs.network: NetworkOutput, what every streamed protocol shares: its own writer
  thread and bounded queue, a backlog from the latest keyframe while disconnected, reconnection
  with backoff, a restart at a keyframe with the timeline moved to 0, states to `on_state`.
- render.outputs.rtmp: RtmpOutput, FLV over RTMP/RTMPS (H264+AAC only).

A new protocol (SRT, ...) is one module with a NetworkOutput subclass (its URL check, codec
check and connection) plus one line in SCHEMES.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from render.errors import OutputError, SpecError

CONNECTING, CONNECTED, DISCONNECTED, RECONNECTING, END = (
    "CONNECTING", "CONNECTED", "DISCONNECTED", "RECONNECTING", "END")

StateCallback = Callable[[str, str, str], None]  # (url, stream_key, state)


@runtime_checkable
class Output(Protocol):
    """What the encoder needs of an output. `send` runs on the encoder thread and must not block
    for long; a network output (`remote`) connects in the background: the encoder waits (a
    bounded time) for it to be `connected` or to have failed its first attempt (`wait_ready`)."""

    name: str  # for logs and states() (a network output's includes its stream key)
    state: str
    failure: OutputError | None
    remote: bool

    @property
    def url(self) -> str:
        """Where it goes, without the stream key (a secret): what outcomes report."""

    @property
    def connections(self) -> int:
        """Times it reached its destination (a local output: 1 once open)."""

    def check(self, settings) -> None:
        """SpecError before any work (a codec the container cannot carry, a missing folder)."""

    def start(self, templates) -> None:
        """Open (a file) or start connecting (a network output) with the encoder's stream templates."""

    def send(self, pkt) -> None:
        """One encoded packet (render.encode.EncodedPacket), from the encoder thread."""

    def join_late(self) -> None:
        """Added to a running encode: start at a keyframe with the timeline moved to 0."""

    def wait_ready(self, timeout: float) -> bool:
        """True once the first connection attempt has ended (local outputs: at once)."""

    @property
    def connected(self) -> bool:
        """Reaching its destination now (local outputs: while writing)."""

    def never_connected(self) -> str | None:
        """Why this output never reached its destination; None once it has (or when local)."""

    def stop(self) -> None:
        """Begin winding down without waiting (network outputs flush in the background)."""

    def finish(self) -> None:
        """Finalize (trailer, rename); OutputError on failure."""

    def abort(self) -> None:
        """End now; no partial file left."""


# scheme -> "module:class" of its output, imported when first used
SCHEMES = {
    "rtmp": "render.outputs.rtmp:RtmpOutput",
    "rtmps": "render.outputs.rtmp:RtmpOutput",
    "file": "render.outputs.files:FileOutput",
    "null": "render.outputs.files:NullOutput",
}


def open_output(url: str, stream_key: str = "", *, on_state: StateCallback | None = None, settings=None,
                **options) -> Output:
    """The output a URL names, chosen by its scheme (SCHEMES); `options` go to network outputs
    (max_retries, backoff, connect_timeout, ...); `settings` checks it at once (SpecError)."""
    scheme = urlsplit(url).scheme.lower()
    where = SCHEMES.get(scheme)
    if where is None:
        raise SpecError(f"output_url: {url!r} has no supported scheme ({', '.join(s + '://' for s in SCHEMES)})")
    module, name = where.split(":")
    cls = getattr(importlib.import_module(module), name)
    if scheme == "file":
        out = cls(Path(unquote(urlsplit(url).path)))
    elif scheme == "null":
        out = cls()
    else:
        out = cls(url, stream_key, on_state=on_state, **options)
    if settings is not None:
        out.check(settings)
    return out


def all_given_up(outputs) -> bool:
    """True when every output has failed for good (nothing left to push to)."""
    return bool(outputs) and all(o.failure is not None for o in outputs)
