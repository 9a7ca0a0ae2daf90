"""Canvas coordinates (the room's, by view_mode) -> output pixels (RESIZE scales, CROP offsets)."""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from render.errors import SpecError
from render.spec.constraints import canvas_size
from render.spec.models import ClipMode, Room
from render.spec.video import effective_video_config


@dataclass(frozen=True)
class View:
    cw: int          # canvas size (view_mode)
    ch: int
    ow: int          # output size (even)
    oh: int
    sx: float = 1.0  # RESIZE factors
    sy: float = 1.0
    ox: int = 0      # CROP offset (output = canvas shifted)
    oy: int = 0

    @classmethod
    def for_room(cls, room: Room) -> View:
        vc = effective_video_config(room)
        cw, ch = canvas_size(room.view_mode)
        ow, oh = vc.width & ~1, vc.height & ~1  # 4:2:0 needs even sizes
        if vc.clip_mode == ClipMode.CROP:
            return cls(cw, ch, ow, oh, 1.0, 1.0, vc.dx or 0, vc.dy or 0)
        return cls(cw, ch, ow, oh, vc.width / cw, vc.height / ch)

    @property
    def scale(self) -> float:
        """The factor for lengths that have no axis (font sizes, strokes)."""
        return min(self.sx, self.sy)

    def rect(self, dx: float, dy: float, w: float, h: float) -> tuple[int, int, int, int]:
        """Canvas rectangle -> output (x, y, w, h), edges rounded so neighbours stay adjacent."""
        x0, y0 = round(dx * self.sx) - self.ox, round(dy * self.sy) - self.oy
        x1, y1 = round((dx + w) * self.sx) - self.ox, round((dy + h) * self.sy) - self.oy
        return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


MAX_LAYER_FACTOR = 8  # a layer more than 8x the output on a side is a mistake (and would exhaust memory)


def checked(rect: tuple[int, int, int, int], view: View, field: str) -> tuple[int, int, int, int]:
    """The output rect of a layer, or SpecError when it is absurdly large."""
    if rect[2] > MAX_LAYER_FACTOR * view.ow or rect[3] > MAX_LAYER_FACTOR * view.oh:
        raise SpecError(f"{field}: a layer of {rect[2]}x{rect[3]} output pixels is more than "
                        f"{MAX_LAYER_FACTOR} times the {view.ow}x{view.oh} output")
    return rect


def layer_size(size, natural: tuple[int, int]) -> tuple[int, int]:
    """width/height of a layer: both given, one given (aspect kept), or the natural size."""
    nw, nh = natural
    w = size.width if size is not None else None
    h = size.height if size is not None else None
    if w and h:
        return w, h
    if w:
        return w, max(1, round(w * nh / nw))
    if h:
        return max(1, round(h * nw / nh)), h
    return nw, nh


def cover_rect(natural: tuple[int, int], cw: int, ch: int) -> tuple[float, float, float, float]:
    """A picture scaled to cover a cw x ch canvas, centred: (dx, dy, w, h) in canvas units."""
    nw, nh = natural
    s = max(cw / nw, ch / nh)
    w, h = nw * s, nh * s
    return (cw - w) / 2, (ch - h) / 2, w, h


def fit(img: Image.Image, w: int, h: int) -> Image.Image:
    if img.size == (w, h):
        return img
    return img.resize((w, h), Image.LANCZOS)
