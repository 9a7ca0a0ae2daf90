"""The programme's placement, cuts, rewrites, clean-ups, co-streamer and exit modes on synthetic
clips (Programme(..., speech=...)): the same behaviours tests/integration/test_programme.py checks
on real speech, here in milliseconds. What plays on a frame is read from its subtitle (every
synthetic sentence is a cue) and from the events."""
from __future__ import annotations

import copy
import json
import re

import numpy as np
import pytest

from render.assets import AssetLibrary
from render.programme import Programme, parse_entry
from render.programme.items import Track
from render.spec import load_room
from render.speech import Clip, Cue
from render.timebase import SAMPLE_RATE

FPS = 25
P1 = "Good evening and welcome. Tonight we look at lamps. The first one is blue."
P2 = "That is all. Thank you."
REPLY = "Thanks for the gift."
WORD_S, PAUSE_S = 0.25, 0.3


def fake_speech(calls: list | None = None):
    """A SpeechFn: each sentence a 220 Hz tone of 0.25 s a word (pitch 180: 440 Hz), 0.3 s apart."""

    def speech(text, voice_config, library, *, where="text_config.text", voice_where=None) -> Clip:
        if calls is not None:
            calls.append((text, where))
        hz = 440.0 if getattr(voice_config, "pitch", 100) == 180 else 220.0
        chunks, cues, pos = [], [], 0
        for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
            n = round(len(sentence.split()) * WORD_S * SAMPLE_RATE)
            chunks.append(0.3 * np.sin(2 * np.pi * hz * np.arange(n) / SAMPLE_RATE).astype(np.float32))
            cues.append(Cue(pos / SAMPLE_RATE, (pos + n) / SAMPLE_RATE, sentence))
            pos += n
            gap = round(PAUSE_S * SAMPLE_RATE)
            chunks.append(np.zeros(gap, np.float32))
            pos += gap
        return Clip(np.concatenate(chunks[:-1]), cues)

    return speech


def room_dict(**extra) -> dict:
    room = {
        "room_name": "placement",
        "video_config": {"codec": "H264", "bitrate": 1000, "width": 1280, "height": 720},
        "view_mode": "LANDSCAPE",
        "scene_scripts": [{
            "script_name": "Lamps",
            "model_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a",
            "voice_config": {"voice_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a"},
            "background_config": [{"background_type": "COLOR", "background_color_config": "#203040"}],
            "shoot_scripts": [{"sequence_no": 1, "title": "one", "text_config": {"text": P1}},
                              {"sequence_no": 2, "title": "two", "text_config": {"text": P2}}],
        }],
        "co_streamer_config": {"voice_config": {"voice_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a",
                                                "pitch": 180}},
    }
    room.update(extra)
    return room


@pytest.fixture(scope="module")
def library():
    return AssetLibrary.default()


def run(room: dict, library, timeline=(), *, frames=None, calls=None, **kw):
    """(subtitles, events, audio) of a programme driven by timeline lines on synthetic speech."""
    prog = Programme(load_room(copy.deepcopy(room)), library, seed=1, speech=fake_speech(calls), **kw)
    for n, line in enumerate(timeline):
        prog.schedule(parse_entry(json.dumps(line), f"line {n}"))
    subs, events, audio = [], [], []
    try:
        while frames is None or len(subs) < frames:
            f = prog.next_frame()
            if f is None:
                break
            subs.append(f.subtitle)
            audio.append(f.audio)
            events += [{**e, "frame": f.index, "message": json.loads(e["message"])} for e in f.events]
    finally:
        prog.close()
    return subs, events, np.concatenate(audio)


def first(events, kind, **match):
    return next(e for e in events if e["event_type"] == kind and all(e["message"].get(k) == v
                                                                      for k, v in match.items()))


def insert(at, text=REPLY, play_type="PLAY_NOW", role="STREAMER"):
    return {"at": at, "command": "INSERT_PLAY_SCRIPT",
            "params": {"text_config": {"text": text}, "play_type": play_type, "play_role": role}}


def clip(text, pitch=100):
    class VC:
        pass

    vc = VC()
    vc.pitch = pitch
    return fake_speech()(text, vc, None)


def frames_of(text) -> int:
    return clip(text).frames(FPS)


def test_the_programme_speaks_through_the_function_it_is_given(library):
    calls = []
    run(room_dict(), library, [insert(0.2)], frames=30, calls=calls)
    assert (P1, "scene_scripts[0].shoot_scripts[0].text_config.text") in calls
    assert (REPLY, "params.text_config.text") in calls


def heard(audio, at_frame: int, samples: np.ndarray, n: int = 8000) -> bool:
    """Does `audio` from frame `at_frame` on start with `samples` (the clip plays at gain 1)?"""
    spf = SAMPLE_RATE // FPS
    got = audio[at_frame * spf: at_frame * spf + n]
    want = samples[:n]
    return len(got) == len(want) and float(np.max(np.abs(got - want))) < 1e-3


