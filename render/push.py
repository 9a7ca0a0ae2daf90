"""A room as a live stream: the programme's frames, paced by the wall clock, to RTMP outputs."""
from __future__ import annotations

import dataclasses
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from render.assets import AssetLibrary
from render.callbacks import EventSink
from render.encode import live_profile
from render.errors import OutputError, RenderError, SpecError
from render.live import LiveStats, run_live
from render.preview import encode_settings
from render.sinks import RtmpOutput, all_given_up
from render.spec import LoadedRoom
from render.spec.enums import JobState

log = logging.getLogger(__name__)


def output_pairs(loaded: LoadedRoom, urls: list[str] | None, keys: list[str] | None) -> list[tuple[str, str]]:
    """(url, key) of every output: the command line's pairs, else the room's output_urls/stream_keys."""
    if urls:
        keys = keys or []
        if not keys:
            raise SpecError("--key: each --url needs its stream key (--url URL --key KEY; --key '' for none)")
        if len(keys) != len(urls):
            raise SpecError(f"--key: {len(keys)} keys for {len(urls)} --url; give one --key per --url")
        return list(zip(urls, keys or [""] * len(urls), strict=True))
    room = loaded.room
    pairs = list(zip(room.output_urls or [], room.stream_keys or [""] * len(room.output_urls or []), strict=True))
    if not pairs:
        raise SpecError("output_urls: the room has no RTMP output; give --url URL --key KEY")
    return pairs


class StopOnSignals:
    """SIGTERM and Ctrl-C set the stop event: the stream ends cleanly instead of dying."""

    def __init__(self, event: threading.Event):
        self.event, self._old = event, {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, lambda *_: self.event.set())
        return self

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _stop_when_all_gave_up(outputs, stop_event: threading.Event) -> None:
    """A stream with no output left ends (and the push fails) instead of running for nobody."""
    while not stop_event.wait(0.5):
        if all_given_up(outputs):
            stop_event.set()


def read_commands(prog, stream, where: str, stop_event: threading.Event, say) -> None:
    """Timeline lines from a file or stdin into the programme as they are read (a line without
    `at` applies at once): a live control channel. A bad line is reported; the show goes on."""
    from render.programme.timeline import parse_entry

    n = 0
    while not stop_event.is_set():
        try:
            line = stream.readline()
        except (UnicodeDecodeError, OSError) as e:
            say(f"MSS.00000002 Invalid body: {where}:{n + 1}: not UTF-8 text ({e}); {where} is no longer read")
            return
        if not line:
            return
        n += 1
        try:
            entry = parse_entry(line, f"{where}:{n}")
        except RenderError as e:
            say("\n".join(e.lines()))
            continue
        if entry is not None:
            prog.schedule(entry)


