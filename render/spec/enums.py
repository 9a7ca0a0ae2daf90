"""The string enums of the spec tables, values exactly as the tables write them."""
from __future__ import annotations

from enum import Enum, IntEnum


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


class EventType(IntEnum):
    """The `type` of a live event (interaction.md, Viewer events), and 10: the streamer's own
    scripted sentence, which rules match as an event too."""

    COMMENT = 1
    JOIN = 2
    LIKE = 3
    GIFT = 4
    FOLLOW = 5
    VIEWER_COUNT = 6
    SENTENCE = 10


class ReplyMode(str, Enum):
    SYSTEM_REPLY = "SYSTEM_REPLY"
    CALLBACK = "CALLBACK"
    SYSTEM_REPLY_AND_CALLBACK = "SYSTEM_REPLY_AND_CALLBACK"
    SHOW_LAYER = "SHOW_LAYER"
    INTELLIGENT_REPLY = "INTELLIGENT_REPLY"


class PlayType(str, Enum):
    """Where an inserted line or reply plays (interaction.md, Triggers)."""

    APPEND = "APPEND"
    INSERT = "INSERT"
    PLAY_NOW = "PLAY_NOW"


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


class AutoStopMode(str, Enum):
    FORCE_EXIT = "FORCE_EXIT"
    SEGMENT_END = "SEGMENT_END"
    SCENE_END = "SCENE_END"
    SCRIPT_END = "SCRIPT_END"


class StreamerAction(str, Enum):
    SILENCE = "SILENCE"
    VOLUME_DOWN = "VOLUME_DOWN"


class JobState(str, Enum):
    """A live job's state (api-family.md: WAITING, PROCESSING, SUCCEED, FAILED, CANCELED, BLOCKED),
    as the worker's result, the store, the API and the console pass it on."""

    WAITING = "WAITING"
    PROCESSING = "PROCESSING"
    SUCCEED = "SUCCEED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    BLOCKED = "BLOCKED"

    def __str__(self) -> str:  # f-strings and %s say the value, as a plain string would
        return self.value

    @property
    def ended(self) -> bool:
        return self not in (JobState.WAITING, JobState.PROCESSING)


JOB_ENDED = frozenset(s for s in JobState if s.ended)
