"""Scene backgrounds: IMAGE/IMAGE_2D cover the canvas, COLOR fills it, VIDEO loops, AUDIO has no picture."""
from __future__ import annotations

from PIL import Image

from render.layers.geometry import cover_rect, fit
from render.layers.image import load_image
from render.layers.text import parse_color
from render.layers.video import VideoLayer, probe_size
from render.spec.models import BackgroundType


def _ref(bg, prefix: str) -> tuple[str, str]:
    if bg.background_config:
        return bg.background_config, f"{prefix}.background_config"
    return bg.background_asset_id, f"{prefix}.background_asset_id"


def background_items(scene, scene_prefix: str, library, view, fps: int) -> list:
    """The scene's backgrounds in order: (RGBA, x, y) pictures or VideoLayer (dynamic) items."""
    items: list = []
    for i, bg in enumerate(scene.background_config or []):
        prefix = f"{scene_prefix}.background_config[{i}]"
        kind = bg.background_type
        if kind == BackgroundType.COLOR:
            rgb = parse_color(bg.background_color_config)
            items.append((Image.new("RGBA", (view.ow, view.oh), rgb + (255,)), 0, 0))
        elif kind in (BackgroundType.IMAGE, BackgroundType.IMAGE_2D):
            ref, field = _ref(bg, prefix)
            img = load_image(library.resolve(ref, "IMAGE", field=field), field)
            x, y, w, h = view.rect(*cover_rect(img.size, view.cw, view.ch))
            items.append((fit(img, w, h), x, y))
        elif kind == BackgroundType.VIDEO:
            ref, field = _ref(bg, prefix)
            path = library.resolve(ref, "VIDEO", field=field)
            x, y, w, h = view.rect(*cover_rect(probe_size(path, field), view.cw, view.ch))
            items.append(VideoLayer(path, field, (x, y, w, h), view, fps, loop_count=None))
    return items
