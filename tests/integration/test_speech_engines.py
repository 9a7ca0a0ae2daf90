"""The TTS engines on real audio: espeak-ng's phoneme timings, Mandarin syllables and tones
(checked against pypinyin, and measured), mixed Chinese/English, Piper with its alignments, and
the OpenAI-compatible HTTP engine against a local server that speaks its protocol."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from render.assets import AssetLibrary, MediaPolicy
from render.errors import MediaFileError, SpecError
from render.speech import speak, voice_for
from render.speech import tts as tts_mod
from render.speech.mandarin import syllables, to_pinyin
from render.speech.numbers import read_zh
from render.timebase import SAMPLE_RATE

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from speech_server import SpeechServer  # noqa: E402

pytestmark = pytest.mark.slow
W = "scene_scripts[0].shoot_scripts[0].text_config.text"
# espeak-ng's cmn tone marks -> tone numbers (the neutral tone's pitch follows the tone before it)
TONE = {"55": 1, "35": 2, "214": 3, "21": 3, "51": 4, "11": 5, "22": 5, "44": 5}


class VC:
    def __init__(self, voice_asset_id, speed=100, pitch=100, volume=140):
        self.voice_asset_id, self.speed, self.pitch, self.volume = voice_asset_id, speed, pitch, volume


@pytest.fixture(scope="module")
def lib():
    return AssetLibrary.default()


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("tts-cache")


def f0_track(x, sr=SAMPLE_RATE, win=0.03):
    """F0 per voiced window (Hz), by autocorrelation."""
    n, out = int(win * sr), []
    lo, hi = int(sr / 450), int(sr / 60)
    for i in range(0, len(x) - n, n // 2):
        f = x[i:i + n].astype(np.float64)
        if np.sqrt(np.mean(f ** 2)) < 0.03:
            continue
        f = f - f.mean()
        ac = np.fft.irfft(np.abs(np.fft.rfft(f, 2 * n)) ** 2)[:n]
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[k] > 0.5 * ac[0]:
            out.append(sr / k)
    return np.array(out)


def rms(x):
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2))) if len(x) else 0.0


# ---- espeak-ng: phoneme timings ---------------------------------------------------------------
def test_espeak_phonemes_are_ipa_and_aligned_to_the_samples(lib, cache):
    clip = speak("My mum moves. Blue boots!", VC("voice_en_male"), lib, where=W, cache_dir=cache)
    ph = clip.phonemes
    assert ph is not None and len(ph) > 10
    assert ph[0].start == 0 and ph[-1].end == pytest.approx(clip.duration, abs=1e-6)
    assert all(a.end == pytest.approx(b.start, abs=1e-6) for a, b in zip(ph, ph[1:], strict=False))  # no hole
    symbols = [p.symbol for p in ph]
    assert "m" in symbols and "uː" in symbols and "b" in symbols
    # the sentence pause is a pause in the audio too; the vowels are loud
    cut = clip.cues[0].end
    pause = [p for p in ph if p.symbol == "" and p.start <= cut + 0.02 and p.end >= cut]
    assert pause, "a pause phoneme at the sentence break"
    def level(p):
        return rms(clip.samples[int(p.start * SAMPLE_RATE): int(p.end * SAMPLE_RATE)])
    vowels = [level(p) for p in ph if p.symbol in ("aɪ", "ʌ", "uː")]
    assert min(vowels) > 5 * level(pause[0])


def test_espeak_phoneme_times_follow_speed_and_pitch_shift(lib, cache):
    normal = speak("Hello my friend.", VC("voice_en_male"), lib, where=W, cache_dir=cache)
    fast = speak("Hello my friend.", VC("voice_en_male", speed=200, pitch=200), lib, where=W, cache_dir=cache)
    for clip in (normal, fast):
        assert clip.phonemes[-1].end == pytest.approx(clip.duration, abs=0.06)
        assert [p.symbol for p in clip.phonemes if p.symbol] == [p.symbol for p in normal.phonemes if p.symbol]
    assert fast.duration == pytest.approx(normal.duration / 2, rel=0.1)


def test_espeak_synthesis_makes_no_new_ctypes_types():
    """A live room speaks new lines for hours: the callback copies its buffers without making a
    ctypes array type per buffer length (ctypes keeps every one made: the soak's slow growth)."""
    import ctypes
    import gc

    from render.speech.engines.espeak import _synth

    array_type = type(ctypes.c_short * 1)

    def array_types() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is array_type)

    _synth("Warming up.", "en-us", 175, 50, W)
    before = array_types()
    for n in range(12):
        pcm, _, marks = _synth(f"Line {n} of {'a longer and longer sentence ' * (n % 4)}tonight.",
                               "en-us", 140 + 10 * n, 50, W)
        assert len(pcm) > 1000 and len(marks) > 3
    assert array_types() - before <= 1


