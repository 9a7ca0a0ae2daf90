"""The speech seam: a TTS engine turns text + voice settings into samples and timed phonemes.

A new engine is one module here that calls `register(...)` when imported, plus one line in
`MODULES` (its name -> its module), so a VOICE asset can name it: `"meta": {"engine": "NAME",
...its settings}`. Optional engines (Piper, HTTP) are imported only when a voice asks for them.
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from render.errors import SpecError
from render.speech.clip import Phoneme

# engine name -> the module that registers it (imported on first use)
MODULES = {
    "espeak": "render.speech.engines.espeak",
    "piper": "render.speech.engines.piper",
    "http": "render.speech.engines.http",
}


@dataclass(frozen=True)
class Request:
    """What to say and how. `speed` and `pitch` are factors on the voice's normal rate and F0
    (1.0 = as the asset defines it); `options` are the VOICE asset's engine settings; `lang`
    "en" or "zh"; `phonemes` names the notation of `text` when it is <phoneme ph> content
    ("ipa", "x-sampa", "pinyin"), None for ordinary text."""

    text: str
    options: Mapping[str, Any] = field(default_factory=dict)
    speed: float = 1.0
    pitch: float = 1.0
    lang: str = "en"
    phonemes: str | None = None
    where: str = "voice"
    policy: Any = None  # the room's MediaPolicy (an engine that calls a URL checks it)


@dataclass(frozen=True)
class Speech:
    """Mono float32 samples at `rate` Hz and the phonemes timed in seconds from their start
    (None: the engine gives no timings). Resampling to 48 kHz keeps the times; a rate that is
    not the engine's own plays the samples faster or slower (a pitch shift)."""

    samples: np.ndarray
    rate: float
    phonemes: tuple[Phoneme, ...] | None = None


class Engine(Protocol):
    name: str
    alphabets: frozenset[str]  # <phoneme alphabet> notations it speaks (others: the written text)

    def model(self, options: Mapping[str, Any]) -> str:
        """What identifies the voice model in the speech cache key (a file's size and mtime, a URL)."""
        ...

    def synthesize(self, request: Request) -> Speech: ...


_ENGINES: dict[str, Engine] = {}


def register(engine: Engine) -> None:
    _ENGINES[engine.name] = engine


def engine(name: str, where: str = "voice") -> Engine:
    """The engine a VOICE asset names, its module imported on first use."""
    if name not in _ENGINES:
        module = MODULES.get(name)
        if module is None:
            raise SpecError(f"{where}: unknown TTS engine {name!r} (known: {', '.join(sorted(MODULES))})")
        importlib.import_module(module)
    return _ENGINES[name]


def timed(symbols: list[tuple[str, int]], rate: float) -> tuple[Phoneme, ...]:
    """(symbol, start sample) in order, the last entry marking the end -> timed Phonemes."""
    out = []
    for (sym, a), (_, b) in zip(symbols, symbols[1:], strict=False):
        if b > a:
            out.append(Phoneme(a / rate, b / rate, sym))
    return tuple(out)
