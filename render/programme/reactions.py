"""The room reacting: what the rules engine (render.interaction) fired, turned into effects.

The programme core calls the engine (viewer events, the streamer's own sentences, its tick) and
hands what it answered to `effects`: an Observe becomes an event line, a ShowLayers overlays, a
Callback the interaction callback, and a Reply an `Insert` of a Command with source AUTO, the
very path an API insert takes. A rule's reply waits in the engine's bounded queue until the
previous rule reply has been heard (so replies never cut each other), then its speech is made in
Prep: a robot's answer streams, and its first sentence plays as soon as it is spoken.
Nothing here writes the programme's state.
"""
from __future__ import annotations

from collections.abc import Iterable

from render.interaction import answer_stream, dynamic_text
from render.interaction.actions import Callback, Observe, Reply, ShowLayers
from render.programme.commands import audio_line, error_of, remote, spoken
from render.programme.effects import (
    Effect,
    Emit,
    HoldReplyLayers,
    Insert,
    Job,
    Lane,
    Prepare,
    RedrawOverlay,
    SendCallback,
    ShowOverlay,
    ShowView,
    rejected,
)
from render.spec.commands import Command, InsertPlayAudio, InsertPlayScript
from render.spec.enums import TextType
from render.spec.models import TextConfig


def effects(prog: ShowView, actions: Iterable) -> list[Effect]:
    """The effects of what the engine answered, in its order."""
    out: list[Effect] = []
    for a in actions:
        if isinstance(a, Observe):
            out.append(Emit(a.event_type, a.message))
        elif isinstance(a, ShowLayers):
            out += show_layers(prog, a.layers, rule_index=a.rule_index)
        elif isinstance(a, Callback):
            out.append(SendCallback(a))
        elif isinstance(a, Reply):
            out += reply(prog, a)
    return out


def _filler(prog: ShowView):
    """DYNAMIC text filled with the viewer count when the overlay is drawn (maybe later, off the frame thread)."""
    return lambda text: dynamic_text(text, prog.rules.viewers if prog.rules is not None else None)


def show_layers(prog: ShowView, layers, *, rule_index=None, reply_id=None) -> list[Effect]:
    fill = _filler(prog)
    out: list[Effect] = []
    for n, layer in enumerate(layers):
        where = f"interaction_rules[{rule_index}].trigger.{'layer_config' if n == 0 else 'extra_layer_config'}"
        cmd = Command("SHOW_LAYER", None, source="AUTO")
        args = (prog, layer, where, rule_index, reply_id, fill)
        if remote(layer):
            out.append(Prepare(Lane.MEDIA, Job.LAYER, cmd, None, _build, args))
            continue
        try:
            out.append(ShowOverlay(_build(*args)))
        except Exception as e:  # noqa: BLE001 -- a broken rule layer is reported, the show goes on
            out += rejected(prog, cmd, *error_of(e))
    return out


def _build(prog: ShowView, layer, where: str, rule_index, reply_id, fill):
    return prog.build_overlay(layer, where, rule_index=rule_index, reply_id=reply_id, fill=fill)


def refresh_dynamic(prog: ShowView) -> list[Effect]:
    """DYNAMIC text overlays show the viewer count: redrawn when it changes."""
    out: list[Effect] = []
    for ov in prog.overlays:
        tc = ov.layer.text_config
        if tc is not None and getattr(tc.text_type, "value", tc.text_type) == TextType.DYNAMIC.value:
            out.append(RedrawOverlay(ov, prog.build_overlay(ov.layer, "layer_config", fill=_filler(prog))))
    return out


def reply(prog: ShowView, r: Reply) -> list[Effect]:
    """A rule's reply becomes an insert (source AUTO, command_id = reply_id), listed with the others."""
    if r.audio_ref:
        params: InsertPlayAudio | InsertPlayScript = InsertPlayAudio(
            audio_url=r.audio_ref, play_type=r.play_type, play_role=r.role, rule_index=r.rule_index)
        name = "INSERT_PLAY_AUDIO"
    else:
        params = InsertPlayScript(text_config=TextConfig(text=r.text or r.question or "…"),
                                  play_type=r.play_type, play_role=r.role, rule_index=r.rule_index)
        name = "INSERT_PLAY_SCRIPT"
    raw = params.model_dump(mode="json", exclude_none=True)
    cmd = Command(name, params, r.reply_id, "AUTO", raw)
    role = r.role
    if r.audio_ref:
        where = r.audio_field or "reply_audios"
        job = Prepare(Lane.SPEECH, Job.INSERT, cmd, "", audio_line, (prog, r.audio_ref, where))
    elif r.question:
        job = Prepare(Lane.SPEECH, Job.INSERT, cmd, "", _answered, (prog, r))
    else:
        text = r.text or ""
        job = Prepare(Lane.SPEECH, Job.INSERT, cmd, text, spoken,
                      (prog, text, role, f"interaction_rules[{r.rule_index}].trigger.reply_texts"))
    out: list[Effect] = [Insert(cmd)]
    if r.layers:  # shown when the reply starts playing (REPLY_START), not now
        out.append(HoldReplyLayers(r.reply_id, r.layers, r.rule_index))
    out.append(job)
    return out


def _answered(prog: ShowView, r: Reply):
    """A robot's answer, spoken sentence by sentence as it streams."""
    for sentence in answer_stream(r, prog.library):
        yield prog.synth(sentence, r.role, f"interaction_rules[{r.rule_index}].robot answer"), sentence


__all__ = ["effects", "refresh_dynamic", "reply", "show_layers"]
