"""A media file opened the way the render opens it, to check it before any render (validate)."""
from __future__ import annotations

from pathlib import Path

from render.errors import MediaFileError


def open_media(path: Path, kind: str, field: str) -> None:
    """Open `path` with the renderer's loader of `kind`; MediaFileError naming `field` if it
    cannot be read (a text file named .png, a truncated MP4, a malformed SRT, ...)."""
    if kind in ("IMAGE", "HUMAN_MODEL"):
        from render.layers.image import load_image

        load_image(path, field)
    elif kind == "VIDEO":
        from render.layers.video import probe_size

        probe_size(path, field)
    elif kind in ("AUDIO", "SUBTITLE"):  # these loaders name the file only: add the field
        from render.audio import decode_audio
        from render.speech.recorded import read_srt

        load = decode_audio if kind == "AUDIO" else read_srt
        try:
            load(path)
        except MediaFileError as e:
            raise type(e)(details=[f"{field}: {d}" for d in e.details]) from None  # corrupt stays corrupt
