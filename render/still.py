"""One frame of a scene as a PNG, with the real speech level and subtitle at that time."""
from __future__ import annotations

from pathlib import Path

from render.assets import AssetLibrary
from render.compose import save_png
from render.spec import LoadedRoom, effective_video_config


def render_still(loaded: LoadedRoom, library: AssetLibrary, scene: int, at: float, out: Path,
                 warn=None) -> Path:
    """The frame of `scene` at `at` seconds when it plays its paragraphs from the start; `warn`
    hears when `at` is past the end of the scene's speech (the picture is then the resting streamer)."""
    from render.programme.core import PARAGRAPH_GAP
    from render.programme.scenes import load_scenes, speech_at

    fps = effective_video_config(loaded.room).fps
    scenes = load_scenes(loaded.room, library, fps, wanted=[scene])
    try:
        st = scenes[scene]
        gap = round(PARAGRAPH_GAP * fps)
        level, subtitle = speech_at(st, loaded.room, at, fps, gap)
        length = sum(clip.frames(fps) + gap for clip in st.clips.values()) / fps
        if warn is not None and at > length:
            warn(f"--at: {at:g} s is past the end of scene {scene}'s speech ({length:.1f} s): the streamer is at rest")
        return save_png(st.compositor.frame_rgb(at, level=level, subtitle=subtitle), out)
    finally:
        for st in scenes.values():
            st.close()
