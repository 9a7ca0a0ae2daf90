"""A room to a video file: the programme's frames through one encoder into an MP4 or WebM.

With a timeline (`events_in`), commands and viewer events steer the programme at their stream
times; the programme then runs its slow work inline, so the same timeline and seed give the same
file every time."""
from __future__ import annotations

import dataclasses
import random
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from render import interrupt
from render.assets import AssetLibrary
from render.callbacks import EventSink
from render.encode import Encoder, EncodeSettings
from render.errors import SpecError
from render.outputs.files import FileOutput
from render.progress import Progress
from render.spec import LoadedRoom, effective_video_config
from render.timebase import frames_for

ENDLESS_DEFAULT = 60.0  # seconds rendered of an endless room when no --duration is given


@dataclass
class PreviewResult:
    path: Path
    frames: int
    seconds: float
    events: list[dict]


def seeded_ids(timeline: list, seed: int | None) -> list:
    """The timeline's commands with ids derived from the seed (their reply_ids in the events), so
    the same timeline and seed give the same events file; no seed: they stay random."""
    if seed is None:
        return timeline
    rng = random.Random(f"timeline ids {seed}")
    return [dataclasses.replace(e, command=dataclasses.replace(
                e.command, command_id=uuid.UUID(int=rng.getrandbits(128), version=4).hex))
            if e.command is not None else e for e in timeline]


def encode_settings(loaded: LoadedRoom, codec: str | None = None) -> EncodeSettings:
    """The room's video settings; `codec` (H264 | VP8) replaces the room's codec (a preview's choice)."""
    vc = effective_video_config(loaded.room)
    return EncodeSettings(codec or vc.codec.value, vc.width, vc.height, fps=vc.fps, bitrate_kbps=vc.bitrate)


def preview(loaded: LoadedRoom, library: AssetLibrary, out: Path, *, duration: float | None = None,
            seed: int | None = None, events_out: Path | None = None, events_in: Path | None = None,
            callbacks: bool = False, quiet: bool = False, codec: str | None = None,
            interaction_callback_url: str | None = None) -> PreviewResult:
    from render.programme import Programme, read_timeline  # the pipeline's heavy imports, only when rendering

    settings = encode_settings(loaded, codec)
    output = FileOutput(out, settings)  # a codec/extension mismatch fails here, before any work
    if not loaded.room.scene_scripts:
        raise SpecError("scene_scripts: the room has no scene to render")
    timeline = seeded_ids(read_timeline(events_in), seed) if events_in is not None else []
    say = (lambda msg: None) if quiet else (lambda msg: print(msg, file=sys.stderr))
    prog = Programme(loaded, library, seed=seed, realtime=False, progress=lambda m: say(f"preparing: {m}"),
                     interaction_callback_url=interaction_callback_url)
    for entry in timeline:
        prog.schedule(entry)
    planned = prog.total_frames()  # an estimate when inserts lengthen the show
    cap = frames_for(duration, settings.fps) if duration is not None else None
    if cap is None and planned is None:
        say(f"the room plays until stopped: rendering {ENDLESS_DEFAULT:.0f} s (set --duration)")
        cap = frames_for(ENDLESS_DEFAULT, settings.fps)
    total = cap if planned is None else planned if cap is None else min(cap, planned)
    progress = None if quiet else Progress(total, settings.fps, label="preview")
    sink = EventSink(events_out, loaded.room.live_event_callback_config if callbacks else None, atomic=True)
    n, ok = 0, False
    try:
        with Encoder(settings, [output]) as enc:
            while cap is None or n < cap:
                interrupt.check()  # a Ctrl-C/SIGTERM that landed in a ctypes callback
                frame = prog.next_frame()
                if frame is None:
                    break
                enc.push(frame.picture, frame.audio)
                for e in frame.events:
                    sink.emit(e, frame.index / settings.fps, frame.index)
                n += 1
                if progress:
                    progress.update(n)
        ok = True
    finally:
        prog.close()
        sink.close(commit=ok)
    if progress:
        progress.done(n)
    return PreviewResult(Path(out), n, n / settings.fps, sink.events)
