"""The output video settings a room implies, with the defaults filled in."""
from __future__ import annotations

from render.spec.constraints import canvas_size
from render.spec.models import Codec, Room, VideoConfig


def effective_video_config(room: Room) -> VideoConfig:
    """room.video_config, or H264 4000 kbit/s at the canvas size, 25 fps, no subtitles."""
    if room.video_config is not None:
        return room.video_config
    w, h = canvas_size(room.view_mode)
    return VideoConfig(codec=Codec.H264, bitrate=4000, width=w, height=h)

