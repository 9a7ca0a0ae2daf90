"""Text (plain or SSML) + voice_config -> a Clip with sentence cues and insert-action cues.

Each sentence (or long clause) is synthesized on its own, so cue times are exact sums of
segment lengths, pauses and breaks, counted in samples.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from render.audio import limit, resample
from render.errors import SpecError
from render.speech import ssml
from render.speech.clip import Clip, Cue
from render.speech.text import Seg, is_chinese, sentences
from render.speech.tts import synthesize_scaled
from render.timebase import SAMPLE_RATE

DEFAULT_RATE, DEFAULT_PITCH = 175, 50  # espeak-ng's own defaults (wpm, 0..100)
HEADROOM = 0.8  # espeak output x 0.8 at volume 140 (about -20 dBFS RMS); the limiter takes the peaks of 240
PAUSE_S = {"sentence": 0.30, "clause": 0.15, "word": 0.06}  # at speed 100; scaled by 100/speed
# F0 at espeak-ng pitch 0, 10, .., 100 relative to pitch 50 (measured, see docs/speech.md)
ESPEAK_PITCH_STEPS = np.arange(0, 101, 10, dtype=np.float64)
ESPEAK_F0 = np.array([0.68, 0.72, 0.78, 0.84, 0.91, 1.0, 1.09, 1.21, 1.35, 1.50, 1.66])
PITCH_EXPONENT = 0.7
RANGES = {"speed": (50, 200, 100), "pitch": (50, 200, 100), "volume": (90, 240, 140)}


@dataclass(frozen=True)
class Voice:
    """A resolved voice: espeak-ng voice name, its base rate/pitch and the room's settings."""

    espeak_voice: str
    base_rate: float = DEFAULT_RATE
    base_pitch: float = DEFAULT_PITCH
    speed: int = 100
    pitch: int = 100
    volume: int = 140

    def pitch_plan(self, factor: float = 1.0) -> tuple[float, float]:
        """(espeak-ng pitch 0..100, extra shift) giving F0 x (pitch/100)^0.7 x factor.

        200 -> F0 x 1.62, 50 -> x 0.62. espeak-ng's pitch parameter covers about x0.68..x1.66
        of its value 50 (ESPEAK_F0, measured on en-us, en-us+f3 and cmn); what it cannot reach
        is the extra shift, done by synthesizing slower (or faster) and resampling.
        """
        target = (self.pitch / 100) ** PITCH_EXPONENT * factor
        base_rel = float(np.interp(self.base_pitch, ESPEAK_PITCH_STEPS, ESPEAK_F0))
        want = target * base_rel
        p = float(np.interp(want, ESPEAK_F0, ESPEAK_PITCH_STEPS))
        shift = want / float(np.interp(p, ESPEAK_PITCH_STEPS, ESPEAK_F0))
        return p, (1.0 if abs(shift - 1) < 0.02 else shift)

    def gain(self, factor: float = 1.0) -> float:
        """Amplitude gain: volume/140 (140 = unity), times the fixed headroom."""
        return self.volume / 140 * factor * HEADROOM


def _setting(voice_config, name: str, where: str) -> int:
    lo, hi, default = RANGES[name]
    value = getattr(voice_config, name, None)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise SpecError(f"{where}.{name}: must be an integer from {lo} to {hi}, got {value!r}")
    return int(value)


def voice_for(voice_config, library, *, text: str = "", where: str = "voice_config") -> Voice:
    """Resolve voice_config (or None: the default voice) against the library's VOICE assets.

    `where` is the JSON path of the voice_config object; an unknown voice_asset_id is an
    AssetNotFoundError (MSS.10001001) naming `{where}.voice_asset_id`. Text in Chinese uses
    espeak-ng's Mandarin voice (cmn) when the asset names no espeak voice.
    """
    fallback = "cmn" if is_chinese(text) else "en-us"
    if voice_config is None:
        return Voice(fallback)
    meta: dict = {}
    asset_id = getattr(voice_config, "voice_asset_id", None)
    if asset_id:
        meta = library.asset(asset_id, "VOICE", field=f"{where}.voice_asset_id").meta or {}
    return Voice(
        espeak_voice=meta.get("espeak_voice") or fallback,
        base_rate=float(meta.get("rate", DEFAULT_RATE)),
        base_pitch=float(meta.get("pitch", DEFAULT_PITCH)),
        speed=_setting(voice_config, "speed", where),
        pitch=_setting(voice_config, "pitch", where),
        volume=_setting(voice_config, "volume", where),
    )


def speak(text: str, voice_config, library, *, where: str = "text_config.text",
          voice_where: str | None = None, cache_dir=None) -> Clip:
    """Synthesize a paragraph (plain or SSML) -> Clip(samples 48 kHz, sentence cues, action cues).

    `where` names the paragraph (SSML errors), `voice_where` the voice_config object (default:
    the scene's, `scene_scripts[i].voice_config`, derived from `where`).
    """
    if voice_where is None:
        m = re.match(r"(scene_scripts\[\d+\])\.", where)
        voice_where = f"{m.group(1)}.voice_config" if m else "voice_config"
    items = ssml.parse(text, where)
    shown = "".join(i.shown for i in items if isinstance(i, ssml.Run))
    voice = voice_for(voice_config, library, text=shown, where=voice_where)
    lang = "zh" if is_chinese(shown) or voice.espeak_voice.startswith(("cmn", "zh", "yue")) else "en"
    chunks: list[np.ndarray] = []
    cues: list[Cue] = []
    actions: list[Cue] = []
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
                pr = part.prosody
                espeak_pitch, shift = voice.pitch_plan(pr.pitch)
                audio = synthesize_scaled(part.spoken.strip(), voice.espeak_voice, voice.base_rate,
                                          voice.speed / 100 * pr.rate / shift, espeak_pitch,
                                          cache_dir=cache_dir, where=where)
                if shift != 1.0:  # slower speech played faster: same length, F0 x shift
                    audio = resample(audio, round(SAMPLE_RATE * shift))
                if len(audio) == 0:
                    continue
                if last == pos:  # another segment of the same sentence (prosody change): a word gap
                    n = round(PAUSE_S["word"] * 100 / (voice.speed * pr.rate) * SAMPLE_RATE)
                    chunks.append(np.zeros(n, np.float32))
                    pos += n
                chunks.append(audio * np.float32(voice.gain(pr.volume)))
                first = pos if first is None else first
                pos += len(audio)
                last = pos
                rate_factor = pr.rate
        if first is not None and sent.shown:
            cues.append(Cue(first / SAMPLE_RATE, last / SAMPLE_RATE, sent.shown))
        if sent.pause and first is not None:
            n = round(PAUSE_S[sent.pause] * 100 / (voice.speed * rate_factor) * SAMPLE_RATE)
            chunks.append(np.zeros(n, np.float32))
            pos += n
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return Clip(limit(samples), cues, actions)
