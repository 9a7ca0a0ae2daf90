"""Plain-text helpers: language guess, say-as expansion, sentence and clause splitting (pure)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from render.speech.ssml import Action, Break, Prosody, Run

SENTENCE_END = "。！？!?"
CLOSERS = "”’\"'」』）)]】》"
CLAUSE_MARKS = "，、,;；:："
MAX_CLAUSE = {"zh": 24, "en": 90}  # a longer sentence is cut at clause marks into cues of about this size
ZH_DIGITS = "零一二三四五六七八九"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]


def is_chinese(text: str) -> bool:
    """Chinese when CJK ideographs make up a fair share of the letters."""
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return cjk > 0 and cjk * 3 >= latin


@dataclass
class Seg:
    spoken: str
    prosody: Prosody
    phonemes: tuple[str, str] | None = None  # <phoneme>: (alphabet, ph); `spoken` is the written text


@dataclass
class Sentence:
    """One cue: its synthesis parts in order, its subtitle text, and the pause after it."""

    parts: list = field(default_factory=list)  # Seg | Break | Action
    shown: str = ""
    pause: str | None = None  # "sentence", "clause" or None (last, or followed by nothing)


def say_as(text: str, kind: str | None, fmt: str | None, lang: str) -> str:
    """What to speak for <say-as interpret-as=kind>; unknown kinds are spoken as written."""
    t = text.strip()
    if kind in ("number", "cardinal"):
        return re.sub(r"(?<=\d)[,\s](?=\d{3})", "", t)
    if kind == "ordinal":
        n = re.sub(r"\D", "", t)
        if lang == "zh":
            return f"第{n}"
        suffix = "th" if n[-2:] in ("11", "12", "13") else {"1": "st", "2": "nd", "3": "rd"}.get(n[-1:], "th")
        return n + suffix
    if kind in ("telephone", "digits"):
        if lang == "zh":
            table = ZH_DIGITS.replace("一", "幺") if kind == "telephone" else ZH_DIGITS
            return "".join(table[int(c)] if c.isdigit() else ("，" if c in " -" else c) for c in t)
        return " ".join("plus" if c == "+" else ("," if c in "-()" else c) for c in t if not c.isspace())
    if kind in ("spell", "characters", "spell-out"):
        if lang == "zh":
            return " ".join(ZH_DIGITS[int(c)] if c.isdigit() else c.upper() for c in t if not c.isspace())
        return " ".join(c.upper() for c in t if not c.isspace())
    if kind == "date":
        return _date(t, fmt, lang)
    return t


def _date(t: str, fmt: str | None, lang: str) -> str:
    nums = [int(x) for x in re.findall(r"\d+", t)]
    if len(nums) != 3:
        return t
    order = (fmt or "").lower()
    if order in ("mdy", "dmy"):
        y, m, d = (nums[2], nums[0], nums[1]) if order == "mdy" else (nums[2], nums[1], nums[0])
    elif nums[0] > 31 or order == "ymd" or not order:
        y, m, d = nums
    else:
        return t
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return t
    if lang == "zh":
        return "".join(ZH_DIGITS[int(c)] for c in str(y)) + f"年{m}月{d}日"
    return f"{_MONTHS[m - 1]} {d}, {y}"


def split_text(s: str, lang: str) -> list[tuple[str, str | None]]:
    """Text -> [(piece, boundary)], boundary "sentence"/"clause" after the piece, or None."""
    pieces: list[tuple[str, str | None]] = []
    buf, i = "", 0
    while i < len(s):
        c = s[i]
        buf += c
        i += 1
        end = c in SENTENCE_END or (c == "." and (i == len(s) or s[i].isspace())) or c == "\n"
        if end:
            while i < len(s) and s[i] in CLOSERS:
                buf += s[i]
                i += 1
            if buf.strip():
                pieces.extend(_clauses(buf, lang))
            buf = ""
    if buf.strip():
        tail = _clauses(buf, lang)
        pieces.extend(tail[:-1] + [(tail[-1][0], None)])
    elif buf:
        pieces.append((buf, None))  # whitespace between tags still separates words
    return pieces


def _clauses(sentence: str, lang: str) -> list[tuple[str, str | None]]:
    """A long sentence cut at clause marks into chunks of about MAX_CLAUSE characters."""
    limit = MAX_CLAUSE[lang]
    if len(sentence.strip()) <= limit:
        return [(sentence, "sentence")]
    parts = re.split(f"(?<=[{re.escape(CLAUSE_MARKS)}])", sentence)
    out, cur = [], ""
    for p in parts:
        if cur.strip() and len((cur + p).strip()) > limit:
            out.append((cur, "clause"))
            cur = ""
        cur += p
    out.append((cur, "sentence"))
    return out


def sentences(items: list, lang: str) -> list[Sentence]:
    """Parsed SSML items -> sentences (cues), each with its synthesis parts."""
    out: list[Sentence] = []
    cur = Sentence()

    def close(pause):
        nonlocal cur
        if cur.parts:
            cur.pause = pause
            cur.shown = re.sub(r"\s+", " ", cur.shown).strip()
            out.append(cur)
        cur = Sentence()

    def add_seg(spoken: str, pros: Prosody, phonemes=None):
        if not spoken.strip() and not any(isinstance(p, Seg) for p in cur.parts):
            return
        last = cur.parts[-1] if cur.parts else None
        if phonemes is not None:
            cur.parts.append(Seg(spoken, pros, phonemes))
        elif isinstance(last, Seg) and last.prosody == pros and last.phonemes is None:
            last.spoken += spoken
        else:
            cur.parts.append(Seg(spoken, pros))

    for it in items:
        if isinstance(it, (Break, Action)):
            cur.parts.append(it)
        elif isinstance(it, Run) and it.atomic:
            add_seg(say_as(it.spoken, it.say_as, it.say_as_format, lang) if it.say_as else it.spoken, it.prosody,
                    it.phonemes)
            cur.shown += it.shown
        elif isinstance(it, Run):
            for piece, boundary in split_text(it.shown, lang):
                add_seg(piece, it.prosody)
                cur.shown += piece
                if boundary:
                    close(boundary)
    close(None)
    if out:
        out[-1].pause = None
    return out
