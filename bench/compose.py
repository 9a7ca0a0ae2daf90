"""Frames per second of composition alone on the reference room (1080x1920, every layer type).

    .venv/bin/python bench/compose.py [--frames 500] [--no-encode]

Builds the workload with ../shared/bench/make_media.py into bench/.ref when missing, then
composes 500 frames with the real speech level of the room's voice and a subtitle that changes
every 2 s, and prints fps and the ratio to the 25 fps real-time need. Also times the real
encoder (libx264 veryfast 4000k, into a null output) on 500 copies of a still frame, as the
reference measured in the same run: composition's cost as a share of encoding's.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from preview import REF, build_reference  # noqa: E402


def bench_compose(comp, frames: int, cues: list[str], levels, fps: int = 25) -> float:
    """Frames per second of composition alone: real speech levels, a new subtitle every 2 s."""
    comp.frame_i420(0.0, 0.5, cues[0])  # warm the first subtitle like a live run would
    t0 = time.perf_counter()
    for i in range(frames):
        comp.frame_i420(i / fps, float(levels[i % len(levels)]), cues[(i // (2 * fps)) % len(cues)])
    return frames / (time.perf_counter() - t0)


def bench_encode(frame, w: int, h: int, frames: int, fps: int = 25) -> float:
    """Frames per second of the real encoder path (libx264 veryfast 4000k) on one still frame."""
    import numpy as np

    from render.encode import Encoder, EncodeSettings
    from render.outputs.files import NullOutput

    silence = np.zeros(48000 // fps, np.float32)
    t0 = time.perf_counter()
    with Encoder(EncodeSettings("H264", w, h, fps=fps, bitrate_kbps=4000), [NullOutput()]) as enc:
        for _ in range(frames):
            enc.push(frame, silence)
    return frames / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=500)
    ap.add_argument("--no-encode", action="store_true")
    args = ap.parse_args()
    from render.assets import AssetLibrary
    from render.compose import SceneCompositor
    from render.spec import load_room
    from render.speech import speak

    loaded = load_room(str(build_reference()))
    lib = AssetLibrary.default(base_dir=loaded.base_dir)
    cues = [(REF / "media" / f"sub{i}.txt").read_text(encoding="utf-8").strip() for i in range(10)]
    t0 = time.perf_counter()
    comp = SceneCompositor(loaded.room, 0, lib, fps=25)
    build = time.perf_counter() - t0
    levels = speak(loaded.room.scene_scripts[0].shoot_scripts[0].text_config.text,
                   loaded.room.scene_scripts[0].voice_config, lib,
                   where="scene_scripts[0].shoot_scripts[0].text_config.text").levels(25)
    fps = bench_compose(comp, args.frames, cues, levels)
    w, h = comp.size
    print(f"scene build: {build:.2f} s (decode + static composition + face states)")
    print(f"compose: {fps:.0f} fps at {w}x{h} over {args.frames} frames = {fps / 25:.1f}x"
          f" the 25 fps real-time need ({1000 / fps:.2f} ms/frame,"
          f" {100 * 25 / fps:.1f}% of one core at 25 fps)")
    if not args.no_encode:
        efps = bench_encode(comp.frame_i420(0.0), w, h, args.frames)
        print(f"encode (static frame, libx264 veryfast 4000k): {efps:.0f} fps;"
              f" composition costs {100 * efps / fps:.1f}% of the encode time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
