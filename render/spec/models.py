"""The room spec: tables 3-32 of create-smart-live-room.txt as pydantic v2 models.

Attribute names are the JSON names. Ranges and enums are as the tables write them;
the notes' rules that involve one object are validators here, the rules that span
the room (output pairing, RESIZE sizes, CROP inside the canvas) are in `rules.py`.
Unknown fields are kept (extra="allow") so `load.py` can list them as warnings.
"""
from __future__ import annotations

import base64
import binascii
import re
from enum import Enum
from typing import Annotated, Literal, Optional
from urllib.parse import urlparse

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="allow", use_enum_values=False, populate_by_name=True)


# ---- enums (values exactly as the tables write them) ----------------------------------

class RoomType(str, Enum):
    NORMAL = "NORMAL"
    TEMP = "TEMP"
    TEMPLATE = "TEMPLATE"


class ViewMode(str, Enum):
    LANDSCAPE = "LANDSCAPE"
    VERTICAL = "VERTICAL"


class BackgroundType(str, Enum):
    IMAGE = "IMAGE"
    IMAGE_2D = "IMAGE_2D"
    VIDEO = "VIDEO"
    AUDIO = "AUDIO"
    COLOR = "COLOR"  # used by the notes of table 5


class LayerType(str, Enum):
    HUMAN = "HUMAN"
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    TEXT = "TEXT"


class SmartLayerType(str, Enum):
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    TEXT = "TEXT"


class FontName(str, Enum):
    HarmonyOS_Sans_SC_Black = "HarmonyOS_Sans_SC_Black"
    HarmonyOS_Sans_SC_Regular = "HarmonyOS_Sans_SC_Regular"
    HarmonyOS_Sans_SC_Thin = "HarmonyOS_Sans_SC_Thin"
    fzyouh = "fzyouh"


class SubtitleFontName(str, Enum):
    HarmonyOS_Sans_SC_Black = "HarmonyOS_Sans_SC_Black"
    HarmonyOS_Sans_SC_Regular = "HarmonyOS_Sans_SC_Regular"
    HarmonyOS_Sans_SC_Thin = "HarmonyOS_Sans_SC_Thin"


class Relation(str, Enum):
    AND = "AND"
    OR = "OR"
    RESERVED = "RESERVED"


class Operation(str, Enum):
    SUM = "SUM"
    AVG = "AVG"
    COUNT = "COUNT"
    NONE = "NONE"


class Match(str, Enum):
    EQUAL = "EQUAL"
    REGEX = "REGEX"
    MATH_GT = "MATH_GT"
    MATH_GE = "MATH_GE"
    MATH_LT = "MATH_LT"
    MATH_LE = "MATH_LE"
    MATH_EQ = "MATH_EQ"


class ReplyMode(str, Enum):
    SYSTEM_REPLY = "SYSTEM_REPLY"
    CALLBACK = "CALLBACK"
    SHOW_LAYER = "SHOW_LAYER"
    INTELLIGENT_REPLY = "INTELLIGENT_REPLY"


class ReplyOrder(str, Enum):
    RANDOM = "RANDOM"
    ORDER = "ORDER"


class Role(str, Enum):
    STREAMER = "STREAMER"
    CO_STREAMER = "CO_STREAMER"


class TextType(str, Enum):
    DYNAMIC = "DYNAMIC"
    STATIC = "STATIC"


class PlayMode(str, Enum):
    TEXT = "TEXT"
    AUDIO = "AUDIO"
    NO_PRESET = "NO_PRESET"


class RandomPlayMode(str, Enum):
    NONE = "NONE"
    SCENE = "SCENE"
    SCRIPT_ITEM = "SCRIPT_ITEM"
    SCENE_AND_SCRIPT_ITEM = "SCENE_AND_SCRIPT_ITEM"


class ClipMode(str, Enum):
    RESIZE = "RESIZE"
    CROP = "CROP"


class Codec(str, Enum):
    H264 = "H264"
    VP8 = "VP8"


