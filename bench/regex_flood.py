"""Crafted comments against a catastrophic REGEX do not freeze a live (issue 24 item 1, issue 26).

    python bench/regex_flood.py [--seconds 20] [--rate 1000] [--no-budget]

Pushes the reference room live to a local nginx-rtmp with one rule whose REGEX is `(a+)+$` (set
after validation, which refuses it: as a room from before that check would have it), then:
--seconds of quiet (the reference), then --seconds of --rate comments a second, each 1,500
`a`s and a `!` (every one costs the pattern its whole CPU limit). Prints the late frames of each
phase (pushed more than one frame after its due time; target: 0 in the flood, as in the quiet),
the comments the programme took and refused (its queue is bounded), and the RULE_DROPPED events
(each taken comment, cut off and reported). --no-budget matches every waiting event inside one
frame, as before issue 24: the stream freezes.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from preview import looping_reference  # noqa: E402
from rtmp_server import RtmpServer, missing  # noqa: E402

from render.memory import fix_malloc_threshold  # noqa: E402
from render.push import Delivery, JobIO, LiveShow, RunControl, push  # noqa: E402
from render.spec.live_events import ViewerEvent  # noqa: E402

RULE = {"rule_index": "crafted", "rule_name": "crafted", "enabled": True, "event_type": 1,
        "hit_condition": {"relation": "AND", "tags": [
            {"tag": "content", "operation": "NONE", "match": "REGEX", "value": "a+b"}]},
        "trigger": {"time_window": 0, "reply_mode": "CALLBACK"}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rate", type=int, default=1000, help="comments a second during the flood")
    ap.add_argument("--no-budget", action="store_true", help="every waiting event in one frame (before issue 24)")
    ap.add_argument("--share", type=float, default=None, help="of each frame for events (default: event_budget.SHARE)")
    args = ap.parse_args()
    if missing():
        print(f"nginx with the rtmp module is needed: {missing()}")
        return 1
    fix_malloc_threshold()
    loaded, library = looping_reference([RULE])
    object.__setattr__(loaded.room.interaction_rules[0].hit_condition.tags[0], "value", "(a+)+$")
    fps = 25
    pushed: dict[int, float] = {}
    late: list[int] = []
    drops = [0]
    phases: dict[str, tuple[int, int]] = {}
    taken = refused = 0
    state: dict = {}
    stop = threading.Event()

    def on_programme(prog, sink):
        if args.no_budget:
            prog._event_budget.per_frame = None
        elif args.share is not None:
            prog._event_budget.per_frame = args.share / fps
        sink.subscribe(lambda line: line["event_type"] == "RULE_DROPPED" and drops.__setitem__(0, drops[0] + 1))
        state["prog"] = prog

    def on_pushed(i, t):
        pushed[i] = time.monotonic()
        if i and pushed[i] - pushed[0] - i / fps > 1 / fps + 0.001:
            late.append(i)

    def driver():
        nonlocal taken, refused
        while len(pushed) < 5 * fps and not stop.is_set():  # past the start
            time.sleep(0.05)
        prog = state["prog"]
        f0 = max(pushed)
        time.sleep(args.seconds)
        phases["quiet"] = (f0, max(pushed))
        f0, t0, k = max(pushed), time.monotonic(), 0
        batch = max(1, args.rate // 20)
        while time.monotonic() - t0 < args.seconds:
            n = prog.report([ViewerEvent(1, {"user": {"name": f"v{k + j}"}, "content": "a" * 1500 + "!"}, k + j)
                             for j in range(batch)])
            taken, refused, k = taken + n, refused + batch - n, k + batch
            time.sleep(max(0.0, t0 + k / args.rate - time.monotonic()))
        phases["flood"] = (f0, max(pushed))
        stop.set()

    with RtmpServer(Path(tempfile.mkdtemp(prefix="flood-"))) as srv:
        threading.Thread(target=driver, daemon=True).start()
        stats = push(LiveShow(loaded, library, seed=1), Delivery([(srv.url, "flood")]), JobIO(quiet=True),
                     RunControl(stop_event=stop, on_programme=on_programme, on_pushed=on_pushed))
    result = {"budget": not args.no_budget, "rate": args.rate, "seconds": args.seconds, "taken": taken,
              "refused": refused, "rule_dropped": drops[0], "late_frames_total": stats.late_frames}
    for name, (a, b) in phases.items():
        result[f"late_frames_{name}"] = sum(a <= f <= b for f in late)
        result[f"frames_{name}"] = b - a
    print(f"reference room live, rule `(a+)+$`, budget {'on' if result['budget'] else 'OFF'}")
    print(f"quiet {args.seconds:.0f} s: {result.get('late_frames_quiet')} late frames of {result.get('frames_quiet')}")
    print(f"flood {args.seconds:.0f} s of {args.rate}/s: {result.get('late_frames_flood')} late frames of "
          f"{result.get('frames_flood')} (target 0); comments taken {taken}, refused {refused} (queue bound); "
          f"RULE_DROPPED {drops[0]}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
