"""Pure speech helpers: numbers read out, language runs, pinyin, <emotion>/<phoneme>, Piper's
alignments to timed phonemes, the engine registry."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from render.errors import SpecError
from render.speech import ssml
from render.speech.engines import engine, timed
from render.speech.mixed import runs
from render.speech.numbers import read_en, read_zh, zh_integer, zh_number
from render.speech.text import sentences


@pytest.mark.parametrize("text,zh,en", [
    ("¥99.9", "九十九点九元", "99.9 yuan"),
    ("3件", "三件", "3件"),
    ("50%", "百分之五十", "50 percent"),
    ("$19.99", "十九点九九美元", "19 dollars 99 cents"),
    ("2kg", "两公斤", "2 kilograms"),
    ("$1.05", "一点零五美元", "1 dollar 5 cents"),
])
def test_prices_percentages_and_units_read_as_a_shopper_says_them(text, zh, en):
    assert read_zh(text) == zh and read_en(text) == en


def test_chinese_numerals():
    assert [zh_integer(n) for n in (0, 10, 15, 105, 1010, 100000, 123456789)] == [
        "零", "十", "十五", "一百零五", "一千零一十", "十万", "一亿二千三百四十五万六千七百八十九"]
    assert zh_number("20000") == "两万" and zh_number("2") == "二" and zh_number("2", count=True) == "两"
    assert read_zh("原价199元，买2件打8折") == "原价一百九十九元，买两件打八折"


def test_runs_split_mixed_text_by_language():
    assert runs("Only ¥99.9 today, 买3件打5折!", "en") == [("Only ¥99.9 today, ", "en"), ("买3件打5折!", "zh")]
    assert runs("这款面料super soft，只要2kg。", "zh") == [("这款面料", "zh"), ("super soft", "en"),
                                                   ("，只要2kg。", "zh")]
    assert runs("12345", "zh") == [("12345", "zh")] and runs("Hi", "zh") == [("Hi", "en")]


def test_pinyin_one_syllable_per_character_with_tones():
    from render.speech.mandarin import syllables, to_pinyin

    assert syllables("银行行走") == ["yin2", "hang2", "xing2", "zou3"]
    assert to_pinyin("你好，绿色吗？") == "ni3 hao3 , lv4 se4 ma5 ?"


def test_emotion_maps_to_prosody_and_phoneme_keeps_its_notation():
    items = ssml.parse('<speak><emotion type="HAPPY">yay</emotion><emotion type="SAD">oh</emotion>'
                       '<emotion type="whatever">so</emotion><phoneme alphabet="ipa" ph="pɪɡ">pig</phoneme>'
                       '<phoneme ph="hang2">行</phoneme></speak>', "t")
    happy, sad, other, pig, hang = items
    assert happy.prosody.pitch > 1 and happy.prosody.rate > 1 and sad.prosody.rate < 1 and sad.prosody.volume < 1
    assert other.prosody == ssml.Prosody()
    assert pig.phonemes == ("ipa", "pɪɡ") and hang.phonemes == ("pinyin", "hang2")
    segs = [p for s in sentences(items, "en") for p in s.parts]
    assert [s.phonemes for s in segs if s.phonemes] == [("ipa", "pɪɡ"), ("pinyin", "hang2")]


@dataclass
class A:
    phoneme: str
    num_samples: int


def test_piper_alignments_become_timed_ipa_phonemes():
    from render.speech.engines.piper import phonemes_of

    al = [A("^", 100), A("h", 100), A("ə", 100), A("l", 100), A("ˈ", 50), A("o", 100), A("ʊ", 100),
          A(" ", 50), A("m", 100), A("iː"[0], 100), A("ː", 50), A(".", 200), A("$", 50)]
    ph = phonemes_of(al, 1000)
    assert [(p.symbol, round(p.start, 3), round(p.end, 3)) for p in ph] == [
        ("", 0.0, 0.1), ("h", 0.1, 0.2), ("ə", 0.2, 0.3), ("l", 0.3, 0.4), ("o", 0.4, 0.55), ("ʊ", 0.55, 0.7),
        ("m", 0.7, 0.8), ("iː", 0.8, 0.95), ("", 0.95, 1.15), ("", 1.15, 1.2)]
    assert phonemes_of(None, 1000) is None


def test_engine_registry_and_timings():
    assert engine("espeak").name == "espeak" and "pinyin" in engine("espeak").alphabets
    with pytest.raises(SpecError, match="unknown TTS engine 'nope'"):
        engine("nope", "scene_scripts[0].voice_config.voice_asset_id")
    assert [(p.symbol, p.start, p.end) for p in timed([("a", 0), ("", 10), ("b", 10), ("", 30)], 10)] == [
        ("a", 0.0, 1.0), ("b", 1.0, 3.0)]
