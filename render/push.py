"""A room as a live stream: the programme's frames, paced by the wall clock, to RTMP outputs.

The composition root of a live: `push(show, delivery, io, run)` with four typed option objects
(what is shown, where it goes, how it talks to its operator, how long it runs) wires the outputs
and their REFRESH_OUTPUT_URL switch (render.outputs), the event sink, the programme, the API
job's channel and the live view. `smartlive push` and the API's job worker build them from
their command line (render.cli).

    push(LiveShow(loaded, library, seed=1), Delivery([("rtmp://127.0.0.1/live", "k")]),
         JobIO(events_out=Path("ev.jsonl")), RunControl(duration=10))
"""
from __future__ import annotations

import dataclasses
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from render.assets import AssetLibrary
from render.callbacks import EventSink
from render.encode import live_profile
from render.errors import OutputError, RenderError, SpecError
from render.live import LiveStats, run_live
from render.outputs import all_given_up, open_output
from render.outputs.switch import OutputSwitch, check_count
from render.preview import encode_settings
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


def _stop_when_all_gave_up(switch: OutputSwitch, stop_event: threading.Event) -> None:
    """A stream with no output left ends (and the push fails) instead of running for nobody."""
    while not stop_event.wait(0.5):
        if switch.all_given_up():
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


@dataclass(frozen=True)
class LiveShow:
    """What is shown: the room, where its media come from, and who it is (job ids, its limits)."""

    loaded: LoadedRoom
    library: AssetLibrary
    seed: int | None = None
    room_id: str = ""
    job_id: str = ""
    max_live_seconds: float | None = None
    interaction_callback_url: str | None = None


@dataclass(frozen=True)
class Delivery:
    """Where it goes: (url, stream_key) pairs, each opened by scheme (render.outputs.open_output)."""

    pairs: list[tuple[str, str]]
    max_retries: int = 5


@dataclass(frozen=True)
class JobIO:
    """How the live talks to its operator: event lines out, timeline lines in, the API job's
    control folder (channel + result file), the console's live view, and stderr (`quiet`)."""

    events_out: Path | None = None
    events_in: str | None = None
    control_dir: Path | None = None
    live_view: Path | None = None
    quiet: bool = False


@dataclass(frozen=True)
class RunControl:
    """How long it runs and who watches: `duration` s (None: until the room ends or `stop_event`),
    `on_programme(prog, sink)` once the programme is ready (benchmarks), `on_pushed(i, t)` as each
    frame enters the encoder."""

    duration: float | None = None
    stop_event: threading.Event | None = None
    on_programme: Callable | None = None
    on_pushed: Callable | None = None


def push(show: LiveShow, delivery: Delivery, io: JobIO = JobIO(), run: RunControl = RunControl()) -> LiveStats:
    """Stream a room live (see the module doc)."""
    return _LivePush(show, delivery, io, run).run()


