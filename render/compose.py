"""The picture of a scene at any moment, in YUV 4:2:0 at the output size (what the encoder takes).

Built once per scene (every file opened and checked at construction):
- all static pictures (backgrounds, images, texts, the streamer's body) are composed once in
  RGB at the OUTPUT scale (RESIZE: every layer's geometry scaled; CROP: shifted) and converted
  to I420 once: the base frame;
- the dynamic items (video layers/backgrounds, the mouth, the eyes) have fixed rectangles;
  overlapping ones are merged into groups; for each group the static pictures below the first
  dynamic item are pre-composed ("below"), and the static pictures between and above the
  dynamic items are pre-composed into overlay sprites, so layer order holds inside a group;
- per frame: copy the base, redo each group (copy/blend small regions with integer math),
  then the subtitle sprite (drawn and converted once per cue text).
`frame_rgb` converts that I420 frame to RGB, so PNGs show exactly what is streamed.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from render.errors import OutputError, SpecError
from render.layers.background import background_items
from render.layers.geometry import View, checked, layer_size
from render.layers.human import human_items, load_model, placeholder_figure
from render.layers.image import image_layer
from render.layers.planes import Sprite, i420_to_rgb, planes, rgb_to_i420
from render.layers.subtitle import Subtitles
from render.layers.text import decode_text, text_layer
from render.layers.video import VideoLayer, video_layer
from render.spec.models import LayerType, Room
from render.spec.video import effective_video_config
from render.speech.gestures import action_warnings
from render.speech.pose import Pose

DEFAULT_HUMAN_HEIGHT = 0.78  # share of the canvas height for a streamer without a HUMAN layer


def _paste(dst: Image.Image, img: Image.Image, x: int, y: int) -> None:
    """Alpha-composite img with its top-left at (x, y) of dst, clipped to dst."""
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + img.width, dst.width), min(y + img.height, dst.height)
    if x1 > x0 and y1 > y0:
        dst.alpha_composite(img, (x0, y0), (x0 - x, y0 - y, x1 - x, y1 - y))


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def merge_rects(rects: list[tuple]) -> list[tuple[tuple, list[int]]]:
    """Merge overlapping rectangles (x0, y0, x1, y1) into disjoint bounding boxes: [(box, members)]."""
    groups = [(r, [i]) for i, r in enumerate(rects)]
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                (a, ma), (b, mb) = groups[i], groups[j]
                if _overlaps(a, b):
                    box = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    groups[i] = (box, ma + mb)
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    return groups


class SceneCompositor:
    """Frames of scene `scene_index` of a room: `frame_i420(t, level, subtitle)`, `frame_rgb(...)`."""

    def __init__(self, room: Room, scene_index: int, library, fps: int = 25):
        scenes = room.scene_scripts or []
        if not 0 <= scene_index < len(scenes):
            raise SpecError(f"scene_scripts[{scene_index}]: no such scene (the room has {len(scenes)})")
        self.room, self.scene_index, self.fps = room, scene_index, fps
        self.scene = scenes[scene_index]
        self.view = View.for_room(room)
        vc = effective_video_config(room)
        self._stack, self._stack_keys = self._items(library)
        self._base, self._groups = self._prepare(self._stack)
        self._subs = Subtitles(vc.subtitle_config, self.view) if vc.is_subtitle_enable else None

    @property
    def size(self) -> tuple[int, int]:
        return self.view.ow, self.view.oh

    def subtitle_cues(self, cues: list) -> list:
        """The sentence cues of a clip as this scene shows them (long ones paged, no blink)."""
        from render.speech.cues import subtitle_cues

        return subtitle_cues(cues, self._subs.pages if self._subs is not None else None)

    # ---- building -------------------------------------------------------------------------------
    def _items(self, library) -> tuple[list, list[int]]:
        """Everything on the picture, bottom first: (RGBA, x, y) statics and dynamic items, and
        the layer_index each one is stacked at (0: backgrounds)."""
        sp = f"scene_scripts[{self.scene_index}]"
        v, scene = self.view, self.scene
        items = background_items(scene, sp, library, v, self.fps)
        layers = list(enumerate(scene.layer_config or []))
        layers.sort(key=lambda il: il[1].position.layer_index if il[1].position else 1)
        if scene.model_asset_id and not any(lay.layer_type == LayerType.HUMAN for _, lay in layers):
            items += self._human(None, sp, f"{sp}.model_asset_id", scene.model_asset_id, library)
        keys = [0] * len(items)  # backgrounds and a default streamer lie below every layer
        for i, lay in layers:
            prefix = f"{sp}.layer_config[{i}]"
            kind = lay.layer_type
            if kind == LayerType.HUMAN:
                field = f"{prefix}.asset_id" if lay.asset_id else f"{sp}.model_asset_id"
                items += self._human(lay, prefix, field, lay.asset_id or scene.model_asset_id, library)
            elif kind == LayerType.IMAGE:
                items.append(image_layer(lay, prefix, library, v))
            elif kind == LayerType.VIDEO:
                items.append(video_layer(lay, prefix, library, v, self.fps))
            elif kind == LayerType.TEXT:
                items.append(text_layer(decode_text(lay.text_config.text_context), lay, v))
            keys += [lay.position.layer_index if lay.position else 1] * (len(items) - len(keys))
        return items, keys

    def _human(self, lay, prefix: str, field: str, model_id: str | None, library) -> list:
        if model_id:
            img, meta = load_model(library.asset(model_id, "HUMAN_MODEL", field=field), field)
        else:
            img, meta = placeholder_figure("HUMAN")
        v = self.view
        if lay is not None and lay.position is not None:
            w, h = layer_size(lay.size, img.size)
            rect = v.rect(lay.position.dx, lay.position.dy, w, h)
        else:
            if lay is not None and lay.size is not None and (lay.size.width or lay.size.height):
                w, h = layer_size(lay.size, img.size)
            else:
                h = v.ch * DEFAULT_HUMAN_HEIGHT
                w = h * img.width / img.height
            rect = v.rect((v.cw - w) / 2, v.ch - h, w, h)
        checked(rect, v, f"{prefix}.size")
        static, faces = human_items(img, meta, rect, v)
        return [static, *faces]

    def _prepare(self, items: list) -> tuple[np.ndarray, list[list]]:
        """The I420 base frame and, per group of dynamic items, its list of operations."""
        v = self.view
        canvas = Image.new("RGBA", (v.ow, v.oh), (0, 0, 0, 255))
        for it in items:
            if isinstance(it, tuple):
                _paste(canvas, *it)
        base = rgb_to_i420(np.asarray(canvas.convert("RGB")))
        dyn = [(k, it) for k, it in enumerate(items)
               if not isinstance(it, tuple) and it.rect[2] > it.rect[0] and it.rect[3] > it.rect[1]]
        groups = []
        for box, members in merge_rects([it.rect for _, it in dyn]):
            ids = {dyn[m][0] for m in members}
            groups.append(self._group_ops(items, box, ids))
        return base, groups

    def _group_ops(self, items: list, box, ids: set[int]) -> list:
        v = self.view
        x0, y0, x1, y1 = box
        size = (x1 - x0, y1 - y0)
        below = Image.new("RGBA", size, (0, 0, 0, 255))
        overlay = None
        ops: list = []
        for k, it in enumerate(items):
            if isinstance(it, tuple):
                img, x, y = it
                _paste(below if overlay is None else overlay, img, x - x0, y - y0)
            elif k in ids:
                if overlay is None:
                    full = isinstance(it, VideoLayer) and it.cover is None and it.rect == box
                    if not full:
                        ops.append(Sprite.from_rgba(below, x0, y0, v.ow, v.oh))
                else:
                    sp = Sprite.from_rgba(overlay, x0, y0, v.ow, v.oh)
                    if sp is not None:
                        ops.append(sp)
                overlay = Image.new("RGBA", size, (0, 0, 0, 0))
                ops.append(it)
        if overlay is not None:
            sp = Sprite.from_rgba(overlay, x0, y0, v.ow, v.oh)
            if sp is not None:
                ops.append(sp)
        return ops

    def close(self) -> None:
        """Close the decoders of the video layers (long videos keep a file open); idempotent."""
        for ops in self._groups:
            for op in ops:
                if isinstance(op, VideoLayer):
                    op.close()

    def overlay_ops(self, item, layer_index: int) -> list:
        """What to blend for an overlay (a smart layer's (RGBA, x, y) picture or dynamic item)
        stacked at `layer_index` among this scene's layers: the overlay itself, then whatever of
        the scene lies above it in its rectangle (a crop of the static layers above, and the
        dynamic items above that overlap it), so the stacking order holds without recomposing
        the scene. Cheap: the work is proportional to the overlay's size."""
        v = self.view
        if isinstance(item, tuple):
            img, x, y = item
            own = Sprite.from_rgba(img, x, y, v.ow, v.oh)
            if own is None:
                return []
            box = (own.x, own.y, own.x + own.w, own.y + own.h)
        else:
            own, box = item, item.rect
        ops = [own]
        x0, y0, x1, y1 = box
        above = [it for it, k in zip(self._stack, self._stack_keys, strict=True) if k > layer_index]
        statics = [it for it in above if isinstance(it, tuple)]
        if statics and x1 > x0 and y1 > y0:
            canvas = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
            for img, x, y in statics:
                _paste(canvas, img, x - x0, y - y0)
            sp = Sprite.from_rgba(canvas, x0, y0, v.ow, v.oh)
            if sp is not None:
                ops.append(sp)
        ops += [it for it in above if not isinstance(it, tuple) and _overlaps(it.rect, box)]
        return ops

    # ---- frames ---------------------------------------------------------------------------------
    def frame_i420(self, t: float, level: float | Pose = 0.0, subtitle: str | None = None,
                   overlays: list[tuple[float, list]] = ()) -> np.ndarray:
        """The frame at scene time t: uint8 (H*3//2, W) yuv420p at the output size (a new array).

        `level`: the streamer's pose (mouth shape, gesture), or a bare loudness level 0..1.

        `overlays`: (time since the overlay appeared, its overlay_ops) in stacking order."""
        out = self._base.copy()
        fp = planes(out)
        for ops in self._groups:
            for op in ops:
                sp = op if isinstance(op, Sprite) else op.sprite_at(t, level)
                if sp is not None:
                    sp.blend(fp)
        for ot, ops in overlays:
            for k, op in enumerate(ops):
                sp = op if isinstance(op, Sprite) else op.sprite_at(ot if k == 0 else t, level)
                if sp is not None:
                    sp.blend(fp)
        if self._subs is not None and subtitle:
            sp = self._subs.sprite(subtitle)
            if sp is not None:
                sp.blend(fp)
        return out

    def frame_rgb(self, t: float, level: float | Pose = 0.0, subtitle: str | None = None) -> Image.Image:
        """The same frame as RGB (converted from the I420 frame: what is streamed)."""
        return Image.fromarray(i420_to_rgb(self.frame_i420(t, level, subtitle)))


PICTURE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}  # by file suffix


def render_warnings(room: Room) -> list[str]:
    """What would draw badly without failing: characters no font has, a subtitle box off the canvas,
    insert-actions that are no gesture."""
    from render.layers.subtitle import placement_warnings
    from render.layers.text import glyph_warnings

    vc = effective_video_config(room)
    return glyph_warnings(room, bool(vc.is_subtitle_enable)) + placement_warnings(room) + action_warnings(room)


def save_png(image: Image.Image, out_path) -> Path:
    """Write the picture in the format its name says (PNG unless .jpg/.jpeg/.webp) to a temp name
    beside it and rename: no half-written file on failure."""
    out = Path(out_path)
    fmt = PICTURE_FORMATS.get(out.suffix.lower(), "PNG")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        (image if fmt == "PNG" else image.convert("RGB")).save(tmp, format=fmt)
        os.replace(tmp, out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{out}: cannot write the {fmt} picture ({e.strerror or e})") from None
    return out
