"""Sentence cues -> the cues shown as subtitles (pure).

A sentence too long for the subtitle box becomes successive cues, one per page, each timed by
its share of the sentence's characters (speech goes at about a steady rate of characters); a
short pause between two sentences keeps the earlier one on screen, so the subtitle does not
blink off and on.
"""
from __future__ import annotations

from collections.abc import Callable

from render.speech.clip import Cue

HOLD = 1.5  # seconds: a gap between cues up to this long is bridged by the earlier cue


def _weight(text: str) -> int:
    return max(1, sum(1 for ch in text if not ch.isspace()))


def split_cue(cue: Cue, pages: list[str]) -> list[Cue]:
    """One cue per page, the cue's time shared in proportion to the pages' characters."""
    if len(pages) <= 1:
        return [cue]
    total = sum(_weight(p) for p in pages)
    out, t, done = [], cue.start, 0
    for page in pages:
        done += _weight(page)
        end = cue.start + (cue.end - cue.start) * done / total
        out.append(Cue(t, end, page, cue.meta))
        t = end
    return out


def subtitle_cues(cues: list[Cue], pages: Callable[[str], list[str]] | None = None,
                  hold: float = HOLD) -> list[Cue]:
    """The cues as shown: each split into `pages(text)` (None: as they are), and each one
    lasting until the next when the gap between them is at most `hold` seconds."""
    shown = [c for cue in cues for c in (split_cue(cue, pages(cue.text)) if pages else [cue])]
    out = []
    for i, c in enumerate(shown):
        nxt = shown[i + 1] if i + 1 < len(shown) else None
        if nxt is not None and 0 < nxt.start - c.end <= hold:
            c = Cue(c.start, nxt.start, c.text, c.meta)
        out.append(c)
    return out
