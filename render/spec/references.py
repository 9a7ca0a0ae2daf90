"""Every media reference a room makes: (JSON path, reference, asset kind), and their check."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from render.errors import RenderError
from render.spec.models import BackgroundType, Room

_BG_KIND = {BackgroundType.IMAGE: "IMAGE", BackgroundType.IMAGE_2D: "IMAGE",
            BackgroundType.VIDEO: "VIDEO", BackgroundType.AUDIO: "AUDIO"}


def background_reference(bg, at: str) -> tuple[str, str, str] | None:
    """(field, reference, kind) of a background with media; None for COLOR."""
    kind = _BG_KIND.get(bg.background_type)
    if kind is None:
        return None
    ref_field = "background_config" if bg.background_config else "background_asset_id"
    return f"{at}.{ref_field}", getattr(bg, ref_field), kind


def video_reference(layer, at: str) -> tuple[str, str] | None:
    """(field, reference) of a layer's video: video_config.video_url, else a VIDEO layer's asset_id."""
    vc = layer.video_config
    if vc and vc.video_url:
        return f"{at}.video_config.video_url", vc.video_url
    if layer.layer_type.value == "VIDEO" and layer.asset_id:
        return f"{at}.asset_id", layer.asset_id
    return None


def scene_sounds(room: Room, s: int) -> Iterator[tuple[str, str, str, int | None]]:
    """(field, reference, kind, loops) of what sounds under scene s while it shows: its AUDIO and
    VIDEO backgrounds (looping) and its VIDEO layers (loop_count times, or looping)."""
    scene = (room.scene_scripts or [])[s]
    for b, bg in enumerate(scene.background_config or []):
        found = background_reference(bg, f"scene_scripts[{s}].background_config[{b}]")
        if found and found[2] in ("AUDIO", "VIDEO"):
            yield (*found, None)
    for i, layer in enumerate(scene.layer_config or []):
        video = video_reference(layer, f"scene_scripts[{s}].layer_config[{i}]") \
            if layer.layer_type.value == "VIDEO" else None
        if video:
            yield (*video, "VIDEO", (layer.video_config.loop_count or None) if layer.video_config else None)


def media_references(room: Room) -> Iterator[tuple[str, str, str]]:
    for s, scene in enumerate(room.scene_scripts or []):
        at = f"scene_scripts[{s}]"
        if scene.model_asset_id:
            yield f"{at}.model_asset_id", scene.model_asset_id, "HUMAN_MODEL"
        if scene.voice_config:
            yield f"{at}.voice_config.voice_asset_id", scene.voice_config.voice_asset_id, "VOICE"
        for b, bg in enumerate(scene.background_config or []):
            found = background_reference(bg, f"{at}.background_config[{b}]")
            if found:
                yield found
        for i, layer in enumerate(scene.layer_config or []):
            lat = f"{at}.layer_config[{i}]"
            if layer.image_config and layer.image_config.image_url:
                yield f"{lat}.image_config.image_url", layer.image_config.image_url, "IMAGE"
            elif layer.layer_type.value == "IMAGE" and layer.asset_id:
                yield f"{lat}.asset_id", layer.asset_id, "IMAGE"
            video = video_reference(layer, lat)
            if video:
                yield (*video, "VIDEO")
            vc = layer.video_config
            if vc and vc.video_cover_url:
                yield f"{lat}.video_config.video_cover_url", vc.video_cover_url, "IMAGE"
        for p, para in enumerate(scene.shoot_scripts):
            ac = para.audio_config
            if ac is None:
                continue
            pat = f"{at}.shoot_scripts[{p}].audio_config"
            if ac.audio_url:
                yield f"{pat}.audio_url", ac.audio_url, "AUDIO"
            elif ac.asset_id:
                yield f"{pat}.asset_id", ac.asset_id, "AUDIO"
            if ac.subtitle_url:
                yield f"{pat}.subtitle_url", ac.subtitle_url, "SUBTITLE"
    if room.co_streamer_config and room.co_streamer_config.voice_config:
        yield ("co_streamer_config.voice_config.voice_asset_id",
               room.co_streamer_config.voice_config.voice_asset_id, "VOICE")


def check_media(room: Room, library, *, open_media: Callable[[Path, str, str], None] | None = None
                ) -> list[RenderError]:
    """Every media reference resolved (asset ids, paths, file://) under the library's media
    policy, one error per reference that fails, each naming its field. http(s) URLs are checked
    against the policy (resolved, not contacted); given `open_media(path, kind, field)` (the
    renderer's own loaders: render.media.open_media, passed in by the caller, a layer above),
    they are also downloaded and every file is opened with it."""
    open_files = open_media is not None
    problems = []
    for field, ref, kind in media_references(room):
        try:
            path = None
            if ref.lower().startswith(("http://", "https://")) and not open_files:
                library.check_url(ref, field)
            elif kind in ("VOICE", "HUMAN_MODEL"):
                asset = library.asset(ref, kind, field)
                path = asset.path
                if kind == "VOICE" and (asset.meta or {}).get("engine") == "http":  # a speech server's URL
                    library.check_url(str(asset.meta.get("url") or ""), field)
            else:
                path = library.resolve(ref, kind, field)
            if open_media is not None and path is not None and kind != "VOICE":
                open_media(path, kind, field)
        except RenderError as e:
            problems.append(e)
    return problems
