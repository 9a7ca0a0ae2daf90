"""espeak-ng, the default engine: libespeak-ng driven directly through its C API (speak_lib.h).

pyttsx3 (a dependency, the same library) initialises espeak-ng without phoneme events, so this
module calls the library itself: espeak_Initialize(SYNCHRONOUS, ..., PHONEME_EVENTS |
PHONEME_IPA), one synthesis at a time behind a lock (the library is one per process). Each
espeakEVENT_PHONEME gives the IPA name and the sample where the phoneme starts, so the timings
are the engine's own. Mandarin is given as numbered pinyin (render.speech.mandarin) to
espeak-ng's pinyin voice: its `cmn` voice speaks most characters as English letters.

Asset settings: espeak_voice (e.g. "en-us+f3", "cmn+f3"), rate (words per minute at speed
100, default 175), pitch (espeak-ng 0..100 at pitch 100, default 50).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from render.errors import InternalError
from render.speech import mandarin
from render.speech.engines import Request, Speech, register, timed

DEFAULT_RATE, DEFAULT_PITCH = 175, 50  # espeak-ng's own defaults (wpm, 0..100)
RATE_MIN, RATE_MAX = 80, 450
# F0 at espeak-ng pitch 0, 10, .., 100 relative to pitch 50 (measured, see docs/speech.md)
PITCH_STEPS = np.arange(0, 101, 10, dtype=np.float64)
PITCH_F0 = np.array([0.68, 0.72, 0.78, 0.84, 0.91, 1.0, 1.09, 1.21, 1.35, 1.50, 1.66])
PINYIN_VOICE = "cmn-latn-pinyin"  # Mandarin that reads its text as numbered pinyin
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_PHONEME_EVENTS, _PHONEME_IPA = 0x0001, 0x0002
_EVENT_END_LIST, _EVENT_PHONEME = 0, 7
_CHARS_UTF8, _ENDPAUSE = 1, 0x1000
_RATE, _VOLUME, _PITCH = 1, 2, 3


class _Id(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _Id)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))
_LOCK = threading.Lock()  # one espeak-ng per process: one synthesis at a time
_lib: ctypes.CDLL | None = None
_rate = 0
_chunks: list[np.ndarray] = []
_marks: list[tuple[str, int]] = []


@_CALLBACK
def _on_synth(wav, numsamples, events):
    if numsamples > 0 and wav:
        # (a copy of the bytes: np.ctypeslib.as_array would make, and ctypes keep forever, an
        # array type per distinct buffer length)
        _chunks.append(np.frombuffer(ctypes.string_at(wav, numsamples * 2), np.int16))
    i = 0
    while events[i].type != _EVENT_END_LIST:
        if events[i].type == _EVENT_PHONEME:
            _marks.append((events[i].id.string.decode("utf-8", "replace"), events[i].sample))
        i += 1
    return 0


def _library() -> ctypes.CDLL:
    global _lib, _rate
    if _lib is None:
        lib = ctypes.CDLL(ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1")
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _PHONEME_EVENTS | _PHONEME_IPA)
        if rate <= 0:
            raise InternalError("espeak-ng could not be initialised (is libespeak-ng1 installed?)")
        lib.espeak_SetSynthCallback(_on_synth)
        _lib, _rate = lib, rate
    return _lib


def _synth(text: str, voice: str, rate: int, pitch: int, where: str) -> tuple[np.ndarray, int, list[tuple[str, int]]]:
    """Raw espeak-ng audio (float32), its sample rate and (IPA symbol, start sample) marks,
    the last one ("", total samples) closing the final phoneme."""
    with _LOCK:
        lib = _library()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise InternalError(f"{where}: espeak-ng voice {voice!r} cannot be used")
        lib.espeak_SetParameter(_RATE, rate, 0)
        lib.espeak_SetParameter(_PITCH, pitch, 0)
        lib.espeak_SetParameter(_VOLUME, 100, 0)
        _chunks.clear()
        _marks.clear()
        data = text.encode("utf-8")
        if lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, _CHARS_UTF8 | _ENDPAUSE, None, None) != 0:
            raise InternalError(f"{where}: speech synthesis failed for {text[:40]!r}")
        pcm = np.concatenate(_chunks) if _chunks else np.zeros(0, np.int16)
        marks = [*_marks, ("", len(pcm))]
        rate_hz = _rate
    return pcm.astype(np.float32) / 32768.0, rate_hz, marks


def pitch_plan(base_pitch: float, factor: float) -> tuple[int, float]:
    """(espeak-ng pitch 0..100, extra shift) giving F0 x factor from the voice's base pitch.

    espeak-ng's pitch parameter covers about x0.68..x1.66 of its value 50 (PITCH_F0, measured on
    en-us, en-us+f3 and cmn); what it cannot reach is the extra shift, done by synthesizing
    slower (or faster) and playing the samples faster (slower)."""
    want = factor * float(np.interp(base_pitch, PITCH_STEPS, PITCH_F0))
    p = float(np.interp(want, PITCH_F0, PITCH_STEPS))
    shift = want / float(np.interp(p, PITCH_STEPS, PITCH_F0))
    return int(min(100, max(0, round(p)))), (1.0 if abs(shift - 1) < 0.02 else shift)


def _clamp_rate(rate: float) -> int:
    return int(min(RATE_MAX, max(RATE_MIN, round(rate))))


def _spoken(result) -> int:
    """Samples of speech in a synthesis, its silence around cut (what the length is judged by)."""
    from render.speech.tts import trim_span

    a, b = trim_span(result[0], result[1])
    return b - a


def _voice_name(voice: str, lang: str) -> str:
    """Mandarin runs (given as pinyin) go to the pinyin voice, keeping the variant (+f3)."""
    base, plus, variant = voice.partition("+")
    if lang == "zh" and base in ("cmn", "zh", "zh-cmn", "cmn-latn-pinyin"):
        return PINYIN_VOICE + plus + variant
    return voice


class Espeak:
    name = "espeak"
    alphabets = frozenset({"pinyin"})

    def model(self, options: Mapping[str, Any]) -> str:
        return "espeak-ng-1/" + str(options.get("espeak_voice", ""))

    def synthesize(self, request: Request) -> Speech:
        """Speech whose length is the voice's normal length / speed, F0 x pitch.

        espeak-ng's words-per-minute is close to, not exactly, proportional to the spoken length
        (up to ~7% off near its limits), so the length is measured against the voice's normal
        rate and the rate corrected once when it is more than 2% off."""
        o = request.options
        voice = _voice_name(str(o.get("espeak_voice") or ("cmn" if request.lang == "zh" else "en-us")), request.lang)
        text = request.text
        if request.lang == "zh" and request.phonemes != "pinyin":
            text = mandarin.to_pinyin(text)
        base_rate = float(o.get("rate", DEFAULT_RATE))
        pitch, shift = pitch_plan(float(o.get("pitch", DEFAULT_PITCH)), request.pitch)
        factor = request.speed / shift
        first = _synth(text, voice, _clamp_rate(base_rate * factor), pitch, request.where)
        best = first
        if abs(factor - 1) > 1e-6 and _spoken(first):
            want = _spoken(_synth(text, voice, _clamp_rate(base_rate), pitch, request.where)) / factor
            if abs(_spoken(first) / want - 1) > 0.02:
                second = _synth(text, voice, _clamp_rate(_clamp_rate(base_rate * factor) * _spoken(first) / want),
                                pitch, request.where)
                if abs(_spoken(second) - want) < abs(_spoken(first) - want):
                    best = second
        samples, rate, marks = best
        return Speech(samples, rate * shift, timed(marks, rate * shift))


register(Espeak())
