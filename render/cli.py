"""The command line: validate | frame | preview | push | feed | serve. The only place that reads flags."""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import tempfile
from collections import Counter
from pathlib import Path

from render import __version__, interrupt
from render.errors import RenderError


def _asset_dirs(args) -> list[Path]:
    """--assets folders, given before or after the subcommand; a missing one is an error."""
    from render.errors import SpecError

    dirs = [Path(d) for d in (args.assets or []) + (getattr(args, "sub_assets", None) or [])]
    for d in dirs:
        if not d.is_dir():
            raise SpecError(f"--assets: {d} is not a folder (an asset library folder with manifest.json)")
    return dirs


def _library(args, loaded):
    from render.assets import AssetLibrary

    return AssetLibrary.default(base_dir=loaded.base_dir, extra_dirs=_asset_dirs(args))


def _warnings(loaded) -> list[str]:
    """The spec's warnings and the render's (characters no font has, a subtitle box off the canvas)."""
    from render.compose import render_warnings

    return loaded.warnings + render_warnings(loaded.room)


def _load(args):
    from render.spec import load_room

    loaded = load_room(args.room)
    for w in _warnings(loaded):
        print(f"warning: {w}", file=sys.stderr)
    return loaded


def summary(room) -> str:
    scenes = room.scene_scripts or []
    paragraphs = sum(len(s.shoot_scripts) for s in scenes)
    layers = Counter(layer.layer_type.value for s in scenes for layer in s.layer_config or [])
    layer_text = ", ".join(f"{n} {k}" for k, n in sorted(layers.items())) or "none"
    outputs = len(room.output_urls or [])
    return (f"valid: room {room.room_name!r} ({room.room_type.value}, {room.view_mode.value}): "
            f"{len(scenes)} scene(s), {paragraphs} paragraph(s); layers: {layer_text}; "
            f"{len(room.interaction_rules or [])} interaction rule(s); {outputs} RTMP output(s)")


