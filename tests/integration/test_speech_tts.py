"""Speech on real espeak-ng audio (pyttsx3): voice_config measured, SSML, cues, cache."""
import json
import threading

import numpy as np
import pytest

from render.assets import AssetLibrary
from render.errors import AssetNotFoundError, SpecError
from render.speech import speak, voice_for
from render.speech import tts as tts_mod
from render.speech.engines import espeak as espeak_engine
from render.timebase import SAMPLE_RATE

W = "scene_scripts[0].shoot_scripts[0].text_config.text"
TEXT = ("The quick brown fox jumps over the lazy dog. We are testing the speech synthesizer today! "
        "Does the timing work as expected?")


class VC:
    """Duck-typed VoiceConfig (the pydantic model has the same attributes)."""

    def __init__(self, voice_asset_id="v_en", speed=100, pitch=100, volume=140):
        self.voice_asset_id, self.speed, self.pitch, self.volume = voice_asset_id, speed, pitch, volume


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    d = tmp_path_factory.mktemp("lib")
    (d / "manifest.json").write_text(json.dumps({"assets": [
        {"id": "v_en", "kind": "VOICE", "meta": {"espeak_voice": "en-us", "rate": 175, "pitch": 50}},
        {"id": "v_plain", "kind": "VOICE", "meta": {}},
    ]}))
    return AssetLibrary([d], base_dir=d)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("tts-cache")


def say(text, lib, cache, **kw):
    return speak(text, VC(**kw), lib, where=W, cache_dir=cache)


def rms(x):
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))


def f0_median(x, sr=SAMPLE_RATE):
    """Median fundamental frequency over voiced 40 ms frames, by autocorrelation."""
    n, out = int(0.04 * sr), []
    lo, hi = int(sr / 400), int(sr / 50)
    for i in range(0, len(x) - n, n):
        f = x[i:i + n].astype(np.float64)
        if rms(f) < 0.02:
            continue
        f = f - f.mean()
        ac = np.fft.irfft(np.abs(np.fft.rfft(f, 2 * n)) ** 2)[:n]
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[k] > 0.4 * ac[0]:
            out.append(sr / k)
    assert len(out) > 20
    return float(np.median(out))


def test_speed_scales_duration_as_100_over_speed(lib, cache):
    d = {s: say(TEXT, lib, cache, speed=s).duration for s in (50, 100, 200)}
    assert d[50] / d[100] == pytest.approx(2.0, rel=0.10)
    assert d[100] / d[200] == pytest.approx(2.0, rel=0.10)


def test_volume_is_gain_volume_over_140(lib, cache):
    r = {v: rms(say(TEXT, lib, cache, volume=v).samples) for v in (90, 140, 240)}
    assert r[90] / r[140] == pytest.approx(90 / 140, rel=0.10)
    assert r[240] / r[140] == pytest.approx(240 / 140, rel=0.10)
    loud = say(TEXT, lib, cache, volume=240).samples
    assert np.abs(loud).max() < 10 ** (-1 / 20)  # limiter: never clips


def test_pitch_200_raises_f0_by_half(lib, cache):
    clips = {p: say(TEXT, lib, cache, pitch=p) for p in (50, 100, 200)}
    f = {p: f0_median(c.samples) for p, c in clips.items()}
    assert f[200] / f[100] >= 1.5
    assert f[50] / f[100] < 0.8  # below espeak's range: synthesized faster, resampled slower
    for p in (50, 200):  # pitch leaves the duration alone
        assert clips[p].duration == pytest.approx(clips[100].duration, rel=0.04)


def test_break_of_500ms_adds_half_a_second(lib, cache):
    a = say("<speak>First sentence here. Second one follows.</speak>", lib, cache)
    b = say('<speak>First sentence here. <break time="500ms"/>Second one follows.</speak>', lib, cache)
    assert b.duration - a.duration == pytest.approx(0.5, abs=0.04)
    assert b.cues[1].start - a.cues[1].start == pytest.approx(0.5, abs=0.04)


def test_sub_speaks_the_alias_and_shows_the_text(lib, cache):
    sub = say('<speak><sub alias="World Wide Web Consortium">W3C</sub></speak>', lib, cache)
    alias = say("World Wide Web Consortium", lib, cache)
    written = say("W3C", lib, cache)
    assert np.array_equal(sub.samples, alias.samples)
    assert not np.array_equal(sub.samples, written.samples)
    assert [c.text for c in sub.cues] == ["W3C"]


