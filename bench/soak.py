"""A one-hour soak of a live push (issue 24): the showcase room pushed to a local nginx-rtmp with
everything a real evening brings, and what it costs.

    python bench/soak.py [--minutes 60]

During the push:
- a timeline of commands, one every 20 s: INSERT_PLAY_SCRIPT (APPEND, then PLAY_NOW), SHOW_LAYER,
  GET_CURRENT_PLAYING_SCRIPTS, and CLEAN_UP_INSERT_COMMAND every 5 minutes;
- a viewer's comment every second (price and greeting questions, answered by the room's rules)
  and a gift every 10 s;
- REFRESH_OUTPUT_URL every 10 minutes, to a new stream key on the same server;
- nginx killed (SIGKILL) and started again on the same port, at a quarter and at three quarters
  of the run.

Reported:
- late frames (pushed more than one frame after their due time; target 0), in total and per
  minute of the run where there were any (beside the log of when nginx was killed and the
  output refreshed);
- the process's RSS at 1, 10, 30 and 60 minutes (those the run reaches, and its last minute;
  target: flat within 10 MB), and each minute's RSS split into the main heap, anonymous
  mappings and mapped files, to tell where a step came from;
- the audio/video offset on the wire at the start and at the end (target: within one frame):
  a reader pulls the stream back from nginx (bench/_pull.py); on marker frames the bench makes a
  corner of the picture white and adds a loud 1 kHz beep to the same frame's audio (a corner
  that is black otherwise); the offset is the beep's pts minus the white frame's pts on the
  wire, the median of 4 markers (an AAC frame is 21 ms: that is the resolution).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from _pull import Puller  # noqa: E402
from rtmp_server import RtmpServer, missing  # noqa: E402

from render.assets import AssetLibrary  # noqa: E402
from render.memory import fix_malloc_threshold  # noqa: E402
from render.push import Delivery, JobIO, LiveShow, RunControl, push  # noqa: E402
from render.spec import load_room  # noqa: E402
from render.spec.commands import parse_command  # noqa: E402
from render.spec.live_events import ViewerEvent  # noqa: E402
from render.timebase import SAMPLE_RATE  # noqa: E402

SHOWCASE = ROOT / "render" / "data" / "rooms" / "showcase.json"
FPS = 25
CORNER = 128          # pixels of the marker block (top left)
MARK_FRAMES = 2       # frames a marker lasts (picture and beep)
COMMENTS = ["how much is the gift box?", "hello everyone!", "what is the price?", "hi there", "nice room",
            "多少钱?", "你好"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_parts_mb() -> dict[str, int]:
    """Where the RSS is (from /proc/self/smaps): the main heap, anonymous mappings (glibc's
    per-thread arenas, large blocks, thread stacks) and mapped files (libraries, fonts)."""
    parts = {"heap": 0, "anon": 0, "files": 0}
    part = "anon"
    try:
        with open("/proc/self/smaps") as f:
            for line in f:
                if line.startswith("Rss:"):
                    parts[part] += int(line.split()[1])
                elif "-" in line.split(" ", 1)[0]:  # a mapping's header: address range, perms, ..., name
                    name = line.split()[5] if len(line.split()) > 5 else ""
                    part = "heap" if name == "[heap]" else "files" if name.startswith("/") else "anon"
    except OSError:
        return {}
    return {k: round(v / 1024) for k, v in parts.items()}


def command(n: int):
    kind = n % 4
    if kind == 0:
        return parse_command({"command": "INSERT_PLAY_SCRIPT", "params": {
            "text_config": {"text": f"A word from the producer, number {n}."}, "play_type": "APPEND"}})
    if kind == 1:
        return parse_command({"command": "SHOW_LAYER", "params": {"layer_config": {
            "layer_type": "TEXT", "position": {"dx": 120, "dy": 600, "layer_index": 20},
            "text_config": {"text_context": f"Flash sale {n}", "font_size": 72, "display_duration": 4}}}})
    if kind == 2:
        return parse_command({"command": "GET_CURRENT_PLAYING_SCRIPTS"})
    return parse_command({"command": "INSERT_PLAY_SCRIPT", "params": {
        "text_config": {"text": f"Breaking in: line {n}."}, "play_type": "PLAY_NOW"}})


class Markers:
    """Marks frames on the programme's way out: a white corner and a beep on the same frame."""

    def __init__(self):
        self.pending = 0
        self.lock = threading.Lock()
        t = np.arange(SAMPLE_RATE // FPS) / SAMPLE_RATE
        self.beep = (0.8 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)

    def fire(self) -> None:
        with self.lock:
            self.pending = MARK_FRAMES

    def wrap(self, prog) -> None:
        real = prog.next_frame

        def next_frame():
            f = real()
            if f is None:
                return f
            with self.lock:
                on, self.pending = self.pending > 0, max(0, self.pending - 1)
            f.picture = f.picture.copy()
            f.picture[:CORNER, :CORNER] = 235 if on else 16
            if on:
                f.audio = np.clip(f.audio + self.beep[: len(f.audio)], -1.0, 1.0).astype(np.float32)
            return f

        prog.next_frame = next_frame


def measure_offset(url: str, markers: Markers, count: int = 4) -> dict:
    """Pull the stream, fire `count` markers 3 s apart, pair each white corner with its beep."""
    with Puller(url, probe_seconds=4.0) as pull:
        if pull.wait_for(lambda a: a.kind == "video", timeout=30) is None:
            return {"error": "no stream came back from nginx"}
        time.sleep(5)  # past the player's probing
        for _ in range(count):
            markers.fire()
            time.sleep(3)
        time.sleep(2)
        arrivals = list(pull.arrivals)
    c = CORNER // 8  # the puller samples every 8th pixel
    video = [(a.pts, float(a.luma[2:c - 2, 2:c - 2].mean())) for a in arrivals if a.kind == "video"]
    audio = [(a.pts, a.level) for a in arrivals if a.kind == "audio"]
    v_marks = [p for (p, y), (_, y0) in zip(video[1:], video, strict=False) if y > 160 and y0 < 100]
    a_marks = [p for (p, lv), (_, lv0) in zip(audio[1:], audio, strict=False) if lv > 0.35 and lv0 < 0.3]
    offsets = []
    for v in v_marks:
        near = [a for a in a_marks if abs(a - v) < 1.0]
        if near:
            offsets.append(min(near, key=lambda a: abs(a - v)) - v)
    if not offsets:
        return {"error": f"markers not found ({len(v_marks)} pictures, {len(a_marks)} beeps)"}
    return {"offset_ms": round(statistics.median(offsets) * 1000, 1), "markers": len(offsets),
            "each_ms": [round(o * 1000, 1) for o in offsets]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    args = ap.parse_args()
    if missing():
        print(f"nginx with the rtmp module is needed: {missing()}")
        return 1
    fix_malloc_threshold()
    total = args.minutes * 60
    loaded = load_room(SHOWCASE)
    library = AssetLibrary.default(base_dir=SHOWCASE.parent)
    # What was pushed, in constant memory (the bench measures its own process's RSS).
    pushed = {"frames": 0, "first": 0.0, "last": 0.0}
    late: list[float] = []  # when (s into the run) each late frame was pushed
    rss: list[tuple[float, float]] = []
    parts: list[dict[str, int]] = []  # where the RSS is, each minute
    log: list[str] = []
    state: dict = {"key": "soak-0"}
    markers = Markers()
    stop = threading.Event()
    ready = threading.Event()
    result: dict = {"minutes": args.minutes}

    def on_programme(prog, sink):
        markers.wrap(prog)
        state["prog"] = prog
        ready.set()

    def on_pushed(i, t):
        now = time.monotonic()
        if i == 0:
            pushed["first"] = now
        pushed["frames"], pushed["last"] = pushed["frames"] + 1, now
        if i and now - pushed["first"] - i / FPS > 1 / FPS + 0.001:
            late.append(now - t0)

    def say(msg: str) -> None:
        line = f"{time.monotonic() - t0:7.1f} s  {msg}"
        log.append(line)
        print(line, flush=True)

    def driver(srv: RtmpServer) -> None:
        ready.wait(300)
        while pushed["frames"] < FPS * 5 and not stop.is_set():
            time.sleep(0.1)
        prog = state["prog"]
        start = time.monotonic()
        result["offset_start"] = measure_offset(f"{srv.url}/{state['key']}", markers)
        say(f"A/V offset at the start: {result['offset_start']}")
        kills = [total * 0.25, total * 0.75]
        n = k = 0
        end_window = max(total - 45, time.monotonic() - start + 1)
        while not stop.is_set():
            now = time.monotonic() - start
            if now >= end_window:
                break
            if k % 60 == 0:
                rss.append((now / 60, rss_mb()))
                parts.append(rss_parts_mb())
            name = ("viewer", f"v{k}")
            if k % 10 == 9:
                prog.report([ViewerEvent(4, {"user": {"name": name[1]}, "gift": {
                    "giftName": "rose", "giftNum": 1, "giftValue": 1, "totalValue": 1}}, k)])
            else:
                prog.report([ViewerEvent(1, {"user": {"name": name[1]}, "content": COMMENTS[k % len(COMMENTS)]}, k)])
            if k % 20 == 10:
                prog.submit(command(n))
                n += 1
            if k % 300 == 299:
                prog.submit(parse_command({"command": "CLEAN_UP_INSERT_COMMAND", "params": {}}))
            if k % 600 == 599:
                state["key"] = f"soak-{k // 600 + 1}"
                prog.submit(parse_command({"command": "REFRESH_OUTPUT_URL", "params": {
                    "output_urls": [srv.url], "stream_keys": [state["key"]]}}))
                say(f"REFRESH_OUTPUT_URL -> {state['key']}")
            if kills and now >= kills[0]:
                kills.pop(0)
                srv.kill()
                say("nginx killed")
                time.sleep(3)
                srv.start()
                say("nginx started again")
            k += 1
            time.sleep(max(0.0, start + k - time.monotonic()))
        rss.append(((time.monotonic() - start) / 60, rss_mb()))
        result["offset_end"] = measure_offset(f"{srv.url}/{state['key']}", markers)
        say(f"A/V offset at the end: {result['offset_end']}")
        stop.set()

    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp, RtmpServer(Path(tmp)) as srv:
        threading.Thread(target=driver, args=(srv,), daemon=True).start()
        stats = push(LiveShow(loaded, library, seed=1), Delivery([(srv.url, state["key"])], max_retries=100),
                     JobIO(quiet=True), RunControl(stop_event=stop, on_programme=on_programme, on_pushed=on_pushed))
    result["late_frames"] = len(late)
    result["late_by_minute"] = {f"{m:g}": n for m, n in sorted(Counter(int(t // 60) for t in late).items())}
    result["log"] = log
    result["frames"] = pushed["frames"]
    result["late_frames_push_stats"] = stats.late_frames
    result["lateness_p99_ms"] = round(stats.lateness_p99 * 1000)
    result["lateness_max_ms"] = round(stats.lateness_max * 1000)
    if pushed["frames"] > 1:
        result["fps"] = round((pushed["frames"] - 1) / (pushed["last"] - pushed["first"]), 2)
    marks = [m for m in (1, 10, 30, 60) if m <= args.minutes]
    result["rss_mb"] = {f"{m} min": round(min(rss, key=lambda r, m=m: abs(r[0] - m))[1], 1) for m in marks if rss}
    if rss:
        result["rss_mb"][f"last ({rss[-1][0]:.1f} min)"] = round(rss[-1][1], 1)
        result["rss_growth_mb"] = round(rss[-1][1] - rss[0][1], 1)
        result["rss_each_minute_mb"] = [round(r[1]) for r in rss]
        result["rss_parts_each_minute_mb"] = {k: [p.get(k) for p in parts] for k in ("heap", "anon", "files")}
    print(f"soak of the showcase room, {args.minutes:g} min: {result['late_frames']} late frames of "
          f"{result['frames']} (target 0), {result.get('fps')} fps pushed (due: {FPS}), lateness p99 "
          f"{result['lateness_p99_ms']} ms, max {result['lateness_max_ms']} ms")
    if late:
        print(f"late frames by minute of the run: {result['late_by_minute']}")
    print(f"RSS: {result.get('rss_mb')} (target flat within 10 MB)")
    for when in ("start", "end"):
        print(f"A/V offset on the wire at the {when}: {result.get(f'offset_{when}')} (target within 40 ms)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
