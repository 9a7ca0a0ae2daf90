"""A media file opened the way the render opens it, to check it before any render (validate)."""
from __future__ import annotations

from pathlib import Path


def open_media(path: Path, kind: str, field: str) -> None:
    """Open `path` as the renderer's loader of `kind` does; MediaFileError naming `field` if it
    cannot be read (a text file named .png, a truncated MP4, a malformed SRT, ...)."""
    if kind == "IMAGE":
        from render.layers.image import load_image

        load_image(path, field)
    elif kind == "VIDEO":
        from render.layers.video import probe_size

        probe_size(path, field)
    elif kind == "AUDIO":
        from render.audio import decode_audio

        decode_audio(path, field=field)
    elif kind == "SUBTITLE":
        from render.speech.recorded import read_srt

        read_srt(path, field)
    elif kind == "HUMAN_MODEL":
        from render.layers.image import load_image

        load_image(path, field)