def _salvaged(path: str):
    """The valid parts of a room file that failed the spec, to check its media too (or None)."""
    from render.spec.load import LoadedRoom, salvage_room

    try:
        room = salvage_room(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
    return LoadedRoom(room, [], Path(path).resolve().parent, path) if room is not None else None


def cmd_validate(args) -> int:
    """Every stage's problems in one run: the spec's, then (on what is valid) every media file
    opened as the render opens it; warnings for what would draw badly or rules that cannot fire."""
    from render.errors import SpecError
    from render.interaction.lint import robot_errors
    from render.media import open_media
    from render.spec import load_room
    from render.spec.references import check_media

    problems: list[RenderError] = []
    try:
        loaded = load_room(args.room)
    except SpecError as e:  # the rest of the room is still checked
        problems.append(e)
        loaded = _salvaged(args.room)
    except RenderError as e:
        problems.append(e)
        loaded = None
    warnings = []
    if loaded is not None:
        library = _library(args, loaded)
        problems += check_media(loaded.room, library, open_media=open_media) + robot_errors(loaded.room, library)
        warnings = _warnings(loaded) if not problems else loaded.warnings
    if args.json:
        body = ({"valid": True, "warnings": warnings} if not problems else
                {"error_code": problems[0].code, "error_msg": "; ".join(p.message for p in problems)})
        print(json.dumps(body, ensure_ascii=False))
    else:
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        for p in problems:
            print("\n".join(p.lines()), file=sys.stderr)
        if not problems:
            print(summary(loaded.room))
    return 2 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="smartlive", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--version", action="version", version=f"smartlive {__version__}")
    p.add_argument("--assets", action="append", metavar="DIR",
                   help="an extra asset library folder (with manifest.json); repeatable")
    sub = p.add_subparsers(dest="command", required=True)
    assets = argparse.ArgumentParser(add_help=False)  # --assets after the subcommand too
    assets.add_argument("--assets", action="append", metavar="DIR", dest="sub_assets",
                        help="an extra asset library folder (with manifest.json); repeatable")

    v = sub.add_parser("validate", parents=[assets], help="check a room JSON against the spec")
    v.add_argument("room", help="the room JSON file")
    v.add_argument("--json", action="store_true", help="print the API's error body instead of lines")
    v.set_defaults(func=cmd_validate)

    f = sub.add_parser("frame", parents=[assets], help="render one frame of a room to a PNG")
    f.add_argument("room")
    f.add_argument("--at", type=float, default=0.0, metavar="SECONDS", help="time in the scene (default 0)")
    f.add_argument("--scene", type=int, default=0, metavar="N", help="scene index, from 0 (default 0)")
    f.add_argument("-o", "--output", required=True, metavar="OUT.png")
    f.set_defaults(func=cmd_frame)

    pv = sub.add_parser("preview", parents=[assets], help="render a room to a video file (H264 -> MP4, VP8 -> WebM)")
    pv.add_argument("room")
    pv.add_argument("-o", "--output", required=True, metavar="OUT.mp4|OUT.webm")
    pv.add_argument("--duration", type=float, metavar="S", help="stop after S seconds (needed for endless rooms)")
    pv.add_argument("--seed", type=int, help="seed of the random play order and of the reply ids (repeatable renders)")
    pv.add_argument("--codec", choices=["H264", "VP8"], help="the video codec of the file, whatever the room says "
                    "(default: by the file's extension, .webm VP8 and .mp4 H264, else the room's)")
    pv.add_argument("--events-out", metavar="FILE", help="write the play events as JSON lines")
    pv.add_argument("--events-in", metavar="TIMELINE", help="steer the preview: JSON lines of viewer events "
                    "and commands at stream times ({\"at\": 3.0, \"command\": ..., \"params\": ...})")
    pv.add_argument("--callbacks", action="store_true", help="post the room's subscribed callbacks too")
    pv.add_argument("--interaction-callback-url", metavar="URL",
                    help="where CALLBACK rules post their hits (signed as the room's callbacks)")
    pv.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    pv.set_defaults(func=cmd_preview)

    pu = sub.add_parser("push", parents=[assets], help="stream a room live to RTMP servers (H264 + AAC in FLV)")
    pu.add_argument("room")
    pu.add_argument("--url", action="append", metavar="URL", help="an RTMP URL (repeatable; pairs with --key)")
    pu.add_argument("--key", action="append", metavar="KEY", help="the stream key of the matching --url")
    pu.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    pu.add_argument("--seed", type=int, help="seed of the random play order")
    pu.add_argument("--events-out", metavar="FILE", help="write events (paragraphs, stream states) as JSON lines")
    pu.add_argument("--events-in", metavar="FILE|-", help="steer the stream: JSON lines of viewer events and "
                    "commands; '-' reads stdin, a line without \"at\" applies at once")
    pu.add_argument("--interaction-callback-url", metavar="URL",
                    help="where CALLBACK rules post their hits (signed as the room's callbacks)")
    pu.add_argument("--retries", type=int, default=5, metavar="N", help="reconnection attempts per output (default 5)")
    pu.add_argument("--room-id", default="", help=argparse.SUPPRESS)
    pu.add_argument("--job-id", default="", help=argparse.SUPPRESS)
    pu.add_argument("--live-view", metavar="FILE", help="keep a small JPEG of the stream there (the console)")
    pu.add_argument("--control", metavar="DIR", help=argparse.SUPPRESS)  # the API's job folder: channel + result
    pu.add_argument("-q", "--quiet", action="store_true", help="no status line")
    pu.set_defaults(func=cmd_push)

    fd = sub.add_parser("feed", help="report viewer events to a live job's live_event_report_url: JSON lines, "
                        "a platform's comments (bilibili ROOM_ID, tiktok @user), or a recording (replay FILE)")
    fd.add_argument("file", nargs="?", default="-", metavar="FILE|-|bilibili|tiktok|replay",
                    help="events, one JSON object a line (default stdin); or a platform; or replay")
    fd.add_argument("target", nargs="?", metavar="ROOM_ID|@user|RECORDING",
                    help="the Bilibili room, the TikTok user, or the recording to replay")
    fd.add_argument("--url", help="the job's pre-signed live_event_report_url (a platform feed without it "
                    "only records)")
    fd.add_argument("--record", metavar="FILE", help="append what arrives to FILE, with timestamps (a timeline "
                    "that `feed replay` and `preview --events-in` read)")
    fd.add_argument("--speed", type=float, default=1.0, help="replay: X times its own pace")
    fd.add_argument("--silence", type=float, default=300.0, metavar="S",
                    help="reconnect after S seconds without an event (default 300)")
    fd.add_argument("--server", metavar="WS_URL", help="bilibili: the danmaku WebSocket to use (no room lookup)")
    fd.add_argument("--cookie-file", metavar="FILE", help="bilibili: a file holding a logged-in Cookie header "
                    "(or $SMARTLIVE_BILIBILI_COOKIE)")
    fd.add_argument("-q", "--quiet", action="store_true", help="no status line")
    fd.set_defaults(func=cmd_feed)

    sv = sub.add_parser("serve", parents=[assets], help="serve the REST API (rooms and live jobs) over HTTP")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8080)
    sv.add_argument("--db", metavar="PATH", help="SQLite file (default $SMARTLIVE_DATA/smartlive.db)")
    sv.add_argument("--credentials", metavar="FILE", help="JSON list of {ak, sk, project_ids} (or $SMARTLIVE_AK/SK)")
    sv.add_argument("--no-auth", action="store_true", help="accept unsigned requests (local experiments only)")
    sv.add_argument("--max-jobs", type=int, default=2, metavar="N", help="live jobs at once (default 2)")
    sv.add_argument("--media-root", action="append", metavar="DIR",
                    help="a folder whose files rooms created over the API may name (repeatable)")
    sv.add_argument("--allow-private-urls", action="append", nargs="?", const="*", metavar="CIDR|HOST:PORT",
                    help="let API rooms use http(s) on these non-public addresses (repeatable; a CIDR or a "
                         "host:port; with no value: every private address except cloud metadata)")
    sv.add_argument("--allow-unsigned-payload", action="store_true",
                    help="accept AK/SK requests whose body is not signed (X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD)")
    sv.add_argument("--max-jobs-per-project", type=int, metavar="N",
                    help="live jobs at once per project (default: --max-jobs)")
    sv.add_argument("--runner", choices=("local", "ray"), default="local",
                    help="what runs live jobs: subprocesses of this server (default) or actors on a Ray "
                         "cluster (pip install 'smartlive[cluster]')")
    sv.add_argument("--ray-address", metavar="ADDR",
                    help="the Ray cluster to join (default $RAY_ADDRESS, else the one `ray start` made here)")
    sv.add_argument("--ray-num-cpus", type=float, default=1.0, metavar="N",
                    help="CPUs each live job reserves on its Ray node (default 1)")
    sv.set_defaults(func=cmd_serve)
    return p


