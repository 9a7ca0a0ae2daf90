"""One sentence segment -> 48 kHz mono float32 speech, with pyttsx3 (espeak-ng) behind a lock.

pyttsx3 is not safe to call from two threads at once and espeak-ng is initialised once per
process, so every synthesis holds `_ENGINE_LOCK`. Results are cached on disk by a hash of the
text and the synthesis settings, so re-rendering a room does not synthesize again.
"""
from __future__ import annotations

import ctypes
import hashlib
import itertools
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from render.assets import cache_root
from render.audio import resample
from render.errors import InternalError

_ENGINE_LOCK = threading.Lock()  # guards the one process-wide espeak-ng engine
_ENGINE = None  # espeak-ng can be initialised once per process: one engine, created on first use
_TOKENS = itertools.count(1)
ESPEAK_RATE = 22050
SYNTH_TIMEOUT = 60.0
CACHE_VERSION = "espeak-trim-v1"
RATE_MIN, RATE_MAX = 80, 450  # espeak-ng words per minute
SILENCE = 0.01  # |x| under this is silence when trimming (about -40 dBFS)
LEAD, TAIL = 0.005, 0.030  # seconds kept before the first and after the last sound


def cache_dir_default() -> Path:
    return cache_root() / "tts"


def synthesize(text: str, voice: str, rate: float, pitch: float, *, cache_dir: Path | None = None,
               where: str = "voice") -> np.ndarray:
    """Speech for `text` at 48 kHz, leading/trailing silence trimmed, espeak's full level.

    rate: words per minute (80..450), pitch: espeak-ng pitch 0..100. Cached on disk.
    """
    rate = _clamp_rate(rate)
    pitch = int(min(100, max(0, round(pitch))))
    key = hashlib.sha256(json.dumps([CACHE_VERSION, text, voice, rate, pitch]).encode()).hexdigest()
    folder = Path(cache_dir) if cache_dir else cache_dir_default()
    path = folder / key[:2] / f"{key}.npy"
    try:
        return np.load(path)
    except (OSError, ValueError):
        pass
    raw, sr = _espeak(text, voice, rate, pitch, where)
    out = resample(trim(raw, sr), sr)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.save(f, out)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache we cannot write is only slower
    return out


def synthesize_scaled(text: str, voice: str, base_rate: float, factor: float, pitch: float, *,
                      cache_dir: Path | None = None, where: str = "voice") -> np.ndarray:
    """Speech whose length is the voice's normal length / `factor` (speed 200 -> half).

    espeak-ng's words-per-minute is close to, not exactly, proportional to the spoken length
    (up to ~7% off near its limits), so the length is measured against the voice's normal rate
    and the rate corrected once when it is more than 2% off.
    """
    first = synthesize(text, voice, base_rate * factor, pitch, cache_dir=cache_dir, where=where)
    if abs(factor - 1) < 1e-6 or len(first) == 0:
        return first
    normal = synthesize(text, voice, base_rate, pitch, cache_dir=cache_dir, where=where)
    want = len(normal) / factor
    if abs(len(first) / want - 1) <= 0.02:
        return first
    rate = _clamp_rate(base_rate * factor) * len(first) / want
    second = synthesize(text, voice, rate, pitch, cache_dir=cache_dir, where=where)
    return second if abs(len(second) - want) < abs(len(first) - want) else first


def _clamp_rate(rate: float) -> int:
    return int(min(RATE_MAX, max(RATE_MIN, round(rate))))


def trim(x: np.ndarray, sr: int) -> np.ndarray:
    """Cut leading and trailing silence, keeping a few ms of margin."""
    loud = np.nonzero(np.abs(x) > SILENCE)[0]
    if loud.size == 0:
        return np.zeros(0, np.float32)
    a = max(0, loud[0] - int(LEAD * sr))
    b = min(len(x), loud[-1] + 1 + int(TAIL * sr))
    return x[a:b]


def _espeak(text: str, voice: str, rate: int, pitch: int, where: str) -> tuple[np.ndarray, int]:
    """Raw espeak-ng output (int16 scaled to float32) and its sample rate.

    pyttsx3 sets up espeak-ng (retrieval mode) and its driver's property setters choose voice,
    rate and pitch. Samples are collected by our own callback rather than the driver's
    save_to_file: in pyttsx3 2.99 that drops the buffer delivered with the end-of-message
    event and its runAndWait can return before the asynchronous synthesis has finished.
    The end of *this* message is recognised by its user_data token.
    """
    import pyttsx3
    from pyttsx3.drivers import _espeak
    from pyttsx3.drivers.espeak import EspeakDriver

    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = pyttsx3.init()  # keep it: pyttsx3 only holds engines weakly
        _wait_idle(_espeak)
        try:
            EspeakDriver.setProperty("voice", voice)
        except ValueError as e:
            raise InternalError(f"{where}: espeak-ng voice {voice!r} cannot be used ({e})") from None
        EspeakDriver.setProperty("rate", rate)
        EspeakDriver.setProperty("pitch", pitch)
        EspeakDriver.setProperty("volume", 1.0)
        token = next(_TOKENS)
        done = threading.Event()
        chunks: list[bytes] = []

        def on_synth(wav, numsamples, events):
            if numsamples > 0 and wav:
                chunks.append(ctypes.string_at(wav, numsamples * 2))
            i = 0
            while events[i].type != _espeak.EVENT_LIST_TERMINATED:
                if events[i].type == _espeak.EVENT_MSG_TERMINATED and events[i].user_data == token:
                    done.set()
                i += 1
            return 0

        _espeak.SetSynthCallback(on_synth)
        try:
            _espeak.Synth(text.encode("utf-8"), flags=_espeak.ENDPAUSE | _espeak.CHARS_UTF8,
                          user_data=ctypes.c_void_p(token))
            finished = done.wait(SYNTH_TIMEOUT)
            _wait_idle(_espeak)
        finally:
            _espeak.SetSynthCallback(_ENGINE.proxy._driver._onSynth)  # hand the engine back to pyttsx3
    if not finished:
        raise InternalError(f"{where}: speech synthesis did not finish for {text[:40]!r}")
    pcm = np.frombuffer(b"".join(chunks), np.int16)
    return pcm.astype(np.float32) / 32768.0, ESPEAK_RATE


def _wait_idle(_espeak) -> None:
    deadline = time.monotonic() + SYNTH_TIMEOUT
    while _espeak.IsPlaying() and time.monotonic() < deadline:
        time.sleep(0.001)