class AuthType(str, Enum):
    NONE = "NONE"  # the table writes "None", the example "NONE": both accepted
    MSS_A = "MSS_A"
    MSS_A_HEAD = "MSS_A_HEAD"
    MEITUAN_DEFAULT = "MEITUAN_DEFAULT"


class CallbackEventType(str, Enum):
    SHOOT_SCRIPT_SWITCH = "SHOOT_SCRIPT_SWITCH"
    RTMP_STREAM_STATE_CHANGE = "RTMP_STREAM_STATE_CHANGE"
    REPLY_COMMAND_FINISH = "REPLY_COMMAND_FINISH"


class RtcEventType(str, Enum):
    LIVE_PROGRESS = "LIVE_PROGRESS"
    REPLY_COMMAND_FINISH = "REPLY_COMMAND_FINISH"


class SharedType(str, Enum):
    PRIVATE = "PRIVATE"
    PUBLIC = "PUBLIC"
    SHARED = "SHARED"


class SharedState(str, Enum):
    PUBLISHED = "PUBLISHED"
    DRAFT = "DRAFT"
    REVIEW = "REVIEW"


class StreamerAction(str, Enum):
    SILENCE = "SILENCE"
    VOLUME_DOWN = "VOLUME_DOWN"


# ---- value checks ----------------------------------------------------------------------

_COLOR = re.compile(r"^#?[0-9A-Fa-f]{6}$")


def _color(v: str) -> str:
    if not _COLOR.match(v):
        raise PydanticCustomError("color", "must be an RGB colour like #RRGGBB or RRGGBB, not {v!r}",
                                  {"v": v})
    return v