def test_play_now_cuts_at_once_and_replays_the_cut_sentence(library):
    subs, events, audio = run(room_dict(), library, [insert(0.6)], frames=200)
    start = first(events, "REPLY_START")
    reply = frames_of(REPLY)
    assert start["frame"] == 15 and subs[15] == REPLY and subs[14] == "Good evening and welcome."
    assert heard(audio, 16, clip(REPLY).samples[SAMPLE_RATE // FPS:])  # past its first (faded-in) frame
    assert first(events, "REPLY_COMMAND_FINISH", reply_id=start["message"]["reply_id"])["frame"] == 15 + reply
    gap = round(0.25 * FPS)  # the insert's pause
    assert heard(audio, 15 + reply + gap, clip(P1).samples)  # the cut sentence again, from its start


def test_play_now_skips_the_cut_sentence_when_asked(library):
    room = room_dict(interaction_config={"ignore_current_sentence": True})
    _, _, audio = run(room, library, [insert(0.6)], frames=200)
    para = clip(P1)
    second = Track.of(para, FPS).sentences[1][0]
    spf = SAMPLE_RATE // FPS
    assert heard(audio, 15 + frames_of(REPLY) + round(0.25 * FPS), para.samples[second * spf:])


def test_insert_waits_for_the_end_of_the_sentence_and_the_paragraph_goes_on(library):
    subs, events, audio = run(room_dict(), library, [insert(0.5, play_type="INSERT")], frames=300)
    para = clip(P1)
    end_first = Track.of(para, FPS).sentences[0][1]
    assert first(events, "REPLY_START")["frame"] == end_first and subs[end_first] == REPLY
    spf = SAMPLE_RATE // FPS
    assert heard(audio, end_first + frames_of(REPLY) + round(0.25 * FPS), para.samples[end_first * spf:])


def test_append_waits_for_the_end_of_the_paragraph(library):
    _, events, _ = run(room_dict(), library, [insert(0.5, play_type="APPEND")], frames=400)
    switch_two = [e for e in events if e["event_type"] == "SHOOT_SCRIPT_SWITCH"][1]
    start = first(events, "REPLY_START")
    assert start["frame"] == frames_of(P1) + 10  # after paragraph one and its 0.4 s pause
    assert switch_two["frame"] > start["frame"]


def test_co_streamer_volume_down_plays_beside_the_ducked_streamer(library):
    room = room_dict()
    room["co_streamer_config"]["streamer_action"] = "VOLUME_DOWN"
    plain_subs, _, plain = run(room_dict(), library, frames=60)
    subs, events, ducked = run(room, library, [insert(1.0, role="CO_STREAMER")], frames=60)
    start = first(events, "REPLY_START")
    assert start["frame"] == 25 and start["message"]["role"] == "CO_STREAMER"
    spf = len(plain) // 60
    streamer = ducked[26 * spf: 35 * spf]  # the co-streamer's 440 Hz rides on top
    spectrum = np.abs(np.fft.rfft(streamer))
    hz = np.fft.rfftfreq(len(streamer), 1 / SAMPLE_RATE)
    at = lambda f: spectrum[np.argmin(np.abs(hz - f))]  # noqa: E731
    plain_220 = np.abs(np.fft.rfft(plain[26 * spf: 35 * spf]))[np.argmin(np.abs(hz - 220))]
    assert at(440) > 0.5 * plain_220  # the co-streamer is heard
    assert 20 * np.log10(at(220) / plain_220) == pytest.approx(-12, abs=1.5)  # the streamer ducked
    assert subs[:25] == plain_subs[:25]


def test_co_streamer_silence_waits_with_the_streamer_quiet(library):
    room = room_dict()
    room["co_streamer_config"]["streamer_action"] = "SILENCE"
    subs, events, _ = run(room, library, [insert(1.0, role="CO_STREAMER")], frames=120)
    start = first(events, "REPLY_START")
    assert start["message"]["role"] == "CO_STREAMER" and subs[start["frame"]] == REPLY


def test_rewrite_changes_only_what_has_not_played(library):
    new = copy.deepcopy(room_dict()["scene_scripts"])
    new[0]["script_name"] = "Rewritten"
    new[0]["shoot_scripts"] = [{"sequence_no": 1, "title": "new", "text_config": {"text": "A brand new line."}}]
    _, events, _ = run(room_dict(), library, [{"at": 1.0, "command": "REWRITE_PLAY_SCRIPT",
                                               "params": {"scene_scripts": new}}], frames=300)
    switches = [e["message"]["shoot_script_title"] for e in events if e["event_type"] == "SHOOT_SCRIPT_SWITCH"]
    assert switches[:2] == ["one", "new"]


def test_clean_up_drops_pending_inserts_with_their_finish(library):
    timeline = [insert(0.5, "First line.", "APPEND"), insert(0.6, "Second line.", "APPEND"),
                {"at": 1.0, "command": "CLEAN_UP_INSERT_COMMAND", "params": {}}]
    _, events, _ = run(room_dict(), library, timeline, frames=300)
    finishes = [e["message"] for e in events if e["event_type"] == "REPLY_COMMAND_FINISH"]
    assert len(finishes) == 2 and all(f["reason"] == "CLEANED_UP" for f in finishes)
    assert not [e for e in events if e["event_type"] == "REPLY_START"]


@pytest.mark.parametrize("mode", ["FORCE_EXIT", "SEGMENT_END", "SCRIPT_END"])
def test_exit_modes_end_where_they_should(library, mode):
    room = room_dict(play_policy={"repeat_count": -1, "live_exit_config": {"auto_stop_mode": mode}})
    subs, _, _ = run(room, library, max_live_seconds=2.0)
    p1, p2 = frames_of(P1) + 10, frames_of(P2) + 10
    assert len(subs) == {"FORCE_EXIT": 50, "SEGMENT_END": p1, "SCRIPT_END": p1 + p2}[mode]