# ---- Mandarin --------------------------------------------------------------------------------
def espeak_tones(pinyin: str) -> list[tuple[str, int]]:
    """What espeak-ng's pinyin voice says for `pinyin`: (syllable, tone) per syllable."""
    out = subprocess.run(["espeak-ng", "-q", "-x", "-v", "cmn-latn-pinyin", pinyin], capture_output=True,
                         text=True, check=True).stdout
    return [(m.group(1), TONE[m.group(2)]) for m in re.finditer(r"([^\s_|\d]+?)(55|35|214|21|51|11|22|44)", out)]


@pytest.mark.parametrize("text", ["大家好，欢迎来到直播间。", "这件衣服只要¥99.9，买3件打5折！",
                                  "今天的优惠是50%，两公斤装的大米。", "我们的银行卡可以分期付款吗？"])
def test_mandarin_is_one_syllable_per_character_with_pypinyins_tones(text):
    spoken = read_zh(text)
    assert not re.search(r"\d", spoken)  # numbers, prices, percentages read out
    want = syllables(spoken)
    got = espeak_tones(to_pinyin(spoken))
    assert len(got) == len(want) == len(re.findall(r"[\u4e00-\u9fff]", spoken))
    for n, ((_, tone), py) in enumerate(zip(got, want, strict=True)):
        expect = int(py[-1])
        nxt = int(want[n + 1][-1]) if n + 1 < len(want) else 0
        ok = {expect} | ({2} if expect == 3 and nxt == 3 else set())  # third-tone sandhi
        assert tone in ok, f"{spoken}: syllable {n} {py} spoken with tone {tone}"
    # espeak-ng's own cmn voice reads the characters' romanisation as English: not used
    raw = subprocess.run(["espeak-ng", "-q", "-x", "-v", "cmn", text], capture_output=True, text=True).stdout
    assert "(en)" in raw and "(en)" not in subprocess.run(
        ["espeak-ng", "-q", "-x", "-v", "cmn-latn-pinyin", to_pinyin(spoken)], capture_output=True, text=True).stdout


def test_mandarin_voices_have_their_gender_and_tones_sound(lib, cache):
    female = speak("欢迎来到直播间，今天给大家介绍新产品。", VC("voice_cmn_female"), lib, where=W, cache_dir=cache)
    male = speak("欢迎来到直播间，今天给大家介绍新产品。", VC("voice_cmn_male"), lib, where=W, cache_dir=cache)
    assert np.median(f0_track(female.samples)) > 160  # it was 76-97 Hz
    assert np.median(f0_track(male.samples)) < 120
    # measured pitch of one syllable: tone 1 high and level at its end, tone 2 rising, tone 3
    # dipping, tone 4 falling from its peak (espeak-ng's contours are mild: 妈 still rises ~12%)
    def f0(ch):
        return f0_track(speak(ch, VC("voice_cmn_female"), lib, where=W, cache_dir=cache).samples, win=0.025)

    ma1, ma2, ma3, ma4 = f0("妈"), f0("麻"), f0("马"), f0("骂")
    assert ma1[-3:].mean() / ma1.max() > 0.97 and ma4[-2:].mean() / ma4.max() < 0.88
    assert ma2[-3:].mean() / ma2[:3].mean() > 1.2 > ma1[-3:].mean() / ma1[:3].mean()
    assert ma3.min() < ma3[:3].mean() and ma3[-3:].mean() > ma3.min() * 1.1
    assert ma1.mean() > ma3.mean()  # tone 1 is the high one


