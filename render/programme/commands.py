"""What each command does to a running programme (interaction.md, Commands).

`take` runs on the frame thread when the inbox is drained: queries answer at once, the rest
start their slow part in `Prep` (TTS, media, a rewritten script) and `place` puts the result in
the show when it is ready. A failure is a COMMAND_REJECTED event (and, for an insert, its
REPLY_COMMAND_FINISH with the reason); the show goes on.
"""
from __future__ import annotations

import json
from functools import partial

import numpy as np

from render.errors import RenderError, StateError
from render.plan import signalled, waits_for_signal, with_exit_config
from render.programme import items as it
from render.programme.core import INSERT_GAP
from render.programme.scenes import load_scenes
from render.spec.enums import PlayType
from render.speech import Clip

SUCCESS = "SUCCESS"


def take(prog, cmd, i: int) -> str:
    name, p = cmd.name, cmd.params
    if cmd.is_insert:
        return _insert(prog, cmd, i)
    if name == "SHOW_LAYER":
        build = lambda: prog.build_overlay(p.layer_config, "params.layer_config",  # noqa: E731
                                           command_id=cmd.command_id)
        if _remote(p.layer_config):
            prog.media.submit(("layer", cmd, None), build)
        else:  # local media loads in a few ms: shown on this very frame
            prog.show_overlay(build(), i)
        return SUCCESS
    if name == "REWRITE_PLAY_SCRIPT":
        room = prog.room.model_copy(update={"scene_scripts": p.scene_scripts})
        prog.media.submit(("rewrite", cmd, room), partial(load_scenes, speak_fn=prog.speech), room, prog.library,
                          prog.fps)
        return SUCCESS
    if name == "REWRITE_INTERACTION_RULES":
        prog.room = prog.room.model_copy(update={"interaction_rules": p.interaction_rules})
        if prog.rules is None:
            from render.programme.reactions import engine_for

            prog.rules = engine_for(prog, prog.seed)
        else:
            from render.programme.reactions import act

            act(prog, prog.rules.replace_rules(p.interaction_rules), i)
        return SUCCESS
    if name == "GET_CURRENT_PLAYING_SCRIPTS":
        return json.dumps(current_scripts(prog), ensure_ascii=False)
    if name == "GET_LIVE_JOB_CONFIG_INFO":
        return json.dumps(prog.room.model_dump(mode="json", exclude_none=True), ensure_ascii=False)
    if name == "CLEAN_UP_INSERT_COMMAND":
        return json.dumps({"cleaned": clean_up(prog, p.command_ids, i)})
    if name == "RESET_EXIT_CONFIG":  # every field, for the rest of the live (the job runner hears it too)
        prog.exit.config = p
        prog.room = with_exit_config(prog.room, p)
        prog._emit("EXIT_CONFIG_RESET", {**prog._ids(), "live_exit_config": p.model_dump(mode="json",
                                                                                          exclude_none=True)})
        return SUCCESS
    if name == "REFRESH_OUTPUT_URL":
        if prog.on_refresh_outputs is None:
            raise StateError("REFRESH_OUTPUT_URL: this programme has no live outputs (a preview)")
        prog.on_refresh_outputs(p.output_urls, p.stream_keys or [""] * len(p.output_urls))
        return SUCCESS
    raise StateError(f"command: {name} is not handled by the programme")


def _remote(layer) -> bool:
    """Does a smart layer name media by http(s) URL (a download: never on the frame thread)?"""
    refs = [layer.asset_id, getattr(layer.image_config, "image_url", None),
            getattr(layer.video_config, "video_url", None), getattr(layer.video_config, "video_cover_url", None)]
    return any(isinstance(r, str) and r.startswith(("http://", "https://")) for r in refs)


def _insert(prog, cmd, i: int) -> str:
    p = cmd.params
    if cmd.name == "INSERT_PLAY_SCRIPT":
        if cmd.command_id in prog._speaking_early:
            prog._speaking_early.discard(cmd.command_id)
        else:
            start_speech(prog, cmd)
    else:
        ref = p.audio_url
        if not ref.startswith(("http://", "https://")):  # a local file or asset: checked now (400)
            prog.library.resolve(ref, "AUDIO", field="params.audio_url")
        prog.prep.submit(("insert", cmd, ""), lambda: (prog.load_audio(ref, "params.audio_url"), ""))
    register_insert(prog, cmd)
    return SUCCESS


def start_speech(prog, cmd) -> None:
    """Make the speech of an INSERT_PLAY_SCRIPT (thread-safe: the prep queue)."""
    text = cmd.params.text_config.text
    prog.prep.submit(("insert", cmd, text), spoken, prog, text, cmd.params.play_role.value,
                     "params.text_config.text")


