"""Viewer events per second through the rules engine on the showcase room's six rules.

    .venv/bin/python bench/interaction.py [--events 100000]

A flood of comments, gifts and likes (1,000 a second of stream time, a reply taken every 40 ms)
goes through Interaction.on_event. Reference measured in the same run: parsing the same events
from their wire form (parse_event on the JSON of a report), the least any consumer of them
pays. Prints both rates, their ratio and the headroom over 1,000 events a second; then the
memory the engine holds (tracemalloc) after half and all of the flood: flat means bounded.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from render.assets import AssetLibrary  # noqa: E402
from render.interaction import Interaction  # noqa: E402
from render.spec import load_room  # noqa: E402
from render.spec.live_events import parse_event  # noqa: E402


def wire_events(n: int) -> list[dict]:
    out = []
    for i in range(n):
        user = {"userId": f"u{i % 5000}", "name": f"viewer{i % 5000}", "level": i % 10}
        if i % 10 == 0:
            content = {"user": user, "gift": {"giftName": "rose", "giftNum": 1, "giftValue": 10, "totalValue": 10}}
            kind = 4
        elif i % 10 == 1:
            content, kind = {"user": user}, 3
        else:
            text = ["hello!", "how much is it?", "包邮吗", "nice stream", "what size should I buy"][i % 5]
            content, kind = {"user": user, "content": text}, 1
        out.append({"type": kind, "timestamp": 1700000000000 + i, "content": json.dumps(content, ensure_ascii=False)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    n = ap.parse_args().events
    loaded = load_room(ROOT / "assets" / "rooms" / "showcase.json")
    wire = wire_events(n)

    t0 = time.perf_counter()
    events = [parse_event(e) for e in wire]
    parse_rate = n / (time.perf_counter() - t0)

    def flood(engine, start: int, stop: int) -> None:
        for i in range(start, stop):
            now = i / 1000
            engine.on_event(events[i], now, "Product")
            if i % 40 == 0:
                engine.tick(now)
                engine.next_reply(now)

    engine = Interaction(loaded.room, AssetLibrary.default(), seed=0)
    t0 = time.perf_counter()
    flood(engine, 0, n)
    engine_rate = n / (time.perf_counter() - t0)
    print(f"rules engine: {engine_rate:,.0f} events/s; parse_event reference: {parse_rate:,.0f} events/s; "
          f"ratio {engine_rate / parse_rate:.2f}; headroom over 1,000 events/s: {engine_rate / 1000:.0f}x")

    engine = Interaction(loaded.room, AssetLibrary.default(), seed=0)
    tracemalloc.start()
    flood(engine, 0, n // 2)
    half = tracemalloc.get_traced_memory()[0]
    flood(engine, n // 2, n)
    full, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"memory held by the engine: {half / 1024:.0f} KiB after {n // 2:,} events, {full / 1024:.0f} KiB "
          f"after {n:,} (peak {peak / 1024:.0f} KiB); ratio {full / half:.2f}")

if __name__ == "__main__":
    main()