def test_mixed_text_goes_to_the_voice_of_its_language(lib, cache, monkeypatch):
    seen = []
    real = tts_mod.synthesize

    def spy(engine_name, request, **kw):
        seen.append((request.lang, request.options.get("espeak_voice"), request.text))
        return real(engine_name, request, **kw)

    monkeypatch.setattr(sys.modules["render.speech.speak"], "synthesize", spy)
    speak("Only $19.99 today, 买3件打五折!", VC("a5d295cdb345c11bd9f36bc22ced3a7a"), lib, where=W, cache_dir=cache)
    assert seen[0] == ("en", "en-us+f3", "Only 19 dollars 99 cents today,")
    assert seen[1][:2] == ("zh", "cmn+f3") and seen[1][2] == "买三件打五折!"
    seen.clear()
    clip = speak("这款面料super soft，只要2kg。", VC("voice_cmn_male"), lib, where=W, cache_dir=cache)
    assert [s[:2] for s in seen] == [("zh", "cmn"), ("en", "en-us"), ("zh", "cmn")]
    assert seen[1][2] == "super soft" and seen[2][2] == "，只要两公斤。"
    assert clip.phonemes is not None and any(p.symbol == "s" for p in clip.phonemes)


def test_pinyin_phoneme_tag_is_spoken_from_its_pinyin(lib, cache):
    a = speak('<speak><phoneme alphabet="pinyin" ph="hang2">行</phoneme></speak>', VC("voice_cmn_female"), lib,
              where=W, cache_dir=cache)
    b = speak('<speak><phoneme alphabet="pinyin" ph="xing2">行</phoneme></speak>', VC("voice_cmn_female"), lib,
              where=W, cache_dir=cache)
    assert a.cues[0].text == b.cues[0].text == "行"
    assert "χ" in [p.symbol for p in a.phonemes] and "ɕ" in [p.symbol for p in b.phonemes]


# ---- Piper -----------------------------------------------------------------------------------
def test_piper_speaks_with_its_alignments(lib, cache):
    pytest.importorskip("piper", reason="make test installs smartlive[piper]")
    clip = speak("My mum moves. Blue boots!", VC("voice_en_piper_joe"), lib, where=W, cache_dir=cache)
    assert 1.0 < clip.duration < 4.0 and rms(clip.samples) > 0.05
    ph = clip.phonemes
    assert ph is not None and ph[-1].end == pytest.approx(clip.duration, abs=0.08)
    symbols = [p.symbol for p in ph]
    assert [s for s in symbols if s][:3] == ["m", "a", "ɪ"] and "uː" in symbols and "ˈ" not in "".join(symbols)
    for p in ph:
        if p.symbol in ("m", "b"):  # lips closed: quieter than the vowels around
            assert p.end - p.start < 0.3
    f0 = np.median(f0_track(clip.samples))
    assert 70 < f0 < 160  # joe is a man's voice
    espeak = speak("My mum moves. Blue boots!", VC("voice_en_male"), lib, where=W, cache_dir=cache)
    assert not np.array_equal(espeak.samples[:1000], clip.samples[:1000])  # the cache keeps them apart


def test_piper_speaks_ipa_phoneme_tags(lib, cache):
    pytest.importorskip("piper", reason="make test installs smartlive[piper]")
    said = speak('<speak><phoneme alphabet="ipa" ph="pˈɪɡ">tomato</phoneme></speak>', VC("voice_en_piper_joe"),
                 lib, where=W, cache_dir=cache)
    written = speak("tomato", VC("voice_en_piper_joe"), lib, where=W, cache_dir=cache)
    assert said.cues[0].text == "tomato" and 0.1 < said.duration < written.duration * 0.85


