"""Phonemes -> mouth shapes per frame, insert-action names -> gestures, and the Track's pose per
clip frame (visemes from timings, loudness without them; slices keep the clip's own frames)."""
from __future__ import annotations

import random

import numpy as np
import pytest

from render.programme import items as it
from render.speech import Clip, Cue, Phoneme
from render.speech.gestures import DURATION, Gesture, action_warnings, gesture_of, gesture_track
from render.speech.pose import Pose
from render.speech.visemes import Viseme, segments, shapes_of, smooth, viseme_track

V = Viseme
FPS = 25


@pytest.mark.parametrize("symbol,shapes", [
    ("m", [V.CLOSED]), ("p", [V.CLOSED]), ("b", [V.CLOSED]),
    ("uː", [V.ROUNDED]), ("ˈuː", [V.ROUNDED]), ("oʊ", [V.ROUNDED]), ("w", [V.ROUNDED]), ("ɔː", [V.ROUNDED]),
    ("ʊ", [V.ROUNDED]), ("y", [V.ROUNDED]),
    ("a", [V.WIDE]), ("ˈæ", [V.WIDE]), ("ɑː", [V.WIDE]), ("ʌ", [V.WIDE]),
    ("f", [V.TEETH]), ("v", [V.TEETH]),
    ("iː", [V.MID]), ("ə", [V.MID]), ("s", [V.MID]), ("tʃ", [V.MID]), ("ɹ", [V.MID]), ("ŋ", [V.MID]),
    ("", [V.REST]), ("_", [V.REST]), (",", [V.REST]), (".", [V.REST]), ("^", [V.REST]),
    ("ˈ", []), ("ː", []), ("3", []), ("˧˥", []), (" ", []), ("ʰ", []),
    ("aʊ", [V.WIDE, V.ROUNDED]), ("aɪ", [V.WIDE, V.MID]), ("eɪ", [V.MID]),
    # Mandarin as espeak-ng / Piper print it: tone digits and tone letters are not shapes
    ("ma1", [V.CLOSED, V.WIDE]), ("u3", [V.ROUNDED]), ("ɥe2", [V.ROUNDED, V.MID]), ("i˥˩", [V.MID]),
    ("au5", [V.WIDE, V.ROUNDED]), ("ʂʅ4", [V.MID]), ("(cmn)wo3", [V.ROUNDED]), ("(en)fˈɔː", [V.TEETH, V.ROUNDED]),
])
def test_symbols_map_to_shapes(symbol, shapes):
    assert shapes_of(symbol) == shapes


def test_a_symbol_of_several_shapes_shares_its_time():
    assert segments([Phoneme(1.0, 1.2, "aʊ")]) == [(1.0, 1.1, V.WIDE), (1.1, 1.2, V.ROUNDED)]
    assert segments([Phoneme(1.0, 1.0, "a")]) == []


def test_marks_printed_as_phonemes_lengthen_their_neighbour():
    # Piper's alignment times stress, length and word spaces like phonemes: no mouth of their own
    ph = [Phoneme(0.0, 0.02, "ˈ"), Phoneme(0.02, 0.1, "m"), Phoneme(0.1, 0.2, "u"), Phoneme(0.2, 0.3, "ː"),
          Phoneme(0.3, 0.34, " "), Phoneme(0.34, 0.4, "a"), Phoneme(0.4, 0.5, ",")]
    assert segments(ph) == [(0.0, 0.1, V.CLOSED), (0.1, 0.34, V.ROUNDED), (0.34, 0.4, V.WIDE), (0.4, 0.5, V.REST)]


def names(track):
    return [V(v).name for v in track]


def test_pauses_rest_and_frames_follow_the_timing():
    ph = [Phoneme(0.0, 0.2, ""), Phoneme(0.2, 0.4, "a"), Phoneme(0.4, 0.52, "m"), Phoneme(0.52, 0.8, "uː"),
          Phoneme(0.8, 1.0, "")]
    track = viseme_track(ph, FPS, 30)
    assert names(track[:5]) == ["REST"] * 5
    assert names(track[5:10]) == ["WIDE"] * 5
    assert set(names(track[10:13])) == {"CLOSED"}
    assert names(track[14:20]) == ["ROUNDED"] * 6
    assert names(track[20:]) == ["REST"] * 10  # after the last phoneme too


def test_a_short_closure_between_vowels_still_shows():
    # /m/ of 30 ms inside one 40 ms frame, between open vowels: the lips must meet on screen
    ph = [Phoneme(0.0, 0.205, "a"), Phoneme(0.205, 0.235, "m"), Phoneme(0.235, 0.5, "a")]
    track = viseme_track(ph, FPS, 13)
    assert list(track).count(V.CLOSED) == 1 and track[5] == V.CLOSED
    assert track[4] == V.WIDE and track[6] == V.WIDE


def test_no_shape_shows_for_a_single_frame_except_a_closure():
    ph = [Phoneme(0.0, 0.2, "a"), Phoneme(0.2, 0.24, "f"), Phoneme(0.24, 0.5, "a")]
    assert V.TEETH not in viseme_track(ph, FPS, 13)
    rng = random.Random(7)
    symbols = ["a", "m", "uː", "f", "iː", "", "s", "oʊ", "p"]
    for _ in range(200):
        t, ph = 0.0, []
        for _ in range(rng.randint(1, 30)):
            d = rng.uniform(0.01, 0.2)
            ph.append(Phoneme(t, t + d, rng.choice(symbols)))
            t += d
        track = viseme_track(ph, FPS, int(t * FPS) + 3)
        edges = np.flatnonzero(np.diff(track)) + 1
        bounds = np.r_[0, edges, len(track)]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            assert b - a > 1 or track[a] == V.CLOSED or len(bounds) == 2, names(track)


