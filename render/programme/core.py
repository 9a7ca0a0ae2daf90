"""The live programme: a queue of items a room plays, steerable while it plays, frame by frame.

    prog = Programme(loaded, library, seed=1, realtime=False)
    prog.schedule(entry)                 # a timeline line (preview: at its frame)
    fut = prog.submit(parse_command(body))   # from any thread; resolved when the loop takes it
    while (frame := prog.next_frame()) is not None: ...   # picture (I420), audio block, events

The play policy is a filler that tops the queue up one round at a time; inserts and replies
enter it where their play type says (play_types.py: APPEND after the current paragraph, INSERT
at the end of the sentence being spoken, PLAY_NOW at once). Everything that changes
a running show goes through the inbox, drained once per frame, so a preview driven by a timeline
and a live push driven by the API run the same code, and a timeline gives the same file twice.
Commands (commands.py) and rule hits (reactions.py) become typed effects (effects.py) that
`apply` below carries out: this module (and play_types.py, a part of the same class) is the
only one that writes the programme's state.
Slow work (TTS, media) runs in `Prep`, off the frame thread when live.
"""
from __future__ import annotations

import heapq
import itertools
import json
import queue
import random
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from render.assets import AssetLibrary
from render.audio import Mix, decode_audio
from render.errors import RenderError, StateError
from render.interaction import CallbackSender, Interaction
from render.layers.geometry import View
from render.plan import is_idle, round_order, rounds_total, shoot_script_switch, with_exit_config
from render.programme import commands, reactions
from render.programme import items as it
from render.programme.effects import (
    CancelRuleReplies,
    ContinueItem,
    DropInserts,
    Effect,
    Emit,
    FinishReply,
    HoldReplyLayers,
    Insert,
    Lane,
    PlaceItem,
    Prepare,
    RedrawOverlay,
    RefreshOutputs,
    ReplaceRules,
    ReplaceScenes,
    Rewrite,
    SendCallback,
    SetExitPolicy,
    ShowOverlay,
)
from render.programme.event_budget import SHARE, EventBudget
from render.programme.exit import ExitPolicy
from render.programme.insert_bound import InsertBound
from render.programme.overlays import NO_REPLY_SECONDS, Overlay, build_overlay
from render.programme.play_types import DUCK, PlayTypes, Side
from render.programme.prep import Prep
from render.programme.scenes import SceneState, load_scenes
from render.spec import LoadedRoom, effective_video_config
from render.spec.commands import Command
from render.spec.enums import EventType, Role
from render.spec.live_events import ViewerEvent
from render.spec.models import VoiceConfig
from render.speech import Clip, SpeechFn, speak
from render.speech.pose import Pose
from render.timebase import samples_per_frame

PARAGRAPH_GAP = 0.4  # seconds of quiet after each paragraph, as a person pauses
MAX_PENDING_EVENTS = 5000  # viewer events waiting for the frame loop (a flood is cut here)
FINISHED_KEPT = 10_000  # ids of finished inserts remembered (a live of days answers many more)
CO_STREAMER_PITCH = 140  # a co-streamer without a voice_config: the streamer's voice, higher


@dataclass
class Frame:
    index: int
    picture: np.ndarray              # I420 at the output size
    audio: np.ndarray                # float32 mono, samples_per_frame(fps)
    events: list[dict] = field(default_factory=list)  # {event_type, message (JSON string)}
    subtitle: str | None = None      # what the subtitle says on this frame (also when not drawn)


