"""The room spec: every table's constraints, valid and invalid; the conditional rules of the notes."""
from __future__ import annotations

import base64
import copy
import json

import pytest

from render.errors import BodyError, SpecError
from render.spec import load_room, validate_room

BASE = {
    "room_name": "r",
    "scene_scripts": [{
        "script_name": "s",
        "model_asset_id": "m",
        "voice_config": {"voice_asset_id": "v"},
        "background_config": [{"background_type": "IMAGE", "background_config": "bg"}],
        "layer_config": [],
        "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": "Hello."}}],
    }],
}


def with_(path: str, value, base=BASE) -> dict:
    """A copy of the base room with the value at a dotted path (list items as [i])."""
    room = copy.deepcopy(base)
    parts = path.replace("]", "").replace("[", ".").split(".")
    node = room
    for p in parts[:-1]:
        node = node[int(p)] if p.isdigit() else node.setdefault(p, {})
    last = parts[-1]
    if value is _DEL:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return room


_DEL = object()


def violations(room: dict) -> list[str]:
    with pytest.raises(SpecError) as e:
        validate_room(room)
    return e.value.details


def ok(room: dict):
    return validate_room(room)[0]


def test_base_room_is_valid():
    room = ok(BASE)
    assert room.view_mode.value == "VERTICAL" and room.room_type.value == "NORMAL"
    assert room.scene_scripts[0].voice_config.speed == 100
    assert room.scene_scripts[0].voice_config.pitch == 100
    assert room.scene_scripts[0].voice_config.volume == 140


def test_example_room_of_the_spec_is_valid(repo_root):
    loaded = load_room(repo_root / "assets" / "rooms" / "example.json")
    assert loaded.warnings == []
    assert loaded.room.scene_scripts[0].background_config[0].background_config == "978f893e1de4553c183b7a805e6290f5"


@pytest.mark.parametrize("field,lo,hi", [
    ("scene_scripts[0].voice_config.speed", 50, 200),
    ("scene_scripts[0].voice_config.pitch", 50, 200),
    ("scene_scripts[0].voice_config.volume", 90, 240),
])
def test_voice_ranges(field, lo, hi):
    ok(with_(field, lo))
    ok(with_(field, hi))
    for bad in (lo - 1, hi + 1):
        (v,) = violations(with_(field, bad))
        assert v.startswith(field + ":")


def _layer(**kw):
    layer = {"layer_type": "TEXT", "position": {"dx": 0, "dy": 0, "layer_index": 1},
             "text_config": {"text_context": base64.b64encode("测试 text".encode()).decode()}}
    layer.update(kw)
    return layer


@pytest.mark.parametrize("size,good", [(4, True), (120, True), (3, False), (121, False)])
def test_font_size_range(size, good):
    layer = _layer()
    layer["text_config"]["font_size"] = size
    room = with_("scene_scripts[0].layer_config", [layer])
    if good:
        ok(room)
    else:
        assert violations(room)[0].startswith("scene_scripts[0].layer_config[0].text_config.font_size:")


def _video_config(**kw):
    vc = {"codec": "H264", "bitrate": 4000, "width": 1080, "height": 1920}
    vc.update(kw)
    return vc


@pytest.mark.parametrize("bitrate,good", [(40, True), (30000, True), (39, False), (30001, False)])
def test_bitrate_range(bitrate, good):
    room = with_("video_config", _video_config(bitrate=bitrate))
    if good:
        ok(room)
    else:
        assert violations(room)[0].startswith("video_config.bitrate:")


@pytest.mark.parametrize("priority,good", [(0, True), (999, True), (-1, False), (1000, False)])
def test_priority_range(priority, good):
    room = with_("interaction_rules", [{"event_type": 1, "hit_condition": {"priority": priority}}])
    if good:
        assert ok(room).interaction_rules[0].hit_condition.priority == priority
    else:
        assert violations(room)[0].startswith("interaction_rules[0].hit_condition.priority:")


def test_priority_default_is_500():
    assert ok(with_("interaction_rules", [{"hit_condition": {}}])).interaction_rules[0].hit_condition.priority == 500


@pytest.mark.parametrize("value,good", [(-1, True), (0, True), (3600, True), (-2, False)])
def test_time_window_range(value, good):
    room = with_("interaction_rules", [{"trigger": {"time_window": value}}])
    if good:
        ok(room)
    else:
        assert violations(room)[0].startswith("interaction_rules[0].trigger.time_window:")


@pytest.mark.parametrize("value,good", [(-1, True), (0, True), (5, True), (-2, False)])
def test_repeat_count_range(value, good):
    room = with_("play_policy", {"repeat_count": value})
    if good:
        ok(room)
    else:
        assert violations(room)[0].startswith("play_policy.repeat_count:")


