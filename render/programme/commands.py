"""What each command does to a running programme (interaction.md, Commands), as effects.

`take` runs on the frame thread when the inbox is drained: it reads the programme (`ShowView`),
answers queries at once, and returns the command's answer with the effects the programme core
applies (render.programme.effects); slow parts (TTS, media, a rewritten script) are `Prepare`d,
and `place` turns their results into effects when they are ready. A failure is a
COMMAND_REJECTED event (and, for an insert, its REPLY_COMMAND_FINISH with the reason); the show
goes on. Nothing here writes the programme's state.
"""
from __future__ import annotations

import json
from functools import partial

import numpy as np

from render.errors import RenderError, StateError
from render.interaction.robot import split_sentences
from render.plan import signalled, waits_for_signal
from render.programme import items as it
from render.programme.effects import (
    CancelRuleReplies,
    ContinueItem,
    DropInserts,
    Effect,
    Emit,
    FinishReply,
    Insert,
    Job,
    Lane,
    PlaceItem,
    Prepare,
    RefreshOutputs,
    ReplaceRules,
    ReplaceScenes,
    Rewrite,
    SetExitPolicy,
    ShowOverlay,
    ShowView,
    rejected,
)
from render.programme.prep import Done
from render.programme.scenes import load_scenes
from render.redact import masked_config
from render.spec.commands import Command
from render.spec.references import layer_refs
from render.speech import Clip

SUCCESS = "SUCCESS"
INSERT_GAP = 0.25    # after an inserted line, before the paragraph goes on


def take(prog: ShowView, cmd: Command) -> tuple[str, list[Effect]]:
    """(the command's answer, its effects); a RenderError rejects it (nothing applied)."""
    name, p = cmd.name, cmd.params
    if cmd.is_insert:
        return SUCCESS, _insert(prog, cmd)
    if name == "SHOW_LAYER":
        if remote(p.layer_config):
            return SUCCESS, [Prepare(Lane.MEDIA, Job.LAYER, cmd, None, _layer, (prog, cmd))]
        return SUCCESS, [ShowOverlay(_layer(prog, cmd))]  # local media loads in a few ms: shown on this frame
    if name == "REWRITE_PLAY_SCRIPT":
        room = prog.room.model_copy(update={"scene_scripts": p.scene_scripts})
        return SUCCESS, [Prepare(Lane.MEDIA, Job.REWRITE, cmd, room, partial(load_scenes, speak_fn=prog.speech),
                                 (room, prog.library, prog.fps))]
    if name == "REWRITE_INTERACTION_RULES":
        return SUCCESS, [ReplaceRules(p.interaction_rules)]
    if name == "GET_CURRENT_PLAYING_SCRIPTS":
        return json.dumps(current_scripts(prog), ensure_ascii=False), []
    if name == "GET_LIVE_JOB_CONFIG_INFO":
        return json.dumps(masked_config(prog.room.model_dump(mode="json", exclude_none=True)), ensure_ascii=False), []
    if name == "CLEAN_UP_INSERT_COMMAND":
        cleaned, effects = clean_up(prog, p.command_ids)
        return json.dumps({"cleaned": cleaned}), effects
    if name == "RESET_EXIT_CONFIG":  # every field, for the rest of the live (the job runner hears it too)
        return SUCCESS, [SetExitPolicy(p), Emit("EXIT_CONFIG_RESET", {
            **prog.ids(), "live_exit_config": p.model_dump(mode="json", exclude_none=True)})]
    if name == "REFRESH_OUTPUT_URL":
        if not prog.has_outputs:
            raise StateError("REFRESH_OUTPUT_URL: this programme has no live outputs (a preview)")
        keys = p.stream_keys or [""] * len(p.output_urls)
        return SUCCESS, [RefreshOutputs(tuple(p.output_urls), tuple(keys))]
    raise StateError(f"command: {name} is not handled by the programme")


def _layer(prog: ShowView, cmd: Command):
    return prog.build_overlay(cmd.params.layer_config, "params.layer_config", command_id=cmd.command_id)


def remote(layer) -> bool:
    """Does a smart layer name media by http(s) URL (a download: never on the frame thread)?"""
    return any(r.remote for r in layer_refs(layer, "params.layer_config"))


def _insert(prog: ShowView, cmd: Command) -> list[Effect]:
    """An insert's speech (or audio) is made, and the insert listed and awaited until it starts."""
    if cmd.name == "INSERT_PLAY_SCRIPT":
        if prog.speaking_early(cmd.command_id):  # live: Programme.submit started it already
            return [Insert(cmd)]
        return [speech_job(prog, cmd), Insert(cmd)]
    ref = cmd.params.audio_url
    if not ref.startswith(("http://", "https://")):  # a local file or asset: checked now (400)
        prog.library.resolve(ref, "AUDIO", field="params.audio_url")
    return [Prepare(Lane.SPEECH, Job.INSERT, cmd, "", audio_line, (prog, ref, "params.audio_url")), Insert(cmd)]


def speech_job(prog: ShowView, cmd: Command) -> Prepare:
    """The speech of an INSERT_PLAY_SCRIPT (Programme.submit starts it at once when live)."""
    text = cmd.params.text_config.text
    return Prepare(Lane.SPEECH, Job.INSERT, cmd, text, spoken,
                   (prog, text, cmd.params.play_role.value, "params.text_config.text"))


