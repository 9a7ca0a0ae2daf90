"""Subset the freely licensed fonts that stand in for the spec's font names into render/data/fonts/.

    python tools/subset_fonts.py

Sources (Debian packages fonts-noto-cjk, fonts-noto-cjk-extra, fonts-smiley-sans):
HarmonyOS_Sans_SC_{Black,Regular,Thin} -> Noto Sans CJK SC {Black,Regular,Thin} (face 2 of
the .ttc), fzyouh -> Smiley Sans (all SIL OFL 1.1). Kept: ASCII, Latin-1, general and
CJK punctuation, full-width forms and the 6763 GB2312 hanzi (decoded with Python's codec).
Also copies the licence texts to render/data/fonts/LICENSE-*.txt. Deterministic for given sources.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "render" / "data" / "fonts"
NOTO = Path("/usr/share/fonts/opentype/noto")
SMILEY = Path("/usr/share/fonts/truetype/smiley-sans/SmileySans-Oblique.ttf")
SC_FACE = 2  # JP, KR, SC, TC, HK

# output file -> (source, face index)
FONTS = {
    "NotoSansSC-Black.otf": (NOTO / "NotoSansCJK-Black.ttc", SC_FACE),
    "NotoSansSC-Regular.otf": (NOTO / "NotoSansCJK-Regular.ttc", SC_FACE),
    "NotoSansSC-Thin.otf": (NOTO / "NotoSansCJK-Thin.ttc", SC_FACE),
    "SmileySans-Oblique.ttf": (SMILEY, None),
}
LICENCES = {
    "LICENSE-NotoSansCJK.txt": Path("/usr/share/doc/fonts-noto-cjk/copyright"),
    "LICENSE-NotoSansCJK-extra.txt": Path("/usr/share/doc/fonts-noto-cjk-extra/copyright"),
    "LICENSE-SmileySans.txt": Path("/usr/share/doc/fonts-smiley-sans/copyright"),
}


def gb2312_hanzi() -> list[int]:
    """Every character of GB2312 (rows 0xA1-0xF7 x cols 0xA1-0xFE), by decoding each code point."""
    out = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return sorted(out)


def codepoints() -> list[int]:
    keep = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    keep |= set(range(0x2000, 0x2070))   # general punctuation (dashes, quotes, ellipsis)
    keep |= set(range(0x3000, 0x3040))   # CJK symbols and punctuation
    keep |= set(range(0xFF00, 0xFFF0))   # half/full-width forms (，。！？ etc.)
    keep |= {0x20AC, 0x2122, 0x2190, 0x2191, 0x2192, 0x2193, 0x25CF, 0x2605, 0x2606}
    keep |= set(gb2312_hanzi())
    return sorted(keep)


def subset_one(src: Path, face: int | None, dst: Path, cps: list[int]) -> int:
    font = TTFont(src, fontNumber=face) if face is not None else TTFont(src)
    opts = subset.Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    opts.desubroutinize = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=cps)
    sub.subset(font)
    tmp = dst.with_name(dst.name + ".tmp")
    font.save(tmp)
    tmp.replace(dst)
    return dst.stat().st_size


def main() -> int:
    OUT.mkdir(exist_ok=True)
    cps = codepoints()
    for name, (src, face) in FONTS.items():
        size = subset_one(src, face, OUT / name, cps)
        print(f"{name}: {size / 1e6:.2f} MB")
    for name, src in LICENCES.items():
        shutil.copyfile(src, OUT / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
