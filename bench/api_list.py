"""Listing rooms vs showing one: time and peak Python memory, with large stored bodies.

    .venv/bin/python bench/api_list.py [--rooms 30] [--mb 7.5]

Stores N rooms whose bodies are each about MB megabytes (an unknown field, kept as given) in a
temporary database, then measures one listing page (the store's query plus the API's summaries)
against the reference measured in the same run: showing one room (one body parsed). A listing
that reads summary columns costs a fraction of one room; one that parsed every body cost N.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from render.api.app import room_summary, room_view  # noqa: E402
from render.api.store import Store  # noqa: E402


def measure(fn) -> tuple[float, float]:
    """(seconds, peak MB of Python allocations) of one call."""
    tracemalloc.start()
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rooms", type=int, default=30)
    ap.add_argument("--mb", type=float, default=7.5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        padding = "x" * int(args.mb * 1e6)
        ids = [store.create_room("p", {"room_name": f"room {i}", "room_description": "d", "padding": padding})
               ["room_id"] for i in range(args.rooms)]

        def listing():
            _, rows = store.list_rooms("p", limit=100)
            return [room_summary(r, store.last_job("p", r["room_id"])) for r in rows]

        def show_one():
            return room_view(store.get_room("p", ids[0]))

        list_s, list_mb = measure(listing)
        one_s, one_mb = measure(show_one)
        store.close()
    print(f"list {args.rooms} rooms of {args.mb:g} MB: {list_s * 1000:.1f} ms, peak {list_mb:.1f} MB")
    print(f"show one room (reference): {one_s * 1000:.1f} ms, peak {one_mb:.1f} MB")
    print(f"ratio list/show: time {list_s / one_s:.2f}, memory {list_mb / one_mb:.3f}")


if __name__ == "__main__":
    main()
