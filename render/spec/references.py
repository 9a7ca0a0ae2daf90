"""The one resolver of media references: which field of a room, a layer, a paragraph, a rule or a
command names which media, and how that reference becomes a file (or an asset).

Validation (`check_media`), the layer builders (scene and smart layers), the scene's sounds and
the API's media policy all go through here, so they cannot disagree on what a field means:

    ref = image_ref(layer, "scene_scripts[0].layer_config[2]")   # MediaRef(field, ref, kind) | None
    path = resolve(library, ref)                                  # a readable local file
    asset = resolve_asset(library, human_ref(...))                # HUMAN_MODEL / VOICE assets
    check_refs(library, command_refs(cmd))                        # [RenderError] under the policy
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from render.errors import RenderError, SpecError
from render.spec.enums import ReplyMode
from render.spec.models import BackgroundType, Room

if TYPE_CHECKING:
    from render.assets import Asset, AssetLibrary

_BG_KIND = {BackgroundType.IMAGE: "IMAGE", BackgroundType.IMAGE_2D: "IMAGE",
            BackgroundType.VIDEO: "VIDEO", BackgroundType.AUDIO: "AUDIO"}
ASSET_KINDS = ("VOICE", "HUMAN_MODEL", "ROBOT")  # only ever asset ids (no files, no URLs)
NOT_OPENED = ("VOICE", "ROBOT")  # assets open_media has no loader for (a robot file is parsed by its engine)


@dataclass(frozen=True)
class MediaRef:
    """One media reference: the JSON path of its field, the reference as written (an asset id,
    a path, a file:// or http(s):// URL) and the kind of media it must be."""

    field: str
    ref: str
    kind: str  # IMAGE | VIDEO | AUDIO | SUBTITLE | VOICE | HUMAN_MODEL | ROBOT

    @property
    def remote(self) -> bool:
        """Named by http(s) URL: a download (never on the frame thread; checked, not fetched, at validate)."""
        return self.ref.lower().startswith(("http://", "https://"))


# ---- which field names the media ------------------------------------------------------------

def background_ref(bg, at: str) -> MediaRef | None:
    """A background's picture, video or sound (background_config, else background_asset_id); None for COLOR."""
    kind = _BG_KIND.get(bg.background_type)
    if kind is None:
        return None
    ref_field = "background_config" if bg.background_config else "background_asset_id"
    return MediaRef(f"{at}.{ref_field}", getattr(bg, ref_field), kind)


def image_ref(layer, at: str) -> MediaRef | None:
    """A layer's picture (scene or smart layer): image_config.image_url, else an IMAGE layer's asset_id."""
    if layer.image_config and layer.image_config.image_url:
        return MediaRef(f"{at}.image_config.image_url", layer.image_config.image_url, "IMAGE")
    if layer.layer_type.value == "IMAGE" and layer.asset_id:
        return MediaRef(f"{at}.asset_id", layer.asset_id, "IMAGE")
    return None


def video_ref(layer, at: str) -> MediaRef | None:
    """A layer's video: video_config.video_url, else a VIDEO layer's asset_id."""
    vc = layer.video_config
    if vc and vc.video_url:
        return MediaRef(f"{at}.video_config.video_url", vc.video_url, "VIDEO")
    if layer.layer_type.value == "VIDEO" and layer.asset_id:
        return MediaRef(f"{at}.asset_id", layer.asset_id, "VIDEO")
    return None


def cover_ref(layer, at: str) -> MediaRef | None:
    """A video layer's cover picture (video_config.video_cover_url)."""
    vc = layer.video_config
    if vc and vc.video_cover_url:
        return MediaRef(f"{at}.video_config.video_cover_url", vc.video_cover_url, "IMAGE")
    return None


def human_ref(layer, scene, scene_at: str, at: str) -> MediaRef | None:
    """The model a HUMAN layer shows: its asset_id, else the scene's model_asset_id; None: the
    drawn placeholder. `layer` None: the scene's default streamer (no HUMAN layer)."""
    if layer is not None and layer.asset_id:
        return MediaRef(f"{at}.asset_id", layer.asset_id, "HUMAN_MODEL")
    if scene.model_asset_id:
        return MediaRef(f"{scene_at}.model_asset_id", scene.model_asset_id, "HUMAN_MODEL")
    return None


def audio_ref(audio_config, at: str) -> MediaRef | None:
    """A paragraph's recorded sound (`at` is its audio_config): audio_url, else asset_id."""
    ac = audio_config
    if ac is None:
        return None
    if ac.audio_url:
        return MediaRef(f"{at}.audio_url", ac.audio_url, "AUDIO")
    if ac.asset_id:
        return MediaRef(f"{at}.asset_id", ac.asset_id, "AUDIO")
    return None


def subtitle_ref(audio_config, at: str) -> MediaRef | None:
    """A recorded paragraph's subtitles (audio_config.subtitle_url)."""
    if audio_config is not None and audio_config.subtitle_url:
        return MediaRef(f"{at}.subtitle_url", audio_config.subtitle_url, "SUBTITLE")
    return None


def layer_refs(layer, at: str) -> Iterator[MediaRef]:
    """Every media reference of a scene layer or a smart layer (SHOW_LAYER, a rule's layer)."""
    for found in (image_ref(layer, at), video_ref(layer, at), cover_ref(layer, at)):
        if found is not None:
            yield found


# ---- what a room, its rules and a command name -------------------------------------------------

def scene_sounds(room: Room, s: int) -> Iterator[tuple[MediaRef, int | None]]:
    """(reference, loops) of what sounds under scene s while it shows: its AUDIO and VIDEO
    backgrounds (looping) and its VIDEO layers (loop_count times, or looping)."""
    scene = (room.scene_scripts or [])[s]
    for b, bg in enumerate(scene.background_config or []):
        found = background_ref(bg, f"scene_scripts[{s}].background_config[{b}]")
        if found and found.kind in ("AUDIO", "VIDEO"):
            yield found, None
    for i, layer in enumerate(scene.layer_config or []):
        found = video_ref(layer, f"scene_scripts[{s}].layer_config[{i}]") \
            if layer.layer_type.value == "VIDEO" else None
        if found:
            yield found, (layer.video_config.loop_count or None) if layer.video_config else None


def scene_refs(scenes, at: str = "scene_scripts") -> Iterator[MediaRef]:
    """Every media reference of a list of scenes (a room's, or a REWRITE_PLAY_SCRIPT's)."""
    for s, scene in enumerate(scenes or []):
        sat = f"{at}[{s}]"
        if scene.model_asset_id:
            yield MediaRef(f"{sat}.model_asset_id", scene.model_asset_id, "HUMAN_MODEL")
        if scene.voice_config:
            yield MediaRef(f"{sat}.voice_config.voice_asset_id", scene.voice_config.voice_asset_id, "VOICE")
        for b, bg in enumerate(scene.background_config or []):
            found = background_ref(bg, f"{sat}.background_config[{b}]")
            if found:
                yield found
        for i, layer in enumerate(scene.layer_config or []):
            lat = f"{sat}.layer_config[{i}]"
            if layer.layer_type.value == "HUMAN" and layer.asset_id:
                yield MediaRef(f"{lat}.asset_id", layer.asset_id, "HUMAN_MODEL")
            yield from layer_refs(layer, lat)
        for p, para in enumerate(scene.shoot_scripts):
            pat = f"{sat}.shoot_scripts[{p}].audio_config"
            for found in (audio_ref(para.audio_config, pat), subtitle_ref(para.audio_config, pat)):
                if found:
                    yield found


def media_references(room: Room) -> Iterator[MediaRef]:
    """Every media reference of a room's scenes and co-streamer (what `validate` opens)."""
    yield from scene_refs(room.scene_scripts)
    if room.co_streamer_config and room.co_streamer_config.voice_config:
        yield MediaRef("co_streamer_config.voice_config.voice_asset_id",
                       room.co_streamer_config.voice_config.voice_asset_id, "VOICE")


def rule_refs(rules, at: str = "interaction_rules") -> Iterator[MediaRef]:
    """Every media reference of interaction rules: reply audios, reply layers, and the robot an
    INTELLIGENT_REPLY rule asks."""
    for r, rule in enumerate(rules or []):
        yield from one_rule_refs(rule, f"{at}[{r}]")


def one_rule_refs(rule, at: str) -> Iterator[MediaRef]:
    """The media references of one interaction rule (`at` is its path)."""
    trig = rule.trigger
    if trig is None:
        return
    tat = f"{at}.trigger"
    if trig.robot_id and getattr(trig.reply_mode, "value", trig.reply_mode) == ReplyMode.INTELLIGENT_REPLY.value:
        yield MediaRef(f"{tat}.robot_id", trig.robot_id, "ROBOT")
    for a, audio in enumerate(trig.reply_audios or []):
        if audio.audio_url:
            yield MediaRef(f"{tat}.reply_audios[{a}].audio_url", audio.audio_url, "AUDIO")
    for name in ("layer_config", "extra_layer_config"):
        layer = getattr(trig, name)
        if layer is not None:
            yield from layer_refs(layer, f"{tat}.{name}")


def command_refs(cmd) -> Iterator[MediaRef]:
    """Every media reference of a parsed command (render.spec.commands.Command): SHOW_LAYER's
    layer, INSERT_PLAY_AUDIO's audio_url, REWRITE_PLAY_SCRIPT's scenes, REWRITE_INTERACTION_RULES' rules."""
    p = cmd.params
    if cmd.name == "SHOW_LAYER":
        yield from layer_refs(p.layer_config, "params.layer_config")
    elif cmd.name == "INSERT_PLAY_AUDIO":
        yield MediaRef("params.audio_url", p.audio_url, "AUDIO")
    elif cmd.name == "REWRITE_PLAY_SCRIPT":
        yield from scene_refs(p.scene_scripts, "params.scene_scripts")
    elif cmd.name == "REWRITE_INTERACTION_RULES":
        yield from rule_refs(p.interaction_rules, "params.interaction_rules")


# ---- from reference to file -----------------------------------------------------------------

def needed(r: MediaRef | None, at: str) -> MediaRef:
    """A reference the model guarantees (its validators demand one); SpecError naming `at` if absent."""
    if r is None:
        raise SpecError(f"{at}: no media reference")
    return r


def resolve(library: AssetLibrary, r: MediaRef) -> Path:
    """The readable local file of a reference (downloaded when http(s)), under the library's
    media policy; AssetNotFoundError / MediaFileError / SpecError naming the field."""
    return library.resolve(r.ref, r.kind, r.field)


def resolve_asset(library: AssetLibrary, r: MediaRef) -> Asset:
    """The asset of a VOICE or HUMAN_MODEL reference (these are asset ids only)."""
    return library.asset(r.ref, r.kind, r.field)


def check_refs(library: AssetLibrary, refs: Iterable[MediaRef], *,
               open_media: Callable[[Path, str, str], None] | None = None) -> list[RenderError]:
    """One error per reference that does not resolve under the library's media policy, each
    naming its field. http(s) URLs are checked against the policy (resolved, not contacted);
    given `open_media(path, kind, field)` (the renderer's own loaders: render.media.open_media,
    passed in by the caller, a layer above), they are also downloaded and every file is opened."""
    open_files = open_media is not None
    problems = []
    for r in refs:
        try:
            path = None
            if r.remote and not open_files:
                library.check_url(r.ref, r.field)
            elif r.kind in ASSET_KINDS:
                asset = resolve_asset(library, r)
                path = asset.path
                if r.kind == "VOICE" and (asset.meta or {}).get("engine") == "http":  # a speech server's URL
                    library.check_url(str(asset.meta.get("url") or ""), r.field)
            else:
                path = resolve(library, r)
            if open_media is not None and path is not None and r.kind not in NOT_OPENED:
                open_media(path, r.kind, r.field)
        except RenderError as e:
            problems.append(e)
    return problems


def check_media(room: Room, library: AssetLibrary, *,
                open_media: Callable[[Path, str, str], None] | None = None) -> list[RenderError]:
    """Every media reference of a room resolved (see check_refs)."""
    return check_refs(library, media_references(room), open_media=open_media)
