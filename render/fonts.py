"""The spec's font names -> the freely licensed fonts in render/data/fonts/ (subset by tools/subset_fonts.py).

HarmonyOS_Sans_SC_Black/_Regular/_Thin -> Noto Sans CJK SC Black/Regular/Thin; fzyouh -> Smiley
Sans (all SIL OFL 1.1, licences in render/data/fonts/LICENSE-*.txt). A character a font lacks is drawn with
the next font of `fallbacks(name)` that has it (or the font's own "missing glyph" box).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from render.errors import InternalError

FONT_DIR = Path(__file__).resolve().parent / "data" / "fonts"  # shipped in the wheel
FONT_FILES = {
    "HarmonyOS_Sans_SC_Black": "NotoSansSC-Black.otf",
    "HarmonyOS_Sans_SC_Regular": "NotoSansSC-Regular.otf",
    "HarmonyOS_Sans_SC_Thin": "NotoSansSC-Thin.otf",
    "fzyouh": "SmileySans-Oblique.ttf",
}
DEFAULT = "HarmonyOS_Sans_SC_Regular"


def _key(name) -> str:
    name = getattr(name, "value", name) or DEFAULT
    return name if name in FONT_FILES else DEFAULT


def font_path(name) -> Path:
    path = FONT_DIR / FONT_FILES[_key(name)]
    if not path.is_file():
        raise InternalError(f"font file {path} is missing (run tools/subset_fonts.py)")
    return path


@lru_cache(maxsize=64)
def load_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """The Pillow font of a spec font name at `size` pixels (cached)."""
    return ImageFont.truetype(str(font_path(name)), max(1, int(size)))


@lru_cache(maxsize=8)
def charset(name: str) -> frozenset[int]:
    """The code points a font has glyphs for."""
    from fontTools.ttLib import TTFont

    with TTFont(font_path(name), lazy=True) as f:
        return frozenset(f.getBestCmap())


def fallbacks(name) -> list[str]:
    """The font itself, then the others to try for characters it lacks."""
    key = _key(name)
    return [key] + [n for n in (DEFAULT, "HarmonyOS_Sans_SC_Black", "fzyouh") if n != key]


def font_for(name, ch: str) -> str:
    """The first font of the fallback chain that has `ch` (the font itself if none has it)."""
    cp = ord(ch)
    for n in fallbacks(name):
        if cp in charset(n):
            return n
    return _key(name)
