"""Preview speed against the ffmpeg reference, measured in the same run.

    python bench/preview.py [--runs 3] [--memory]

Builds the reference workload (../shared/bench/make_media.py) into bench/.ref, renders its
room to MP4 with `smartlive preview` and runs `ffmpeg-reference.sh DIR tuned`, alternating,
and prints both wall times, the realtime factors and the ratio of our seconds per output
second to the reference's (target: 1.1 or less). --timeline reports the ratio again for a preview
steered by 20 inserted lines and 20 overlays over its 20 s. --memory also compares the peak memory of a
1-minute and a 10-minute preview of the same room (repeat_count -1).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
REF = ROOT / "bench" / ".ref"
SMARTLIVE = [sys.executable, "-m", "render"]
REF_SECONDS = 20.0


def build_reference() -> Path:
    room = REF / "reference-room.json"
    if not room.exists():
        subprocess.run([sys.executable, str(SHARED / "make_media.py"), str(REF)], check=True,
                       stdout=subprocess.DEVNULL)
    return room


def looping_reference(rules: list[dict]):
    """(loaded room, asset library): the reference room playing forever with `rules`, for the
    live benchmarks (imports render only when called: this script times it in child processes)."""
    from render.assets import AssetLibrary
    from render.spec import load_room

    room_path = build_reference()
    body = json.loads(room_path.read_text())
    body["play_policy"]["repeat_count"] = -1
    body["interaction_rules"] = rules
    loaded = load_room(body)
    loaded.base_dir = room_path.parent
    return loaded, AssetLibrary.default(base_dir=room_path.parent)


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t0


def peak_rss_mb(cmd: list[str]) -> float:
    """Peak resident memory of a child process, in MB (a fresh process per measure)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
            "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], check=True, capture_output=True, text=True, cwd=ROOT)
    return int(out.stdout.strip()) / 1024


def output_seconds(path: Path) -> float:
    import av

    with av.open(str(path)) as c:
        v = c.streams.video[0]
        return float(v.frames / v.average_rate) if v.frames else float(c.duration / 1e6)


def paired(ours: list[str], reference: list[str], runs: int) -> tuple[float, float]:
    """Median walls of `runs` alternating runs of two commands, after one warm-up of ours (the
    TTS cache and the page cache, as a user's second render)."""
    timed(ours)
    a, b = [], []
    for _ in range(runs):
        a.append(timed(ours))
        b.append(timed(reference))
    return statistics.median(a), statistics.median(b)


def write_timeline(path: Path) -> Path:
    """20 inserted lines (INSERT) and 20 overlays (an image, 0.8 s each) over 20 s."""
    lines = []
    for n in range(20):
        lines.append({"at": n + 0.3, "command": "SHOW_LAYER", "params": {"layer_config": {
            "layer_type": "TEXT", "position": {"dx": 100, "dy": 300 + 20 * n, "layer_index": 20},
            "text_config": {"text_context": f"gift {n}", "font_size": 80, "display_duration": 1}}}})
        lines.append({"at": n + 0.6, "command": "INSERT_PLAY_SCRIPT", "params": {
            "text_config": {"text": f"Thank you, friend number {n}."}, "play_type": "INSERT"}})
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--timeline", action="store_true", help="also time a preview steered by 20 inserts + 20 overlays")
    args = ap.parse_args()
    room = build_reference()
    ours_out = REF / "ours.mp4"
    preview = [*SMARTLIVE, "preview", str(room), "-o", str(ours_out), "--quiet"]
    reference = ["sh", str(SHARED / "ffmpeg-reference.sh"), str(REF), "tuned"]
    o, r = paired(preview, reference, args.runs)
    seconds = output_seconds(ours_out)
    ratio = (o / seconds) / (r / REF_SECONDS)
    result = {"output_seconds": round(seconds, 2), "ours_wall_s": round(o, 2), "reference_wall_s": round(r, 2),
              "ours_realtime": round(seconds / o, 2), "reference_realtime": round(REF_SECONDS / r, 2),
              "ratio": round(ratio, 3), "runs": args.runs}
    print(f"smartlive preview : {o:6.2f} s for {seconds:.1f} s of video ({seconds / o:.2f}x realtime)")
    print(f"ffmpeg tuned      : {r:6.2f} s for {REF_SECONDS:.0f} s of video ({REF_SECONDS / r:.2f}x realtime)")
    print(f"ratio (ours / reference, per output second): {ratio:.3f}   target <= 1.1")
    if args.timeline:
        tl = write_timeline(REF / "timeline.jsonl")
        steered_out = REF / "steered.mp4"
        steered = [*SMARTLIVE, "preview", str(room), "-o", str(steered_out), "--quiet", "--events-in", str(tl)]
        so, sr = paired(steered, reference, args.runs)
        ss = output_seconds(steered_out)
        sratio = (so / ss) / (sr / REF_SECONDS)
        result.update(steered_wall_s=round(so, 2), steered_output_s=round(ss, 2), steered_ratio=round(sratio, 3))
        print(f"steered preview   : {so:6.2f} s for {ss:.1f} s of video (20 inserts + 20 overlays); "
              f"ratio {sratio:.3f}   target <= 1.1")
    if args.memory:
        endless = json.loads(room.read_text())
        endless["play_policy"]["repeat_count"] = -1
        endless_room = REF / "reference-room-endless.json"
        endless_room.write_text(json.dumps(endless))
        base = [*SMARTLIVE, "preview", str(endless_room), "-o", str(REF / "mem.mp4"), "--quiet", "--duration"]
        one, ten = peak_rss_mb(base + ["60"]), peak_rss_mb(base + ["600"])
        result.update(peak_mb_1min=round(one, 1), peak_mb_10min=round(ten, 1))
        print(f"peak memory: 1-minute preview {one:.1f} MB, 10-minute preview {ten:.1f} MB "
              f"(+{ten - one:.1f} MB)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
