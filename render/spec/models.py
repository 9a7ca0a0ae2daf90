"""The room spec: tables 3-32 of create-smart-live-room.txt as pydantic v2 models.

Attribute names are the JSON names. Ranges and enums are as the tables write them;
the notes' rules that involve one object are validators here, the rules that span
the room (output pairing, RESIZE sizes, CROP inside the canvas) are in `constraints.py`.
Unknown fields are kept (extra="allow") so `load.py` can list them as warnings.
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Literal
from urllib.parse import urlparse

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from render.spec.enums import (  # noqa: F401 (re-exported: models and enums are used together)
    AuthType,
    AutoStopMode,
    BackgroundType,
    CallbackEventType,
    ClipMode,
    Codec,
    FontName,
    LayerType,
    Match,
    Operation,
    PlayMode,
    PlayType,
    RandomPlayMode,
    Relation,
    ReplyMode,
    ReplyOrder,
    Role,
    RoomType,
    RtcEventType,
    SharedState,
    SharedType,
    SmartLayerType,
    StreamerAction,
    SubtitleFontName,
    TextType,
    ViewMode,
)


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="allow", use_enum_values=False, populate_by_name=True)


# ---- enums (values exactly as the tables write them) ----------------------------------

# ---- value checks ----------------------------------------------------------------------

_COLOR = re.compile(r"^#?[0-9A-Fa-f]{6}$")


def _color(v: str) -> str:
    if not _COLOR.match(v):
        raise PydanticCustomError("color", "must be an RGB colour like #RRGGBB or RRGGBB, not {v}",
                                  {"v": repr(v)})
    return v


def _base64_utf8(v: str) -> str:
    try:
        base64.b64decode(v, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise PydanticCustomError("base64", "must be base64 of UTF-8 text (the spec's text_context rule)") from None
    return v


def _suffix(*exts: str, what: str):
    def check(v: str) -> str:
        path = urlparse(v).path if "://" in v else v
        if not path.lower().endswith(exts):
            raise PydanticCustomError("format", "only {what} is supported, not {v}", {"what": what, "v": repr(v)})
        return v
    return check


def _upper(v):
    return v.upper() if isinstance(v, str) else v


Color = Annotated[str, AfterValidator(_color)]
Base64Text = Annotated[str, AfterValidator(_base64_utf8)]
FontSize = Annotated[int, Field(ge=4, le=120)]
DisplayDuration = Annotated[int, Field(ge=0)]


# ---- table 32, 31 ----------------------------------------------------------------------

class VoiceConfig(SpecModel):
    voice_asset_id: str
    speed: int = Field(100, ge=50, le=200)
    pitch: int = Field(100, ge=50, le=200)
    volume: int = Field(140, ge=90, le=240)


class CoStreamerConfig(SpecModel):
    voice_config: VoiceConfig | None = None
    streamer_action: StreamerAction | None = None


# ---- tables 5-11: backgrounds and layers ------------------------------------------------

class BackgroundConfigInfo(SpecModel):
    background_type: BackgroundType
    background_config: str | None = None
    background_color_config: Color | None = None
    background_asset_id: str | None = None

    @model_validator(mode="after")
    def _needs_source(self):
        t = self.background_type
        if t == BackgroundType.IMAGE and not (self.background_config or self.background_asset_id):
            raise PydanticCustomError("needs", "an IMAGE background needs background_config or background_asset_id")
        if t == BackgroundType.COLOR and not self.background_color_config:
            raise PydanticCustomError(
                "needs", "background_color_config is required when background_type is COLOR")
        if t in (BackgroundType.IMAGE_2D, BackgroundType.VIDEO, BackgroundType.AUDIO) and not (
                self.background_config or self.background_asset_id):
            raise PydanticCustomError(
                "needs", "a {t} background needs background_config or background_asset_id", {"t": t.value})
        return self


class LayerPositionConfig(SpecModel):
    dx: int
    dy: int
    layer_index: int = Field(ge=1)


class LayerSizeConfig(SpecModel):
    width: int | None = Field(None, ge=1)
    height: int | None = Field(None, ge=1)


class ImageLayerConfig(SpecModel):
    image_url: str | None = None


class VideoLayerConfig(SpecModel):
    video_url: str | None = None
    video_cover_url: str | None = None
    loop_count: int | None = Field(None, ge=0)


class TextLayerConfig(SpecModel):
    text_context: Base64Text | None = None
    font_name: FontName = FontName.HarmonyOS_Sans_SC_Regular
    font_size: FontSize = 40
    font_color: Color = "#FFFFFF"


def _layer_needs(layer, kind: str) -> None:
    """The media rule of tables 6 and 19: IMAGE needs an image, VIDEO a video, TEXT text."""
    if kind == "IMAGE" and not (layer.asset_id or (layer.image_config and layer.image_config.image_url)):
        raise PydanticCustomError("needs", "an IMAGE layer needs image_config.image_url or asset_id")
    if kind == "VIDEO" and not (layer.asset_id or (layer.video_config and layer.video_config.video_url)):
        raise PydanticCustomError("needs", "a VIDEO layer needs video_config.video_url or asset_id")
    if kind == "TEXT" and not (layer.text_config and layer.text_config.text_context):
        raise PydanticCustomError("needs", "a TEXT layer needs text_config.text_context")


class LayerConfig(SpecModel):
    layer_type: LayerType
    asset_id: str | None = None
    group_id: str | None = None
    position: LayerPositionConfig | None = None
    size: LayerSizeConfig | None = None
    image_config: ImageLayerConfig | None = None
    video_config: VideoLayerConfig | None = None
    text_config: TextLayerConfig | None = None

    @model_validator(mode="after")
    def _media(self):
        _layer_needs(self, self.layer_type.value)
        return self


# ---- tables 12-14: paragraphs -------------------------------------------------------------

class TextConfig(SpecModel):
    text: str = Field(min_length=1)


class LiveAudioConfig(SpecModel):
    asset_id: str | None = None
    audio_url: Annotated[str, AfterValidator(_suffix(".mp3", what="MP3"))] | None = None
    subtitle_url: Annotated[str, AfterValidator(_suffix(".srt", what="SRT"))] | None = None


class LiveShootScriptItem(SpecModel):
    sequence_no: int | None = None
    title: str | None = None
    text_config: TextConfig | None = None
    audio_config: LiveAudioConfig | None = None

    @model_validator(mode="after")
    def _has_content(self):
        if self.text_config is None and self.audio_config is None:
            raise PydanticCustomError("needs", "a paragraph needs text_config or audio_config")
        if self.audio_config is not None and self.text_config is None and not (
                self.audio_config.asset_id or self.audio_config.audio_url):
            raise PydanticCustomError("needs", "audio_config needs asset_id or audio_url")
        return self


class LiveVideoScriptInfo(SpecModel):
    script_id: str | None = None
    script_name: str
    script_description: str | None = None
    dh_id: str | None = None
    model_asset_id: str | None = None
    voice_config: VoiceConfig | None = None
    background_config: list[BackgroundConfigInfo] | None = None
    layer_config: list[LayerConfig] | None = None
    shoot_scripts: list[LiveShootScriptItem] = Field(min_length=1)  # [] would render silence


# ---- tables 15-23: interaction rules --------------------------------------------------------

class HitConditionTag(SpecModel):
    tag: str | None = None
    operation: Annotated[Operation, BeforeValidator(_upper)] | None = None
    match: Annotated[Match, BeforeValidator(_upper)] | None = None
    value: str | None = None


class HitCondition(SpecModel):
    relation: Annotated[Relation, BeforeValidator(_upper)] | None = None
    priority: int = Field(500, ge=0, le=999)
    tags: list[HitConditionTag] | None = None


class SmartImageLayerConfig(SpecModel):
    image_url: str
    display_duration: DisplayDuration | None = None


class SmartVideoLayerConfig(SpecModel):
    video_url: str
    video_cover_url: str | None = None
    display_duration: DisplayDuration | None = None


class SmartTextLayerConfig(SpecModel):
    text_type: TextType | None = None
    text_context: str | None = None
    font_name: FontName = FontName.HarmonyOS_Sans_SC_Regular
    font_size: FontSize = 40
    font_color: Color = "#FFFFFF"
    display_duration: DisplayDuration | None = None


class SmartLayerConfig(SpecModel):
    layer_type: SmartLayerType
    asset_id: str | None = None
    position: LayerPositionConfig | None = None
    size: LayerSizeConfig | None = None
    image_config: SmartImageLayerConfig | None = None
    video_config: SmartVideoLayerConfig | None = None
    text_config: SmartTextLayerConfig | None = None

    @model_validator(mode="after")
    def _media(self):
        _layer_needs(self, self.layer_type.value)
        return self


class ReplyAudioInfo(SpecModel):
    audio_url: str | None = None
    audio_name: str | None = None


class TriggerProcess(SpecModel):
    time_window: int | None = Field(None, ge=-1)
    reply_mode: ReplyMode | None = None
    layer_config: SmartLayerConfig | None = None
    extra_layer_config: SmartLayerConfig | None = None
    reply_texts: list[Annotated[str, Field(max_length=1024)]] | None = Field(None, max_length=5)
    reply_audios: list[ReplyAudioInfo] | None = Field(None, max_length=5)
    reply_order: ReplyOrder | None = None
    reply_role: Role = Role.STREAMER
    robot_id: str | None = None
    play_type: Annotated[PlayType, BeforeValidator(_upper)] | None = None  # the SDK's field (interaction.md)


class InteractionConfig(SpecModel):
    """The room's defaults for replies (interaction.md): play_type, and whether a PLAY_NOW cut
    replays the cut sentence (false) or skips it (true)."""

    play_type: Annotated[PlayType, BeforeValidator(_upper)] | None = None
    ignore_current_sentence: bool = False


class ReviewConfig(SpecModel):
    no_need_review: bool | None = None


class LiveRoomInteractionRuleInfo(SpecModel):
    rule_index: str | None = None
    rule_name: str | None = None
    enabled: bool | None = None
    event_type: Literal[1, 2, 3, 4, 6, 10] | None = None
    hit_condition: HitCondition | None = None
    trigger: TriggerProcess | None = None
    review_config: ReviewConfig | None = None
    group_id: str | None = None
    group_name: str | None = None
    enabled_scenes: list[str] | None = None


# ---- tables 24-26: play policy and video output ---------------------------------------------

class LiveExitConfig(SpecModel):
    max_live_duration: int | None = Field(None, ge=0, le=168)  # hours, 0 = unlimited
    auto_stop_mode: AutoStopMode | None = None
    max_exception_waiting_duration: int | None = Field(None, ge=0, le=60)  # minutes (interaction.md)


class PlayPolicy(SpecModel):
    repeat_count: int = Field(0, ge=-1)
    auto_play_script: bool = True
    play_mode: PlayMode = PlayMode.TEXT
    random_play_mode: RandomPlayMode = RandomPlayMode.NONE
    need_independent_capture_client: bool | None = None
    is_rewrite_delay: bool | None = None  # REWRITE_PLAY_SCRIPT applies from the next round
    live_exit_config: LiveExitConfig | None = None  # api-family.md


class SubtitleConfig(SpecModel):
    dx: int | None = None
    dy: int | None = None
    font_name: SubtitleFontName = SubtitleFontName.HarmonyOS_Sans_SC_Regular
    font_size: FontSize = 40
    h: int | None = None
    w: int | None = None


def _frame_rate(v: str | None) -> str | None:
    if v is None:
        return v
    try:
        fps = int(str(v).strip())
    except ValueError:
        raise PydanticCustomError("frame_rate", "must be a whole number of frames per second, not {v}",
                                  {"v": repr(v)}) from None
    if not 1 <= fps <= 60 or 48000 % fps:
        raise PydanticCustomError("frame_rate", "must be 1-60 fps and divide 48000 (e.g. 24, 25, 30), not {v}",
                                  {"v": fps})
    return str(fps)


FrameRate = Annotated[str, BeforeValidator(lambda v: v if v is None else str(v)), AfterValidator(_frame_rate)]


class VideoConfig(SpecModel):
    clip_mode: ClipMode = ClipMode.RESIZE
    codec: Codec
    bitrate: int = Field(ge=40, le=30000, strict=True)  # a number, not "4000" (table 25: Integer)
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    frame_rate: FrameRate | None = None
    is_subtitle_enable: bool = False
    subtitle_config: SubtitleConfig | None = None
    dx: int | None = Field(None, ge=0)
    dy: int | None = Field(None, ge=0)
    is_enable_super_resolution: bool | None = None

    @property
    def fps(self) -> int:
        return int(self.frame_rate) if self.frame_rate else 25


# ---- tables 27-30: callbacks, review, sharing -----------------------------------------------

class LiveEventCallBackConfig(SpecModel):
    live_event_type_callback_url: str | None = None
    auth_type: Annotated[AuthType, BeforeValidator(_upper)] | None = None
    key: str | None = None
    callback_event_type: list[CallbackEventType] | None = None


class RTCLiveEventCallBackConfig(SpecModel):
    rtc_callback_event_type: list[RtcEventType] | None = None


class SharedConfig(SpecModel):
    shared_type: SharedType | None = None
    shared_state: SharedState | None = None
    expire_time: str | None = None
    allowed_project_ids: list[str] | None = None


# ---- table 3: the request body ---------------------------------------------------------------

def _rtmp_url(v: str) -> str:
    if urlparse(v).scheme not in ("rtmp", "rtmps"):
        raise PydanticCustomError("url", "must be an rtmp:// or rtmps:// URL, not {v}", {"v": repr(v)})
    return v


class Room(SpecModel):
    room_name: str = Field(min_length=1)
    room_description: str | None = None
    room_type: RoomType = RoomType.NORMAL
    scene_scripts: list[LiveVideoScriptInfo] | None = None
    interaction_rules: list[LiveRoomInteractionRuleInfo] | None = None
    play_policy: PlayPolicy | None = None
    video_config: VideoConfig | None = None
    output_urls: list[Annotated[str, AfterValidator(_rtmp_url)]] | None = None
    stream_keys: list[str] | None = None
    backup_model_asset_ids: list[str] | None = None
    live_event_callback_config: LiveEventCallBackConfig | None = None
    rtc_callback_config: RTCLiveEventCallBackConfig | None = None
    review_config: ReviewConfig | None = None
    shared_config: SharedConfig | None = None
    view_mode: ViewMode = ViewMode.VERTICAL
    co_streamer_config: CoStreamerConfig | None = None
    interaction_config: InteractionConfig | None = None
    priv_data: str | None = None