def spoken(prog: ShowView, text: str, role: str, where: str):
    """The speech of an inserted line: plain text of several sentences is made (and played)
    sentence by sentence, so the first is heard as soon as it is spoken; SSML as a whole."""
    parts = [text] if text.lstrip().startswith("<") else split_sentences(text, final=True)[0] or [text]
    if len(parts) == 1:
        return prog.synth(text, role, where), text
    return ((prog.synth(part, role, where), part) for part in parts)


def audio_line(prog: ShowView, ref: str, where: str) -> tuple[Clip, str]:
    return prog.load_audio(ref, where), ""


def error_of(err: BaseException) -> tuple[str, str]:
    """(error code, message) of a failure in prepared work."""
    return (err.code, err.message) if isinstance(err, RenderError) else ("MSS.00000004", str(err))


def place(prog: ShowView, done: Done) -> list[Effect]:
    """What a prepared result does to the show."""
    job, cmd, extra = done.tag
    if done.error is not None:
        code, msg = error_of(done.error)
        return rejected(prog, cmd, code, msg, finish=job == Job.INSERT)
    if job == Job.LAYER:
        return [ShowOverlay(done.result)]
    if job == Job.REWRITE:  # only the scripts change: rules or an exit policy set meanwhile stay
        room = prog.room.model_copy(update={"scene_scripts": extra.scene_scripts})
        if waits_for_signal(prog.room):  # auto_play_script false: this is the signal to start
            return [ReplaceScenes(signalled(room), done.result, Rewrite.START)]
        if prog.room.play_policy is not None and prog.room.play_policy.is_rewrite_delay:
            return [ReplaceScenes(room, done.result, Rewrite.NEXT_ROUND)]
        return [ReplaceScenes(room, done.result, Rewrite.NOW)]
    if done.part == 0 and cmd.command_id not in prog.waiting:  # cleaned up while being prepared
        return []
    if done.part > 0 and prog.is_finished(cmd.command_id):  # the rest of an answer cleaned up
        return []
    if done.result is None:  # the end of a streamed answer
        if done.part == 0:
            return [FinishReply(cmd.command_id, "NO_ANSWER")]
        return [ContinueItem(_item(prog, cmd, Clip(np.zeros(0, np.float32)), "", first=False, last=True, gap=0))]
    clip, text = done.result
    if done.part == 0:  # REPLY_START names the whole line when it is known
        return [PlaceItem(_item(prog, cmd, clip, extra or text, first=True, last=done.final), cmd.params.play_type)]
    return [ContinueItem(_item(prog, cmd, clip, text, first=False, last=done.final, gap=0))]


def _item(prog: ShowView, cmd: Command, clip: Clip, text: str, *, first: bool, last: bool,
          gap: int | None = None) -> it.Item:
    p = cmd.params
    kind = it.INSERT if cmd.name == "INSERT_PLAY_SCRIPT" else it.AUDIO
    shown = prog.scene.compositor.subtitle_cues(clip.cues) if prog.scene is not None else None
    return it.make_item(kind, clip, prog.fps, gap=round(INSERT_GAP * prog.fps) if gap is None else gap, shown=shown,
                        role=p.play_role.value, command_id=cmd.command_id, rule_index=p.rule_index,
                        source=cmd.source, text=text, scene=prog.scene, first_slice=first, last_slice=last)


def current_scripts(prog: ShowView) -> list[dict]:
    """GET_CURRENT_PLAYING_SCRIPTS: this round's scripts, scene by scene in play order."""
    out: dict[int, dict] = {}
    for s, p in prog.round_keys:
        info = prog.scenes[s].info if s in prog.scenes else prog.room.scene_scripts[s]
        para = info.shoot_scripts[p]
        entry = out.setdefault(s, {"script_name": info.script_name, "model_asset_id": info.model_asset_id,
                                   "shoot_scripts": []})
        entry["shoot_scripts"].append({"sequence_no": para.sequence_no, "title": para.title,
                                       "text": para.text_config.text if para.text_config else None})
    return list(out.values())


def clean_up(prog: ShowView, ids: list[str] | None) -> tuple[list[str], list[Effect]]:
    """Drop inserts not yet started (all, or those of `ids`), each with its REPLY_COMMAND_FINISH,
    and the rule replies still queued: (the ids dropped, the effects)."""
    wanted = None if ids is None else set(ids)

    def drop(item: it.Item) -> bool:
        return item.is_insert and item.first_slice and (wanted is None or item.command_id in wanted)

    dropped = [q.command_id for q in prog.queue if drop(q)]
    dropped += [q.command_id for _, _, q in prog.side_waiting if drop(q)]
    dropped += [cid for cid in prog.waiting if (wanted is None or cid in wanted) and cid not in dropped]
    # every slice of a line not started goes: its later sentences (and their speech) too
    effects: list[Effect] = [DropInserts(frozenset(c for c in dropped if c is not None))]
    effects += [FinishReply(cid, "CLEANED_UP") for cid in dropped if cid is not None]
    if prog.rules is not None:  # rule replies still in the engine's queue
        dropped += [r.reply_id for r in prog.rules.pending_replies() if wanted is None or r.reply_id in wanted]
        effects.append(CancelRuleReplies(None if ids is None else tuple(ids)))
    return [c for c in dropped if c is not None], effects


__all__ = ["clean_up", "place", "remote", "speech_job", "take"]
