"""Tag mode (SSML) of TextConfig.text -> a flat list of text runs, breaks and action cues.

Pure functions, no I/O. Tags (api-family.md): speak, break, prosody, say-as, sub, phoneme,
word, emotion, insert-action. Tags are never spoken nor shown; malformed or unsupported
markup is a SpecError (MSS.00000003) naming the paragraph's JSON path.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace

from render.errors import SpecError

MAX_TEXT_CHARS = 10_000
MAX_DEPTH = 32  # tags inside each other
BREAK_MIN_MS, BREAK_MAX_MS = 200, 10_000
BREAK_STRENGTH_MS = {"none": 0, "x-weak": 200, "weak": 300, "medium": 500, "strong": 800, "x-strong": 1200}
RATE_WORDS = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.33, "x-fast": 1.8}
PITCH_WORDS = {"x-low": 0.7, "low": 0.85, "medium": 1.0, "default": 1.0, "high": 1.2, "x-high": 1.45}
VOLUME_WORDS = {"silent": 0.0, "x-soft": 0.35, "soft": 0.6, "medium": 1.0, "default": 1.0,
                "loud": 1.4, "x-loud": 1.7}
# <emotion type=..> -> (rate, pitch, volume) multipliers: how a presenter's delivery changes
EMOTIONS = {"NEUTRAL": (1.0, 1.0, 1.0), "HAPPY": (1.08, 1.12, 1.1), "EXCITED": (1.15, 1.2, 1.25),
            "SAD": (0.85, 0.9, 0.8), "ANGRY": (1.1, 0.95, 1.3), "CALM": (0.92, 0.97, 0.9),
            "SURPRISED": (1.05, 1.25, 1.15), "FEAR": (1.12, 1.1, 0.85), "SERIOUS": (0.95, 0.93, 1.0)}
TAGS = {"speak", "break", "prosody", "say-as", "sub", "phoneme", "word", "emotion", "insert-action"}
_TAG_RE = re.compile(r"</?\s*[A-Za-z][\w:.\-]*(\s[^<>]*)?/?>")
_BARE_AMP = re.compile(r"&(?!#\d+;|#x[0-9a-fA-F]+;|[A-Za-z]\w*;)")


@dataclass(frozen=True)
class Prosody:
    """Multipliers on the voice's speed, pitch and gain (1.0 = as configured)."""

    rate: float = 1.0
    pitch: float = 1.0
    volume: float = 1.0


@dataclass(frozen=True)
class Run:
    """Text to speak (`spoken`) and to show (`shown`); `say_as` is expanded later per language."""

    shown: str
    spoken: str
    prosody: Prosody = Prosody()
    say_as: str | None = None
    say_as_format: str | None = None
    atomic: bool = False  # say-as/sub/phoneme content: never split into sentences inside
    phonemes: tuple[str, str] | None = None  # <phoneme>: (alphabet, ph), for engines that read it


@dataclass(frozen=True)
class Break:
    ms: int


@dataclass(frozen=True)
class Action:
    name: str
    attrs: dict


def is_tagged(text: str) -> bool:
    """Tag mode when the text holds anything that looks like a tag."""
    return bool(_TAG_RE.search(text))


def parse(text: str, where: str) -> list[Run | Break | Action]:
    """Plain text -> one Run; tagged text -> runs, breaks and actions in document order."""
    if not is_tagged(text):
        _check_length(text, where)
        return [Run(text, text)] if text.strip() else []
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise SpecError(f"{where}: malformed SSML (DOCTYPE and ENTITY declarations are not allowed)")
    src = _BARE_AMP.sub("&amp;", text.strip())
    if not re.match(r"<\s*speak[\s>/]", src):
        src = f"<speak>{src}</speak>"
    try:
        root = ET.fromstring(src)
    except ET.ParseError as e:
        raise SpecError(f"{where}: malformed SSML ({e.msg if hasattr(e, 'msg') else e})") from None
    if _name(root) != "speak":
        raise SpecError(f"{where}: SSML root must be <speak>, not <{_name(root)}>")
    if _depth(root) > MAX_DEPTH:
        raise SpecError(f"{where}: SSML tags nested deeper than {MAX_DEPTH}")
    out: list[Run | Break | Action] = []
    _walk(root, Prosody(), out, where)
    _check_length("".join(i.shown for i in out if isinstance(i, Run)), where)
    return out


