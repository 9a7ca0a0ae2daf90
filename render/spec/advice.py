"""Warnings for what a room asks that smartlive accepts without doing as asked (issue 25): fields
without effect, a picture squeezed into the output. Each names the field. Pure."""
from __future__ import annotations

from render.spec.constraints import canvas_size
from render.spec.models import Room

_CALLBACK_MODES = ("CALLBACK", "SYSTEM_REPLY_AND_CALLBACK")


def _v(e):
    return getattr(e, "value", e)


def _layer_warnings(layers, at: str) -> list[str]:
    return [f"{at}[{n}].group_id: accepted without effect (layers are not grouped; each draws on its own)"
            for n, layer in enumerate(layers or []) if layer is not None and layer.group_id]


def advice_warnings(room: Room) -> list[str]:
    return inert_warnings(room) + squeeze_warnings(room)


def squeeze_warnings(room: Room) -> list[str]:
    """A RESIZE output whose shape is not the canvas's (LANDSCAPE content in a portrait output)."""
    vc = room.video_config
    if vc is None or _v(vc.clip_mode) != "RESIZE":
        return []
    cw, ch = canvas_size(room.view_mode)
    if (cw > ch) == (vc.width > vc.height) or vc.width == vc.height:
        return []
    return [f"video_config: view_mode {_v(room.view_mode)} draws a {cw}x{ch} canvas and RESIZE squeezes it into "
            f"{vc.width}x{vc.height}, distorting the picture; use a {'landscape' if cw > ch else 'portrait'} "
            "size, clip_mode CROP, or the other view_mode"]


def inert_warnings(room: Room) -> list[str]:
    """Fields smartlive accepts and does not act on."""
    out = []
    policy = room.play_policy
    if policy is not None and policy.need_independent_capture_client:
        out.append("play_policy.need_independent_capture_client: accepted without effect (smartlive needs no "
                   "separate capture device: the job itself renders and pushes the stream)")
    if room.backup_model_asset_ids:
        out.append("backup_model_asset_ids: accepted without effect (each scene draws its own model_asset_id)")
    if room.review_config is not None:
        out.append("review_config: accepted without effect (smartlive reviews no content)")
    if room.shared_config is not None:
        out.append("shared_config: accepted without effect (rooms are not shared between projects)")
    cb = room.live_event_callback_config
    if cb is not None and _v(cb.auth_type) == "MEITUAN_DEFAULT":
        out.append("live_event_callback_config.auth_type: MEITUAN_DEFAULT is accepted without effect "
                   "(callbacks are posted unsigned, as with NONE)")
    for s, scene in enumerate(room.scene_scripts or []):
        if scene.dh_id:
            out.append(f"scene_scripts[{s}].dh_id: accepted without effect (the streamer is model_asset_id)")
        out += _layer_warnings(scene.layer_config, f"scene_scripts[{s}].layer_config")
    has_callback_url = bool((room.model_extra or {}).get("interaction_callback_url"))
    for r, rule in enumerate(room.interaction_rules or []):
        at = f"interaction_rules[{r}]"
        if rule.review_config is not None:
            out.append(f"{at}.review_config: accepted without effect (smartlive reviews no content)")
        trig = rule.trigger
        if trig is None:
            continue
        if _v(trig.reply_mode) in _CALLBACK_MODES and not has_callback_url:
            out.append(f"{at}.trigger.reply_mode: {_v(trig.reply_mode)} posts to the job's interaction_callback_url "
                       "(the start body's field, or --interaction-callback-url); without one nothing is posted")
    return out
