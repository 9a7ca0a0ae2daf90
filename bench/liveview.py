"""The console's live view: what it costs a live stream, per second of stream.

    python bench/liveview.py [--seconds 20] [--every 5] [--width 320]

Renders 2 s of the showcase room's first scene at its output size (1080x1920) with the real
compositor, timing it: the reference, what one frame of picture costs in this run. Then feeds
those frames at the stream's real frame rate for --seconds into LiveView(every, width) and
prints, per second of stream: the time submit() took on the frame thread (against the frame
budget of 1000 ms), the CPU of the view's own thread (JPEG and colour conversion, off the frame
thread), both also as a share of composing that second of picture; the pictures made and
dropped. Targets: the frame thread pays under 1% of its budget, the view thread under 5% of one
core (composing is the reference printed beside it; encoding costs several times more again).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from render.assets import AssetLibrary  # noqa: E402
from render.compose import SceneCompositor  # noqa: E402
from render.console.liveview import LiveView  # noqa: E402
from render.spec import load_room  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--every", type=int, default=5)
    ap.add_argument("--width", type=int, default=320)
    args = ap.parse_args(argv)

    loaded = load_room(ROOT / "assets" / "rooms" / "showcase.json")
    library = AssetLibrary.default(base_dir=loaded.base_dir)
    comp = SceneCompositor(loaded.room, 0, library, fps=25)
    fps = 25
    try:
        started, cpu = time.perf_counter(), time.process_time()
        frames = [comp.frame_i420(i / fps) for i in range(2 * fps)]
        compose_wall = (time.perf_counter() - started) / len(frames)
        compose_cpu = (time.process_time() - cpu) / len(frames)
    finally:
        comp.close()
    h, w = frames[0].shape[0] * 2 // 3, frames[0].shape[1]

    view = LiveView(args.every, args.width, on_jpeg=lambda jpeg, meta: sizes.append(len(jpeg)), fps=fps)
    sizes: list[int] = []
    n = int(args.seconds * fps)
    submit = 0.0
    t0 = time.perf_counter()
    for i in range(n):
        due = t0 + i / fps
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        s = time.perf_counter()
        view.submit(i, frames[i % len(frames)])
        submit += time.perf_counter() - s
    view.close()
    stream_seconds = n / fps
    per_s_submit = submit / stream_seconds
    per_s_view = view.cpu_seconds / stream_seconds
    per_s_compose = compose_cpu * fps
    print(f"frames {w}x{h}, {fps} fps; live view every {args.every} frame(s) at width {args.width}, "
          f"{stream_seconds:.0f} s of stream")
    print(f"reference: composing costs {compose_wall * 1000:.1f} ms wall, {compose_cpu * 1000:.1f} ms CPU a frame "
          f"= {per_s_compose * 1000:.0f} ms CPU a stream second")
    print(f"frame thread: submit() {per_s_submit * 1000:.2f} ms a stream second = "
          f"{per_s_submit * 100:.3f}% of the frame budget; "
          f"{submit / max(1, n // args.every) * 1000:.2f} ms a picture taken")
    print(f"view thread: {per_s_view * 1000:.1f} ms CPU a stream second = {per_s_view * 100:.1f}% of one core, "
          f"{per_s_view / per_s_compose * 100:.1f}% of composing")
    print(f"pictures: {view.made} made, {view.dropped} dropped, {sum(sizes) / max(1, len(sizes)) / 1024:.1f} KiB each")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
