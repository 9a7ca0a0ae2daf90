"""Frames per second of composition alone on the reference room (1080x1920, every layer type).

    .venv/bin/python bench/compose.py [--frames 500] [--no-encode]

Builds the workload with /work/shared/bench/make_media.py into bench/.ref when missing, then
composes 500 frames with a moving mouth level and a subtitle that changes every 2 s, and prints
fps and the ratio to the 25 fps real-time need. Also times one encode of 500 copies of a static
frame (libx264 veryfast 4000k via PyAV, to /dev/null-like memory) for comparison.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REF = ROOT / "bench" / ".ref"
MAKE_MEDIA = Path("/work/shared/bench/make_media.py")


def ensure_reference() -> Path:
    room = REF / "reference-room.json"
    if not room.is_file():
        subprocess.run([sys.executable, str(MAKE_MEDIA), str(REF)], check=True, stdout=subprocess.DEVNULL)
    return room


def bench_compose(comp, frames: int, cues: list[str], fps: int = 25) -> float:
    from render.compose import standin_level

    comp.frame_i420(0.0, 0.5, cues[0])  # warm the first subtitle like a live run would
    t0 = time.perf_counter()
    for i in range(frames):
        t = i / fps
        comp.frame_i420(t, standin_level(t), cues[int(t // 2) % len(cues)])
    return frames / (time.perf_counter() - t0)


def bench_encode(frame, w: int, h: int, frames: int, fps: int = 25) -> float:
    import io

    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt, s.bit_rate = w, h, "yuv420p", 4_000_000
        s.codec_context.thread_type = "FRAME"
        s.options = {"preset": "veryfast"}
        t0 = time.perf_counter()
        for i in range(frames):
            vf = av.VideoFrame.from_ndarray(frame, format="yuv420p")
            vf.pts = i
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
        return frames / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=500)
    ap.add_argument("--no-encode", action="store_true")
    args = ap.parse_args()
    from render.assets import AssetLibrary
    from render.compose import SceneCompositor
    from render.spec import load_room

    loaded = load_room(str(ensure_reference()))
    lib = AssetLibrary.default(base_dir=loaded.base_dir)
    cues = [(REF / "media" / f"sub{i}.txt").read_text(encoding="utf-8").strip() for i in range(10)]
    t0 = time.perf_counter()
    comp = SceneCompositor(loaded.room, 0, lib, fps=25)
    build = time.perf_counter() - t0
    fps = bench_compose(comp, args.frames, cues)
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
