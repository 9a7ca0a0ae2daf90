"""The room reacting: viewer events and the streamer's own sentences through the rules engine
(render.interaction), its actions turned into the programme's items, overlays and callbacks.

Runs on the frame thread. A rule's reply waits in the engine's bounded queue until the previous
rule reply has been heard (so replies never cut each other), then its speech is made in Prep:
a robot's answer streams, and its first sentence plays as soon as it is spoken.
"""
from __future__ import annotations

import time

from render.interaction import Interaction, answer_stream, dynamic_text
from render.interaction.actions import Callback, Observe, Reply, ShowLayers
from render.programme import commands
from render.spec.commands import Command, InsertPlayAudio, InsertPlayScript
from render.spec.models import TextConfig


def engine_for(prog, seed):
    """The rules engine of a programme (kept even with no rules: REWRITE_INTERACTION_RULES may add some)."""
    wall = None if prog.prep.sync else time.time  # live: reply ages count from the events' timestamps
    return Interaction(prog.room, prog.library, seed=seed, room_id=prog.room_id, job_id=prog.job_id, wall=wall)


def _scene(prog) -> str | None:
    return prog.scene.name if prog.scene is not None else None


def on_event(prog, ev, i: int) -> None:
    act(prog, prog.rules.on_event(ev, i / prog.fps, _scene(prog)), i)
    if ev.type == 6:  # redrawn once per frame at most (tick), however many counts arrive
        prog.viewers_changed = True


def on_sentence(prog, text: str, i: int) -> None:
    act(prog, prog.rules.on_sentence(text, i / prog.fps, _scene(prog)), i)


def tick(prog, i: int) -> None:
    """Gift windows that closed, then the next queued reply when none is on its way."""
    now = i / prog.fps
    act(prog, prog.rules.tick(now, _scene(prog)), i)
    if getattr(prog, "viewers_changed", False):
        prog.viewers_changed = False
        refresh_dynamic(prog)
    if prog.auto_reply is not None and prog.auto_reply not in prog._finished:
        return
    reply, dropped = prog.rules.next_reply(now)
    act(prog, dropped, i)
    if reply is not None:
        speak_reply(prog, reply, i)


def act(prog, actions, i: int) -> None:
    for a in actions:
        if isinstance(a, Observe):
            prog._emit(a.event_type, a.message)
        elif isinstance(a, ShowLayers):
            show_layers(prog, a.layers, i, rule_index=a.rule_index)
        elif isinstance(a, Callback):
            if prog.callbacks is not None:
                prog.callbacks.send(a)
        elif isinstance(a, Reply):
            speak_reply(prog, a, i)


def show_layers(prog, layers, i: int, *, rule_index=None, reply_id=None) -> None:
    def fill(text: str) -> str:
        return dynamic_text(text, prog.rules.viewers)

    for n, layer in enumerate(layers):
        where = f"interaction_rules[{rule_index}].trigger.{'layer_config' if n == 0 else 'extra_layer_config'}"

        def build(layer=layer, where=where):
            return prog.build_overlay(layer, where, rule_index=rule_index, reply_id=reply_id, fill=fill)
        tag = ("layer", Command("SHOW_LAYER", None, source="AUTO"), None)
        if commands._remote(layer):
            prog.media.submit(tag, build)
        else:
            try:
                prog.show_overlay(build(), i)
            except Exception as e:  # noqa: BLE001 -- a broken rule layer is reported, the show goes on
                from render.programme.prep import Done

                commands.place(prog, Done(tag, error=e), i)


def show_reply_layers(prog, reply_id: str, i: int) -> None:
    """A rule reply starts playing: its layer_config / extra_layer_config appear with it (and hide
    when it ends, unless display_duration says otherwise)."""
    layers, rule_index = prog.reply_layers.pop(reply_id)
    show_layers(prog, layers, i, rule_index=rule_index, reply_id=reply_id)


def refresh_dynamic(prog) -> None:
    """DYNAMIC text overlays show the viewer count: redrawn when it changes."""
    for ov in prog.overlays:
        tc = ov.layer.text_config
        if tc is not None and getattr(tc.text_type, "value", tc.text_type) == "DYNAMIC":
            fresh = prog.build_overlay(ov.layer, "layer_config", fill=lambda t: dynamic_text(t, prog.rules.viewers))
            ov.item, ov._ops = fresh.item, {}


def speak_reply(prog, reply: Reply, i: int) -> None:
    """A rule's reply becomes an insert (source AUTO, command_id = reply_id), listed with the others."""
    if reply.audio_ref:
        params = InsertPlayAudio(audio_url=reply.audio_ref, play_type=reply.play_type, play_role=reply.role,
                                 rule_index=reply.rule_index)
        name = "INSERT_PLAY_AUDIO"
    else:
        params = InsertPlayScript(text_config=TextConfig(text=reply.text or reply.question or "…"),
                                  play_type=reply.play_type, play_role=reply.role, rule_index=reply.rule_index)
        name = "INSERT_PLAY_SCRIPT"
    raw = params.model_dump(mode="json", exclude_none=True)
    cmd = Command(name, params, reply.reply_id, "AUTO", raw)
    commands.register_insert(prog, cmd)
    prog.auto_reply = cmd.command_id
    if reply.layers:  # shown when the reply starts playing (REPLY_START), not now
        prog.reply_layers[reply.reply_id] = (reply.layers, reply.rule_index)
    role = reply.role
    if reply.audio_ref:
        where = reply.audio_field or "reply_audios"
        prog.prep.submit(("insert", cmd, ""), lambda: (prog.load_audio(reply.audio_ref, where), ""))
    elif reply.question:
        def answered():
            for sentence in answer_stream(reply, prog.library):
                yield prog.synth(sentence, role, f"interaction_rules[{reply.rule_index}].robot answer"), sentence
        prog.prep.submit(("insert", cmd, ""), answered)
    else:
        text = reply.text or ""
        where = f"interaction_rules[{reply.rule_index}].trigger.reply_texts"
        prog.prep.submit(("insert", cmd, text), commands.spoken, prog, text, role, where)


__all__ = ["engine_for", "on_event", "on_sentence", "tick"]
