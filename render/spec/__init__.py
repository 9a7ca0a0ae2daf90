"""The room spec: typed models of the create call, loading and validation."""
from render.spec.constraints import canvas_size
from render.spec.load import LoadedRoom, load_room, validate_room
from render.spec.models import Room, VideoConfig
from render.spec.video import effective_video_config

__all__ = ["LoadedRoom", "Room", "VideoConfig", "canvas_size", "effective_video_config", "load_room",
           "validate_room"]
