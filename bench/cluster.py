"""The overhead of Ray itself: live rooms run by the Ray runner against the local runner, on this
machine.

    python bench/cluster.py [--seconds 40] [--rooms 1,2,3] [--repeat 2]

Starts a one-node Ray cluster here (127.0.0.1, no dashboard, no usage stats, a CPU for every
room) and one nginx-rtmp on a free loopback port; then, --repeat times, for each N and each
runner (local and Ray, alternating which goes first: both see the same machine), starts N live
jobs of the example room (render/data/rooms/example.json, endless) through the runner
(render.runners: the launch the API's scheduler uses), lets them stream for
--seconds once every one is connected, and stops them. Prints for each runner and N: the late
frames of each room (from its worker's outcome, result.json) and the CPU seconds per second of
stream: the push workers' CPU, plus this process (the server's side of the job channels), plus,
for the Ray runner, every Ray process of the machine (GCS, raylet, the job actors...). Rooms
held: the largest N such that no run of N or fewer rooms had a late frame. The CPU ratio is the
median of ray/local over the runs (each pair run one after the other).
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
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # keep Ray's addresses on loopback

from rtmp_server import RtmpServer  # noqa: E402

from render.api.settings import Settings  # noqa: E402
from render.control.worker import RESULT, read_result  # noqa: E402
from render.runners import make_runner  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def room(url: str, key: str) -> dict:
    body = json.loads((ROOT / "render" / "data" / "rooms" / "example.json").read_text())
    body.pop("live_event_callback_config", None)
    body.update(video_config={"codec": "H264", "bitrate": 800, "width": 720, "height": 1280},
                play_policy={"repeat_count": -1}, output_urls=[url], stream_keys=[key])
    return body


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def ray_pids() -> list[int]:
    """Every Ray process of this machine (its GCS, raylet, agents, workers and actors)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"ray::" in cmd or b"/ray/" in cmd or b"raylet" in cmd or b"gcs_server" in cmd:
            out.append(int(d.name))
    return out


def run(runner, n: int, url: str, seconds: float, base: Path, with_ray: bool) -> dict:
    jobs, handles, connected = [], [], [threading.Event() for _ in range(n)]
    for i in range(n):
        job = {"job_id": uuid.uuid4().hex, "room_id": f"bench-{n}-{i}", "room_type": "NORMAL"}
        folder = base / job["job_id"]
        folder.mkdir(parents=True)

        def on_event(line, ev=connected[i]):
            if line.get("event_type") == "RTMP_STREAM_STATE_CHANGE" and '"CONNECTED"' in line.get("message", ""):
                ev.set()

        jobs.append((job, folder))
        handles.append(runner.launch(job, room(url, f"{runner.name}{n}-{i}"), folder, on_event))
    others = ray_pids() if with_ray else []
    before = {pid: cpu_of(pid) for pid in others}
    own0 = sum(os.times()[:2])
    for ev in connected:
        if not ev.wait(300):
            raise SystemExit(f"{runner.name}: a room never connected")
    time.sleep(seconds)
    pushers = sum(cpu_of(h.pid) for h in handles)  # just before they end
    ray_cpu = sum(cpu_of(pid) - before.get(pid, 0.0) for pid in (ray_pids() if with_ray else []))
    own = sum(os.times()[:2]) - own0
    for h in handles:
        h.terminate()
    deadline = time.monotonic() + 60
    while any(h.poll() is None for h in handles) and time.monotonic() < deadline:
        time.sleep(0.2)
    results = [read_result(folder / RESULT) or {} for _, folder in jobs]
    for h in handles:
        h.release()
    frames = sum(r.get("frames", 0) for r in results)
    stream = frames / 25
    return {"late": [r.get("late_frames") for r in results], "frames": frames,
            "cpu_per_stream_s": round((pushers + own + ray_cpu) / stream, 3) if stream else None,
            "ray_processes_cpu_per_stream_s": round(ray_cpu / stream, 3) if stream else None}


def held(rows: dict[int, list[dict]]) -> int:
    """The most rooms held with no late frame: every run of that many rooms and of fewer had none."""
    out = 0
    for n in sorted(rows):
        if not all(r["late"] and all(x == 0 for x in r["late"]) for r in rows[n]):
            break
        out = n
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--rooms", default="1,2,3")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each runner and N, alternating which goes first")
    args = ap.parse_args(argv)
    counts = [int(x) for x in args.rooms.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="smartlive-cluster-bench-"))
    import ray

    ray.init(num_cpus=max(counts) + 1, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, namespace="smartlive")
    time.sleep(5)  # Ray's start-up settles before anything is measured
    runners = {name: make_runner(Settings(db_path=tmp / name / "smartlive.db", runner=name))
               for name in ("local", "ray")}
    figures: dict[str, dict[int, list[dict]]] = {name: {n: [] for n in counts} for name in runners}
    with RtmpServer(tmp / "rtmp") as srv:
        for rep in range(args.repeat):
            for n in counts:
                for name in (("local", "ray") if rep % 2 == 0 else ("ray", "local")):
                    got = run(runners[name], n, srv.url, args.seconds, tmp / name / f"r{rep}n{n}", name == "ray")
                    figures[name][n].append(got)
                    extra = f" (Ray's own processes {got['ray_processes_cpu_per_stream_s']})" if name == "ray" else ""
                    print(f"run {rep + 1} {name:5s} rooms={n}: late frames per room {got['late']}, "
                          f"CPU per stream second {got['cpu_per_stream_s']}{extra}", flush=True)
    print()
    for name, rows in figures.items():
        print(f"{name:5s}: {held(rows)} room(s) held with no late frame (every run)")
    for n in counts:
        ratios = [r["cpu_per_stream_s"] / lo["cpu_per_stream_s"]
                  for r, lo in zip(figures["ray"][n], figures["local"][n], strict=True)
                  if r["cpu_per_stream_s"] and lo["cpu_per_stream_s"]]
        lo = statistics.median(x["cpu_per_stream_s"] for x in figures["local"][n])
        ra = statistics.median(x["cpu_per_stream_s"] for x in figures["ray"][n])
        print(f"rooms={n}: CPU per stream second ray {ra:.3f}, local {lo:.3f}; "
              f"ray/local median of paired runs {statistics.median(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