def test_layer_index_starts_at_one():
    ok(with_("scene_scripts[0].layer_config", [_layer()]))
    layer = _layer(position={"dx": 0, "dy": 0, "layer_index": 0})
    assert violations(with_("scene_scripts[0].layer_config", [layer]))[0].startswith(
        "scene_scripts[0].layer_config[0].position.layer_index:")


@pytest.mark.parametrize("event_type", [1, 2, 3, 4, 6, 10])
def test_event_types(event_type):
    ok(with_("interaction_rules", [{"event_type": event_type}]))


@pytest.mark.parametrize("event_type", [0, 5, 7, 11])
def test_bad_event_types(event_type):
    assert violations(with_("interaction_rules", [{"event_type": event_type}]))[0].startswith(
        "interaction_rules[0].event_type:")


ENUMS = [
    ("room_type", ["NORMAL", "TEMP", "TEMPLATE"]),
    ("view_mode", ["VERTICAL", "LANDSCAPE"]),
    ("scene_scripts[0].background_config[0].background_type", ["IMAGE", "IMAGE_2D", "VIDEO", "AUDIO"]),
    ("play_policy.play_mode", ["TEXT", "AUDIO", "NO_PRESET"]),
    ("play_policy.random_play_mode", ["NONE", "SCENE", "SCRIPT_ITEM", "SCENE_AND_SCRIPT_ITEM"]),
    ("video_config.codec", ["H264", "VP8"]),
    ("video_config.clip_mode", ["RESIZE"]),
    ("interaction_rules[0].hit_condition.relation", ["AND", "OR", "RESERVED", "And", "Or"]),
    ("interaction_rules[0].hit_condition.tags[0].operation", ["SUM", "AVG", "COUNT", "NONE"]),
    ("interaction_rules[0].hit_condition.tags[0].match",
     ["EQUAL", "REGEX", "MATH_GT", "MATH_GE", "MATH_LT", "MATH_LE", "MATH_EQ"]),
    ("interaction_rules[0].trigger.reply_mode", ["SYSTEM_REPLY", "CALLBACK", "SHOW_LAYER", "INTELLIGENT_REPLY"]),
    ("interaction_rules[0].trigger.reply_order", ["RANDOM", "ORDER"]),
    ("interaction_rules[0].trigger.reply_role", ["STREAMER", "CO_STREAMER"]),
    ("live_event_callback_config.auth_type", ["NONE", "None", "MSS_A", "MSS_A_HEAD", "MEITUAN_DEFAULT"]),
    ("live_event_callback_config.callback_event_type[0]",
     ["SHOOT_SCRIPT_SWITCH", "RTMP_STREAM_STATE_CHANGE", "REPLY_COMMAND_FINISH"]),
    ("rtc_callback_config.rtc_callback_event_type[0]", ["LIVE_PROGRESS", "REPLY_COMMAND_FINISH"]),
    ("shared_config.shared_type", ["PRIVATE", "PUBLIC", "SHARED"]),
    ("shared_config.shared_state", ["PUBLISHED", "DRAFT", "REVIEW"]),
    ("co_streamer_config.streamer_action", ["SILENCE", "VOLUME_DOWN"]),
    ("video_config.subtitle_config.font_name",
     ["HarmonyOS_Sans_SC_Black", "HarmonyOS_Sans_SC_Regular", "HarmonyOS_Sans_SC_Thin"]),
]


def _enum_room(path, value):
    base = copy.deepcopy(BASE)
    base["video_config"] = _video_config()
    base["interaction_rules"] = [{"hit_condition": {"tags": [{}]}, "trigger": {}}]
    base["live_event_callback_config"] = {"callback_event_type": ["SHOOT_SCRIPT_SWITCH"]}
    base["rtc_callback_config"] = {"rtc_callback_event_type": ["LIVE_PROGRESS"]}
    room = with_(path, value, base)
    bg = room["scene_scripts"][0]["background_config"][0]
    bg.setdefault("background_config", "x")
    return room


@pytest.mark.parametrize("path,values", ENUMS, ids=[p for p, _ in ENUMS])
def test_every_enum_value_is_accepted_and_others_refused(path, values):
    for v in values:
        ok(_enum_room(path, v))
    assert violations(_enum_room(path, "NOT_A_VALUE"))[0].startswith(path + ":")


@pytest.mark.parametrize("font", ["HarmonyOS_Sans_SC_Black", "HarmonyOS_Sans_SC_Regular",
                                  "HarmonyOS_Sans_SC_Thin", "fzyouh"])