def cmd_feed(args) -> int:
    from render.errors import MediaFileError
    from render.feeds.lines import FeedError, feed

    if args.file in ("bilibili", "tiktok", "replay"):
        from render.feeds.cli import platform_feed

        return platform_feed(args)
    if not args.url:
        print("feed: --url is needed to report events (the job's live_event_report_url)", file=sys.stderr)
        return 2

    try:
        source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    except OSError as e:
        raise MediaFileError(f"events file {args.file}: cannot be read ({e.strerror or e})") from None
    try:
        result = feed(args.url, source)
    except FeedError as e:
        print(f"feed: {e}", file=sys.stderr)
        return 1
    finally:
        if source is not sys.stdin:
            source.close()
    print(f"reported {result.sent} event(s) in {result.batches} batch(es)"
          + (f"; {result.bad_lines} malformed line(s) skipped" if result.bad_lines else ""))
    return 2 if result.bad_lines else 0


def cmd_serve(args) -> int:
    from render.api import serve

    serve(args.host, args.port, args.db, args.credentials, args.no_auth, args.max_jobs,
          assets_dirs=_asset_dirs(args), media_roots=[Path(d) for d in args.media_root or []],
          allow_private_urls=tuple(args.allow_private_urls or ()),
          allow_unsigned_payload=args.allow_unsigned_payload, max_jobs_per_project=args.max_jobs_per_project,
          **_runner_options(args))
    return 0


def _runner_options(args) -> dict:
    """--runner and its options as Settings fields (only what differs from the local default)."""
    from render.errors import SpecError

    if args.runner != "ray":
        if args.ray_address:
            raise SpecError("--ray-address: only with --runner ray")
        return {}
    if not (math.isfinite(args.ray_num_cpus) and args.ray_num_cpus > 0):
        raise SpecError(f"--ray-num-cpus: must be above 0, not {args.ray_num_cpus}")
    return {"runner": "ray", "ray_address": args.ray_address, "ray_num_cpus": args.ray_num_cpus}


def _positive(value: float | None, flag: str) -> None:
    from render.errors import SpecError

    if value is not None and not (math.isfinite(value) and value > 0):
        raise SpecError(f"{flag}: must be a positive number of seconds, not {value}")


def _writable(path: str | None, flag: str, *, not_same_as: Path | None = None) -> Path | None:
    """An output path that can be written, checked before any work: its folder exists and takes
    a new file, it is not a folder, and it is not the path of another output (`not_same_as`)."""
    from render.errors import SpecError

    if path is None:
        return None
    out = Path(path)
    if not out.parent.is_dir():
        raise SpecError(f"{flag}: the folder {out.parent} does not exist")
    if out.is_dir():
        raise SpecError(f"{flag}: {out} is a folder, not a file")
    if not_same_as is not None and out.resolve() == not_same_as.resolve():
        raise SpecError(f"{flag}: {out} is also the video output; give another file")
    try:  # what os.access cannot tell (root, read-only file systems): create a file there
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".probe"):
            pass
    except OSError as e:
        raise SpecError(f"{flag}: {out} cannot be written ({e.strerror or e})") from None
    return out


