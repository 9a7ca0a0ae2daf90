"""Scene backgrounds: IMAGE/IMAGE_2D cover the canvas, COLOR fills it, VIDEO loops, AUDIO has no picture."""
from __future__ import annotations

from PIL import Image

from render.layers.geometry import cover_rect, fit
from render.layers.image import load_image
from render.layers.text import parse_color
from render.layers.video import VideoLayer, probe_size
from render.spec.models import BackgroundType
from render.spec.references import background_ref, needed, resolve


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
            ref = needed(background_ref(bg, prefix), prefix)
            img = load_image(resolve(library, ref), ref.field)
            x, y, w, h = view.rect(*cover_rect(img.size, view.cw, view.ch))
            items.append((fit(img, w, h), x, y))
        elif kind == BackgroundType.VIDEO:
            ref = needed(background_ref(bg, prefix), prefix)
            path = resolve(library, ref)
            x, y, w, h = view.rect(*cover_rect(probe_size(path, ref.field), view.cw, view.ch))
            items.append(VideoLayer(path, ref.field, (x, y, w, h), view, fps, loop_count=None))
    return items
