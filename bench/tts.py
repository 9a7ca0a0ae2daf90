"""TTS engines: real-time factor per engine, and Piper on air (late frames, a reply's latency).

    python bench/tts.py [--seconds 40] [--comments 20]

1. Real-time factor (synthesis seconds / audio seconds, lower is faster) of each engine on the
   same six sentences, uncached: espeak-ng (voice_en_male), Piper (voice_en_piper_joe, one CPU
   thread) and the HTTP engine against a local OpenAI-style server (tests/speech_server.py,
   which speaks with the espeak-ng command line: the protocol's cost, not a neural server's).
2. A live push of the reference room (../shared/bench) to a local nginx-rtmp for --seconds
   with every voice set to Piper, while a two-sentence PLAY_NOW line spoken by Piper is
   inserted every 3 s (synthesized during the push): late frames (target 0). The same push
   spoken by espeak-ng, in the same run, is the reference (what the machine's load alone costs).
3. The reference room with a silent script and a SYSTEM_REPLY PLAY_NOW rule, its voice Piper:
   --comments comments reported one by one, each reply's text new (never cached); comment
   reported -> the reply's audio arriving at a client reading the stream back from nginx
   (bench/_pull.py), p50/p95 (target p95 < 1.2 s); and the same with espeak-ng as reference.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from preview import build_reference  # noqa: E402
from rtmp_server import RtmpServer, missing  # noqa: E402
from speech_server import SpeechServer  # noqa: E402

from render.assets import AssetLibrary  # noqa: E402
from render.memory import fix_malloc_threshold  # noqa: E402
from render.push import Delivery, JobIO, LiveShow, RunControl, push  # noqa: E402
from render.spec import load_room  # noqa: E402
from render.spec.commands import parse_command  # noqa: E402
from render.speech import speak  # noqa: E402

SENTENCES = ["Welcome back to the live room, everyone.", "Tonight we have three new lamps on the table.",
             "The blue one is made of brushed steel and glass.", "It costs nineteen dollars and ninety nine cents.",
             "Shipping is free when you buy two or more.", "Leave a comment if you have a question!"]
PIPER = "voice_en_piper_joe"
NAMES = ["Li Lei", "Han Meimei", "Zhang Wei", "Wang Fang", "Liu Yang", "Chen Jing", "Yang Li", "Zhao Min"]
RULE = {"rule_index": "price", "rule_name": "price", "enabled": True, "event_type": 1,
        "hit_condition": {"relation": "AND", "tags": [
            {"tag": "content", "operation": "NONE", "match": "REGEX", "value": "price"}]},
        "trigger": {"time_window": 0, "reply_mode": "SYSTEM_REPLY", "play_type": "PLAY_NOW",
                    "reply_texts": ["Thanks {name}, the lamp is nineteen ninety nine. It ships tomorrow."]}}


class VC:
    def __init__(self, voice_asset_id):
        self.voice_asset_id, self.speed, self.pitch, self.volume = voice_asset_id, 100, 100, 140


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def rtf(library: AssetLibrary, voice: str) -> tuple[float, float]:
    """(real-time factor, audio seconds) of the six sentences, each synthesized once, uncached."""
    speak("Warm up.", VC(voice), library, cache_dir=tempfile.mkdtemp(prefix="tts-warm-"))  # loads the model
    cache = tempfile.mkdtemp(prefix="tts-rtf-")
    t0, audio = time.perf_counter(), 0.0
    for s in SENTENCES:
        audio += speak(s, VC(voice), library, cache_dir=cache).duration
    return (time.perf_counter() - t0) / audio, audio


def voiced_room(room_path: Path, voice: str, *, silent: bool) -> dict:
    body = json.loads(room_path.read_text())
    body["play_policy"]["repeat_count"] = -1
    for scene in body["scene_scripts"]:
        scene["voice_config"] = {**(scene.get("voice_config") or {}), "voice_asset_id": voice}
        if silent:  # a reply's onset is then the only sound on the wire
            for para in scene["shoot_scripts"]:
                para["text_config"] = {"text": '<speak><break time="10s"/></speak>'}
    if body.get("co_streamer_config"):
        body["co_streamer_config"]["voice_config"] = {"voice_asset_id": voice}
    return body


def live_late_frames(room_path: Path, seconds: float, voice: str) -> dict:
    loaded = load_room(voiced_room(room_path, voice, silent=False))
    library = AssetLibrary.default(base_dir=room_path.parent)
    stop, state, inserted = threading.Event(), {}, []

    def driver():
        while "prog" not in state:
            time.sleep(0.05)
        t_end = time.monotonic() + seconds
        n = 0
        while time.monotonic() < t_end:
            time.sleep(3)
            text = f"{NAMES[n % len(NAMES)]}, thank you for the gift number {n}. The lamp ships tomorrow."
            state["prog"].submit(parse_command({"command": "INSERT_PLAY_SCRIPT", "params": {
                "text_config": {"text": text}, "play_type": "PLAY_NOW"}}))
            inserted.append(text)
            n += 1
        stop.set()

    t0 = time.monotonic()
    with RtmpServer(Path(tempfile.mkdtemp(prefix="tts-live-"))) as srv:
        threading.Thread(target=driver, daemon=True).start()
        stats = push(LiveShow(loaded, library, seed=1), Delivery([(srv.url, "tts")]), JobIO(quiet=True),
                     RunControl(stop_event=stop, on_programme=lambda prog, sink: state.__setitem__("prog", prog)))
    return {"late_frames": stats.late_frames, "frames": stats.frames, "inserts": len(inserted),
            "lateness_p99_ms": round(stats.lateness_p99 * 1000, 1), "wall_s": round(time.monotonic() - t0, 1)}


def reply_on_the_wire(room_path: Path, comments: int, voice: str) -> dict:
    from _pull import Puller

    from render.spec.live_events import ViewerEvent

    body = voiced_room(room_path, voice, silent=True)
    body["interaction_rules"] = [RULE]
    loaded = load_room(body)
    library = AssetLibrary.default(base_dir=room_path.parent)
    stop, state, waits = threading.Event(), {}, []

    def driver():
        while "prog" not in state:
            time.sleep(0.05)
        try:
            with Puller(f"{state['url']}/reply") as pull:
                if pull.wait_for(lambda a: a.kind == "video", timeout=60) is None:
                    print("on the wire: no stream came back from nginx")
                    return
                time.sleep(4)  # past the player's probing
                for n in range(comments):
                    name = f"{NAMES[n % len(NAMES)]} {n}"  # a new text each time: never from the cache
                    t0 = time.monotonic()
                    state["prog"].report([ViewerEvent(1, {"user": {"name": name}, "content": "what is the price?"},
                                                      n)])
                    a = pull.wait_for(lambda a: a.kind == "audio" and a.level > 0.02, 10, since=t0)
                    if a is not None:
                        waits.append(a.arrived - t0)
                    time.sleep(6)  # the reply ends
        finally:
            stop.set()

    with RtmpServer(Path(tempfile.mkdtemp(prefix="tts-wire-"))) as srv:
        state["url"] = srv.url
        threading.Thread(target=driver, daemon=True).start()
        stats = push(LiveShow(loaded, library, seed=1), Delivery([(srv.url, "reply")]), JobIO(quiet=True),
                     RunControl(stop_event=stop, on_programme=lambda prog, sink: state.__setitem__("prog", prog)))
    out = {"n": len(waits), "of": comments, "late_frames": stats.late_frames}
    if waits:
        out |= {"p50_ms": round(statistics.median(waits) * 1000), "p95_ms": round(pct(waits, 0.95) * 1000)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--comments", type=int, default=20)
    ap.add_argument("--parts", default="rtf,live,wire", help="which of rtf, live, wire to run")
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))
    try:
        import piper  # noqa: F401
    except ImportError:
        print("Piper is not installed: pip install 'smartlive[piper,piper-voice-joe]'")
        return 1
    if missing():
        print(f"nginx with the rtmp module is needed: {missing()}")
        return 1
    fix_malloc_threshold()
    library = AssetLibrary.default()
    result: dict = {"rtf": {}}
    with SpeechServer() as srv:
        d = Path(tempfile.mkdtemp(prefix="tts-http-"))
        (d / "manifest.json").write_text(json.dumps({"assets": [{"id": "v_http", "kind": "VOICE", "meta": {
            "engine": "http", "url": srv.url, "model": "tts-1", "voice": "nova"}}]}))
        http_lib = AssetLibrary([*library.folders, d])
        for engine, lib, voice in (("espeak", library, "voice_en_male"), ("piper", library, PIPER),
                                   ("http", http_lib, "v_http")) if "rtf" in parts else ():
            factor, audio = rtf(lib, voice)
            result["rtf"][engine] = round(factor, 3)
            print(f"{engine:7s} real-time factor {factor:6.3f}  ({audio:.1f} s of speech)")
    room_path = build_reference()
    for name, voice in (("piper", PIPER), ("espeak", "voice_en_male")) if "live" in parts else ():
        live = live_late_frames(room_path, args.seconds, voice)
        result[f"live_{name}"] = live
        print(f"live push of the reference room spoken by {name}, {args.seconds:g} s, {live['inserts']} PLAY_NOW "
              f"lines made during it: late frames {live['late_frames']} of {live['frames']} (target 0), "
              f"lateness p99 {live['lateness_p99_ms']} ms")
    for name, voice in (("piper", PIPER), ("espeak", "voice_en_male")) if "wire" in parts else ():
        wire = reply_on_the_wire(room_path, args.comments, voice)
        result[f"reply_{name}_on_the_wire"] = wire
        if "p95_ms" in wire:
            print(f"comment -> its PLAY_NOW reply spoken by {name}, on the wire: p50 {wire['p50_ms']} ms  "
                  f"p95 {wire['p95_ms']} ms  n={wire['n']}/{wire['of']} (target p95 < 1200 ms), "
                  f"late frames {wire['late_frames']}")
        else:
            print(f"comment -> reply spoken by {name} on the wire: no reply heard")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