def cmd_push(args) -> int:
    from render.push import Delivery, JobIO, LiveShow, RunControl, output_pairs, push

    _positive(args.duration, "--duration")
    events = _writable(args.events_out, "--events-out")
    loaded = _load(args)
    pairs = output_pairs(loaded, args.url, args.key)
    if args.events_in not in (None, "-") and not Path(args.events_in).is_file():
        from render.errors import MediaFileError

        raise MediaFileError(f"--events-in {args.events_in}: no such file")
    # the API's job worker is this command with --control (its channel and result file)
    stats = push(LiveShow(loaded, _library(args, loaded), seed=args.seed, room_id=args.room_id, job_id=args.job_id,
                          interaction_callback_url=args.interaction_callback_url),
                 Delivery(pairs, max_retries=args.retries),
                 JobIO(events_out=events, events_in=args.events_in, quiet=args.quiet,
                       control_dir=Path(args.control) if args.control else None,
                       live_view=_writable(args.live_view, "--live-view")),
                 RunControl(duration=args.duration))
    print(f"pushed {stats.frames} frames in {stats.wall_seconds:.1f} s; late frames {stats.late_frames}, "
          f"lateness p99 {stats.lateness_p99 * 1000:.0f} ms")
    return 0


def cmd_frame(args) -> int:
    from render.compose import PICTURE_FORMATS
    from render.errors import SpecError
    from render.still import render_still

    loaded = _load(args)
    scenes = loaded.room.scene_scripts or []
    if not 0 <= args.scene < len(scenes):
        raise SpecError(f"--scene: {args.scene} is not a scene of this room (it has {len(scenes)})")
    if not (math.isfinite(args.at) and args.at >= 0):
        raise SpecError(f"--at: {args.at} must be a time in seconds, 0 or more")
    out = _writable(args.output, "--output")
    if out.suffix.lower() not in PICTURE_FORMATS:
        raise SpecError(f"--output: {out.name} is not a picture file name; use "
                        f"{', '.join(PICTURE_FORMATS)}")
    render_still(loaded, _library(args, loaded), args.scene, args.at, out,
                 warn=lambda w: print(f"warning: {w}", file=sys.stderr))
    print(f"wrote {out} (scene {args.scene} at {args.at:g} s)")
    return 0


def cmd_preview(args) -> int:
    from render.preview import preview

    _positive(args.duration, "--duration")
    out = _writable(args.output, "--output")
    events = _writable(args.events_out, "--events-out", not_same_as=out)
    loaded = _load(args)
    timeline = Path(args.events_in) if args.events_in else None
    codec = args.codec or {".webm": "VP8", ".mp4": "H264"}.get(out.suffix.lower())
    result = preview(loaded, _library(args, loaded), out, duration=args.duration, seed=args.seed, codec=codec,
                     events_out=events, events_in=timeline, callbacks=args.callbacks, quiet=args.quiet,
                     interaction_callback_url=args.interaction_callback_url)
    switches = sum(e["event_type"] == "SHOOT_SCRIPT_SWITCH" for e in result.events)
    replies = sum(e["event_type"] == "REPLY_START" for e in result.events)
    print(f"wrote {result.path} ({result.seconds:.2f} s, {result.frames} frames, "
          f"{switches} paragraph switch(es), {replies} inserted line(s))")
    return 0


def _failed_result(args, err) -> None:
    """A job worker (--control) that failed before its push wrote an outcome: the API reads this."""
    if getattr(args, "control", None):
        from render.control.worker import RESULT, write_result
        from render.spec.enums import JobState

        path = Path(args.control) / RESULT
        if not path.exists():
            try:
                write_result(path, state=JobState.FAILED, error=err)
            except OSError:
                pass


def main(argv=None) -> int:
    from render.memory import fix_malloc_threshold

    fix_malloc_threshold()  # before the first frame: a long render's memory stays flat
    args = build_parser().parse_args(argv)
    interrupt.install()  # SIGTERM cleans up like Ctrl-C (no partial file), and neither is lost
    try:
        return args.func(args) or 0
    except RenderError as e:
        print("\n".join(e.lines()), file=sys.stderr)
        _failed_result(args, e)
        return 2 if e.http_status == 400 else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 143 if signal.SIGTERM in interrupt.received else 130  # 128 + the signal, as a shell reports it
    except Exception as e:  # a bug or an unexpected system failure: say so, without a traceback
        if os.environ.get("SMARTLIVE_DEBUG"):
            raise
        from render.errors import InternalError

        print("\n".join(InternalError(f"{type(e).__name__}: {e} (SMARTLIVE_DEBUG=1 shows the traceback)").lines()),
              file=sys.stderr)
        return 1
