"""A room to a video file: the Show's frames through one encoder into an MP4 or WebM."""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from render.assets import AssetLibrary
from render.encode import Encoder, EncodeSettings
from render.errors import OutputError, SpecError
from render.progress import Progress
from render.sinks import FileOutput
from render.spec import LoadedRoom, effective_video_config
from render.timebase import frames_for

ENDLESS_DEFAULT = 60.0  # seconds rendered of an endless room when no --duration is given


@dataclass
class PreviewResult:
    path: Path
    frames: int
    seconds: float
    events: list[dict]


def encode_settings(loaded: LoadedRoom) -> EncodeSettings:
    vc = effective_video_config(loaded.room)
    return EncodeSettings(vc.codec.value, vc.width, vc.height, fps=vc.fps, bitrate_kbps=vc.bitrate)


def write_events(path: Path, events: list[dict]) -> None:
    """JSON lines, written whole to a temp name and renamed (no half-written file)."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"events file {path}: cannot be written ({e.strerror or e})") from None


def preview(loaded: LoadedRoom, library: AssetLibrary, out: Path, *, duration: float | None = None,
            seed: int | None = None, events_out: Path | None = None, quiet: bool = False) -> PreviewResult:
    from render.show import Show  # the pipeline's heavy imports, only when rendering

    settings = encode_settings(loaded)
    output = FileOutput(out, settings)  # a codec/extension mismatch fails here, before any work
    if not loaded.room.scene_scripts:
        raise SpecError("scene_scripts: the room has no scene to render")
    say = (lambda msg: None) if quiet else (lambda msg: print(msg, file=sys.stderr))
    show = Show(loaded, library, seed=seed, progress=lambda m: say(f"preparing: {m}"))
    total = show.total_frames()
    if duration is not None:
        limit = frames_for(duration, settings.fps)
        total = limit if total is None else min(total, limit)
    elif total is None:
        say(f"the room plays until stopped: rendering {ENDLESS_DEFAULT:.0f} s (set --duration)")
        total = frames_for(ENDLESS_DEFAULT, settings.fps)
    progress = None if quiet else Progress(total, settings.fps, label="preview")
    events: list[dict] = []
    n = 0
    try:
        with Encoder(settings, [output]) as enc:
            for frame in show.frames(total):
                enc.push(frame.picture, frame.audio)
                events += [{"time": round(frame.index / settings.fps, 3), "frame": frame.index, **e}
                           for e in frame.events]
                n += 1
                if progress:
                    progress.update(n)
    finally:
        show.close()
    if progress:
        progress.done(n)
    if events_out is not None:
        write_events(Path(events_out), events)
    return PreviewResult(Path(out), n, n / settings.fps, events)
