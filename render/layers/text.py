"""TEXT layers: base64 UTF-8 text drawn once into an RGBA picture (wrapped, mixed fonts)."""
from __future__ import annotations

import base64
import re

from PIL import Image, ImageDraw

from render.fonts import ZERO_WIDTH, BitmapFace, font_for, load_font, missing

_TOKEN = re.compile(r"\s+|[\u2e80-\U0002ffff]|[^\s\u2e80-\U0002ffff]+")


def decode_text(text_context: str) -> str:
    return base64.b64decode(text_context).decode("utf-8")


def glyph_warnings(room, subtitles: bool) -> list[str]:
    """A warning for each text of the room (TEXT layers; paragraphs when subtitles show) with
    characters no bundled or installed font has: they would be drawn as empty boxes."""
    texts = []
    for s, scene in enumerate(room.scene_scripts or []):
        for i, layer in enumerate(scene.layer_config or []):
            tc = layer.text_config
            if layer.layer_type.value == "TEXT" and tc is not None and tc.text_context:
                texts.append((f"scene_scripts[{s}].layer_config[{i}].text_config.text_context",
                              decode_text(tc.text_context)))
        for p, para in enumerate(scene.shoot_scripts if subtitles else []):
            if para.text_config is not None:
                texts.append((f"scene_scripts[{s}].shoot_scripts[{p}].text_config.text", para.text_config.text))
    out = []
    for where, text in texts:
        lack = missing(text)
        if lack:
            chars = " ".join(f"{ch} (U+{ord(ch):04X})" for ch in lack)
            out.append(f"{where}: no installed font has {chars}; drawn as empty boxes "
                       f"(install fonts-noto-cjk / fonts-noto-color-emoji, or change the text)")
    return out


def parse_color(c: str | None, default=(255, 255, 255)) -> tuple[int, int, int]:
    """#RRGGBB or RRGGBB -> (r, g, b)."""
    if not c:
        return default
    c = c.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _runs(text: str, name: str) -> list[tuple[str, str]]:
    """Split text into (font name, string) runs by which font has each character."""
    out: list[tuple[str, str]] = []
    for ch in text:
        f = out[-1][0] if out and ch in ZERO_WIDTH else font_for(name, ch)
        if out and out[-1][0] == f:
            out[-1] = (f, out[-1][1] + ch)
        else:
            out.append((f, ch))
    return out


def _width(text: str, name: str, px: int) -> float:
    return sum(load_font(f, px).getlength(s) for f, s in _runs(text, name))


def wrap(text: str, name: str, px: int, max_width: float | None) -> list[str]:
    """Lines of `text`: paragraphs split at newlines, then greedily at spaces or any CJK char."""
    lines: list[str] = []
    for para in text.split("\n"):
        if not max_width:
            lines.append(para)
            continue
        line, width = "", 0.0
        for tok in _TOKEN.findall(para):
            tw = _width(tok, name, px)
            if line and width + tw > max_width:
                lines.append(line.rstrip())
                line, width = "", 0.0
                if tok.isspace():
                    continue
            if tw > max_width:  # a word wider than the box: break it anywhere
                for ch in tok:
                    cw = _width(ch, name, px)
                    if line and width + cw > max_width:
                        lines.append(line)
                        line, width = "", 0.0
                    line += ch
                    width += cw
                continue
            line += tok
            width += tw
        lines.append(line.rstrip())
    return lines


def render_text(text: str, name: str, px: int, color=(255, 255, 255), max_width: float | None = None,
                stroke: int = 0, stroke_color=(0, 0, 0), align: str = "left",
                min_width: int = 0) -> Image.Image:
    """The text as a tight RGBA picture (transparent around the glyphs plus `stroke` margin)."""
    px = max(1, int(round(px)))
    lines = wrap(text, name, px, max_width)
    ascent, descent = load_font(name, px).getmetrics()
    line_h = int(round((ascent + descent) * 1.12))
    pad = stroke + 1
    widths = [_width(ln, name, px) for ln in lines]
    w = int(max(max(widths, default=0) + 2 * pad, min_width, 1) + 0.999)
    h = max(1, line_h * len(lines) + 2 * pad)
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    fill = tuple(color) + (255,)
    for i, (ln, lw) in enumerate(zip(lines, widths, strict=False)):
        x = pad + ((w - 2 * pad - lw) / 2 if align == "center" else 0)
        y = pad + i * line_h + ascent
        for f, s in _runs(ln, name):
            font = load_font(f, px)
            if isinstance(font, BitmapFace):  # colour emoji: its own colours, scaled to the line
                pic = font.picture(s)
                img.alpha_composite(pic, (round(x), max(0, round(y - font.getmetrics()[0]))))
            else:
                d.text((x, y), s, font=font, fill=fill, anchor="ls", stroke_width=stroke,
                       stroke_fill=tuple(stroke_color) + (255,))
            x += font.getlength(s)
    return img


def text_layer(text: str, lay, view) -> tuple[Image.Image, int, int]:
    """(RGBA picture at output scale, x, y) of a TEXT layer (scene or smart) showing `text`."""
    tc = lay.text_config
    px = max(1, round(tc.font_size * view.scale))
    width = lay.size.width if lay.size is not None and lay.size.width else None
    img = render_text(text, tc.font_name.value, px, parse_color(tc.font_color),
                      max_width=width * view.sx if width else None)
    if lay.size is not None and lay.size.height:
        img = img.crop((0, 0, img.width, max(1, round(lay.size.height * view.sy))))
    pos = lay.position
    x, y, _, _ = view.rect(pos.dx if pos else 0, pos.dy if pos else 0, 1, 1)
    return img, x, y