# ---- the HTTP engine --------------------------------------------------------------------------
def http_library(tmp_path, url, policy=None, **meta):
    d = tmp_path / "lib"
    d.mkdir(exist_ok=True)
    (d / "manifest.json").write_text(json.dumps({"assets": [
        {"id": "v_http", "kind": "VOICE", "meta": {"engine": "http", "url": url, "model": "tts-1", "voice": "nova",
                                                   "gender": "female", **meta}}]}))
    return AssetLibrary([d], base_dir=d, policy=policy)


def test_http_engine_speaks_through_an_openai_style_server(tmp_path, cache):
    with SpeechServer() as srv:
        lib = http_library(tmp_path, srv.url)
        clip = speak("Welcome to the show. Prices drop tonight.", VC("v_http", speed=150), lib, where=W,
                     cache_dir=cache)
        assert [r["input"] for r in srv.requests] == ["Welcome to the show.", "Prices drop tonight."]
        assert srv.requests[0] == {"model": "tts-1", "input": "Welcome to the show.", "voice": "nova",
                                   "response_format": "wav", "speed": 1.5}
        assert clip.phonemes is None and 0.8 < clip.duration < 4 and rms(clip.samples) > 0.05
        assert np.median(f0_track(clip.samples)) > 150  # the server's female voice
        again = speak("Welcome to the show. Prices drop tonight.", VC("v_http", speed=150), lib, where=W,
                      cache_dir=cache)
        assert len(srv.requests) == 2 and np.array_equal(again.samples, clip.samples)  # cached


def test_http_engine_times_out_and_reports_errors_by_field(tmp_path, cache):
    with SpeechServer(delay=3.0) as srv:
        lib = http_library(tmp_path, srv.url, timeout=0.5)
        t0 = time.monotonic()
        with pytest.raises(MediaFileError, match="did not answer within 0.5 s") as e:
            speak("Too slow.", VC("v_http"), lib, where=W, cache_dir=cache)
        assert time.monotonic() - t0 < 2.5 and W in str(e.value)
    with SpeechServer() as srv:
        lib = http_library(tmp_path, srv.url, response_format="mp3")
        with pytest.raises(MediaFileError, match="answered HTTP 400"):
            speak("Wrong format.", VC("v_http"), lib, where=W, cache_dir=cache)


def test_http_engine_url_obeys_the_media_policy(tmp_path, cache):
    with SpeechServer() as srv:
        lib = http_library(tmp_path, srv.url, policy=MediaPolicy.restricted())
        with pytest.raises(SpecError, match="non-public address") as e:
            speak("Hello.", VC("v_http"), lib, where=W, cache_dir=cache)
        assert e.value.code == "MSS.00000003" and not srv.requests  # refused before any request
        assert voice_for(VC("v_http"), lib).engine == "http"


def test_api_rooms_naming_a_private_speech_server_are_refused_at_check(tmp_path):
    from render.spec import load_room
    from render.spec.references import check_media

    with SpeechServer() as srv:
        room = load_room({"room_name": "r", "scene_scripts": [{
            "script_name": "s", "model_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a",
            "voice_config": {"voice_asset_id": "v_http"},
            "shoot_scripts": [{"sequence_no": 1, "title": "t", "text_config": {"text": "Hello."}}]}]}).room
        open_lib = http_library(tmp_path, srv.url)
        api_lib = http_library(tmp_path, srv.url, policy=MediaPolicy.restricted())
        assert not [p for p in check_media(room, open_lib) if "voice_asset_id" in p.message]
        problems = [p for p in check_media(room, api_lib) if "voice_asset_id" in p.message]
        assert problems and "non-public address" in problems[0].message
        assert "scene_scripts[0].voice_config.voice_asset_id" in problems[0].message
