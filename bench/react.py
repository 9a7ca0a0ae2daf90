"""How fast a live room reacts: a command entering the programme's inbox -> the first frame that
carries its change entering the encoder, in a real live push to a local nginx-rtmp; and a viewer's
comment -> its rule's spoken reply.

    python bench/react.py [--commands 30] [--every 1.2] [--comments 50] [--burst 1000]

Pushes the reference room (repeat_count -1) in this process and, once the stream runs, sends
--commands commands alternating INSERT_PLAY_SCRIPT PLAY_NOW (a one-sentence line: its change is
the reply's first frame, REPLY_START) and SHOW_LAYER (a text overlay: LAYER_SHOW), one every
--every seconds. Prints p50/p95 per kind in milliseconds and in frames (target: 3 frames or
less at p95 for both), and the late frames of the push (target: none). Then --comments comments
reported one by one, each answered by a SYSTEM_REPLY PLAY_NOW rule: comment reported -> the
reply's first frame (its first audio samples) entering the encoder, p50/p95 (target 0.3 s at
p95); then a burst of --burst comments in one second, and the late frames during it (target 0).

On the wire (--wire, default on): a second push of the reference room with a silent script, read
back from nginx by a pulling client (bench/_pull.py) that stamps every frame's arrival; 30
commands alternating SHOW_LAYER (a white block: its pixels arriving) and INSERT_PLAY_SCRIPT
PLAY_NOW (the reply's audio onset arriving): command sent -> change on the wire, p50/p95
(target: 1.0 s at p95). This one includes the encoder's delay, the muxer, RTMP and nginx.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from preview import build_reference, looping_reference  # noqa: E402
from rtmp_server import RtmpServer, missing  # noqa: E402

from render.assets import AssetLibrary  # noqa: E402
from render.memory import fix_malloc_threshold  # noqa: E402
from render.push import Delivery, JobIO, LiveShow, RunControl, push  # noqa: E402
from render.spec import load_room  # noqa: E402
from render.spec.commands import parse_command  # noqa: E402

LINES = ["Welcome to the room, Li Lei!", "Thanks for the rocket!", "Good question, the lamp is blue.",
         "Hello there, new friend!", "Yes, it ships tomorrow."]


def command(n: int):
    if n % 2 == 0:
        return "PLAY_NOW", parse_command({"command": "INSERT_PLAY_SCRIPT", "params": {
            "text_config": {"text": f"{LINES[n // 2 % len(LINES)]} Number {n}."}, "play_type": "PLAY_NOW"}})
    return "SHOW_LAYER", parse_command({"command": "SHOW_LAYER", "params": {"layer_config": {
        "layer_type": "TEXT", "position": {"dx": 80, "dy": 400, "layer_index": 20},
        "text_config": {"text_context": f"gift {n}", "font_size": 90, "display_duration": 1}}}})


REPLY_RULE = {"rule_index": "price", "rule_name": "price", "enabled": True, "event_type": 1,
              "hit_condition": {"relation": "AND", "tags": [
                  {"tag": "content", "operation": "NONE", "match": "REGEX", "value": "price"}]},
              "trigger": {"time_window": 0, "reply_mode": "SYSTEM_REPLY", "play_type": "PLAY_NOW",
                          "reply_texts": ["Ninety nine, {name}."]}}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


BLOCK = {"layer_type": "TEXT", "position": {"dx": 100, "dy": 1400, "layer_index": 30},
         "text_config": {"text_context": "████", "font_size": 120, "font_color": "#FFFFFF", "display_duration": 1}}


def on_the_wire(room_path: Path, n: int) -> dict:
    """Command sent -> its change arriving at a client reading the stream back from nginx."""
    from _pull import Puller

    body = json.loads(room_path.read_text())
    body["play_policy"]["repeat_count"] = -1
    for scene in body["scene_scripts"]:  # silence, so that a reply's onset is the only sound
        for para in scene["shoot_scripts"]:
            para["text_config"] = {"text": '<speak><break time="10s"/></speak>'}
    loaded = load_room(body)
    library = AssetLibrary.default(base_dir=room_path.parent)
    waits: dict[str, list[float]] = {"SHOW_LAYER": [], "PLAY_NOW": []}
    state: dict = {}
    stop = threading.Event()

    def region(a) -> float:  # the block's rows and columns in the puller's luma (every 8th pixel)
        return float(a.luma[1410 // 8:1510 // 8, 110 // 8:560 // 8].mean())

    def driver():
        while "prog" not in state and not stop.is_set():
            time.sleep(0.05)
        prog = state["prog"]
        with Puller(f"{state['url']}/wire") as pull:
            if pull.wait_for(lambda a: a.kind == "video", timeout=30) is None:
                print("on the wire: no stream came back from nginx")
                stop.set()
                return
            time.sleep(4)  # past the player's probing
            for k in range(n):
                if k % 2 == 0:
                    base = region(pull.wait_for(lambda a: a.kind == "video", 5, since=time.monotonic()))
                    t0 = time.monotonic()
                    prog.submit(parse_command({"command": "SHOW_LAYER", "params": {"layer_config": BLOCK}}))
                    a = pull.wait_for(lambda a, b=base: a.kind == "video" and region(a) > b + 40, 5, since=t0)
                    kind = "SHOW_LAYER"
                else:
                    t0 = time.monotonic()
                    prog.submit(parse_command({"command": "INSERT_PLAY_SCRIPT", "params": {
                        "text_config": {"text": f"Hello number {k}."}, "play_type": "PLAY_NOW"}}))
                    a = pull.wait_for(lambda a: a.kind == "audio" and a.level > 0.02, 5, since=t0)
                    kind = "PLAY_NOW"
                if a is not None:
                    waits[kind].append(a.arrived - t0)
                time.sleep(2.5)  # the layer hides, the line ends
        stop.set()

    with RtmpServer(Path(__import__("tempfile").mkdtemp(prefix="wire-"))) as srv:
        state["url"] = srv.url
        t = threading.Thread(target=driver, daemon=True)
        t.start()
        push(LiveShow(loaded, library, seed=1), Delivery([(srv.url, "wire")]), JobIO(quiet=True),
             RunControl(stop_event=stop, on_programme=lambda prog, sink: state.__setitem__("prog", prog)))
    out = {}
    for kind, values in waits.items():
        if not values:
            print(f"on the wire, {kind:10s}: no change seen")
            continue
        p50, p95 = statistics.median(values), pct(values, 0.95)
        out[kind] = {"p50_ms": round(p50 * 1000), "p95_ms": round(p95 * 1000), "n": len(values)}
        print(f"on the wire, {kind:10s}: command -> change arriving p50 {p50 * 1000:5.0f} ms  "
              f"p95 {p95 * 1000:5.0f} ms  n={len(values)}   target p95 <= 1000 ms")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commands", type=int, default=30)
    ap.add_argument("--every", type=float, default=1.2)
    ap.add_argument("--comments", type=int, default=50)
    ap.add_argument("--burst", type=int, default=1000)
    ap.add_argument("--wire", type=int, default=30, metavar="N", help="commands timed on the wire (0: skip)")
    args = ap.parse_args()
    if missing():
        print(f"nginx with the rtmp module is needed: {missing()}")
        return 1
    fix_malloc_threshold()
    loaded, library = looping_reference([REPLY_RULE])
    pushed: dict[int, float] = {}
    sent: dict[str, tuple[str, float]] = {}   # command_id -> (kind, wall time it entered the inbox)
    changed: dict[str, int] = {}               # command_id -> frame carrying its change
    ready = threading.Event()
    state = {}

    def on_programme(prog, sink):
        state["prog"] = prog

        def watch(line):
            msg = json.loads(line["message"])
            if line["event_type"] == "REPLY_START":
                changed.setdefault(msg["reply_id"], line["frame"])
                if msg.get("rule_index") == "price":
                    replies.append(line["frame"])
                    reply_ids.append(msg["reply_id"])
            elif line["event_type"] == "REPLY_COMMAND_FINISH":
                finished.add(msg["reply_id"])
            elif line["event_type"] == "LAYER_SHOW":
                changed.setdefault(msg["command_id"], line["frame"])
        sink.subscribe(watch)
        ready.set()

    late_at: list[int] = []

    def on_pushed(i, t):
        pushed[i] = time.monotonic()
        if i and pushed[i] - pushed[0] - i / 25 > 0.04 + 0.001:  # later than one frame after its due time
            late_at.append(i)

    stop = threading.Event()
    result = {}
    replies: list[int] = []      # frames where rule replies started, in order
    reply_ids: list[str] = []
    finished: set[str] = set()
    reported: list[float] = []   # wall time each comment entered the programme
    burst_frames: list[int] = []

    def driver():
        ready.wait(120)
        while len(pushed) < 50 and not stop.is_set():
            time.sleep(0.05)
        prog = state["prog"]
        for n in range(args.commands):
            kind, cmd = command(n)
            sent[cmd.command_id] = (kind, time.monotonic())
            prog.submit(cmd)
            time.sleep(args.every)
        from render.spec.live_events import ViewerEvent

        time.sleep(2)
        for n in range(args.comments):  # one at a time: each reply heard to its end before the next comment
            seen = len(replies)
            reported.append(time.monotonic())
            prog.report([ViewerEvent(1, {"user": {"name": f"viewer {n}"}, "content": "what is the price?"}, n)])
            deadline = time.monotonic() + 5
            while len(replies) == seen and time.monotonic() < deadline:
                time.sleep(0.01)
            while reply_ids and reply_ids[-1] not in finished and time.monotonic() < deadline + 5:
                time.sleep(0.01)  # heard to its end: the next reply is not queued behind it
            time.sleep(0.5)
        burst_frames.append(max(pushed))
        t0 = time.monotonic()
        for k in range(20):  # --burst comments in one second, in 20 reports
            prog.report([ViewerEvent(1, {"user": {"name": f"b{k}-{j}"}, "content": "price price"}, j)
                         for j in range(args.burst // 20)])
            time.sleep(max(0.0, t0 + (k + 1) / 20 - time.monotonic()))
        time.sleep(2)
        burst_frames.append(max(pushed))
        stop.set()

    with RtmpServer(Path(__import__("tempfile").mkdtemp(prefix="react-"))) as srv:
        t = threading.Thread(target=driver, daemon=True)
        t.start()
        stats = push(LiveShow(loaded, library, seed=1), Delivery([(srv.url, "react")]), JobIO(quiet=True),
                     RunControl(stop_event=stop, on_programme=on_programme, on_pushed=on_pushed))
        result["late_frames"] = stats.late_frames
    fps = loaded.room.video_config.fps if loaded.room.video_config and loaded.room.video_config.frame_rate else 25
    by_kind: dict[str, list[float]] = {"PLAY_NOW": [], "SHOW_LAYER": []}
    for cid, (kind, t0) in sent.items():
        frame = changed.get(cid)
        if frame is not None and frame in pushed:
            by_kind[kind].append(pushed[frame] - t0)
    print(f"live push of the reference room, {args.commands} commands, one every {args.every} s")
    for kind, values in by_kind.items():
        if not values:
            print(f"{kind:10s}: no change seen")
            continue
        p50, p95 = statistics.median(values), pct(values, 0.95)
        print(f"{kind:10s}: inbox -> encoder p50 {p50 * 1000:5.0f} ms ({p50 * fps:4.1f} frames)  "
              f"p95 {p95 * 1000:5.0f} ms ({p95 * fps:4.1f} frames)  n={len(values)}   target p95 <= 3 frames")
        result[kind] = {"p50_ms": round(p50 * 1000), "p95_ms": round(p95 * 1000), "p95_frames": round(p95 * fps, 2),
                        "n": len(values)}
    waits = [pushed[f] - t0 for f, t0 in zip(replies, reported, strict=False) if f in pushed]
    if waits:
        p50, p95 = statistics.median(waits), pct(waits, 0.95)
        result["comment_to_reply"] = {"p50_ms": round(p50 * 1000), "p95_ms": round(p95 * 1000), "n": len(waits)}
        print(f"comment -> reply's first audio entering the encoder: p50 {p50 * 1000:5.0f} ms  p95 "
              f"{p95 * 1000:5.0f} ms  n={len(waits)}   target p95 <= 300 ms")
    if len(burst_frames) == 2:
        during = [f for f in late_at if burst_frames[0] <= f <= burst_frames[1]]
        result["burst_late_frames"] = len(during)
        print(f"late frames during a burst of {args.burst} comments in 1 s: {len(during)}   target 0")
    print(f"late frames during the push: {result['late_frames']}   target 0")
    if args.wire:
        result["wire"] = on_the_wire(build_reference(), args.wire)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
