"""Live push of the reference room to a local nginx-rtmp: real time held, and the CPU it costs.

    python bench/live.py [--seconds 60]

Builds the reference workload (../shared/bench/make_media.py) into bench/.ref, starts nginx
with the rtmp module on a free loopback port, and pushes the reference room (repeat_count -1)
for --seconds with `render.push`, in this process. Prints the frames sent, the share of late
frames (later than one frame interval), the p99 lateness, and the CPU the push used as a share
of the machine. In the same run it measures the CPU ffmpeg's tuned reference graph spends on
the same 20 s picture (rendered as fast as it can, to a file) and prints the ratio of our CPU
per second of stream to ffmpeg's. Targets: no late frame, at most 40% of the machine's CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from preview import REF, REF_SECONDS, SHARED, build_reference  # noqa: E402
from rtmp_server import RtmpServer, missing  # noqa: E402

from render.assets import AssetLibrary  # noqa: E402
from render.memory import fix_malloc_threshold  # noqa: E402
from render.push import Delivery, JobIO, LiveShow, RunControl, push  # noqa: E402
from render.spec import load_room  # noqa: E402


def cpu_seconds(who=resource.RUSAGE_SELF) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args(argv)
    fix_malloc_threshold()  # as `smartlive push` does
    if missing():
        raise SystemExit(missing())
    room_path = build_reference()
    body = json.loads(room_path.read_text())
    body["play_policy"]["repeat_count"] = -1
    endless = REF / "reference-room-endless.json"
    endless.write_text(json.dumps(body))
    loaded = load_room(endless)
    library = AssetLibrary.default(base_dir=loaded.base_dir)
    ncpu = os.cpu_count() or 1

    with tempfile.TemporaryDirectory() as tmp, RtmpServer(Path(tmp)) as srv:
        c0, t0 = cpu_seconds(), time.monotonic()
        stats = push(LiveShow(loaded, library), Delivery([(srv.url, "bench")]), JobIO(quiet=True),
                     RunControl(duration=args.seconds))
        cpu, wall = cpu_seconds() - c0, time.monotonic() - t0
    stream_s = stats.frames / 25
    late_share = stats.late_frames / max(1, stats.frames)

    r0 = cpu_seconds(resource.RUSAGE_CHILDREN)
    subprocess.run(["sh", str(SHARED / "ffmpeg-reference.sh"), str(REF), "tuned", str(REF / "ref-live.mp4")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ref_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - r0
    ours_per_s, ref_per_s = cpu / stream_s, ref_cpu / REF_SECONDS

    print(f"pushed {stats.frames} frames ({stream_s:.1f} s of stream) in {wall:.1f} s wall (setup included)")
    print(f"late frames: {stats.late_frames} ({100 * late_share:.2f}%), lateness p50 "
          f"{stats.lateness_p50 * 1000:.1f} ms, p99 {stats.lateness_p99 * 1000:.1f} ms, "
          f"max {stats.lateness_max * 1000:.1f} ms")
    print(f"CPU of the push: {cpu:.1f} s = {100 * cpu / (wall * ncpu):.1f}% of the machine ({ncpu} cores)   "
          f"target <= 40%")
    print(f"CPU per second of stream: ours {ours_per_s:.3f} s, ffmpeg tuned reference {ref_per_s:.3f} s, "
          f"ratio {ours_per_s / ref_per_s:.2f}")
    print(json.dumps({"frames": stats.frames, "late_frames": stats.late_frames, "late_share": round(late_share, 4),
                      "lateness_p99_ms": round(stats.lateness_p99 * 1000, 1),
                      "cpu_share": round(cpu / (wall * ncpu), 3), "cpu_per_stream_s": round(ours_per_s, 3),
                      "ref_cpu_per_stream_s": round(ref_per_s, 3), "ratio": round(ours_per_s / ref_per_s, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
