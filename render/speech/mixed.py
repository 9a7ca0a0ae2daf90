"""Mixed Chinese/English text -> runs of one language each (pure).

Characters are Chinese (ideographs, CJK punctuation), Latin (letters) or neutral (digits,
spaces, ASCII punctuation, currency signs). Neutral stretches join the run they belong to:
"3件" and "¥99" before characters go with the Chinese, units right after digits ("2kg") are
neutral, anything else stays with the run before it.
"""
from __future__ import annotations

import re

_ZH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e“”‘’…—]")
_UNIT = re.compile(r"(?<=\d)\s*(kg|mg|km|cm|mm|ml|g|m|l)(?![A-Za-z])", re.IGNORECASE)


def _classes(text: str) -> list[str]:
    units = {i for m in _UNIT.finditer(text) for i in range(m.start(1), m.end(1))}
    out = []
    for i, c in enumerate(text):
        if _ZH.match(c):
            out.append("zh")
        elif c.isalpha() and c.isascii() and i not in units:
            out.append("en")
        else:
            out.append("")
    return out


def runs(text: str, lang: str) -> list[tuple[str, str]]:
    """[(piece, "zh"|"en")] covering `text` in order; all neutral -> one run in `lang`."""
    cls = _classes(text)
    pieces: list[list] = []  # [class, text]
    for c, k in zip(text, cls, strict=True):
        if pieces and pieces[-1][0] == k:
            pieces[-1][1] += c
        else:
            pieces.append([k, c])
    out: list[list] = []
    for n, (k, piece) in enumerate(pieces):
        if not k:
            nxt = pieces[n + 1][0] if n + 1 < len(pieces) else None
            prev = out[-1][0] if out else None
            glued = not piece[-1].isspace()
            k = (nxt if (nxt == "zh" and glued) or prev is None else prev) or lang
        if out and out[-1][0] == k:
            out[-1][1] += piece
        else:
            out.append([k, piece])
    return [(p, k) for k, p in out]
