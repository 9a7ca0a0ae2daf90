"""Timed phonemes (IPA, as espeak-ng and Piper print them) -> mouth shapes, one per video frame.

Six shapes a viewer tells apart: REST (pauses), CLOSED (p b m), ROUNDED (u o w y ʊ ɔ ...),
WIDE (a ɑ æ ʌ ...), TEETH (f v) and MID (e i ə and the other consonants). Stress, length, tone
digits and tone letters are ignored; a symbol of several parts (a diphthong `aʊ`, a syllable
`ma1`) is split evenly over its time. Per frame the shape that covers most of the frame wins;
a shape shown for one frame only is replaced by its neighbour (the next one, anticipating),
except a lip closure, which always shows for at least one frame: a viewer sees lips that never
meet on /m/ or /p/, not one closed frame. Pure: no I/O.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from enum import IntEnum

import numpy as np

from render.speech.clip import Phoneme


class Viseme(IntEnum):
    REST = 0
    MID = 1
    WIDE = 2
    ROUNDED = 3
    CLOSED = 4
    TEETH = 5


_VOWELS = {
    Viseme.WIDE: "aɑæɐʌɒɶ",
    Viseme.ROUNDED: "uoɔʊyʏøœɵʉɞ",
    Viseme.MID: "eiɪəɛɜɘɨɯɤɚɝɿʅ",
}
_CONSONANTS = {Viseme.CLOSED: "pbmɓʙɸβ", Viseme.TEETH: "fvɱʋ", Viseme.ROUNDED: "wʍɥ"}
_VOWEL = {ch: v for v, chars in _VOWELS.items() for ch in chars}
_CONSONANT = {ch: v for v, chars in _CONSONANTS.items() for ch in chars}
_TONE_LETTERS = "˥˦˧˨˩"
# a consonant cluster (tʃ, ts, mp) shows its most visible articulation
_PRIORITY = (Viseme.CLOSED, Viseme.TEETH, Viseme.ROUNDED, Viseme.MID)


def _letters(symbol: str) -> str:
    """The base letters of a symbol: no stress/length/tone marks, digits, diacritics, language tags."""
    s = symbol.split(")")[-1]  # espeak's "(en)" / "(cmn)" language switch
    return "".join(ch for ch in unicodedata.normalize("NFD", s.lower())
                   if unicodedata.category(ch) in ("Ll", "Lo", "Lu"))


def _modifier(symbol: str) -> bool:
    """A symbol that only marks its neighbour (ˈ ˌ ː, a tone digit or letter, ʰ, a word space)."""
    return bool(symbol) and all(unicodedata.category(ch) in ("Lm", "Mn", "Nd", "Zs") or ch in _TONE_LETTERS
                                for ch in symbol)


def shapes_of(symbol: str) -> list[Viseme]:
    """The shapes a phoneme symbol goes through, in order ([REST] for a pause or punctuation,
    [] for a symbol that only marks its neighbour: stress, length, tone, a word space)."""
    letters = _letters(symbol)
    if not letters:
        return [] if _modifier(symbol) else [Viseme.REST]
    out: list[Viseme] = []
    cluster: list[Viseme] = []
    for ch in letters:
        vowel = _VOWEL.get(ch)
        if vowel is None:
            cluster.append(_CONSONANT.get(ch, Viseme.MID))
            continue
        if cluster:
            out.append(next(v for v in _PRIORITY if v in cluster))
            cluster = []
        out.append(vowel)
    if cluster:
        out.append(next(v for v in _PRIORITY if v in cluster))
    merged = [out[0]]
    for v in out[1:]:
        if v != merged[-1]:
            merged.append(v)
    return merged


def segments(phonemes: Iterable[Phoneme]) -> list[tuple[float, float, Viseme]]:
    """(start, end, shape) spans in seconds: each phoneme's shapes split evenly over its time; the
    time of a marking symbol (Piper prints ˈ, ː and word spaces as phonemes of their own) goes to
    the phoneme before it, or the one after it at the start."""
    out: list[tuple[float, float, Viseme]] = []
    lead: float | None = None  # start of marking symbols before the first shape
    for p in phonemes:
        if p.end <= p.start:
            continue
        shapes = shapes_of(p.symbol)
        if not shapes:
            if out and abs(out[-1][1] - p.start) < 1e-3:
                out[-1] = (out[-1][0], p.end, out[-1][2])
            elif not out and lead is None:
                lead = p.start
            continue
        start = p.start if lead is None or out else min(lead, p.start)
        step = (p.end - start) / len(shapes)
        out += [(start + i * step, start + (i + 1) * step, v) for i, v in enumerate(shapes)]
    return out


def viseme_track(phonemes: Iterable[Phoneme], fps: int, n: int) -> np.ndarray:
    """One Viseme code (uint8) per frame for `n` frames of a clip; time no phoneme covers is REST."""
    spans = segments(phonemes)
    cover = np.zeros((n, len(Viseme)), np.float64)
    closures: list[tuple[int, float]] = []  # per lip closure: the frame it covers most, and how much
    for start, end, v in spans:
        best = (-1, 0.0)
        for k in range(max(0, math.floor(start * fps)), min(n, math.ceil(end * fps))):
            part = min(end, (k + 1) / fps) - max(start, k / fps)
            if part > 0:
                cover[k, v] += part
                best = max(best, (k, part), key=lambda b: b[1])
        if v == Viseme.CLOSED and best[0] >= 0:
            closures.append(best)
    cover[:, Viseme.REST] += np.maximum(0.0, 1.0 / fps - cover.sum(axis=1))
    track = cover.argmax(axis=1).astype(np.uint8)
    for k, _ in closures:
        track[k] = Viseme.CLOSED  # a closure shorter than the vowels around it still shows
    return smooth(track)


def smooth(track: np.ndarray) -> np.ndarray:
    """No shape for a single frame: such a frame takes the next frame's shape (the previous one's
    when the next is a closure or there is none). Lip closures keep their single frames."""
    if len(track) < 2:
        return track.copy()
    edges = np.flatnonzero(np.diff(track)) + 1
    runs = [[int(track[a]), int(b - a)] for a, b in zip(np.r_[0, edges], np.r_[edges, len(track)], strict=True)]
    i = 0
    while i < len(runs):
        v, length = runs[i]
        if length > 1 or v == Viseme.CLOSED or len(runs) == 1:
            i += 1
            continue
        has_prev, has_next = i > 0, i + 1 < len(runs)
        into = i - 1 if not has_next or (runs[i + 1][0] == Viseme.CLOSED and has_prev) else i + 1
        runs[into][1] += 1
        del runs[i]
        if has_prev and has_next and runs[i - 1][0] == runs[i][0]:  # its neighbours meet: one run
            runs[i - 1][1] += runs[i][1]
            del runs[i]
        i = max(i - 1, 0)
    return np.repeat(np.array([v for v, _ in runs], np.uint8), [n for _, n in runs])
