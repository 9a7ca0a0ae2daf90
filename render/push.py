"""A room as a live stream: the Show's frames, paced by the wall clock, to RTMP outputs."""
from __future__ import annotations

import dataclasses
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from render.assets import AssetLibrary
from render.errors import OutputError, SpecError
from render.callbacks import EventSink
from render.encode import LIVE
from render.live import LiveStats, run_live
from render.preview import encode_settings
from render.sinks import RtmpOutput, all_given_up
from render.spec import LoadedRoom

log = logging.getLogger(__name__)


def output_pairs(loaded: LoadedRoom, urls: list[str] | None, keys: list[str] | None) -> list[tuple[str, str]]:
    """(url, key) of every output: the command line's pairs, else the room's output_urls/stream_keys."""
    if urls:
        keys = keys or []
        if len(keys) not in (0, len(urls)):
            raise SpecError(f"--key: {len(keys)} keys for {len(urls)} --url; give one --key per --url")
        return list(zip(urls, keys or [""] * len(urls), strict=True))
    room = loaded.room
    pairs = list(zip(room.output_urls or [], room.stream_keys or [""] * len(room.output_urls or []), strict=True))
    if not pairs:
        raise SpecError("output_urls: the room has no RTMP output; give --url URL --key KEY")
    return pairs


class StopOnSignals:
    """SIGTERM and Ctrl-C set the stop event: the stream ends cleanly instead of dying."""

    def __init__(self, event: threading.Event):
        self.event, self._old = event, {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, lambda *_: self.event.set())
        return self

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _stop_when_all_gave_up(outputs, stop_event: threading.Event) -> None:
    """A stream with no output left ends (and the push fails) instead of running for nobody."""
    while not stop_event.wait(0.5):
        if all_given_up(outputs):
            stop_event.set()


def push(loaded: LoadedRoom, library: AssetLibrary, pairs: list[tuple[str, str]], *,
         duration: float | None = None, seed: int | None = None, events_out: Path | None = None,
         room_id: str = "", job_id: str = "", max_retries: int = 5,
         stop_event: threading.Event | None = None, quiet: bool = False) -> LiveStats:
    from render.show import Show

    settings = dataclasses.replace(encode_settings(loaded), profile=LIVE)
    if not loaded.room.scene_scripts:
        raise SpecError("scene_scripts: the room has no scene to render")
    fps, clock = settings.fps, {"frame": 0}
    outputs = [RtmpOutput(url, key, on_state=lambda *a: on_state(*a), max_retries=max_retries) for url, key in pairs]
    for out in outputs:
        out.check(settings)  # a bad URL or VP8 over RTMP: refused before any speech is synthesized
    stop_event = stop_event or threading.Event()
    sink = EventSink(events_out, loaded.room.live_event_callback_config, keep=False)

    def on_state(url: str, key: str, state: str) -> None:
        message = {"room_id": room_id, "job_id": job_id, "output_url": url, "stream_key": key, "state": state}
        sink.emit({"event_type": "RTMP_STREAM_STATE_CHANGE", "message": json.dumps(message)},
                  clock["frame"] / fps)
        if not quiet:
            print(f"{url}/{key}: {state}", file=sys.stderr, flush=True)

    show = None
    try:
        show = Show(loaded, library, seed=seed, room_id=room_id, job_id=job_id,
                    progress=None if quiet else (lambda m: print(f"preparing: {m}", file=sys.stderr)))
        frames = show.frames()

        def next_frame(i: int):
            frame = next(frames, None)
            if frame is None:
                return None
            clock["frame"] = frame.index
            for e in frame.events:
                sink.emit(e, frame.index / fps)
            return frame.picture, frame.audio

        watcher = threading.Thread(target=_stop_when_all_gave_up, args=(outputs, stop_event), daemon=True)
        with StopOnSignals(stop_event):
            watcher.start()
            stats = run_live(next_frame, settings, outputs, duration=duration, stop_event=stop_event,
                             on_status=(lambda s: None) if quiet else None)
        if all_given_up(outputs):
            reasons = "; ".join(str(o.failure) for o in outputs if o.failure)
            raise OutputError(f"every output gave up: {reasons}")
        return stats
    finally:
        stop_event.set()  # ends the watcher, whatever happened
        sink.close()
        if show is not None:
            show.close()