def test_smooth_prefers_the_next_shape_but_never_extends_a_closure():
    t = np.array([V.MID, V.MID, V.WIDE, V.ROUNDED, V.ROUNDED], np.uint8)
    assert names(smooth(t)) == ["MID", "MID", "ROUNDED", "ROUNDED", "ROUNDED"]
    t = np.array([V.WIDE, V.WIDE, V.MID, V.CLOSED, V.WIDE, V.WIDE], np.uint8)
    assert names(smooth(t)) == ["WIDE", "WIDE", "WIDE", "CLOSED", "WIDE", "WIDE"]
    t = np.array([V.WIDE, V.WIDE, V.MID], np.uint8)
    assert names(smooth(t)) == ["WIDE"] * 3
    assert names(smooth(np.array([V.MID], np.uint8))) == ["MID"]


@pytest.mark.parametrize("name,gesture", [
    ("wave", Gesture.WAVE), ("Wave", Gesture.WAVE), ("hello", Gesture.WAVE), ("挥手", Gesture.WAVE),
    ("nod", Gesture.NOD), ("点头", Gesture.NOD), ("point_product", Gesture.POINT), ("Point-Product", Gesture.POINT),
    ("heart hands", Gesture.HEART), ("比心", Gesture.HEART), ("dance", None), ("", None),
])
def test_action_names_map_to_gestures(name, gesture):
    assert gesture_of(name) == gesture


def test_gesture_track_runs_for_its_duration_and_a_later_one_cuts_in():
    actions = [Cue(0.4, 0.4, "wave"), Cue(1.2, 1.2, "dance"), Cue(1.6, 1.6, "nod")]
    track = gesture_track(actions, FPS, 100)
    assert track[9] is None and track[10] == (Gesture.WAVE, 0.0)
    assert track[39] == (Gesture.WAVE, 29 / round(DURATION[Gesture.WAVE] * FPS))
    assert track[40] == (Gesture.NOD, 0.0)  # the nod starts at 1.6 s and cuts the wave short
    n = round(DURATION[Gesture.NOD] * FPS)
    assert track[40 + n - 1][0] == Gesture.NOD and track[40 + n] is None


def clip_with(phonemes, seconds=1.0, actions=()):
    t = np.arange(int(seconds * 48000)) / 48000
    samples = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return Clip(samples, [Cue(0.0, seconds, "Hello")], list(actions), phonemes)


def test_track_pose_uses_visemes_when_timed_and_levels_otherwise():
    ph = (Phoneme(0.0, 0.4, "m"), Phoneme(0.4, 1.0, "uː"))
    timed = it.Track.of(clip_with(ph), FPS)
    assert timed.pose(2) == Pose(viseme=V.CLOSED) and timed.pose(20) == Pose(viseme=V.ROUNDED)
    untimed = it.Track.of(clip_with(None), FPS)
    assert untimed.visemes is None
    assert untimed.pose(10).viseme is None and untimed.pose(10).level == pytest.approx(float(untimed.levels[10]))
    assert untimed.pose(10).level > 0.5


def test_a_gesture_outlasts_the_clip_into_the_pause_after_it():
    track = it.Track.of(clip_with(None, 0.6, [Cue(0.5, 0.5, "heart")]), FPS)
    assert len(track.levels) == 15
    assert len(track.gestures) == round(0.5 * FPS) + round(DURATION[Gesture.HEART] * FPS)
    past = track.pose(20)
    assert past.gesture == Gesture.HEART and past.viseme is None and past.level == 0.0
    assert track.pose(200) == Pose()


def test_slices_keep_the_clip_frames():
    ph = (Phoneme(0.0, 0.4, "a"), Phoneme(0.4, 0.6, "m"), Phoneme(0.6, 1.0, "uː"))
    item = it.make_item(it.PARAGRAPH, clip_with(ph), FPS, gap=10)
    head, tail = it.split(item, 12)
    assert tail.start == 12 and tail.track.pose(tail.start) == item.track.pose(12) == Pose(viseme=V.CLOSED)
    rest = it.resume_from(item, 16)
    assert rest.track.pose(rest.start) == Pose(viseme=V.ROUNDED)


def test_unknown_actions_are_validation_warnings():
    from render.compose import render_warnings
    from render.spec import load_room

    text = '<speak>Hi <insert-action name="wave" tag="a"/> and <insert-action name="dance" tag="b"/></speak>'
    room = load_room({
        "room_name": "gestures", "scene_scripts": [{
            "script_name": "one", "model_asset_id": "m",
            "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": text}},
                              {"sequence_no": 2, "text_config": {"text": "plain, no actions"}}]}]}).room
    warnings = action_warnings(room)
    assert len(warnings) == 1
    assert "scene_scripts[0].shoot_scripts[0].text_config.text" in warnings[0] and "'dance'" in warnings[0]
    assert warnings[0] in render_warnings(room)  # what `validate` prints
