"""The live programme: what a room plays, steerable while it plays (preview and live alike)."""
from render.programme.core import Frame, Programme
from render.programme.timeline import Entry, parse_entry, read_timeline

__all__ = ["Entry", "Frame", "Programme", "parse_entry", "read_timeline"]
