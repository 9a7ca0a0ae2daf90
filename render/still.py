"""One frame of a scene as a PNG, with the real speech level and subtitle at that time."""
from __future__ import annotations

from pathlib import Path

from render.assets import AssetLibrary
from render.compose import save_png
from render.spec import LoadedRoom


def render_still(loaded: LoadedRoom, library: AssetLibrary, scene: int, at: float, out: Path) -> Path:
    """The frame of `scene` at `at` seconds when it plays its paragraphs from the start."""
    from render.show import Show

    show = Show(loaded, library, scenes=[scene])
    try:
        level, subtitle = show.speech_at(scene, at)
        return save_png(show.compositors[scene].frame_rgb(at, level=level, subtitle=subtitle), out)
    finally:
        show.close()