class _LivePush:
    """One push, wired: the outputs and their switch, the event sink, the programme, the job's
    channel and live view; `run()` streams and reports the outcome."""

    def __init__(self, show: LiveShow, delivery: Delivery, io: JobIO, run: RunControl):
        if not show.loaded.room.scene_scripts:
            raise SpecError("scene_scripts: the room has no scene to render")
        self.show, self.delivery, self.io, self.runc = show, delivery, io, run
        profile = live_profile((show.loaded.room.model_extra or {}).get("encode_profile"))  # live or low-latency
        self.settings = dataclasses.replace(encode_settings(show.loaded), profile=profile)
        self.fps, self.frame = self.settings.fps, 0
        self.stop_event = run.stop_event or threading.Event()
        check_count(len(delivery.pairs), "output_urls")
        # a bad URL or VP8 over RTMP is refused here, before any speech is synthesized
        first = [self._open(url, key) for url, key in delivery.pairs]
        self.switch = OutputSwitch(first, self._open, on_failed=self._refresh_failed, stop_event=self.stop_event)
        self.sink = EventSink(io.events_out, show.loaded.room.live_event_callback_config, keep=False)
        self.say = (lambda m: None) if io.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
        self.prog = self.channel = self.view = None

    def _open(self, url: str, key: str):
        return open_output(url, key, on_state=self._on_state, settings=self.settings,
                           max_retries=self.delivery.max_retries)

    def _ids(self) -> dict:
        return {"room_id": self.show.room_id, "job_id": self.show.job_id}

    def _emit(self, event_type: str, message: dict) -> None:
        self.sink.emit({"event_type": event_type, "message": json.dumps(message)}, self.frame / self.fps, self.frame)

    def _on_state(self, url: str, key: str, state: str) -> None:
        self._emit("RTMP_STREAM_STATE_CHANGE", {**self._ids(), "output_url": url, "stream_key": key, "state": state})
        self.say(f"{url}/{key}: {state}")

    def _refresh_failed(self, urls: list[str], error: RenderError) -> None:
        """REFRESH_OUTPUT_URL found no new output: said as an event and on stderr; the show goes on."""
        self._emit("OUTPUT_REFRESH_FAILED", {**self._ids(), "output_urls": urls, "error_code": error.code,
                                             "error_msg": error.message})
        self.say("\n".join(error.lines()))

    def run(self) -> LiveStats:
        stats = None
        try:
            self._prepare()
            with StopOnSignals(self.stop_event):
                threading.Thread(target=_stop_when_all_gave_up, args=(self.switch, self.stop_event),
                                 daemon=True).start()
                stats = run_live(self._next_frame, self.settings, self.switch.current, duration=self.runc.duration,
                                 stop_event=self.stop_event, on_status=(lambda s: None) if self.io.quiet else None,
                                 on_pushed=self.runc.on_pushed, on_encoder=self._started)
            outputs = self.switch.current
            if all_given_up(outputs):
                reasons = "; ".join(str(o.failure) for o in outputs if o.failure)
                raise OutputError(f"every output gave up: {reasons}")
            never = [why for o in outputs if (why := o.never_connected())]
            if never:  # whatever --duration: a stream nobody received is a failure, said as one
                raise OutputError(details=never)
            _result(self.io.control_dir, JobState.SUCCEED, None, stats, outputs)
            return stats
        except RenderError as e:
            _result(self.io.control_dir, JobState.FAILED, e, stats, self.switch.current)
            raise
        finally:
            self.stop_event.set()  # ends the watcher, whatever happened
            self.sink.close()
            for part in (self.view, self.prog, self.channel):
                if part is not None:
                    part.close()

    def _prepare(self) -> None:
        """The live view, the job's channel (answers pings while the live prepares), the programme."""
        from render.programme import Programme

        show, io = self.show, self.io
        if io.live_view is not None:  # the console's live view: a small JPEG every 5th frame, off this thread
            from render.console.liveview import LiveView
            self.view = LiveView(5, 320, io.live_view, fps=self.fps)
        if io.control_dir is not None:  # a job of the API
            from render.control.worker import SOCKET, serve_channel

            self.channel = serve_channel(Path(io.control_dir) / SOCKET)
            self.sink.subscribe(self.channel.emit)
        self.prog = Programme(show.loaded, show.library, seed=show.seed, room_id=show.room_id, job_id=show.job_id,
                              realtime=True, progress=None if io.quiet else (lambda m: self.say(f"preparing: {m}")),
                              max_live_seconds=show.max_live_seconds,
                              interaction_callback_url=show.interaction_callback_url)
        self.prog.on_refresh_outputs = self.switch.refresh
        if self.runc.on_programme is not None:
            self.runc.on_programme(self.prog, self.sink)
        if io.events_in is not None:
            where = "stdin" if io.events_in == "-" else io.events_in
            stream = sys.stdin if io.events_in == "-" else open(io.events_in, encoding="utf-8")  # noqa: SIM115
            threading.Thread(target=read_commands, args=(self.prog, stream, where, self.stop_event, self.say),
                             name="events-in", daemon=True).start()

    def _started(self, encoder) -> None:
        """The outputs are connected and frames are about to flow: commands are taken from now
        on (before, the channel answers 409 "still preparing" rather than letting them wait)."""
        self.switch.attach(encoder)
        if self.channel is not None:
            self.channel.attach(self.prog)

    def _next_frame(self, i: int):
        frame = self.prog.next_frame()
        if frame is None:
            return None
        self.frame = frame.index
        for e in frame.events:
            self.sink.emit(e, frame.index / self.fps, frame.index)
        if self.view is not None:
            self.view.submit(frame.index, frame.picture, {"subtitle": frame.subtitle})
        return frame.picture, frame.audio


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
