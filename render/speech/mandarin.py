"""Chinese text -> numbered pinyin, one syllable per character (pure; pypinyin's dictionary).

espeak-ng's `cmn` voice looks characters up in its dictionary and then reads the romanisation
with English rules ("你" comes out as "ni three"); its pinyin voice reads numbered pinyin as
Mandarin syllables with their tones. pypinyin picks readings by phrase (行 in 银行 / 行走).
"""
from __future__ import annotations

import re

PUNCT = str.maketrans({"，": ",", "、": ",", "。": ".", "！": "!", "？": "?", "；": ";", "：": ":",
                       "（": "(", "）": ")", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "..."})
_HANZI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def syllables(text: str) -> list[str]:
    """Numbered pinyin of each character (neutral tone 5, ü as v): "你好吗" -> ni3 hao3 ma5."""
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin("".join(_HANZI.findall(text)), style=Style.TONE3, neutral_tone_with_five=True)


def to_pinyin(text: str) -> str:
    """Text with every run of characters replaced by its syllables; punctuation made ASCII so
    the voice pauses at it; anything else (digits already read out, Latin) kept."""
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda s: s)
    out = []
    for p in parts:
        if re.fullmatch(r"[a-zü]+[1-5]", p):
            out.append(" " + p.replace("ü", "v") + " ")
        else:
            out.append(p.translate(PUNCT))
    return re.sub(r"\s+", " ", "".join(out)).strip()
