"""Text (plain or SSML) + voice_config -> a Clip with sentence cues, insert-action cues and the
engine's timed phonemes.

Each sentence (or long clause) is synthesized on its own, so cue times are exact sums of
segment lengths, pauses and breaks, counted in samples. Within a sentence, a Chinese run in an
English voice's text (or English in a Chinese voice's) is spoken by the library's voice of that
language and the same gender; numbers, prices and units are read out in the run's language.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from render.audio import limit
from render.errors import AssetNotFoundError, MediaFileError, SpecError
from render.speech import ssml
from render.speech.clip import Clip, Cue, Phoneme
from render.speech.engines import Request, engine
from render.speech.mixed import runs
from render.speech.numbers import read
from render.speech.text import Seg, is_chinese, sentences
from render.speech.tts import synthesize
from render.timebase import SAMPLE_RATE

DEFAULT_RATE, DEFAULT_PITCH = 175, 50  # espeak-ng's own defaults (wpm, 0..100)
HEADROOM = 0.8  # engine output x 0.8 at volume 140 (about -20 dBFS RMS); the limiter takes the peaks of 240
PAUSE_S = {"sentence": 0.30, "clause": 0.15, "word": 0.06}  # at speed 100; scaled by 100/speed
PITCH_EXPONENT = 0.7
RANGES = {"speed": (50, 200, 100), "pitch": (50, 200, 100), "volume": (90, 240, 140)}
# the library's voice for a run in the other language, by (language, gender)
PARTNERS = {("zh", "female"): "voice_cmn_female", ("zh", "male"): "voice_cmn_male",
            ("en", "female"): "a5d295cdb345c11bd9f36bc22ced3a7a", ("en", "male"): "voice_en_male"}
PARTNER_ESPEAK = {("zh", "female"): "cmn+f3", ("zh", "male"): "cmn", ("en", "female"): "en-us+f3",
                  ("en", "male"): "en-us"}  # when the library has no such asset
META_KEYS = {"name", "engine", "gender", "lang"}


class SpeechFn(Protocol):
    """What a programme calls to turn a paragraph or a line into a Clip: `speak` on air, a
    synthetic one in tests (Programme(..., speech=...))."""

    def __call__(self, text: str, voice_config, library, *, where: str = ..., voice_where: str | None = ...) -> Clip:
        ...


@dataclass(frozen=True)
class Voice:
    """A resolved voice: its engine and the engine's settings, language, gender and the room's
    settings. `espeak_voice` is the espeak-ng voice name (espeak engine)."""

    espeak_voice: str
    base_rate: float = DEFAULT_RATE
    base_pitch: float = DEFAULT_PITCH
    speed: int = 100
    pitch: int = 100
    volume: int = 140
    engine: str = "espeak"
    options: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    lang: str = "en"
    gender: str = "female"
    partners: Mapping[str, Voice] = field(default_factory=dict, hash=False, compare=False)

    def settings(self) -> dict:
        """The engine's settings (espeak: voice name, base rate and pitch)."""
        if self.engine == "espeak":
            return {**self.options, "espeak_voice": self.espeak_voice, "rate": self.base_rate,
                    "pitch": self.base_pitch}
        return dict(self.options)

    def f0_factor(self, factor: float = 1.0) -> float:
        """F0 x (pitch/100)^0.7 x factor: 200 -> x1.62, 50 -> x0.62."""
        return (self.pitch / 100) ** PITCH_EXPONENT * factor

    def gain(self, factor: float = 1.0) -> float:
        """Amplitude gain: volume/140 (140 = unity), times the fixed headroom."""
        return self.volume / 140 * factor * HEADROOM

    def for_lang(self, lang: str) -> Voice:
        """The voice that speaks a run in `lang`: this one, or its partner of that language."""
        return self if lang == self.lang else self.partners.get(lang, self)


def _setting(voice_config, name: str, where: str) -> int:
    lo, hi, default = RANGES[name]
    value = getattr(voice_config, name, None)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise SpecError(f"{where}.{name}: must be an integer from {lo} to {hi}, got {value!r}")
    return int(value)


def _lang_of(meta: dict, espeak_voice: str) -> str:
    if meta.get("lang"):
        return "zh" if str(meta["lang"]).lower().startswith(("zh", "cmn")) else "en"
    return "zh" if espeak_voice.startswith(("cmn", "zh", "yue")) else "en"


def _from_meta(meta: dict, fallback: str, room: dict, where: str) -> Voice:
    espeak_voice = meta.get("espeak_voice") or fallback
    eng = str(meta.get("engine") or "espeak")
    engine(eng, f"{where}.voice_asset_id")  # an unknown or uninstalled engine fails here, named
    gender = str(meta.get("gender") or ("female" if "+f" in espeak_voice else "male")).lower()
    return Voice(espeak_voice=espeak_voice, base_rate=float(meta.get("rate", DEFAULT_RATE)),
                 base_pitch=float(meta.get("pitch", DEFAULT_PITCH)), engine=eng,
                 options={k: v for k, v in meta.items() if k not in META_KEYS}, lang=_lang_of(meta, espeak_voice),
                 gender=gender, **room)


