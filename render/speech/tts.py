"""One sentence segment -> 48 kHz mono float32 speech and its timed phonemes, through the engine
its voice names (render.speech.engines), cached on disk.

The cache key holds the engine, its model, the text and the settings, so re-rendering a room
does not synthesize again and a new model never answers from an old one's cache.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from render.assets import cache_root
from render.audio import resample
from render.speech.clip import Phoneme
from render.speech.engines import Request, engine
from render.timebase import SAMPLE_RATE

CACHE_VERSION = "tts-v2"
SILENCE = 0.01  # |x| under this is silence when trimming (about -40 dBFS)
LEAD, TAIL = 0.005, 0.030  # seconds kept before the first and after the last sound


def cache_dir_default() -> Path:
    return cache_root() / "tts"


def synthesize(engine_name: str, request: Request, *, cache_dir: Path | None = None
               ) -> tuple[np.ndarray, tuple[Phoneme, ...] | None]:
    """Speech at 48 kHz, leading/trailing silence trimmed, the engine's full level, and its
    phonemes timed from the first kept sample (None when the engine gives no timings)."""
    eng = engine(engine_name, request.where)
    key = hashlib.sha256(json.dumps([
        CACHE_VERSION, eng.name, eng.model(request.options), request.text, round(request.speed, 4),
        round(request.pitch, 4), request.lang, request.phonemes,
        {k: v for k, v in request.options.items() if k != "api_key"}], sort_keys=True, default=str).encode()
    ).hexdigest()
    folder = Path(cache_dir) if cache_dir else cache_dir_default()
    path = folder / key[:2] / f"{key}.npy"
    try:
        samples = np.load(path)
        phon = json.loads(path.with_suffix(".json").read_text())
        return samples, None if phon is None else tuple(Phoneme(*p) for p in phon)
    except (OSError, ValueError):
        pass
    speech = eng.synthesize(request)
    a, b = trim_span(speech.samples, speech.rate)
    out = resample(speech.samples[a:b], round(speech.rate))
    phones = None if speech.phonemes is None else shift_phonemes(speech.phonemes, -a / speech.rate,
                                                                 len(out) / SAMPLE_RATE)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path.with_suffix(".json"), json.dumps(None if phones is None else [list(p.__dict__.values())
                                                                                   for p in phones]).encode())
        buf = tempfile.SpooledTemporaryFile()
        np.save(buf, out)
        buf.seek(0)
        _write(path, buf.read())
    except OSError:
        pass  # a cache we cannot write is only slower
    return out, phones


def _write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def shift_phonemes(phonemes, offset: float, duration: float) -> tuple[Phoneme, ...]:
    """Phonemes moved by `offset` seconds and clipped to [0, duration] (after trimming)."""
    out = []
    for p in phonemes:
        a, b = max(0.0, p.start + offset), min(duration, p.end + offset)
        if b > a:
            out.append(Phoneme(a, b, p.symbol))
    return tuple(out)


def trim_span(x: np.ndarray, sr: float) -> tuple[int, int]:
    """[first, end) samples without leading and trailing silence, a few ms of margin kept."""
    loud = np.nonzero(np.abs(x) > SILENCE)[0]
    if loud.size == 0:
        return 0, 0
    return max(0, int(loud[0] - LEAD * sr)), min(len(x), int(loud[-1] + 1 + TAIL * sr))


def trim(x: np.ndarray, sr: int) -> np.ndarray:
    """Cut leading and trailing silence, keeping a few ms of margin."""
    a, b = trim_span(x, sr)
    return x[a:b]
