"""IMAGE layers (and picture backgrounds, video covers): PNG with alpha, JPEG, WebP -> RGBA."""
from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from render.errors import CorruptFileError
from render.layers.geometry import checked, fit, layer_size


def load_image(path: Path, field: str) -> Image.Image:
    """The picture of a file as RGBA, or MediaFileError naming the field and file."""
    try:
        with Image.open(path) as im:
            im.load()
            return im.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise CorruptFileError(f"{field}: {path} is not a readable image (corrupt, or not PNG/JPEG/WebP: "
                             f"{type(e).__name__}: {e})") from None


def image_ref(layer, prefix: str) -> tuple[str, str]:
    """(reference, field path) of an IMAGE layer: image_config.image_url, else asset_id."""
    if layer.image_config and layer.image_config.image_url:
        return layer.image_config.image_url, f"{prefix}.image_config.image_url"
    return layer.asset_id, f"{prefix}.asset_id"


def image_layer(layer, prefix: str, library, view) -> tuple[Image.Image, int, int]:
    """(RGBA picture at output scale, x, y) of an IMAGE layer."""
    ref, field = image_ref(layer, prefix)
    img = load_image(library.resolve(ref, "IMAGE", field=field), field)
    w, h = layer_size(layer.size, img.size)
    pos = layer.position
    x, y, ow, oh = checked(view.rect(pos.dx if pos else 0, pos.dy if pos else 0, w, h), view,
                           f"{prefix}.size")
    return fit(img, ow, oh), x, y