def voice_for(voice_config, library, *, text: str = "", where: str = "voice_config") -> Voice:
    """Resolve voice_config (or None: the default voice) against the library's VOICE assets.

    `where` is the JSON path of the voice_config object; an unknown voice_asset_id is an
    AssetNotFoundError (MSS.10001001) naming `{where}.voice_asset_id`. Text in Chinese uses
    espeak-ng's Mandarin voice (cmn) when the asset names no espeak voice.
    """
    fallback = "cmn" if is_chinese(text) else "en-us"
    meta: dict = {}
    room: dict = {}
    if voice_config is not None:
        asset_id = getattr(voice_config, "voice_asset_id", None)
        if asset_id:
            meta = library.asset(asset_id, "VOICE", field=f"{where}.voice_asset_id").meta or {}
        room = {n: _setting(voice_config, n, where) for n in RANGES}
    voice = _from_meta(meta, fallback, room, where)
    other = "en" if voice.lang == "zh" else "zh"
    key = (other, voice.gender)
    partner_meta = meta.get(f"{other}_voice")
    found = {"espeak_voice": PARTNER_ESPEAK[key]}  # without a library or such asset: espeak-ng's voice
    if library is not None:
        try:
            found = library.asset(partner_meta or PARTNERS[key], "VOICE", field=f"{where}.voice_asset_id").meta or {}
        except (AssetNotFoundError, MediaFileError):
            pass
    partner = _from_meta({**found, "lang": other}, PARTNER_ESPEAK[key], room, where)
    return replace(voice, partners={other: partner})


def speak(text: str, voice_config, library, *, where: str = "text_config.text",
          voice_where: str | None = None, cache_dir=None) -> Clip:
    """Synthesize a paragraph (plain or SSML) -> Clip(samples 48 kHz, sentence cues, action cues,
    phonemes when every engine that spoke gave timings).

    `where` names the paragraph (SSML errors), `voice_where` the voice_config object (default:
    the scene's, `scene_scripts[i].voice_config`, derived from `where`).
    """
    if voice_where is None:
        m = re.match(r"(scene_scripts\[\d+\])\.", where)
        voice_where = f"{m.group(1)}.voice_config" if m else "voice_config"
    items = ssml.parse(text, where)
    shown = "".join(i.shown for i in items if isinstance(i, ssml.Run))
    voice = voice_for(voice_config, library, text=shown, where=voice_where)
    lang = "zh" if is_chinese(shown) or voice.lang == "zh" else "en"
    chunks: list[np.ndarray] = []
    cues: list[Cue] = []
    actions: list[Cue] = []
    phonemes: list[Phoneme] | None = []
    pos = 0
    for sent in sentences(items, lang):
        first = last = None
        rate_factor = 1.0
        for part in sent.parts:
            if isinstance(part, ssml.Break):
                n = part.ms * SAMPLE_RATE // 1000
                chunks.append(np.zeros(n, np.float32))
                pos += n
            elif isinstance(part, ssml.Action):
                t = pos / SAMPLE_RATE
                actions.append(Cue(t, t, part.name, dict(part.attrs)))
            elif isinstance(part, Seg) and part.spoken.strip():
                for audio, phones, v in _say(part, voice, lang, library, cache_dir, where):
                    if len(audio) == 0:
                        continue
                    if last == pos:  # another piece of the same sentence (prosody, language): a word gap
                        n = round(PAUSE_S["word"] * 100 / (voice.speed * part.prosody.rate) * SAMPLE_RATE)
                        chunks.append(np.zeros(n, np.float32))
                        pos += n
                    chunks.append(audio * np.float32(v.gain(part.prosody.volume)))
                    if phonemes is not None and phones is not None:
                        t0 = pos / SAMPLE_RATE
                        phonemes += [Phoneme(p.start + t0, p.end + t0, p.symbol) for p in phones]
                    elif phones is None:
                        phonemes = None
                    first = pos if first is None else first
                    pos += len(audio)
                    last = pos
                rate_factor = part.prosody.rate
        if first is not None and sent.shown:
            cues.append(Cue(first / SAMPLE_RATE, last / SAMPLE_RATE, sent.shown))
        if sent.pause and first is not None:
            n = round(PAUSE_S[sent.pause] * 100 / (voice.speed * rate_factor) * SAMPLE_RATE)
            chunks.append(np.zeros(n, np.float32))
            pos += n
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return Clip(limit(samples), cues, actions, None if phonemes is None else covered(phonemes, pos / SAMPLE_RATE))


def covered(phonemes: list[Phoneme], duration: float) -> tuple[Phoneme, ...]:
    """The phonemes with every stretch between them (pauses, breaks, trimmed silence) a pause
    "", so they cover the clip from 0 to `duration` without a hole."""
    out: list[Phoneme] = []
    t = 0.0
    for p in phonemes:
        if p.start > t + 1e-6:
            out.append(Phoneme(t, p.start, ""))
        out.append(p)
        t = max(t, p.end)
    if duration > t + 1e-6:
        out.append(Phoneme(t, duration, ""))
    return tuple(out)


def _say(seg: Seg, voice: Voice, lang: str, library, cache_dir, where: str):
    """(48 kHz samples, phonemes or None, the voice that spoke) of each language run of a segment."""
    pr = seg.prosody
    if seg.phonemes is not None:
        alphabet, ph = seg.phonemes
        v = voice.for_lang("zh" if alphabet == "pinyin" else lang)
        if alphabet in engine(v.engine).alphabets:
            yield (*_synth(v, ph, "zh" if alphabet == "pinyin" else lang, pr, library, cache_dir, where,
                           alphabet), v)
            return
    for piece, run_lang in runs(seg.spoken.strip(), lang):
        spoken = read(piece, run_lang).strip()
        if not re.search(r"\w", spoken):
            continue
        v = voice.for_lang(run_lang)
        yield (*_synth(v, spoken, run_lang, pr, library, cache_dir, where), v)


def _synth(v: Voice, text: str, lang: str, pr: ssml.Prosody, library, cache_dir, where: str,
           alphabet: str | None = None):
    request = Request(text=text, options=v.settings(), speed=v.speed / 100 * pr.rate, pitch=v.f0_factor(pr.pitch),
                      lang=lang, phonemes=alphabet, where=where, policy=getattr(library, "policy", None))
    return synthesize(v.engine, request, cache_dir=cache_dir)
