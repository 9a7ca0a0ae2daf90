"""The live programme in process, on real speech and real pixels: play types, the cut, overlays,
the co-streamer, rewrites, clean-ups, the exit policy and determinism (interaction.md)."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from render.assets import AssetLibrary
from render.errors import SpecError
from render.layers.planes import i420_to_rgb
from render.programme import Programme, parse_entry
from render.programme.items import Track
from render.spec import load_room
from render.spec.commands import parse_command
from render.speech import speak
from render.timebase import samples_per_frame

pytestmark = pytest.mark.slow

FPS = 25
SPF = samples_per_frame(FPS)
P1 = "Good evening and welcome to the shop. Tonight we look at three new lamps. The first one is blue."
P2 = "That is all for the lamps. Thank you for watching."
REPLY = "Thanks for the gift, Li Lei."
RED_SQUARE = {"layer_type": "TEXT", "text_config": {"text_context": "■■", "font_size": 120,
                                                   "font_color": "#FF0000", "display_duration": 2},
              "position": {"dx": 100, "dy": 100, "layer_index": 9}}


def room_dict(**extra) -> dict:
    room = {
        "room_name": "programme test",
        "video_config": {"codec": "H264", "bitrate": 1000, "width": 1280, "height": 720},
        "view_mode": "LANDSCAPE",
        "scene_scripts": [{
            "script_name": "Lamps",
            "model_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a",
            "voice_config": {"voice_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a"},
            "background_config": [{"background_type": "COLOR", "background_color_config": "#203040"}],
            "layer_config": [{"layer_type": "TEXT", "text_config": {"text_context": "5L2g5aW9", "font_size": 60},
                              "position": {"dx": 100, "dy": 100, "layer_index": 5}}],
            "shoot_scripts": [{"sequence_no": 1, "title": "one", "text_config": {"text": P1}},
                              {"sequence_no": 2, "title": "two", "text_config": {"text": P2}}],
        }],
        "co_streamer_config": {"voice_config": {"voice_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a",
                                                "pitch": 180}},
    }
    room.update(extra)
    return room


@pytest.fixture(scope="module")
def library(repo_root):
    return AssetLibrary.default(base_dir=repo_root)


def run(room: dict, library, timeline=(), *, frames=None, pictures=(), **kw):
    """(audio, events, {frame: RGB}) of a programme driven by timeline lines."""
    prog = Programme(load_room(copy.deepcopy(room)), library, seed=1, **kw)
    for n, line in enumerate(timeline):
        prog.schedule(parse_entry(json.dumps(line), f"line {n}"))
    audio, events, pics = [], [], {}
    try:
        while frames is None or len(audio) < frames:
            f = prog.next_frame()
            if f is None:
                break
            audio.append(f.audio)
            events += [{**e, "frame": f.index, "message": json.loads(e["message"])} for e in f.events]
            if f.index in pictures:
                pics[f.index] = i420_to_rgb(f.picture)
    finally:
        prog.close()
    return np.concatenate(audio), events, pics


def first(events, kind, **match):
    return next(e for e in events if e["event_type"] == kind and all(e["message"].get(k) == v
                                                                      for k, v in match.items()))


def insert(at, text=REPLY, play_type="PLAY_NOW", role="STREAMER"):
    return {"at": at, "command": "INSERT_PLAY_SCRIPT",
            "params": {"text_config": {"text": text}, "play_type": play_type, "play_role": role}}


def voice_clip(library, text=REPLY, pitch=100):
    from render.spec.models import VoiceConfig

    return speak(text, VoiceConfig(voice_asset_id="a5d295cdb345c11bd9f36bc22ced3a7a", pitch=pitch), library)


def onset(audio: np.ndarray, clip: np.ndarray, around: int, span: int = 6 * SPF) -> int:
    """The sample where `clip` starts in `audio`, searched within `span` of `around`."""
    head = clip[np.flatnonzero(np.abs(clip) > 0.01)[0]:][:4000]
    lead = np.flatnonzero(np.abs(clip) > 0.01)[0]
    def corr(s: int) -> float:
        seg = audio[s + lead: s + lead + len(head)]
        if len(seg) < len(head):
            return -1.0
        return float(np.dot(seg, head) / (np.linalg.norm(seg) * np.linalg.norm(head) + 1e-9))

    where = max(range(max(0, around - span), around + span, 4), key=corr)  # coarse, then to the sample
    where = max(range(max(0, where - 4), where + 5), key=corr)
    best = corr(where)
    assert best > 0.95, f"the clip is not in the audio near sample {around} (best correlation {best:.2f})"
    return where


def test_play_now_cuts_at_once_without_a_click_and_replays_the_cut_sentence(library):
    audio, events, _ = run(room_dict(), library, [insert(1.0)], frames=400)
    start = first(events, "REPLY_START")
    assert start["frame"] == 25
    reply = voice_clip(library)
    assert abs(onset(audio, reply.samples, 25 * SPF) - 25 * SPF) < SPF  # within one frame
    cut = audio[25 * SPF - 200: 25 * SPF + 700]
    assert np.max(np.abs(np.diff(cut))) < 0.08  # a 10 ms fade, no step
    para = voice_clip(library, P1)
    first_sentence = para.cues[0]
    resumed = onset(audio, para.samples[round(first_sentence.start * 48000):],
                    (25 + reply.frames(FPS) + 6) * SPF)
    assert resumed >= (25 + reply.frames(FPS)) * SPF  # after the reply, the cut sentence from its start
    finish = first(events, "REPLY_COMMAND_FINISH", reply_id=start["message"]["reply_id"])
    assert finish["frame"] == 25 + reply.frames(FPS)


def test_play_now_skips_the_cut_sentence_when_asked(library):
    room = room_dict(interaction_config={"ignore_current_sentence": True})
    audio, events, _ = run(room, library, [insert(1.0)], frames=400)
    para = voice_clip(library, P1)
    second = para.cues[1]
    reply = voice_clip(library)
    near = (25 + reply.frames(FPS) + 6) * SPF
    onset(audio, para.samples[round(second.start * 48000):], near)  # the next sentence comes next


def test_insert_waits_for_the_end_of_the_sentence_and_the_paragraph_goes_on(library):
    audio, events, _ = run(room_dict(), library, [insert(0.5, play_type="INSERT")], frames=500)
    para = voice_clip(library, P1)
    track = Track.of(para, FPS)
    end_first = track.sentences[0][1]
    assert first(events, "REPLY_START")["frame"] == end_first
    reply = voice_clip(library)
    assert abs(onset(audio, reply.samples, end_first * SPF) - end_first * SPF) < SPF
    # the paragraph's next sentence follows the reply
    nxt = track.sentences[1][0]
    onset(audio, para.samples[nxt * SPF:], (nxt + reply.frames(FPS) + 6) * SPF)


def test_append_waits_for_the_end_of_the_paragraph(library):
    audio, events, _ = run(room_dict(), library, [insert(0.5, play_type="APPEND")], frames=800)
    switch_two = [e for e in events if e["event_type"] == "SHOOT_SCRIPT_SWITCH"][1]
    start = first(events, "REPLY_START")
    para = voice_clip(library, P1)
    assert start["frame"] == para.frames(FPS) + 10  # after paragraph one and its 0.4 s pause
    assert switch_two["frame"] > start["frame"]


def test_overlay_shows_for_its_duration_in_stacking_order(library):
    layer = copy.deepcopy(RED_SQUARE)
    below = copy.deepcopy(RED_SQUARE)
    below["position"]["layer_index"] = 1  # under the scene's text layer (5)
    timeline = [{"at": 1.0, "command": "SHOW_LAYER", "params": {"layer_config": layer}}]
    _, events, pics = run(room_dict(), library, timeline, frames=110, pictures={10, 30, 70, 80})
    red = lambda img: int(np.sum((img[..., 0] > 200) & (img[..., 1] < 60) & (img[..., 2] < 60)))  # noqa: E731
    assert red(pics[10]) == 0 and red(pics[30]) > 2000 and red(pics[70]) > 2000 and red(pics[80]) == 0
    assert first(events, "LAYER_SHOW")["frame"] == 25 and first(events, "LAYER_HIDE")["frame"] == 75
    # stacked under the scene's white text where they overlap: the text's pixels stay white
    _, _, top = run(room_dict(), library, timeline, frames=31, pictures={30})
    _, _, under = run(room_dict(), library, [{"at": 1.0, "command": "SHOW_LAYER",
                                              "params": {"layer_config": below}}], frames=31, pictures={30})
    white = lambda img: int(np.sum(np.all(img[90:260, 90:600] > 230, axis=-1)))  # noqa: E731
    assert white(under[30]) > white(top[30]) + 200


def pitch_hz(x: np.ndarray) -> float:
    """Median F0 of the voiced 40 ms windows, by autocorrelation (75-400 Hz)."""
    out = []
    for s in range(0, len(x) - 1920, 1920):
        w = x[s:s + 1920] - np.mean(x[s:s + 1920])
        if np.sqrt(np.mean(w ** 2)) < 0.02:
            continue
        ac = np.correlate(w, w, "full")[1919:]
        lo, hi = 48000 // 400, 48000 // 75
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.3 * ac[0]:
            out.append(48000 / lag)
    return float(np.median(out))


def test_co_streamer_speaks_in_its_own_voice_while_the_streamer_is_silent(library):
    room = room_dict()
    room["co_streamer_config"]["streamer_action"] = "SILENCE"
    audio, events, _ = run(room, library, [insert(1.0, role="CO_STREAMER")], frames=300)
    start = first(events, "REPLY_START")
    assert start["message"]["role"] == "CO_STREAMER"
    co = voice_clip(library, pitch=180)
    s = onset(audio, co.samples, 25 * SPF)
    heard = audio[s: s + len(co.samples)]
    own = voice_clip(library)
    assert pitch_hz(heard) > pitch_hz(own.samples) * 1.2


def test_co_streamer_volume_down_ducks_the_streamer_about_12_db(library):
    room = room_dict()
    room["co_streamer_config"]["streamer_action"] = "VOLUME_DOWN"
    plain, _, _ = run(room_dict(), library, frames=120)
    ducked, events, _ = run(room, library, [insert(1.0, role="CO_STREAMER")], frames=120)
    co = voice_clip(library, pitch=180)
    n = min(len(co.samples), 60 * SPF)
    streamer_part = ducked[25 * SPF + SPF: 25 * SPF + n] - _padded(co.samples, 25 * SPF)[SPF:n]
    ratio = np.sqrt(np.mean(streamer_part ** 2)) / np.sqrt(np.mean(plain[26 * SPF: 25 * SPF + n] ** 2))
    assert 20 * np.log10(ratio) == pytest.approx(-12, abs=1.5)
    assert first(events, "REPLY_START")["frame"] == 25


def _padded(x, n):
    return np.concatenate([x, np.zeros(max(0, n), np.float32)])


def test_rewrite_changes_only_what_has_not_played(library):
    new = copy.deepcopy(room_dict()["scene_scripts"])
    new[0]["script_name"] = "Rewritten"
    new[0]["shoot_scripts"] = [{"sequence_no": 1, "title": "new", "text_config": {"text": "A brand new line."}}]
    _, events, _ = run(room_dict(), library, [{"at": 1.0, "command": "REWRITE_PLAY_SCRIPT",
                                               "params": {"scene_scripts": new}}], frames=900)
    switches = [e["message"]["shoot_script_title"] for e in events if e["event_type"] == "SHOOT_SCRIPT_SWITCH"]
    assert switches[:2] == ["one", "new"]  # paragraph one finished, two replaced


def test_clean_up_drops_pending_inserts_with_their_finish(library):
    timeline = [insert(0.5, "First line.", "APPEND"), insert(0.6, "Second line.", "APPEND"),
                {"at": 1.0, "command": "CLEAN_UP_INSERT_COMMAND", "params": {}}]
    _, events, _ = run(room_dict(), library, timeline, frames=600)
    finishes = [e["message"] for e in events if e["event_type"] == "REPLY_COMMAND_FINISH"]
    assert len(finishes) == 2 and all(f["reason"] == "CLEANED_UP" for f in finishes)
    assert not [e for e in events if e["event_type"] == "REPLY_START"]


@pytest.mark.parametrize("mode", ["FORCE_EXIT", "SEGMENT_END", "SCRIPT_END"])
def test_exit_modes_end_where_they_should(library, mode):
    room = room_dict(play_policy={"repeat_count": -1, "live_exit_config": {"auto_stop_mode": mode}})
    audio, events, _ = run(room, library, max_live_seconds=2.0)
    n = len(audio) // SPF
    p1 = voice_clip(library, P1).frames(FPS) + 10
    p2 = voice_clip(library, P2).frames(FPS) + 10
    assert n == {"FORCE_EXIT": 50, "SEGMENT_END": p1, "SCRIPT_END": p1 + p2}[mode]


def test_same_timeline_twice_gives_the_same_frames(library):
    timeline = [insert(0.5), {"at": 1.0, "command": "SHOW_LAYER", "params": {"layer_config": RED_SQUARE}},
                insert(2.0, "And hello to you.", "INSERT", "CO_STREAMER")]
    a1, e1, p1 = run(room_dict(), library, timeline, frames=150, pictures={40, 120})
    a2, e2, p2 = run(room_dict(), library, timeline, frames=150, pictures={40, 120})
    assert np.array_equal(a1, a2) and np.array_equal(p1[40], p2[40]) and np.array_equal(p1[120], p2[120])
    strip = lambda ev: [(e["frame"], e["event_type"]) for e in ev]  # noqa: E731
    assert strip(e1) == strip(e2)


def test_bad_commands_are_rejected_and_the_show_goes_on(library, tmp_path):
    with pytest.raises(SpecError, match="command"):
        parse_command({"command": "DANCE"})
    with pytest.raises(SpecError, match="params.text_config.text: malformed SSML"):
        parse_command({"command": "INSERT_PLAY_SCRIPT", "params": {"text_config": {"text": "<speak><b>x</speak>"}}})
    timeline = [{"at": 0.5, "command": "INSERT_PLAY_AUDIO", "params": {"audio_url": str(tmp_path / "none.mp3")}}]
    audio, events, _ = run(room_dict(), library, timeline, frames=100)
    rejected = first(events, "COMMAND_REJECTED")
    msg = rejected["message"]
    assert msg["error_code"] == "MSS.10001004" and "params.audio_url" in msg["error_msg"]
    assert len(audio) == 100 * SPF
    # a path component over 255 bytes (the file system refuses the name: was an OSError on the frame thread)
    timeline = [{"at": 0.5, "command": "INSERT_PLAY_AUDIO", "params": {"audio_url": "x" * 300 + ".mp3"}}]
    audio, events, _ = run(room_dict(), library, timeline, frames=100)
    msg = first(events, "COMMAND_REJECTED")["message"]
    assert msg["error_code"] == "MSS.10001004" and "params.audio_url" in msg["error_msg"]
    assert "cannot name a file here" in msg["error_msg"] and len(audio) == 100 * SPF


def test_queries_answer_this_round_and_the_config(library):
    room = room_dict(output_urls=["rtmp://127.0.0.1:9/live"], stream_keys=["s3cret-stream"],
                     live_event_callback_config={"auth_type": "MSS_A_HEAD", "key": "hmac-key-1"})
    prog = Programme(load_room(room), library, seed=1)
    try:
        fut = prog.submit(parse_command({"command": "GET_CURRENT_PLAYING_SCRIPTS"}))
        prog.next_frame()
        scripts = json.loads(fut.result(timeout=1))
        assert scripts[0]["script_name"] == "Lamps"
        assert [p["title"] for p in scripts[0]["shoot_scripts"]] == ["one", "two"]
        fut = prog.submit(parse_command({"command": "GET_LIVE_JOB_CONFIG_INFO"}))
        prog.next_frame()
        info = json.loads(fut.result(timeout=1))
        assert info["room_name"] == "programme test"
        assert info["stream_keys"] == ["***"] and info["live_event_callback_config"]["key"] == "***"
        assert "s3cret-stream" not in fut.result() and "hmac-key-1" not in fut.result()  # issue 24 item 9
    finally:
        prog.close()


def test_a_timeline_line_after_the_scripts_end_is_still_played(library):
    audio, events, _ = run(room_dict(), library, [insert(30.0, "One more thing.", "APPEND")])
    start = first(events, "REPLY_START")
    assert start["frame"] == 750  # the room waited, silent, for it
    assert len(audio) // SPF == 750 + voice_clip(library, "One more thing.").frames(25) + 6


def test_insert_play_audio_plays_a_recorded_file(library, tmp_path):
    import subprocess

    wav = tmp_path / "chime.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=880:duration=1", "-ar", "48000", "-ac", "1", str(wav)], check=True)
    audio, events, _ = run(room_dict(), library, [{"at": 1.0, "command": "INSERT_PLAY_AUDIO", "params": {
        "audio_url": str(wav), "play_type": "PLAY_NOW"}}], frames=150)
    start = first(events, "REPLY_START")
    assert start["frame"] == 25
    tone = audio[26 * SPF: 49 * SPF]
    spectrum = np.abs(np.fft.rfft(tone))
    assert abs(np.argmax(spectrum) * 48000 / len(tone) - 880) < 5  # the file's tone, heard at once
    assert first(events, "REPLY_COMMAND_FINISH", reply_id=start["message"]["reply_id"])["frame"] == 25 + 25


def test_a_video_overlay_plays_from_its_start_while_shown(library):
    layer = {"layer_type": "VIDEO", "video_config": {"video_url": "showcase_clip", "display_duration": 3},
             "position": {"dx": 0, "dy": 0, "layer_index": 9}, "size": {"width": 640, "height": 360}}
    _, _, pics = run(room_dict(), library, [{"at": 1.0, "command": "SHOW_LAYER", "params": {"layer_config": layer}}],
                     frames=120, pictures={20, 26, 50, 110})
    area = lambda p: p[20:340, 20:620].astype(int)  # noqa: E731
    assert np.abs(area(pics[26]) - area(pics[20])).mean() > 10  # it appeared
    assert np.abs(area(pics[50]) - area(pics[26])).mean() > 1   # and moves
    assert np.abs(area(pics[110]) - area(pics[20])).mean() < 1  # gone after 3 s


def test_total_frames_is_the_planned_length(library):
    prog = Programme(load_room(room_dict(play_policy={"repeat_count": 1})), library, seed=1)
    try:
        planned, n = prog.total_frames(), 0
        while prog.next_frame() is not None:
            n += 1
        assert planned == n  # two rounds of both paragraphs with their pauses
    finally:
        prog.close()


def test_the_insert_queue_is_bounded_and_clean_up_gives_its_memory_back(library):
    """Issue 24 item 3: inserts beyond the bound are refused with MSS.20020001 before their speech
    is made; CLEAN_UP_INSERT_COMMAND frees both their places and their memory."""
    import gc
    import tracemalloc

    from render.errors import StateError
    from render.programme.insert_bound import MAX_INSERTS

    prog = Programme(load_room(room_dict()), library, seed=1)
    line = "A long inserted line about the lamp, its colours, its price and when it ships. " * 3
    try:
        prog.next_frame()
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        futs = [prog.submit(parse_command({"command": "INSERT_PLAY_SCRIPT", "params": {
            "text_config": {"text": f"{line} {n}"}, "play_type": "APPEND"}})) for n in range(MAX_INSERTS + 5)]
        for _ in range(3):
            prog.next_frame()  # their speech is made (a preview makes it on the frame thread)
        refused = [f.exception(timeout=1) for f in futs[MAX_INSERTS:]]
        assert all(isinstance(e, StateError) and e.code == "MSS.20020001" and f"at most {MAX_INSERTS}" in e.message
                   for e in refused)
        assert all(f.result(timeout=1) == "SUCCESS" for f in futs[:MAX_INSERTS])
        held = tracemalloc.get_traced_memory()[0] - base
        clean = prog.submit(parse_command({"command": "CLEAN_UP_INSERT_COMMAND", "params": {}}))
        for _ in range(3):
            prog.next_frame()
        assert len(json.loads(clean.result(timeout=1))["cleaned"]) == MAX_INSERTS
        gc.collect()
        after = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        assert held > 20_000_000 and after < held * 0.1, (held, after)  # their speech is gone
        again = prog.submit(parse_command({"command": "INSERT_PLAY_SCRIPT", "params": {
            "text_config": {"text": "Room again."}, "play_type": "APPEND"}}))
        prog.next_frame()
        assert again.result(timeout=1) == "SUCCESS"
    finally:
        prog.close()