def push(loaded: LoadedRoom, library: AssetLibrary, pairs: list[tuple[str, str]], *,
         duration: float | None = None, seed: int | None = None, events_out: Path | None = None,
         events_in: str | None = None, room_id: str = "", job_id: str = "", max_retries: int = 5,
         stop_event: threading.Event | None = None, quiet: bool = False, control_dir: Path | None = None,
         max_live_seconds: float | None = None, on_programme=None, on_pushed=None,
         interaction_callback_url: str | None = None, live_view: Path | None = None) -> LiveStats:
    """Stream a room live (see the module doc). `on_programme(prog, sink)` is called once the
    programme is ready (benchmarks, the job channel); `on_pushed(i, t)` as each frame enters the
    encoder."""
    from render.programme import Programme

    settings = dataclasses.replace(encode_settings(loaded),
                                   profile=live_profile((loaded.room.model_extra or {}).get("encode_profile")))
    if not loaded.room.scene_scripts:
        raise SpecError("scene_scripts: the room has no scene to render")
    fps, clock = settings.fps, {"frame": 0}
    outputs = [RtmpOutput(url, key, on_state=lambda *a: on_state(*a), max_retries=max_retries) for url, key in pairs]
    for out in outputs:
        out.check(settings)  # a bad URL or VP8 over RTMP: refused before any speech is synthesized
    stop_event = stop_event or threading.Event()
    sink = EventSink(events_out, loaded.room.live_event_callback_config, keep=False)

    def on_state(url: str, key: str, state: str) -> None:
        message = {"room_id": room_id, "job_id": job_id, "output_url": url, "stream_key": key, "state": state}
        sink.emit({"event_type": "RTMP_STREAM_STATE_CHANGE", "message": json.dumps(message)},
                  clock["frame"] / fps, clock["frame"])
        if not quiet:
            print(f"{url}/{key}: {state}", file=sys.stderr, flush=True)

    prog = channel = view = None
    live = {"encoder": None, "outputs": outputs}
    say = (lambda m: None) if quiet else (lambda m: print(m, file=sys.stderr, flush=True))

    def refresh_outputs(urls: list[str], keys: list[str]) -> None:
        """REFRESH_OUTPUT_URL: the new outputs join at a keyframe, the old ones end cleanly."""
        encoder = live["encoder"]
        if encoder is None:
            raise OutputError("REFRESH_OUTPUT_URL: the stream has not started yet")
        fresh = [RtmpOutput(u, k, on_state=lambda *a: on_state(*a), max_retries=max_retries)
                 for u, k in zip(urls, keys, strict=True)]
        for out in fresh:
            out.check(settings)
        old = list(encoder.outputs)
        for out in fresh:
            encoder.add_output(out)
        for out in old:
            encoder.remove_output(out)
        live["outputs"] = fresh
        outputs[:] = fresh  # the watcher and the outcome follow the new outputs

    stats = None
    try:
        if live_view is not None:  # the console's live view: a small JPEG every 5th frame, off this thread
            from render.console.liveview import LiveView
            view = LiveView(5, 320, live_view, fps=fps)
        if control_dir is not None:  # a job of the API: its channel answers pings while the live prepares
            from render.control.worker import SOCKET, serve_channel

            channel = serve_channel(Path(control_dir) / SOCKET)
            sink.subscribe(channel.emit)
        prog = Programme(loaded, library, seed=seed, room_id=room_id, job_id=job_id, realtime=True,
                         progress=None if quiet else (lambda m: say(f"preparing: {m}")),
                         max_live_seconds=max_live_seconds, interaction_callback_url=interaction_callback_url)
        prog.on_refresh_outputs = refresh_outputs
        if on_programme is not None:
            on_programme(prog, sink)
        if events_in is not None:
            stream = sys.stdin if events_in == "-" else open(events_in, encoding="utf-8")  # noqa: SIM115
            threading.Thread(target=read_commands, args=(prog, stream, "stdin" if events_in == "-" else events_in,
                                                         stop_event, say), name="events-in", daemon=True).start()

        def started(encoder) -> None:
            """The outputs are connected and frames are about to flow: commands are taken from now
            on (before, the channel answers 409 "still preparing" rather than letting them wait)."""
            live["encoder"] = encoder
            if channel is not None:
                channel.attach(prog)

        def next_frame(i: int):
            frame = prog.next_frame()
            if frame is None:
                return None
            clock["frame"] = frame.index
            for e in frame.events:
                sink.emit(e, frame.index / fps, frame.index)
            if view is not None:
                view.submit(frame.index, frame.picture, {"subtitle": frame.subtitle})
            return frame.picture, frame.audio

        watcher = threading.Thread(target=_stop_when_all_gave_up, args=(outputs, stop_event), daemon=True)
        with StopOnSignals(stop_event):
            watcher.start()
            stats = run_live(next_frame, settings, outputs, duration=duration, stop_event=stop_event,
                             on_status=(lambda s: None) if quiet else None, on_pushed=on_pushed,
                             on_encoder=started)
        if all_given_up(outputs):
            reasons = "; ".join(str(o.failure) for o in outputs if o.failure)
            raise OutputError(f"every output gave up: {reasons}")
        never = [why for o in outputs if (why := o.never_connected())]
        if never:  # whatever --duration: a stream nobody received is a failure, said as one
            raise OutputError(details=never)
        _result(control_dir, JobState.SUCCEED, None, stats, outputs)
        return stats
    except RenderError as e:
        _result(control_dir, JobState.FAILED, e, stats, outputs)
        raise
    finally:
        stop_event.set()  # ends the watcher, whatever happened
        sink.close()
        if view is not None:
            view.close()
        if prog is not None:
            prog.close()
        if channel is not None:
            channel.close()


def _result(control_dir, state: JobState, error, stats, outputs) -> None:
    """A job worker's outcome, as structured data the API reads (not its stderr)."""
    if control_dir is None:
        return
    from render.control.worker import RESULT, write_result

    try:
        write_result(Path(control_dir) / RESULT, state=state, error=error,
                     frames=stats.frames if stats else 0, outputs=outputs,
                     late_frames=stats.late_frames if stats else 0)
    except OSError as e:
        log.warning("result file in %s: %s", control_dir, e)
