"""SSML parsing and sentence splitting (pure, no synthesis)."""
import pytest

from render.errors import SpecError
from render.speech import ssml
from render.speech.text import is_chinese, say_as, sentences, split_text

W = "scene_scripts[0].shoot_scripts[1].text_config.text"


def test_plain_text_is_one_run():
    assert ssml.parse("Hello a < b world.", W) == [ssml.Run("Hello a < b world.", "Hello a < b world.")]


def test_tags_are_parsed_and_never_shown():
    items = ssml.parse('<speak>Hi <break time="500ms"/><sub alias="World Wide Web">WWW</sub>'
                       '<prosody rate="fast" volume="+6dB">quick</prosody>'
                       '<insert-action name="wave" tag="hand"/><emotion type="HAPPY">yay</emotion>'
                       '<word>w</word><phoneme ph="x">tomato</phoneme></speak>', W)
    runs = [i for i in items if isinstance(i, ssml.Run)]
    shown = "".join(r.shown for r in runs)
    assert "<" not in shown and "alias" not in shown
    assert shown == "Hi WWWquickyaywtomato"
    assert ssml.Break(500) in items
    assert ssml.Action("wave", {"name": "wave", "tag": "hand"}) in items
    sub = next(r for r in runs if r.shown == "WWW")
    assert sub.spoken == "World Wide Web"
    quick = next(r for r in runs if r.shown == "quick")
    assert quick.prosody.rate == pytest.approx(1.33) and quick.prosody.volume == pytest.approx(10 ** (6 / 20))


def test_namespaced_speak_and_entities():
    items = ssml.parse('<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
                       'Fish &amp; chips & peas<break time="1s"/></speak>', W)
    assert items[0].shown == "Fish & chips & peas" and items[-1] == ssml.Break(1000)


def test_speak_root_is_optional():
    items = ssml.parse('Hello <break strength="strong"/>there', W)
    assert ssml.Break(800) in items


@pytest.mark.parametrize("bad", [
    "<speak>unclosed <prosody rate='fast'>x</speak>",
    "<speak><emphasis>no</emphasis></speak>",
    '<!DOCTYPE x [<!ENTITY a "aaaa">]><speak>&a;</speak>',
    '<speak>a<break time="100ms"/></speak>',
    '<speak>a<break time="11s"/></speak>',
    '<speak>a<break time="soon"/></speak>',
    '<speak><prosody rate="quickly">a</prosody></speak>',
    '<speak><sub>no alias</sub></speak>',
])
def test_malformed_ssml_names_the_paragraph(bad):
    with pytest.raises(SpecError) as e:
        ssml.parse(bad, W)
    assert e.value.code == "MSS.00000003"
    assert W in str(e.value)


def test_text_limit():
    with pytest.raises(SpecError):
        ssml.parse("a" * 10_001, W)


def test_split_sentences_and_long_clauses():
    parts = [p for p, _ in split_text("One. Two! Three? 3.14 is pi", "en")]
    assert parts == ["One.", " Two!", " Three?", " 3.14 is pi"]
    zh = "今天天气很好，我们去公园散步，然后去吃饭，最后回家休息一下，明天继续工作。短句。"
    pieces = split_text(zh, "zh")
    assert [b for _, b in pieces][-1] == "sentence"
    assert len(pieces) >= 3 and all(len(p) <= 30 for p, _ in pieces)
    assert "".join(p for p, _ in pieces) == zh


def test_sentences_keep_atomic_runs_and_breaks():
    items = ssml.parse('<speak>Call <say-as interpret-as="telephone">555-1234</say-as> now. '
                       '<break time="1s"/>Bye.</speak>', W)
    sents = sentences(items, "en")
    assert [s.shown for s in sents] == ["Call 555-1234 now.", "Bye."]
    assert "5 5 5 , 1 2 3 4" in sents[0].parts[0].spoken
    assert isinstance(sents[1].parts[0], ssml.Break)


def test_say_as_expansions():
    assert say_as("2024-05-01", "date", None, "en") == "May 1, 2024"
    assert say_as("2024-05-01", "date", None, "zh") == "二零二四年5月1日"
    assert say_as("1,234,567", "number", None, "en") == "1234567"
    assert say_as("abc", "spell", None, "en") == "A B C"
    assert say_as("138", "telephone", None, "zh") == "幺三八"
    assert is_chinese("你好 world") and not is_chinese("hello world")
