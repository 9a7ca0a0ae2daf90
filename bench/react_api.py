"""The real path of a viewer's comment: an HTTP event report to a job started through the API
(`serve` in this process, its worker a `smartlive push` process, a real nginx-rtmp) -> the
reply's audio and the overlay's pixels read back from nginx by a pulling client (bench/_pull.py).

    python bench/react_api.py [--comments 30] [--burst 1000] [--burst-seconds 10]
                              [--profiles live,low-latency]

For each encoder profile (the job's `encode_profile`), one job of a silent 720x1280 room whose
rules answer a comment saying "price" with a short spoken reply (SYSTEM_REPLY, PLAY_NOW) and show
a white block for 1 s (SHOW_LAYER; "left" and "right" comments use two places, so one block has
hidden before its place is used again):
- at 1 comment a second: --comments comments, each its own report; report sent -> the reply's
  first audio above silence arriving, and -> the block's pixels arriving; p50 / p95;
- during a burst: --burst comments a second that match no rule, in reports of 100 that honour
  429 / accepted, for --burst-seconds, with one probe comment a second timed as above;
- the worker's CPU (its process, all threads) during the 1-a-second part, in % of one core.
Targets: p95 < 1.0 s with the default profile (live), < 0.5 s with low-latency.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

import httpx  # noqa: E402
from _pull import Puller  # noqa: E402
from rtmp_server import RtmpServer, missing  # noqa: E402

from tests.integration.api_harness import PROJECT, TOKEN, ApiServer, make_settings  # noqa: E402

W, H = 720, 1280
PLACES = {"left": (60, 700), "right": (60, 1000)}  # (dx, dy) of the two blocks


def rule(index: str, regex: str, trigger: dict) -> dict:
    return {"rule_index": index, "rule_name": index, "event_type": 1,
            "hit_condition": {"relation": "AND", "tags": [
                {"tag": "content", "operation": "NONE", "match": "REGEX", "value": regex}]},
            "trigger": {"time_window": 0, **trigger}}


def block(place: str) -> dict:
    dx, dy = PLACES[place]
    return {"layer_type": "TEXT", "position": {"dx": dx, "dy": dy, "layer_index": 30},
            "text_config": {"text_context": "████", "font_size": 100, "font_color": "#FFFFFF", "display_duration": 1}}


def room(url: str, key: str) -> dict:
    return {
        "room_name": "react over the API",
        "scene_scripts": [{"script_name": "Quiet", "shoot_scripts": [
            {"sequence_no": 1, "title": "pause", "text_config": {"text": '<speak><break time="10s"/></speak>'}}]}],
        "video_config": {"codec": "H264", "bitrate": 1500, "width": W, "height": H},
        "play_policy": {"repeat_count": -1},
        "output_urls": [url], "stream_keys": [key],
        "interaction_rules": [
            rule("price", "price", {"reply_mode": "SYSTEM_REPLY", "play_type": "PLAY_NOW", "reply_texts": ["Hi."]}),
            rule("left", "left", {"reply_mode": "SHOW_LAYER", "layer_config": block("left")}),
            rule("right", "right", {"reply_mode": "SHOW_LAYER", "layer_config": block("right")}),
        ],
    }


def region(a, place: str) -> float:
    """The block's mean luma: positions are in 1080-wide coordinates (scaled to the frame), and
    the puller's luma holds every 8th pixel."""
    dx, dy = (round(v * W / 1080) for v in PLACES[place])
    return float(a.luma[(dy + 25) // 8:(dy + 65) // 8, (dx + 10) // 8:(dx + 250) // 8].mean())


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def comment(text: str, n: int) -> dict:
    return {"timestamp": int(time.time() * 1000), "type": 1,
            "content": json.dumps({"user": {"name": f"viewer {n}"}, "content": text})}


class Probe:
    """Reports one comment and times its reply's audio and its block's pixels on the wire."""

    def __init__(self, pull: Puller, url: str):
        self.pull, self.url = pull, url
        self.audio: list[float] = []
        self.video: list[float] = []
        self.client = httpx.Client(timeout=10, trust_env=False)

    def __call__(self, n: int) -> None:
        place = "left" if n % 2 == 0 else "right"
        last = self.pull.wait_for(lambda a: a.kind == "video", 5, since=time.monotonic())
        base = region(last, place) if last is not None else 0.0
        t0 = time.monotonic()
        r = self.client.post(self.url, json={"total": 1, "events": [comment(f"price {place}?", n)]})
        if r.status_code != 200:
            print(f"  probe {n}: HTTP {r.status_code} {r.text[:200]}")
            return
        a = self.pull.wait_for(lambda a: a.kind == "video" and region(a, place) > base + 40, 3, since=t0)
        # the onset: the first loud audio after a quiet frame that arrived after the report (the
        # tail of the previous reply may still be arriving at t0)
        quiet = self.pull.wait_for(lambda a: a.kind == "audio" and a.level < 0.005, 3, since=t0)
        s = None if quiet is None else self.pull.wait_for(lambda a: a.kind == "audio" and a.level > 0.02, 3,
                                                          since=quiet.arrived)
        if a is not None:
            self.video.append(a.arrived - t0)
        if s is not None:
            self.audio.append(s.arrived - t0)


def flood(url: str, per_second: int, seconds: float, stop: threading.Event, out: dict) -> None:
    """`per_second` comments matching no rule, in reports of 100, honouring 429 and `accepted`."""
    out.update(sent=0, taken=0, busy=0)
    with httpx.Client(timeout=10, trust_env=False) as client:
        t0, n = time.monotonic(), 0
        total = int(per_second * seconds)
        while n < total and not stop.is_set():
            batch = [comment(f"hello {n + j}", n + j) for j in range(min(100, total - n))]
            while batch and not stop.is_set():
                r = client.post(url, json={"total": len(batch), "events": batch})
                if r.status_code == 429:
                    out["busy"] += 1
                    time.sleep(float(r.headers.get("retry-after", 1)))
                    continue
                r.raise_for_status()
                taken = r.json().get("accepted", len(batch))
                out["taken"] += taken
                batch = batch[taken:]
            n += 100
            out["sent"] = n
            time.sleep(max(0.0, t0 + n / per_second - time.monotonic()))


def summary(values: list[float], n: int) -> dict:
    if not values:
        return {"n": 0, "of": n}
    return {"p50_ms": round(statistics.median(values) * 1000), "p95_ms": round(pct(values, 0.95) * 1000),
            "n": len(values), "of": n}


def one_profile(profile: str, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"react-api-{profile}-"))
    result: dict = {"profile": profile}
    with RtmpServer(work / "nginx") as nginx, ApiServer(make_settings(work)) as srv:
        api = httpx.Client(base_url=f"{srv.url}/v1/{PROJECT}", headers={"X-Auth-Token": TOKEN}, timeout=60,
                           trust_env=False)
        room_id = api.post("/smart-live-rooms", json=room(nginx.url, "react")).json()["room_id"]
        r = api.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json={"encode_profile": profile})
        assert r.status_code == 202, r.text
        job_id, report_url = r.json()["job_id"], r.json()["live_event_report_url"]
        base = f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}"
        deadline = time.monotonic() + 180
        while api.get(base + "/command/insert-commands").status_code != 200:
            if time.monotonic() > deadline:
                raise SystemExit(f"{profile}: the job never went live: {api.get(base).text}")
            time.sleep(0.3)
        pid = srv.app.state.store.job(job_id)["pid"]
        try:
            with Puller(f"{nginx.url}/react") as pull:
                if pull.wait_for(lambda a: a.kind == "video", timeout=30) is None:
                    raise SystemExit(f"{profile}: no stream came back from nginx")
                time.sleep(4)  # past the player's probing
                probe = Probe(pull, report_url)
                cpu0, t0 = cpu_seconds(pid), time.monotonic()
                for n in range(args.comments):
                    start = time.monotonic()
                    probe(n)
                    time.sleep(max(0.0, start + 1.0 - time.monotonic()))
                result["cpu_pct"] = round(100 * (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0), 1)
                result["steady"] = {"audio": summary(probe.audio, args.comments),
                                    "video": summary(probe.video, args.comments)}
                time.sleep(2)
                probe.audio, probe.video = [], []
                stop, fl = threading.Event(), {}
                flooder = threading.Thread(target=flood, args=(report_url, args.burst, args.burst_seconds, stop, fl),
                                           daemon=True)
                flooder.start()
                time.sleep(0.5)
                k = 0
                while flooder.is_alive() and k < args.burst_seconds:
                    start = time.monotonic()
                    probe(1000 + k)
                    k += 1
                    time.sleep(max(0.0, start + 1.0 - time.monotonic()))
                flooder.join(args.burst_seconds + 60)
                stop.set()
                result["burst"] = {"audio": summary(probe.audio, k), "video": summary(probe.video, k),
                                   "comments_sent": fl.get("sent", 0), "taken": fl.get("taken", 0),
                                   "answers_429": fl.get("busy", 0)}
        finally:
            api.post(base + "/stop")
            deadline = time.monotonic() + 60
            while api.get(base).json().get("state") == "PROCESSING" and time.monotonic() < deadline:
                time.sleep(0.5)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comments", type=int, default=30)
    ap.add_argument("--burst", type=int, default=1000, help="comments a second during the burst")
    ap.add_argument("--burst-seconds", type=int, default=10)
    ap.add_argument("--profiles", default="live,low-latency")
    args = ap.parse_args()
    if missing():
        print(f"nginx with the rtmp module is needed: {missing()}")
        return 1
    results = []
    for profile in args.profiles.split(","):
        res = one_profile(profile, args)
        results.append(res)
        target = 1000 if profile == "live" else 500
        for part in ("steady", "burst"):
            for what in ("audio", "video"):
                s = res[part][what]
                if s["n"]:
                    print(f"{profile:12s} {part:6s} report -> {what:5s} on the wire: p50 {s['p50_ms']:5d} ms  "
                          f"p95 {s['p95_ms']:5d} ms  n={s['n']}/{s['of']}   target p95 < {target} ms")
                else:
                    print(f"{profile:12s} {part:6s} report -> {what:5s}: nothing seen")
        b = res["burst"]
        print(f"{profile:12s} burst: {b['comments_sent']} comments sent, {b['taken']} taken, "
              f"{b['answers_429']} answers 429; worker CPU at 1 comment/s: {res['cpu_pct']} % of a core")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
