"""The spec's font names -> the freely licensed fonts in render/data/fonts/ (subset by
tools/subset_fonts.py), and the installed system fonts for what those subsets lack.

HarmonyOS_Sans_SC_Black/_Regular/_Thin -> Noto Sans CJK SC Black/Regular/Thin; fzyouh -> Smiley
Sans (all SIL OFL 1.1, licences in render/data/fonts/LICENSE-*.txt). A character a font lacks is
drawn with the next bundled font of `fallbacks(name)` that has it, else with an installed font
that has it (found with fontconfig: Noto Sans CJK for traditional or rare hanzi, Noto Color Emoji
for emoji), else it cannot be drawn: `missing(text)` names such characters (validate warns).
"""
from __future__ import annotations

import shutil
import subprocess
import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from render.errors import InternalError

FONT_DIR = Path(__file__).resolve().parent / "data" / "fonts"  # shipped in the wheel
FONT_FILES = {
    "HarmonyOS_Sans_SC_Black": "NotoSansSC-Black.otf",
    "HarmonyOS_Sans_SC_Regular": "NotoSansSC-Regular.otf",
    "HarmonyOS_Sans_SC_Thin": "NotoSansSC-Thin.otf",
    "fzyouh": "SmileySans-Oblique.ttf",
}
DEFAULT = "HarmonyOS_Sans_SC_Regular"
SYSTEM = "sys:"  # prefix of the key of an installed font: "sys:<file>#<face index>"
# Characters with no picture of their own: drawn with the run before them, never reported missing.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufe0e\ufe0f")


def _key(name) -> str:
    name = getattr(name, "value", name) or DEFAULT
    return name if name in FONT_FILES or name.startswith(SYSTEM) else DEFAULT


def font_path(name) -> Path:
    path = FONT_DIR / FONT_FILES[_key(name)]
    if not path.is_file():
        raise InternalError(f"font file {path} is missing (run tools/subset_fonts.py)")
    return path


class BitmapFace:
    """A bitmap-only font (colour emoji: one strike of fixed size) drawn scaled to `size` pixels:
    `getlength` like a FreeTypeFont, `picture(s)` the run in its own colours."""

    def __init__(self, font: ImageFont.FreeTypeFont, size: int):
        self.font, self.size = font, size
        ascent, descent = font.getmetrics()
        self.scale = size / max(1, ascent + descent) * 1.1

    def getlength(self, s: str) -> float:
        return self.font.getlength(s) * self.scale

    def getmetrics(self) -> tuple[int, int]:
        ascent, descent = self.font.getmetrics()
        return round(ascent * self.scale), round(descent * self.scale)

    def picture(self, s: str) -> Image.Image:
        ascent, descent = self.font.getmetrics()
        img = Image.new("RGBA", (max(1, round(self.font.getlength(s))), ascent + descent), (0, 0, 0, 0))
        ImageDraw.Draw(img).text((0, 0), s, font=self.font, embedded_color=True)
        w, h = max(1, round(img.width * self.scale)), max(1, round(img.height * self.scale))
        return img.resize((w, h), Image.LANCZOS)


@lru_cache(maxsize=64)
def load_font(name: str, size: int):
    """The Pillow font of a spec font name (or a system font key) at `size` pixels (cached);
    a BitmapFace for a bitmap-only font."""
    size = max(1, int(size))
    key = _key(name)
    if not key.startswith(SYSTEM):
        return ImageFont.truetype(str(font_path(key)), size)
    file, _, index = key[len(SYSTEM):].rpartition("#")
    try:
        return ImageFont.truetype(file, size, index=int(index))
    except OSError:  # a bitmap font has fixed sizes only (Noto Color Emoji: 109 px)
        return BitmapFace(ImageFont.truetype(file, 109, index=int(index)), size)


@lru_cache(maxsize=8)
def charset(name: str) -> frozenset[int]:
    """The code points a bundled font has glyphs for."""
    from fontTools.ttLib import TTFont

    with TTFont(font_path(name), lazy=True) as f:
        return frozenset(f.getBestCmap())


def fallbacks(name) -> list[str]:
    """The font itself, then the other bundled fonts to try for characters it lacks."""
    key = _key(name)
    return [key] + [n for n in (DEFAULT, "HarmonyOS_Sans_SC_Black", "fzyouh") if n != key]


def _is_emoji(cp: int) -> bool:
    return cp >= 0x1F000 or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF


# The styles of an installed font closest to each bundled font's weight, best first.
WEIGHTS = {"HarmonyOS_Sans_SC_Black": ("Black", "Heavy", "ExtraBold", "Bold"),
           "HarmonyOS_Sans_SC_Thin": ("Thin", "ExtraLight", "Light", "DemiLight", "Regular")}


def _rank(cp: int, family: str, style: str, weights: tuple[str, ...]) -> tuple:
    """Lower is better: colour emoji for emoji, else the closest weight of a sans, Simplified
    Chinese first."""
    emoji = "emoji" in family.lower()
    styles = style.split(",")
    weight = min((weights.index(s) for s in styles if s in weights), default=len(weights))
    return (emoji != _is_emoji(cp), weight, "Serif" in family, "Mono" in family,
            "CJK SC" not in family, "CJK TC" not in family, family)


@lru_cache(maxsize=4096)
def system_font(ch: str, weights: tuple[str, ...] = ("Regular",)) -> str | None:
    """The key of the installed font that has `ch` (fontconfig's fc-list) with the weight closest
    to `weights` (best first), or None."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, f":charset={ord(ch):x}", "file", "index", "family", "style"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = []
    for line in out.splitlines():
        file, _, rest = line.partition(": ")
        fields = dict(part.split("=", 1) for part in rest.split(":") if "=" in part)
        family = rest.split(":", 1)[0].split(",")[0]
        if file and file.lower().endswith((".ttf", ".otf", ".ttc", ".otc")):
            found.append((_rank(ord(ch), family, fields.get("style", ""), weights),
                          f"{SYSTEM}{file}#{fields.get('index', 0)}"))
    return min(found)[1] if found else None


def font_for(name, ch: str) -> str:
    """The first bundled font of the fallback chain that has `ch`, else an installed font that
    has it, else the font itself (which draws its "missing glyph" box)."""
    cp = ord(ch)
    for n in fallbacks(name):
        if cp in charset(n):
            return n
    return system_font(ch, WEIGHTS.get(_key(name), ("Regular",))) or _key(name)


def drawable(ch: str) -> bool:
    """False for a character no bundled or installed font has (it would be an empty box)."""
    if ch in ZERO_WIDTH or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
        return True
    return any(ord(ch) in charset(n) for n in fallbacks(DEFAULT)) or system_font(ch) is not None


def missing(text: str) -> list[str]:
    """The distinct characters of `text` that no font can draw, in order of appearance."""
    return list(dict.fromkeys(ch for ch in text if not drawable(ch)))