def _depth(root: ET.Element) -> int:
    """How deep tags nest (without recursion: the walk that follows recurses)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        el, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in el)
    return deepest


def _check_length(plain: str, where: str) -> None:
    if len(plain) > MAX_TEXT_CHARS:
        raise SpecError(f"{where}: text has {len(plain)} characters without tags, at most {MAX_TEXT_CHARS}")


def _text(s: str | None, pros: Prosody, out: list) -> None:
    if s:
        out.append(Run(s, s, pros))


def _name(el: ET.Element) -> str:
    """Tag name without an XML namespace (<speak xmlns="http://www.w3.org/2001/10/synthesis">)."""
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _walk(el: ET.Element, pros: Prosody, out: list, where: str) -> None:
    tag = _name(el)
    if tag not in TAGS:
        raise SpecError(f"{where}: unsupported SSML tag <{tag}> (allowed: {', '.join(sorted(TAGS))})")
    inner = "".join(el.itertext())
    if tag == "break":
        if inner.strip() or len(el):
            raise SpecError(f"{where}: <break> must be empty")
        out.append(Break(_break_ms(el, where)))
    elif tag == "insert-action":
        out.append(Action(el.get("name", ""), dict(el.attrib)))
        _children(el, pros, out, where)
    elif tag == "say-as":
        kind = el.get("interpret-as")
        if not kind:
            raise SpecError(f"{where}: <say-as> needs an interpret-as attribute")
        if inner:
            out.append(Run(inner, inner, pros, kind.strip().lower(), el.get("format"), True))
    elif tag == "sub":
        alias = el.get("alias")
        if alias is None:
            raise SpecError(f"{where}: <sub> needs an alias attribute")
        out.append(Run(inner, alias, pros, atomic=True))
    elif tag == "phoneme":
        # spoken from `ph` by engines that read its alphabet (render.speech.engines), else as written
        ph = (el.get("ph") or "").strip()
        if inner:
            alphabet = (el.get("alphabet") or _guess_alphabet(ph)).strip().lower()
            out.append(Run(inner, inner, pros, atomic=True, phonemes=(alphabet, ph) if ph else None))
    else:  # speak, word, emotion (as prosody), prosody
        if tag == "prosody":
            pros = _prosody(el, pros, where)
        elif tag == "emotion":
            pros = _emotion(el, pros)
        _children(el, pros, out, where)
    # text after the element belongs to the parent's prosody: handled by the caller


def _children(el: ET.Element, pros: Prosody, out: list, where: str) -> None:
    _text(el.text, pros, out)
    for child in el:
        _walk(child, pros, out, where)
        _text(child.tail, pros, out)


def _guess_alphabet(ph: str) -> str:
    """No alphabet attribute: numbered pinyin ("hang2 ye4") or else IPA."""
    return "pinyin" if re.fullmatch(r"\s*([a-zü]+[1-5]\s*)+", ph) else "ipa"


def _emotion(el: ET.Element, pros: Prosody) -> Prosody:
    """A known type changes the delivery; any other is accepted and spoken neutrally."""
    rate, pitch, volume = EMOTIONS.get((el.get("type") or "").strip().upper(), EMOTIONS["NEUTRAL"])
    return replace(pros, rate=pros.rate * rate, pitch=pros.pitch * pitch, volume=pros.volume * volume)


def _break_ms(el: ET.Element, where: str) -> int:
    t = el.get("time")
    if t is not None:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*", t)
        if not m:
            raise SpecError(f"{where}: <break time={t!r}>: expected e.g. 500ms or 1.5s")
        ms = round(float(m.group(1)) * (1000 if m.group(2) == "s" else 1))
        if not BREAK_MIN_MS <= ms <= BREAK_MAX_MS:
            raise SpecError(f"{where}: <break time={t!r}>: must be {BREAK_MIN_MS} ms to {BREAK_MAX_MS // 1000} s")
        return ms
    strength = el.get("strength", "medium").strip().lower()
    if strength not in BREAK_STRENGTH_MS:
        raise SpecError(f"{where}: <break strength={strength!r}>: one of {', '.join(BREAK_STRENGTH_MS)}")
    return BREAK_STRENGTH_MS[strength]


def _factor(value: str, words: dict, *, db: bool, semitones: bool, attr: str, where: str) -> float:
    v = value.strip().lower()
    if v in words:
        return words[v]
    m = re.fullmatch(r"([+-]?)(\d+(?:\.\d+)?)\s*(%|db|st)?", v)
    if m:
        sign, num, unit = m.group(1), float(m.group(2)), m.group(3)
        if unit == "db" and db:
            return 10 ** ((-num if sign == "-" else num) / 20)
        if unit == "st" and semitones:
            return 2 ** ((-num if sign == "-" else num) / 12)
        if unit == "%":
            return max(0.0, 1 + (num if sign != "-" else -num) / 100) if sign else num / 100
        if unit is None and not sign:
            return num  # a bare number is a multiplier
    raise SpecError(f"{where}: <prosody {attr}={value!r}>: not a valid {attr}")


def _prosody(el: ET.Element, pros: Prosody, where: str) -> Prosody:
    kw = {}
    if el.get("rate") is not None:
        r = _factor(el.get("rate"), RATE_WORDS, db=False, semitones=False, attr="rate", where=where)
        if r <= 0:
            raise SpecError(f"{where}: <prosody rate={el.get('rate')!r}>: must be above 0")
        kw["rate"] = pros.rate * r
    if el.get("pitch") is not None:
        kw["pitch"] = pros.pitch * _factor(el.get("pitch"), PITCH_WORDS, db=False, semitones=True,
                                           attr="pitch", where=where)
    if el.get("volume") is not None:
        kw["volume"] = pros.volume * _factor(el.get("volume"), VOLUME_WORDS, db=True, semitones=False,
                                             attr="volume", where=where)
    return replace(pros, **kw)