def spoken(prog, text: str, role: str, where: str):
    """The speech of an inserted line: plain text of several sentences is made (and played)
    sentence by sentence, so the first is heard as soon as it is spoken; SSML as a whole."""
    from render.interaction.robot import split_sentences

    parts = [text] if text.lstrip().startswith("<") else split_sentences(text, final=True)[0] or [text]
    if len(parts) == 1:
        return prog.synth(text, role, where), text
    return ((prog.synth(part, role, where), part) for part in parts)


def register_insert(prog, cmd) -> None:
    """An insert (EXTERNAL, or AUTO: a rule's reply) is listed and awaited until it starts."""
    record = {"command_id": cmd.command_id, "command": cmd.name, "params": cmd.raw_params,
              "source": cmd.source}
    prog.insert_log.append(record)
    prog._waiting[cmd.command_id] = record


def place(prog, done, i: int) -> None:
    kind, cmd, extra = done.tag
    if done.error is not None:
        err = done.error
        code, msg = (err.code, err.message) if isinstance(err, RenderError) else ("MSS.00000004", str(err))
        prog._emit("COMMAND_REJECTED", {**prog._ids(), "command": cmd.name, "command_id": cmd.command_id,
                                        "error_code": code, "error_msg": msg})
        if kind == "insert":
            prog._finish_id(cmd.command_id, i, f"{code} {msg}")
        return
    if kind == "layer":
        prog.show_overlay(done.result, i)
    elif kind == "rewrite":  # only the scripts change: rules or an exit policy set meanwhile stay
        room, scenes = prog.room.model_copy(update={"scene_scripts": extra.scene_scripts}), done.result
        if waits_for_signal(prog.room):  # auto_play_script false: this is the signal to start
            prog._apply_rewrite(signalled(room), scenes)
        elif prog.room.play_policy is not None and prog.room.play_policy.is_rewrite_delay:
            if prog._pending_rewrite is not None:  # a later rewrite replaces one still waiting
                for st in prog._pending_rewrite[1].values():
                    st.close()
            prog._pending_rewrite = (room, scenes)
        else:
            prog._apply_rewrite(room, scenes, now=True)
    elif kind == "insert":
        if done.part == 0 and cmd.command_id not in prog._waiting:  # cleaned up while being prepared
            return
        if done.part > 0 and cmd.command_id in prog._finished:  # the rest of an answer cleaned up
            return
        if done.result is None:  # the end of a streamed answer
            if done.part == 0:
                prog._finish_id(cmd.command_id, i, "NO_ANSWER")
            else:
                prog._continue(_item(prog, cmd, Clip(np.zeros(0, np.float32)), "", first=False, last=True, gap=0))
            return
        clip, text = done.result
        if done.part == 0:  # REPLY_START names the whole line when it is known
            prog._place(_item(prog, cmd, clip, extra or text, first=True, last=done.final), cmd.params.play_type, i)
        else:
            prog._continue(_item(prog, cmd, clip, text, first=False, last=done.final, gap=0))


def _item(prog, cmd, clip, text: str, *, first: bool, last: bool, gap: int | None = None) -> it.Item:
    p = cmd.params
    kind = it.INSERT if cmd.name == "INSERT_PLAY_SCRIPT" else it.AUDIO
    shown = prog.scene.compositor.subtitle_cues(clip.cues) if prog.scene is not None else None
    return it.make_item(kind, clip, prog.fps, gap=round(INSERT_GAP * prog.fps) if gap is None else gap, shown=shown,
                        role=p.play_role.value, command_id=cmd.command_id, rule_index=p.rule_index,
                        source=cmd.source, text=text, scene=prog.scene, first_slice=first, last_slice=last)


def current_scripts(prog) -> list[dict]:
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


def clean_up(prog, ids: list[str] | None, i: int) -> list[str]:
    """Drop inserts not yet started (all, or those of `ids`), each with its REPLY_COMMAND_FINISH."""
    wanted = None if ids is None else set(ids)

    def drop(item) -> bool:
        return item.is_insert and item.first_slice and (wanted is None or item.command_id in wanted)

    dropped = [q.command_id for q in prog.queue if drop(q)]
    prog.queue = type(prog.queue)(q for q in prog.queue if not drop(q))
    dropped += [q.command_id for _, _, q in prog.side_waiting if drop(q)]
    prog.side_waiting = [w for w in prog.side_waiting if not drop(w[2])]
    dropped += [cid for cid in prog._waiting if (wanted is None or cid in wanted) and cid not in dropped]
    for cid in dropped:
        prog._finish_id(cid, i, "CLEANED_UP")
    if prog.rules is not None:  # rule replies still in the engine's queue
        from render.programme.reactions import act

        queued = prog.rules.cancel_replies(ids)
        act(prog, queued, i)
        dropped += [o.message["reply_id"] for o in queued if o.event_type == "REPLY_COMMAND_FINISH"]
    return dropped


__all__ = ["PlayType", "clean_up", "place", "take"]
