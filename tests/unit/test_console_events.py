"""The console's per-job event hub: ring buffer, readers that follow, overflow, threads."""
import asyncio
import json
import threading

from render.console.events import EventHub


def line(n: int) -> dict:
    return {"time": n / 25, "frame": n, "event_type": "RULE_HIT", "message": json.dumps({"n": n})}


def collect(hub: EventHub, job: str, count: int, after: int = 0, timeout: float = 5.0) -> list:
    async def run():
        out = []
        async for seq, ln in hub.follow(job, after, heartbeat=0.05):
            if seq is not None:
                out.append((seq, ln))
            if len(out) >= count:
                break
        return out

    return asyncio.run(asyncio.wait_for(run(), timeout))


def test_history_keeps_the_last_lines_per_job():
    hub = EventHub(keep=3)
    for n in range(5):
        hub.publish("a", line(n))
    hub.publish("b", line(99))
    assert [s for s, _ in hub.history("a")] == [3, 4, 5]
    assert [ln["frame"] for _, ln in hub.history("a", after=4)] == [4]
    assert [ln["frame"] for _, ln in hub.history("b")] == [99]
    assert hub.history("nobody") == []


def test_a_reader_gets_the_ring_then_lines_published_from_another_thread():
    hub = EventHub()
    hub.publish("job", line(0))
    timer = threading.Timer(0.2, lambda: [hub.publish("job", line(n)) for n in (1, 2)])
    timer.start()
    got = collect(hub, "job", 3)
    timer.join()
    assert [(s, ln["frame"]) for s, ln in got] == [(1, 0), (2, 1), (3, 2)]


def test_a_reader_behind_the_ring_is_told_how_many_lines_it_missed():
    hub = EventHub(keep=2)
    for n in range(6):
        hub.publish("job", line(n))
    got = collect(hub, "job", 3, after=1)
    assert got[0][1]["event_type"] == "RING_OVERFLOW"
    assert json.loads(got[0][1]["message"]) == {"missed": 3}
    assert [ln["frame"] for _, ln in got[1:]] == [4, 5]


def test_a_new_reader_of_a_wrapped_ring_is_told_too():
    hub = EventHub(keep=2)
    for n in range(4):
        hub.publish("job", line(n))
    got = collect(hub, "job", 3)
    assert json.loads(got[0][1]["message"]) == {"missed": 2}
    assert [ln["frame"] for _, ln in got[1:]] == [2, 3]


def test_the_hub_forgets_the_oldest_jobs():
    hub = EventHub(jobs=2)
    for job in ("a", "b", "c"):
        hub.publish(job, line(1))
    assert hub.history("a") == [] and hub.history("c")
