"""One frame of a scene as a PNG, with the real speech level and subtitle at that time."""
from __future__ import annotations

import os
from pathlib import Path

from render.assets import AssetLibrary
from render.spec import LoadedRoom


def render_still(loaded: LoadedRoom, library: AssetLibrary, scene: int, at: float, out: Path) -> Path:
    """The frame of `scene` at `at` seconds when it plays its paragraphs from the start."""
    from render.show import Show

    show = Show(loaded, library)
    level, subtitle = show.speech_at(scene, at)
    image = show.compositors[scene].frame_rgb(at, level=level, subtitle=subtitle)
    out = Path(out)
    tmp = out.with_name(f".{out.name}.part")
    try:
        image.save(tmp, format="PNG")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