def test_tags_never_in_cues_and_actions_timed(lib, cache):
    clip = say('<speak>Hello <emotion type="HAPPY">everyone</emotion>. <insert-action name="wave" tag="t1"/>'
               '<prosody rate="slow" pitch="+20%">Today is <say-as interpret-as="date">2024-05-01</say-as>.</prosody>'
               ' Call <say-as interpret-as="telephone">555 1234</say-as>, <phoneme ph="x">tomato</phoneme>.'
               '<break strength="weak"/><word>Bye</word>!</speak>', lib, cache)
    texts = [c.text for c in clip.cues]
    assert texts == ["Hello everyone.", "Today is 2024-05-01.", "Call 555 1234, tomato.", "Bye!"]
    for t in texts:
        assert not any(s in t for s in ("<", ">", "HAPPY", "interpret", "alias", "prosody"))
    assert [a.text for a in clip.actions] == ["wave"] and clip.actions[0].meta["tag"] == "t1"
    assert clip.cues[0].end < clip.actions[0].start <= clip.cues[1].start


def test_cue_boundaries_fall_on_silence_and_levels_follow(lib, cache):
    clip = say(TEXT, lib, cache)
    x, sr = clip.samples, SAMPLE_RATE
    assert len(clip.cues) == 3 and clip.cues[0].start == 0.0
    assert clip.cues[-1].end == pytest.approx(clip.duration, abs=1e-9)
    for a, b in zip(clip.cues, clip.cues[1:], strict=False):
        gap = x[round(a.end * sr): round(b.start * sr)]
        assert len(gap) > 0.2 * sr and rms(gap) < 1e-4
    for c in clip.cues:  # speech within one frame (40 ms) of each cue's start and end
        assert rms(x[round(c.start * sr): round(c.start * sr) + 1920]) > 1e-3
        assert rms(x[round(c.end * sr) - 1920: round(c.end * sr)]) > 1e-4
    lv = clip.levels(25)
    assert len(lv) == clip.frames(25)
    gap_frame = round((clip.cues[0].end + clip.cues[1].start) / 2 * 25)
    assert lv[gap_frame] == 0 and lv.max() == pytest.approx(1.0) and (lv > 0.5).mean() > 0.3


def test_unknown_voice_is_asset_error_naming_field(lib, cache):
    with pytest.raises(AssetNotFoundError) as e:
        speak("hi", VC("nope"), lib, where=W, voice_where="scene_scripts[0].voice_config", cache_dir=cache)
    assert e.value.code == "MSS.10001001" and "scene_scripts[0].voice_config.voice_asset_id" in str(e.value)
    with pytest.raises(SpecError) as e:
        speak("hi", VC(speed=300), lib, where=W, voice_where="scene_scripts[0].voice_config", cache_dir=cache)
    assert "scene_scripts[0].voice_config.speed" in str(e.value)


def test_chinese_uses_mandarin_and_malformed_ssml_is_spec_error(lib, cache):
    assert voice_for(VC("v_plain"), lib, text="大家好，欢迎来到直播间").espeak_voice == "cmn"
    assert voice_for(VC("v_en"), lib, text="大家好").espeak_voice == "en-us"
    assert voice_for(None, lib, text="hello").espeak_voice == "en-us"
    clip = speak("大家好，欢迎来到直播间。今天介绍新产品！", VC("v_plain"), lib, where=W, cache_dir=cache)
    assert [c.text for c in clip.cues] == ["大家好，欢迎来到直播间。", "今天介绍新产品！"] and clip.duration > 2
    with pytest.raises(SpecError) as e:
        speak("<speak>oops <prosody>x</speak>", VC(), lib, where=W, cache_dir=cache)
    assert e.value.code == "MSS.00000003" and W in str(e.value)


def test_cache_avoids_resynthesis(lib, tmp_path, monkeypatch):
    first = speak("Cache me if you can.", VC(), lib, where=W, cache_dir=tmp_path)
    assert list(tmp_path.rglob("*.npy"))

    def boom(*a, **k):
        raise AssertionError("synthesized again")

    monkeypatch.setattr(espeak_engine, "_synth", boom)
    again = speak("Cache me if you can.", VC(), lib, where=W, cache_dir=tmp_path)
    assert np.array_equal(first.samples, again.samples)
    monkeypatch.setenv("SMARTLIVE_CACHE", str(tmp_path / "env"))
    assert tts_mod.cache_dir_default() == tmp_path / "env" / "tts"


def test_threads_share_the_engine_safely(lib, tmp_path):
    texts = [f"Thread number {i} says hello." for i in range(4)]
    want = [speak(t, VC(), lib, where=W, cache_dir=tmp_path / "seq").samples for t in texts]
    got = [None] * 4

    def run(i):
        got[i] = speak(texts[i], VC(), lib, where=W, cache_dir=tmp_path / "par").samples

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # espeak-ng's voice flutter carries over between utterances, so compare lengths, not bits
    for a, b in zip(want, got, strict=True):
        assert b is not None and len(b) == pytest.approx(len(a), rel=0.03) and rms(b) > 0.3 * rms(a)