def _base64_utf8(v: str) -> str:
    try:
        base64.b64decode(v, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise PydanticCustomError("base64", "must be base64 of UTF-8 text (the spec's text_context rule)")
    return v


def _suffix(*exts: str, what: str):
    def check(v: str) -> str:
        path = urlparse(v).path if "://" in v else v
        if not path.lower().endswith(exts):
            raise PydanticCustomError("format", "only {what} is supported, not {v!r}", {"what": what, "v": v})
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
    voice_config: Optional[VoiceConfig] = None
    streamer_action: Optional[StreamerAction] = None


# ---- tables 5-11: backgrounds and layers ------------------------------------------------

class BackgroundConfigInfo(SpecModel):
    background_type: BackgroundType
    background_config: Optional[str] = None
    background_color_config: Optional[Color] = None
    background_asset_id: Optional[str] = None

    @model_validator(mode="after")
    def _needs_source(self):
        t = self.background_type
        if t == BackgroundType.IMAGE and not self.background_config:
            raise PydanticCustomError("needs", "background_config is required when background_type is IMAGE")
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
    width: Optional[int] = Field(None, ge=1)
    height: Optional[int] = Field(None, ge=1)


class ImageLayerConfig(SpecModel):
    image_url: Optional[str] = None


class VideoLayerConfig(SpecModel):
    video_url: Optional[str] = None
    video_cover_url: Optional[str] = None
    loop_count: Optional[int] = Field(None, ge=0)


class TextLayerConfig(SpecModel):
    text_context: Optional[Base64Text] = None
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
    asset_id: Optional[str] = None
    group_id: Optional[str] = None
    position: Optional[LayerPositionConfig] = None
    size: Optional[LayerSizeConfig] = None
    image_config: Optional[ImageLayerConfig] = None
    video_config: Optional[VideoLayerConfig] = None
    text_config: Optional[TextLayerConfig] = None

    @model_validator(mode="after")
    def _media(self):
        _layer_needs(self, self.layer_type.value)
        return self


# ---- tables 12-14: paragraphs -------------------------------------------------------------

class TextConfig(SpecModel):
    text: str = Field(min_length=1)


class LiveAudioConfig(SpecModel):
    asset_id: Optional[str] = None
    audio_url: Optional[Annotated[str, AfterValidator(_suffix(".mp3", what="MP3"))]] = None
    subtitle_url: Optional[Annotated[str, AfterValidator(_suffix(".srt", what="SRT"))]] = None


class LiveShootScriptItem(SpecModel):
    sequence_no: Optional[int] = None
    title: Optional[str] = None
    text_config: Optional[TextConfig] = None
    audio_config: Optional[LiveAudioConfig] = None

    @model_validator(mode="after")
    def _has_content(self):
        if self.text_config is None and self.audio_config is None:
            raise PydanticCustomError("needs", "a paragraph needs text_config or audio_config")
        if self.audio_config is not None and self.text_config is None and not (
                self.audio_config.asset_id or self.audio_config.audio_url):
            raise PydanticCustomError("needs", "audio_config needs asset_id or audio_url")
        return self


class LiveVideoScriptInfo(SpecModel):
    script_id: Optional[str] = None
    script_name: str
    script_description: Optional[str] = None
    dh_id: Optional[str] = None
    model_asset_id: Optional[str] = None
    voice_config: Optional[VoiceConfig] = None
    background_config: Optional[list[BackgroundConfigInfo]] = None
    layer_config: Optional[list[LayerConfig]] = None
    shoot_scripts: list[LiveShootScriptItem]


# ---- tables 15-23: interaction rules --------------------------------------------------------

class HitConditionTag(SpecModel):
    tag: Optional[str] = None
    operation: Optional[Annotated[Operation, BeforeValidator(_upper)]] = None
    match: Optional[Annotated[Match, BeforeValidator(_upper)]] = None
    value: Optional[str] = None


class HitCondition(SpecModel):
    relation: Optional[Annotated[Relation, BeforeValidator(_upper)]] = None
    priority: int = Field(500, ge=0, le=999)
    tags: Optional[list[HitConditionTag]] = None


class SmartImageLayerConfig(SpecModel):
    image_url: str
    display_duration: Optional[DisplayDuration] = None


class SmartVideoLayerConfig(SpecModel):
    video_url: str
    video_cover_url: Optional[str] = None
    display_duration: Optional[DisplayDuration] = None


class SmartTextLayerConfig(SpecModel):
    text_type: Optional[TextType] = None
    text_context: Optional[str] = None
    font_name: FontName = FontName.HarmonyOS_Sans_SC_Regular
    font_size: FontSize = 40
    font_color: Color = "#FFFFFF"
    display_duration: Optional[DisplayDuration] = None


class SmartLayerConfig(SpecModel):
    layer_type: SmartLayerType
    asset_id: Optional[str] = None
    position: Optional[LayerPositionConfig] = None
    size: Optional[LayerSizeConfig] = None
    image_config: Optional[SmartImageLayerConfig] = None
    video_config: Optional[SmartVideoLayerConfig] = None
    text_config: Optional[SmartTextLayerConfig] = None

    @model_validator(mode="after")
    def _media(self):
        _layer_needs(self, self.layer_type.value)
        return self


class ReplyAudioInfo(SpecModel):
    audio_url: Optional[str] = None
    audio_name: Optional[str] = None


class TriggerProcess(SpecModel):
    time_window: Optional[int] = Field(None, ge=-1)
    reply_mode: Optional[ReplyMode] = None
    layer_config: Optional[SmartLayerConfig] = None
    extra_layer_config: Optional[SmartLayerConfig] = None
    reply_texts: Optional[list[str]] = None
    reply_audios: Optional[list[ReplyAudioInfo]] = None
    reply_order: Optional[ReplyOrder] = None
    reply_role: Role = Role.STREAMER
    robot_id: Optional[str] = None


class ReviewConfig(SpecModel):
    no_need_review: Optional[bool] = None


class LiveRoomInteractionRuleInfo(SpecModel):
    rule_index: Optional[str] = None
    rule_name: Optional[str] = None
    enabled: Optional[bool] = None
    event_type: Optional[Literal[1, 2, 3, 4, 6, 10]] = None
    hit_condition: Optional[HitCondition] = None
    trigger: Optional[TriggerProcess] = None
    review_config: Optional[ReviewConfig] = None
    group_id: Optional[str] = None
    group_name: Optional[str] = None
    enabled_scenes: Optional[list[str]] = None


# ---- tables 24-26: play policy and video output ---------------------------------------------

class PlayPolicy(SpecModel):
    repeat_count: int = Field(0, ge=-1)
    auto_play_script: bool = True
    play_mode: PlayMode = PlayMode.TEXT
    random_play_mode: RandomPlayMode = RandomPlayMode.NONE
    need_independent_capture_client: Optional[bool] = None


class SubtitleConfig(SpecModel):
    dx: Optional[int] = None
    dy: Optional[int] = None
    font_name: SubtitleFontName = SubtitleFontName.HarmonyOS_Sans_SC_Regular
    font_size: FontSize = 40
    h: Optional[int] = None
    w: Optional[int] = None


def _frame_rate(v: Optional[str]) -> Optional[str]:
    if v is None:
        return v
    try:
        fps = int(str(v).strip())
    except ValueError:
        raise PydanticCustomError("frame_rate", "must be a whole number of frames per second, not {v!r}",
                                  {"v": v})
    if not 1 <= fps <= 60 or 48000 % fps:
        raise PydanticCustomError("frame_rate", "must be 1-60 fps and divide 48000 (e.g. 24, 25, 30), not {v}",
                                  {"v": fps})
    return str(fps)


class VideoConfig(SpecModel):
    clip_mode: ClipMode = ClipMode.RESIZE
    codec: Codec
    bitrate: int = Field(ge=40, le=30000)
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    frame_rate: Optional[Annotated[str, BeforeValidator(lambda v: v if v is None else str(v)),
                                   AfterValidator(_frame_rate)]] = None
    is_subtitle_enable: bool = False
    subtitle_config: Optional[SubtitleConfig] = None
    dx: Optional[int] = Field(None, ge=0)
    dy: Optional[int] = Field(None, ge=0)
    is_enable_super_resolution: Optional[bool] = None

    @property
    def fps(self) -> int:
        return int(self.frame_rate) if self.frame_rate else 25


# ---- tables 27-30: callbacks, review, sharing -----------------------------------------------

class LiveEventCallBackConfig(SpecModel):
    live_event_type_callback_url: Optional[str] = None
    auth_type: Optional[Annotated[AuthType, BeforeValidator(_upper)]] = None
    key: Optional[str] = None
    callback_event_type: Optional[list[CallbackEventType]] = None


class RTCLiveEventCallBackConfig(SpecModel):
    rtc_callback_event_type: Optional[list[RtcEventType]] = None


class SharedConfig(SpecModel):
    shared_type: Optional[SharedType] = None
    shared_state: Optional[SharedState] = None
    expire_time: Optional[str] = None
    allowed_project_ids: Optional[list[str]] = None


# ---- table 3: the request body ---------------------------------------------------------------

def _rtmp_url(v: str) -> str:
    if urlparse(v).scheme not in ("rtmp", "rtmps"):
        raise PydanticCustomError("url", "must be an rtmp:// or rtmps:// URL, not {v!r}", {"v": v})
    return v


class Room(SpecModel):
    room_name: str = Field(min_length=1)
    room_description: Optional[str] = None
    room_type: RoomType = RoomType.NORMAL
    scene_scripts: Optional[list[LiveVideoScriptInfo]] = None
    interaction_rules: Optional[list[LiveRoomInteractionRuleInfo]] = None
    play_policy: Optional[PlayPolicy] = None
    video_config: Optional[VideoConfig] = None
    output_urls: Optional[list[Annotated[str, AfterValidator(_rtmp_url)]]] = None
    stream_keys: Optional[list[str]] = None
    backup_model_asset_ids: Optional[list[str]] = None
    live_event_callback_config: Optional[LiveEventCallBackConfig] = None
    rtc_callback_config: Optional[RTCLiveEventCallBackConfig] = None
    review_config: Optional[ReviewConfig] = None
    shared_config: Optional[SharedConfig] = None
    view_mode: ViewMode = ViewMode.VERTICAL
    co_streamer_config: Optional[CoStreamerConfig] = None
    priv_data: Optional[str] = None