def test_text_layer_fonts(font):
    layer = _layer()
    layer["text_config"]["font_name"] = font
    ok(with_("scene_scripts[0].layer_config", [layer]))


def test_subtitle_font_does_not_take_fzyouh():
    room = with_("video_config", _video_config(subtitle_config={"font_name": "fzyouh"}))
    assert violations(room)[0].startswith("video_config.subtitle_config.font_name:")


# ---- the notes' rules ----

def test_background_image_needs_background_config():
    room = with_("scene_scripts[0].background_config", [{"background_type": "IMAGE"}])
    (v,) = violations(room)
    assert v.startswith("scene_scripts[0].background_config[0]:")
    assert "needs background_config or background_asset_id" in v


def test_background_color_needs_color_config_and_takes_both_forms():
    (v,) = violations(with_("scene_scripts[0].background_config", [{"background_type": "COLOR"}]))
    assert "background_color_config is required" in v
    for c in ("#1A2B3C", "1A2B3C"):
        ok(with_("scene_scripts[0].background_config",
                 [{"background_type": "COLOR", "background_color_config": c}]))
    bad = with_("scene_scripts[0].background_config",
                [{"background_type": "COLOR", "background_color_config": "blue"}])
    assert violations(bad)[0].startswith("scene_scripts[0].background_config[0].background_color_config:")


def test_text_context_must_be_base64_of_utf8():
    ok(with_("scene_scripts[0].layer_config", [_layer()]))
    for bad in ("not base64!!", base64.b64encode(b"\xff\xfe\xfd").decode()):
        layer = _layer()
        layer["text_config"]["text_context"] = bad
        (v,) = violations(with_("scene_scripts[0].layer_config", [layer]))
        assert v.startswith("scene_scripts[0].layer_config[0].text_config.text_context:") and "base64" in v


def test_spec_example_text_context_decodes():
    assert base64.b64decode("5rWL6K+V5paH5a2X5rC05Y2w").decode() == "测试文字水印"


@pytest.mark.parametrize("layer,needs", [
    ({"layer_type": "IMAGE"}, "image"),
    ({"layer_type": "IMAGE", "image_config": {}}, "image"),
    ({"layer_type": "VIDEO", "video_config": {"loop_count": 2}}, "video"),
    ({"layer_type": "TEXT", "text_config": {"font_size": 20}}, "text"),
])
def test_layers_need_their_media(layer, needs):
    (v,) = violations(with_("scene_scripts[0].layer_config", [layer]))
    assert v.startswith("scene_scripts[0].layer_config[0]:") and needs in v


def test_layers_with_asset_ids_are_fine():
    ok(with_("scene_scripts[0].layer_config", [{"layer_type": "IMAGE", "asset_id": "x"},
                                               {"layer_type": "VIDEO", "asset_id": "y"},
                                               {"layer_type": "HUMAN"}]))


def test_outputs_pair_up_and_are_rtmp():
    ok(with_("output_urls", ["rtmp://a/live", "rtmps://b/app"], with_("stream_keys", ["k1", "k2"])))
    (v,) = violations(with_("output_urls", ["rtmp://a/live"], with_("stream_keys", ["k1", "k2"])))
    assert v.startswith("stream_keys:")
    (v,) = violations(with_("output_urls", ["http://a/live"], with_("stream_keys", ["k1"])))
    assert v.startswith("output_urls[0]:") and "rtmp://" in v


@pytest.mark.parametrize("w,h,good", [(1920, 1080, True), (1080, 1920, True), (1280, 720, True),
                                      (720, 1280, True), (3840, 2160, True), (2160, 3840, True),
                                      (1000, 1000, False), (640, 360, False)])
def test_resize_resolutions(w, h, good):
    room = with_("video_config", _video_config(width=w, height=h))
    if good:
        ok(room)
    else:
        assert violations(room)[0].startswith("video_config.width:")


def test_crop_must_fall_inside_the_canvas():
    ok(with_("video_config", _video_config(clip_mode="CROP", dx=80, dy=100, width=1000, height=1800)))
    (v,) = violations(with_("video_config", _video_config(clip_mode="CROP", dx=200, width=1000, height=1000)))
    assert v.startswith("video_config.dx:")
    (v,) = violations(with_("video_config", _video_config(clip_mode="CROP", dy=1000, width=500, height=1000)))
    assert v.startswith("video_config.dy:")
    landscape = with_("view_mode", "LANDSCAPE")
    ok(with_("video_config", _video_config(clip_mode="CROP", dx=100, width=1800, height=1080), landscape))