class Programme(PlayTypes):
    def __init__(self, loaded: LoadedRoom, library: AssetLibrary, *, seed: int | None = None,
                 room_id: str = "", job_id: str = "", realtime: bool = False, progress=None,
                 max_live_seconds: float | None = None, interaction_callback_url: str | None = None,
                 speech: SpeechFn | None = None):
        """`speech` makes every clip the show speaks (None: render.speech.speak; tests pass a
        synthetic one)."""
        self.loaded, self.room, self.library = loaded, loaded.room, library
        self.speech = speech
        self.video = effective_video_config(self.room)
        self.fps = self.video.fps
        self.spf = samples_per_frame(self.fps)
        self.room_id, self.job_id = room_id, job_id
        self.view = View.for_room(self.room)
        self.subtitles = bool(self.video.is_subtitle_enable)
        self.scenes = load_scenes(self.room, library, self.fps, progress=progress, speak_fn=speech)
        self._old_scenes: list[SceneState] = []
        self.rng = random.Random(seed)
        self.reply_rng = random.Random(seed)
        self.rounds_left = rounds_total(self.room)
        self.round_no = 0
        self.round_keys: list[tuple[int, int]] = []
        self._pending_rewrite: tuple[Any, dict[int, SceneState]] | None = None  # is_rewrite_delay: next round
        self.queue: deque[it.Item] = deque()
        self.cur: it.Item | None = None
        self.cur_at = 0
        self.cur_src: Any = None  # the Mix source of what `cur` says
        self.side: Side | None = None
        self.side_waiting: list[tuple[int, int, it.Item]] = []  # (start frame, seq, item)
        self.mix = Mix(self.fps)
        self.scene: SceneState | None = self.scenes.get(0)
        self.scene_start = 0
        self._beds: list = []
        self._bed_scene = None
        self.overlays: list[Overlay] = []
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._events_in: queue.Queue = queue.Queue(maxsize=MAX_PENDING_EVENTS)
        self._event_budget = EventBudget(self.fps, SHARE if realtime else None)  # a live: a share of each frame
        self._scheduled: list = []
        self._seq = itertools.count()
        self.prep = Prep(sync=not realtime, threads=1)   # speech of inserts and replies, in order
        self.media = Prep(sync=not realtime, threads=2)  # overlays and rewritten scripts (downloads)
        self.insert_log: deque[dict] = deque(maxlen=1000)
        self._waiting: dict[str, dict] = {}   # command_id -> insert not started yet (prep or queue)
        self._finished: dict[str, None] = {}  # the newest FINISHED_KEPT, oldest first
        self._speaking_early: set[str] = set()  # inserts whose speech submit() started
        self._inserts = InsertBound()  # submitted inserts until their REPLY_COMMAND_FINISH
        self.exit = ExitPolicy(self.room.play_policy.live_exit_config if self.room.play_policy else None,
                               max_live_seconds)
        self.i = 0
        self.ended = False
        self._out: list[dict] = []
        self.on_refresh_outputs = None
        self.seed = seed
        self.rules: Interaction | None = None  # the interaction engine, when the room has rules
        self.auto_reply: str | None = None  # the rule reply on its way (the next waits for its end)
        self._viewers_changed = False
        self.reply_layers: dict[str, tuple] = {}  # reply_id -> (layers, rule_index): shown when it starts
        self.callbacks: CallbackSender | None = None
        if self.room.interaction_rules:
            self.rules = self._engine()
        # the start body's interaction_callback_url travels in the job's room (an extra field)
        interaction_callback_url = interaction_callback_url or (self.room.model_extra or {}).get(
            "interaction_callback_url")
        if interaction_callback_url:
            self.callbacks = CallbackSender(interaction_callback_url, self.room.live_event_callback_config)
        self._top_up()  # the first round is known before the first frame (GET_CURRENT_PLAYING_SCRIPTS)

    # ---- the outside: any thread ----------------------------------------------------------
    def submit(self, cmd: Command) -> Future:
        """Hand a validated command to the programme; the future resolves when the frame loop takes
        it: "SUCCESS", or JSON text for the queries; a RenderError when the programme rejects it
        (a StateError once the show has ended)."""
        fut: Future = Future()
        if self.ended:
            fut.set_exception(StateError(f"{cmd.name}: the live has ended"))
            return fut
        try:
            self._inserts.admit(cmd)  # bounded: refused before its speech starts
        except StateError as e:
            fut.set_exception(e)
            return fut
        self.inbox.put(("command", cmd, fut))
        if cmd.name == "INSERT_PLAY_SCRIPT" and not self.prep.sync:
            # live: its speech starts now, not at the next frame (the frame loop registers the
            # command before it can see the result: the inbox is drained before the results)
            self._speaking_early.add(cmd.command_id)
            self._prepare(commands.speech_job(self, cmd))
        return fut

    def report(self, events: list[ViewerEvent]) -> int:
        """Viewer events for the rules; returns how many were taken (a flood is cut, not queued)."""
        n = 0
        for ev in events:
            try:
                self._events_in.put_nowait(ev)
                n += 1
            except queue.Full:
                break
        return n

    def schedule(self, entry) -> None:
        """A timeline entry (render.programme.timeline.Entry), from any thread: at its frame, or at
        once (the next frame) when it has no `at`."""
        self.inbox.put(("schedule", entry, None))

    def inserts(self, offset: int = 0, limit: int | None = None) -> tuple[int, list[dict]]:
        """Every insert of this live (the last 1000), EXTERNAL or AUTO (a rule's reply)."""
        rows = list(self.insert_log)
        return len(rows), rows[offset: None if limit is None else offset + limit]

    # ---- the frame loop ---------------------------------------------------------------------
    def total_frames(self) -> int | None:
        """Frames of the whole programme as planned (no inserts), or None when it is endless."""
        rounds = rounds_total(self.room)
        if is_idle(self.room) or rounds is None:
            return None
        gap = round(PARAGRAPH_GAP * self.fps)
        per_round = sum(clip.frames(self.fps) + gap for sc in self.scenes.values() for clip in sc.clips.values())
        return per_round * rounds

    def next_frame(self) -> Frame | None:
        if self.ended:
            return None
        i = self.i
        self._out = []
        self._drain(i)
        if self.exit.at_frame(i, self.fps) or not self._ensure_item(i):
            self._end()
            return None
        self._side_step(i)
        level: float | Pose = 0.0
        subtitle = None
        cur = self.cur
        if cur is not None:
            k = cur.start + (i - self.cur_at)
            if k < cur.end:
                if cur.role == Role.STREAMER.value:
                    level = cur.track.pose(k)
                subtitle = cur.track.subtitles[k]
                if cur.kind == it.PARAGRAPH and any(a == k for a, _ in cur.track.sentences):
                    self._on_sentence(cur, k, i)
            else:
                if cur.is_insert and cur.last_slice and k == cur.end:
                    self._finish(cur, i)
                if cur.end > cur.start and k - cur.end < cur.gap:  # the pause after it: no blink
                    subtitle = cur.track.subtitles[cur.end - 1]
                    if cur.role == Role.STREAMER.value and cur.last_slice:  # a gesture finishing
                        level = cur.track.pose(k)
        if subtitle is None and self.side is not None:
            k = self.side.item.start + (i - self.side.at)
            if k < self.side.item.end:
                subtitle = self.side.item.track.subtitles[k]
        self._expire_overlays(i)
        assert self.scene is not None  # a room has scenes: the first is on air from the first frame
        comp = self.scene.compositor
        shown = sorted(self.overlays, key=lambda o: o.index)
        picture = comp.frame_i420((i - self.scene_start) / self.fps, level=level,
                                  subtitle=subtitle if self.subtitles else None,
                                  overlays=[((i - o.start) / self.fps, o.ops_for(comp)) for o in shown])
        audio = self.mix.block(i)
        self.i += 1
        return Frame(i, picture, audio, self._out, subtitle)

    def _end(self) -> None:
        """The show is over: commands still in the inbox are refused (409), not left waiting."""
        self.ended = True
        while True:
            try:
                kind, msg, fut = self.inbox.get_nowait()
            except queue.Empty:
                return
            if fut is not None:
                fut.set_exception(StateError(f"{msg.name}: the live has ended"))

    def close(self) -> None:
        self._end()
        self.prep.close()
        self.media.close()
        if self.callbacks is not None:
            self.callbacks.close()
        for o in self.overlays:
            o.close()
        for st in [*self.scenes.values(), *self._old_scenes]:
            st.close()

    # ---- what commands and reactions read (effects.ShowView) --------------------------------------
    def ids(self) -> dict[str, str]:
        return {"room_id": self.room_id, "job_id": self.job_id}

    @property
    def has_outputs(self) -> bool:
        return self.on_refresh_outputs is not None

    @property
    def waiting(self):
        """Ids of the inserts listed and not started yet (being prepared or queued)."""
        return self._waiting.keys()

    def is_finished(self, command_id: str) -> bool:
        return command_id in self._finished

    def speaking_early(self, command_id: str) -> bool:
        return command_id in self._speaking_early

    # ---- effects: the only writes to a running show --------------------------------------------
    def apply(self, effects: Iterable[Effect], i: int) -> None:
        """Carry out effects (from commands and reactions), in order, at frame i."""
        for e in effects:
            match e:
                case Emit():
                    self._emit(e.event_type, dict(e.message))
                case Prepare():
                    self._prepare(e)
                case Insert():
                    self._register(e)
                case PlaceItem():
                    self._place(e.item, e.play_type, i)
                case ContinueItem():
                    self._continue(e.item)
                case FinishReply():
                    self._finish_id(e.command_id, i, e.reason)
                case HoldReplyLayers():
                    self.reply_layers[e.reply_id] = (e.layers, e.rule_index)
                case ShowOverlay():
                    self._show_overlay(e.overlay, i)
                case RedrawOverlay():
                    e.overlay.redraw(e.fresh)
                case ReplaceScenes():
                    self._replace_scenes(e)
                case ReplaceRules():
                    self._replace_rules(e.rules, i)
                case SetExitPolicy():  # every field, for the rest of the live
                    self.exit.config = e.config
                    self.room = with_exit_config(self.room, e.config)
                case RefreshOutputs():
                    if self.on_refresh_outputs is not None:  # commands.take refuses it in a preview
                        self.on_refresh_outputs(list(e.urls), list(e.keys))
                case DropInserts():
                    self._drop_inserts(e.command_ids)
                case CancelRuleReplies():
                    if self.rules is not None:
                        self.apply(reactions.effects(self, self.rules.cancel_replies(e.reply_ids)), i)
                case SendCallback():
                    if self.callbacks is not None:
                        self.callbacks.send(e.callback)
                case _:
                    raise TypeError(f"not an effect: {e!r}")

    def _prepare(self, e: Prepare) -> None:
        (self.prep if e.lane == Lane.SPEECH else self.media).submit(e.tag, e.fn, *e.args)

    def _register(self, e: Insert) -> None:
        """An insert (EXTERNAL, or AUTO: a rule's reply) is listed and awaited until it starts."""
        cmd = e.cmd
        self._speaking_early.discard(cmd.command_id)
        record = {"command_id": cmd.command_id, "command": cmd.name, "params": cmd.raw_params,
                  "source": cmd.source}
        self.insert_log.append(record)
        self._waiting[cmd.command_id] = record
        if cmd.source == "AUTO":
            self.auto_reply = cmd.command_id

    def _replace_scenes(self, e: ReplaceScenes) -> None:
        if e.when != Rewrite.NEXT_ROUND:  # START: the round is still to be made, from these scripts
            self._apply_rewrite(e.room, dict(e.scenes), now=e.when == Rewrite.NOW)
            return
        if self._pending_rewrite is not None:  # a later rewrite replaces one still waiting
            for st in self._pending_rewrite[1].values():
                st.close()
        self._pending_rewrite = (e.room, dict(e.scenes))

    def _engine(self) -> Interaction:
        """The rules engine (kept even with no rules: REWRITE_INTERACTION_RULES may add some)."""
        wall = None if self.prep.sync else time.time  # live: reply ages count from the events' timestamps
        return Interaction(self.room, self.library, seed=self.seed, room_id=self.room_id, job_id=self.job_id,
                           wall=wall)

    def _replace_rules(self, rules, i: int) -> None:
        self.room = self.room.model_copy(update={"interaction_rules": rules})
        if self.rules is None:
            self.rules = self._engine()
        else:
            self.apply(reactions.effects(self, self.rules.replace_rules(rules)), i)

    def _drop_inserts(self, ids: frozenset[str]) -> None:
        """Lines not started yet: every slice of each goes (a line's later sentences hold speech too)."""
        def drop(item: it.Item) -> bool:
            return item.is_insert and item.command_id in ids

        self.queue = deque(q for q in self.queue if not drop(q))
        self.side_waiting = [w for w in self.side_waiting if not drop(w[2])]

    # ---- events -----------------------------------------------------------------------------
    def _emit(self, event_type: str, message: dict) -> None:
        self._out.append({"event_type": event_type, "message": json.dumps(message, ensure_ascii=False)})


    def _finish(self, item: it.Item, i: int, reason: str | None = None) -> None:
        """REPLY_COMMAND_FINISH of an insert, once: heard to its end, or dropped with a reason."""
        self._finish_id(item.command_id, i, reason)

    def _finish_id(self, cid: str | None, i: int, reason: str | None = None) -> None:
        if cid is None or cid in self._finished:
            return
        self._finished[cid] = None
        if len(self._finished) > FINISHED_KEPT:
            del self._finished[next(iter(self._finished))]
        self._waiting.pop(cid, None)
        self._inserts.release(cid)
        self.reply_layers.pop(cid, None)  # a reply dropped before it started shows nothing
        msg = {**self.ids(), "reply_id": cid}
        if reason:
            msg["reason"] = reason
        self._emit("REPLY_COMMAND_FINISH", msg)
        for o in self.overlays:
            if o.reply_id == cid and o.end is None:
                o.end = i

    # ---- the queue ----------------------------------------------------------------------------
    def _ensure_item(self, i: int) -> bool:
        """Make `cur` the item that plays at frame i; False when the programme is over."""
        while self.cur is None or i - self.cur_at >= self.cur.frames:
            done = self.cur
            if done is not None:
                self.cur = None
                if done.is_insert and done.last_slice:
                    self._finish(done, i)
                nxt = next((q for q in self.queue if q.kind == it.PARAGRAPH), None)
                if self.exit.ends_after(done.kind == it.PARAGRAPH and done.last_slice,
                                        nxt is None or nxt.scene is not self.scene):
                    return False
            nxt = self._pop()
            if nxt is None:
                if self.exit.ends_when_empty():
                    return False
                return self._may_idle()
            self._start(nxt, i)
        return True

    def _may_idle(self) -> bool:
        """Nothing to play now: an idle or endless room waits (inserts may come); a finished one
        waits for what is still on its way (inserts being made, timeline lines still to come,
        a reply in the rules' queue); else it is over."""
        if is_idle(self.room) or self.rounds_left is None:
            return True
        pending_rules = self.rules is not None and self.rules.queued() > 0
        return bool(self._waiting or self.side_waiting or self.side is not None or self._scheduled
                    or not self.inbox.empty() or pending_rules)

    def _pop(self) -> it.Item | None:
        if not self.queue:
            self._top_up()
        return self.queue.popleft() if self.queue else None

    def _top_up(self) -> None:
        """One more round of the play policy (seeded shuffles and repeat counts as planned)."""
        if self._pending_rewrite is not None:
            self._apply_rewrite(*self._pending_rewrite)
            self._pending_rewrite = None
        if self.exit.refuses_round() and self.round_no:
            return
        if is_idle(self.room) or self.rounds_left == 0:
            return
        keys = round_order(self.room, self.rng)
        if not keys:
            return
        if self.rounds_left is not None:
            self.rounds_left -= 1
        self.round_no += 1
        self.round_keys = keys
        self.queue.extend(self._paragraph(s, p) for s, p in keys)

    def _paragraph(self, s: int, p: int) -> it.Item:
        scene = self.scenes[s]
        para = scene.info.shoot_scripts[p]
        text = para.text_config.text if para.text_config else (para.title or "")
        clip = scene.clips[p]
        if p not in scene.tracks:  # levels and subtitles once per paragraph, not once per round
            scene.tracks[p] = it.Track.of(clip, self.fps, scene.compositor.subtitle_cues(clip.cues))
        track = scene.tracks[p]
        return it.Item(it.PARAGRAPH, clip, track, end=len(track.levels), gap=round(PARAGRAPH_GAP * self.fps),
                       scene=scene, para=p, text=text)

    def _start(self, item: it.Item, i: int) -> None:
        self.cur, self.cur_at = item, i
        if item.kind == it.PARAGRAPH and item.scene is not None and item.scene is not self.scene:
            self._switch_scene(item.scene, i)
        samples = item.clip.samples[item.start * self.spf: item.end * self.spf]
        gain = DUCK if self.side is not None else 1.0
        self.cur_src = self.mix.add(samples, at=i * self.spf, gain=gain) if len(samples) else None
        if item.kind == it.PARAGRAPH and item.first_slice and item.scene is not None and item.para is not None:
            self._out.append(shoot_script_switch(item.scene.info, item.para, **self.ids()))
        if item.is_insert and item.first_slice:
            self._reply_start(item, i)

    def _release_scenes(self) -> None:
        """Close the scenes of rewritten scripts once nothing on air or queued still shows them."""
        used = {id(self.scene), id(self.cur.scene) if self.cur else 0, *(id(q.scene) for q in self.queue)}
        for st in [st for st in self._old_scenes if id(st) not in used]:
            st.close()
            self._old_scenes.remove(st)

    def _switch_scene(self, scene: SceneState, i: int) -> None:
        for src in self._beds:
            self.mix.stop(src, i * self.spf)
        self.scene, self.scene_start = scene, i
        self._release_scenes()
        at = i * self.spf
        self._beds = [self.mix.add_bed(samples, start=at, gain=gain,
                                       end=None if loops is None else at + loops * len(samples))
                      for samples, gain, loops in scene.beds]

    def _reply_start(self, item: it.Item, i: int) -> None:
        if item.command_id is not None:
            self._waiting.pop(item.command_id, None)
        self._emit("REPLY_START", {**self.ids(), "reply_id": item.command_id, "role": item.role,
                                   "text": item.text, "rule_index": item.rule_index})
        if item.command_id in self.reply_layers:  # a rule reply's layers: on screen with its words
            layers, rule_index = self.reply_layers.pop(item.command_id)
            self.apply(reactions.show_layers(self, layers, rule_index=rule_index, reply_id=item.command_id), i)

    # ---- the inbox ----------------------------------------------------------------------------
    def _drain(self, i: int) -> None:
        while True:
            try:
                kind, msg, fut = self.inbox.get_nowait()
            except queue.Empty:
                break
            if kind == "schedule":
                frame = i if msg.at is None else round(msg.at * self.fps)
                heapq.heappush(self._scheduled, (frame, next(self._seq), msg))
            else:
                self._take(msg, fut, i)
        while self._scheduled and self._scheduled[0][0] <= i:
            entry = heapq.heappop(self._scheduled)[2]
            if entry.command is not None:
                self._take(entry.command, None, i)
            else:
                self._viewer_event(entry.event, i)
        self._event_budget.drain(self._events_in, lambda ev: self._viewer_event(ev, i))
        self._rules_tick(i)
        for done in self.prep.results() + self.media.results():
            self._done(done, i)

    def _take(self, cmd: Command, fut: Future | None, i: int) -> None:
        try:
            result, effects = commands.take(self, cmd)
            self.apply(effects, i)
        except RenderError as e:
            self._inserts.release(cmd.command_id)
            self._emit("COMMAND_REJECTED", {**self.ids(), "command": cmd.name, "command_id": cmd.command_id,
                                            "error_code": e.code, "error_msg": e.message})
            if fut is not None:
                fut.set_exception(e)
            return
        if fut is not None:
            fut.set_result(result)

    def _done(self, done, i: int) -> None:
        self.apply(commands.place(self, done), i)

    # ---- rules (render.interaction) ------------------------------------------------------------
    def _scene_name(self) -> str | None:
        return self.scene.name if self.scene is not None else None

    def _viewer_event(self, ev: ViewerEvent, i: int) -> None:
        if self.rules is None:
            return
        self.apply(reactions.effects(self, self.rules.on_event(ev, i / self.fps, self._scene_name())), i)
        if ev.type == EventType.VIEWER_COUNT:  # redrawn once per frame at most (tick), however many arrive
            self._viewers_changed = True

    def _on_sentence(self, item: it.Item, k: int, i: int) -> None:
        if self.rules is None:
            return
        self.apply(reactions.effects(
            self, self.rules.on_sentence(it.sentence_text(item, k), i / self.fps, self._scene_name())), i)

    def _rules_tick(self, i: int) -> None:
        """Gift windows that closed, then the next queued reply when none is on its way."""
        if self.rules is None:
            return
        now = i / self.fps
        self.apply(reactions.effects(self, self.rules.tick(now, self._scene_name())), i)
        if self._viewers_changed:
            self._viewers_changed = False
            self.apply(reactions.refresh_dynamic(self), i)
        if self.auto_reply is not None and self.auto_reply not in self._finished:
            return
        reply, dropped = self.rules.next_reply(now)
        self.apply(reactions.effects(self, [*dropped, *([reply] if reply is not None else [])]), i)

    # ---- helpers for commands -------------------------------------------------------------------
    def voice_of(self, role: str) -> tuple[VoiceConfig | None, str]:
        """(voice_config, its JSON path) that speaks a role's inserted lines."""
        streamer = self.scene.info.voice_config if self.scene else None
        if role == Role.CO_STREAMER.value:
            co = self.room.co_streamer_config
            if co is not None and co.voice_config is not None:
                return co.voice_config, "co_streamer_config.voice_config"
            base = streamer.voice_asset_id if streamer else None
            if base:
                return VoiceConfig(voice_asset_id=base, pitch=CO_STREAMER_PITCH), "co_streamer_config.voice_config"
            return None, "co_streamer_config.voice_config"
        return streamer, f"scene_scripts[{self.scene.index if self.scene else 0}].voice_config"

    def synth(self, text: str, role: str, where: str) -> Clip:
        voice, voice_where = self.voice_of(role)
        return (self.speech or speak)(text, voice, self.library, where=where, voice_where=voice_where)

    def load_audio(self, ref: str, where: str) -> Clip:
        return Clip(decode_audio(self.library.resolve(ref, "AUDIO", field=where)))

    def build_overlay(self, layer, where: str, *, rule_index=None, reply_id=None, command_id=None,
                      fill=None) -> Overlay:
        return build_overlay(layer, where, self.library, self.view, self.fps, fill=fill,
                             rule_index=rule_index, reply_id=reply_id, command_id=command_id)

    def _show_overlay(self, ov: Overlay, i: int) -> None:
        ov.start = i
        if ov.seconds is not None:
            ov.end = i + max(1, round(ov.seconds * self.fps))
        elif ov.reply_id is None or ov.reply_id in self._finished:
            ov.end = i + round(NO_REPLY_SECONDS * self.fps)
        self.overlays.append(ov)
        self._emit("LAYER_SHOW", ov.message(self.room_id, self.job_id))

    def _expire_overlays(self, i: int) -> None:
        keep = []
        for o in self.overlays:
            if o.end is not None and i >= o.end:
                self._emit("LAYER_HIDE", o.message(self.room_id, self.job_id))
                o.close()
            else:
                keep.append(o)
        self.overlays = keep

    def _apply_rewrite(self, room, scenes: dict[int, SceneState], *, now: bool = False) -> None:
        """The rewritten scripts replace the old ones: `now`, what has not played of this round
        (the paragraph on air finishes); else from the next round on."""
        self._old_scenes += list(self.scenes.values())
        self.room, self.scenes = room, scenes
        if now:
            self.queue = deque(q for q in self.queue if q.kind != it.PARAGRAPH or not q.first_slice)
            self.round_keys = round_order(self.room, self.rng)
            self.queue.extend(self._paragraph(s, p) for s, p in self.round_keys)