def test_audio_must_be_mp3_and_subtitles_srt():
    para = {"audio_config": {"audio_url": "https://x/a.mp3?sig=1", "subtitle_url": "s.srt"}}
    ok(with_("scene_scripts[0].shoot_scripts[0]", para))
    bad = {"audio_config": {"audio_url": "a.wav", "subtitle_url": "s.vtt"}}
    vs = violations(with_("scene_scripts[0].shoot_scripts[0]", bad))
    assert {v.split(":")[0] for v in vs} == {"scene_scripts[0].shoot_scripts[0].audio_config.audio_url",
                                             "scene_scripts[0].shoot_scripts[0].audio_config.subtitle_url"}


def test_frame_rate_is_a_string_of_a_sane_rate():
    assert ok(with_("video_config", _video_config(frame_rate="30"))).video_config.fps == 30
    assert ok(with_("video_config", _video_config(frame_rate=25))).video_config.fps == 25
    assert violations(with_("video_config", _video_config(frame_rate="fast")))[0].startswith(
        "video_config.frame_rate:")


def test_required_fields():
    vs = violations(with_("scene_scripts[0].shoot_scripts[0].text_config", {}))
    assert vs == ["scene_scripts[0].shoot_scripts[0].text_config.text: field required"]
    vs = violations(with_("room_name", _DEL))
    assert vs == ["room_name: field required"]
    vs = violations(with_("video_config", {"codec": "H264"}))
    assert sorted(v.split(":")[0] for v in vs) == ["video_config.bitrate", "video_config.height",
                                                   "video_config.width"]


def test_five_violations_give_five_paths():
    room = copy.deepcopy(BASE)
    room["room_type"] = "PARTY"
    room["scene_scripts"][0]["voice_config"]["speed"] = 300
    room["scene_scripts"][0]["shoot_scripts"].append({"text_config": {}})
    room["scene_scripts"][0]["layer_config"] = [{"layer_type": "IMAGE"}]
    room["output_urls"], room["stream_keys"] = ["rtmp://a/live"], []
    with pytest.raises(SpecError) as e:
        validate_room(room)
    paths = [d.split(":")[0] for d in e.value.details]
    assert len(paths) == 5 and len(set(paths)) == 5
    assert "scene_scripts[0].shoot_scripts[1].text_config.text" in paths
    assert e.value.code == "MSS.00000003"
    assert all(p in e.value.body()["error_msg"] for p in paths)


def test_unknown_fields_are_warnings_not_errors():
    room = copy.deepcopy(BASE)
    room["interaction_mood"] = {"x": 1}
    room["relation_live_platform_info"] = [{"platform": "x"}]
    room["scene_scripts"][0]["shoot_scripts"][0]["emotion"] = "HAPPY"
    room, warnings = validate_room(room)
    assert sorted(w.split(":")[0] for w in warnings) == [
        "interaction_mood", "relation_live_platform_info", "scene_scripts[0].shoot_scripts[0].emotion"]


def test_not_json_is_a_body_error_with_line_and_column(tmp_path):
    p = tmp_path / "room.json"
    p.write_text('{\n  "room_name": "x",\n  oops\n}')
    with pytest.raises(BodyError) as e:
        load_room(p)
    assert e.value.code == "MSS.00000002" and "line 3 column 3" in str(e.value)


def test_round_trip_through_json_keeps_the_body():
    room = ok(BASE)
    again = json.loads(room.model_dump_json(exclude_none=True))
    assert ok(again) == room


def test_crop_sizes_must_be_even():
    (v,) = violations(with_("video_config", _video_config(clip_mode="CROP", width=719, height=1280)))
    assert v.startswith("video_config.width:") and "even" in v


def test_malformed_ssml_is_found_at_validation():
    bad = with_("scene_scripts[0].shoot_scripts[0].text_config.text", "<speak>Hi <prosody rate='fast'>x</speak>")
    (v,) = violations(bad)
    assert v.startswith("scene_scripts[0].shoot_scripts[0].text_config.text:") and "SSML" in v
    ok(with_("scene_scripts[0].shoot_scripts[0].text_config.text", '<speak>Hi <break time="500ms"/> there</speak>'))


def test_live_exit_config_of_the_api_family_is_modelled():
    room, warnings = validate_room(with_("play_policy", {"live_exit_config": {"max_live_duration": 2,
                                                                              "auto_stop_mode": "SCRIPT_END"}}))
    assert warnings == [] and room.play_policy.live_exit_config.max_live_duration == 2
    assert violations(with_("play_policy", {"live_exit_config": {"max_live_duration": -1}}))[0].startswith(
        "play_policy.live_exit_config.max_live_duration:")
