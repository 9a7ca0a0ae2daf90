"""What validate says a room cannot do (issue 25, item 7): errors for what cannot work, warnings for
fields accepted without effect and for a squeezed picture, all found in one run."""
from __future__ import annotations

import copy

import pytest

from render.spec import validate_room
from tests.unit.test_spec_models import BASE, ok, violations, with_


def warnings_of(room: dict) -> list[str]:
    return validate_room(room)[1]


def test_empty_shoot_scripts_is_an_error():
    (v,) = violations(with_("scene_scripts[0].shoot_scripts", []))
    assert v.startswith("scene_scripts[0].shoot_scripts:")


def test_a_string_bitrate_is_refused():
    room = with_("video_config", {"codec": "H264", "bitrate": "4000", "width": 1080, "height": 1920})
    (v,) = violations(room)
    assert v.startswith("video_config.bitrate:")
    assert ok(with_("video_config.bitrate", 4000, room)).video_config.bitrate == 4000


def test_an_image_background_by_asset_id_alone_is_accepted():
    room = ok(with_("scene_scripts[0].background_config", [{"background_type": "IMAGE",
                                                            "background_asset_id": "bg"}]))
    assert room.scene_scripts[0].background_config[0].background_asset_id == "bg"


def test_schema_and_ssml_errors_come_in_one_run():
    room = with_("scene_scripts[0].shoot_scripts[0].text_config.text", "<speak>Hi <break time='9h'/></speak>")
    room = with_("room_type", "PARTY", room)
    found = violations(room)
    assert any(v.startswith("room_type:") for v in found)
    assert any(v.startswith("scene_scripts[0].shoot_scripts[0].text_config.text") for v in found), found


def test_landscape_content_in_a_portrait_resize_output_warns():
    room = with_("view_mode", "LANDSCAPE")
    room = with_("video_config", {"codec": "H264", "bitrate": 4000, "width": 1080, "height": 1920}, room)
    assert any(w.startswith("video_config: view_mode LANDSCAPE") and "squeezes" in w for w in warnings_of(room))
    room["video_config"].update(width=1920, height=1080)
    assert not any("squeezes" in w for w in warnings_of(room))
    room["video_config"].update(width=1080, height=1920, clip_mode="CROP", dx=0, dy=0)
    room["video_config"].update(width=1080, height=1080)
    assert not any("squeezes" in w for w in warnings_of(room))


@pytest.mark.parametrize("path,value,field", [
    ("play_policy.need_independent_capture_client", True, "play_policy.need_independent_capture_client"),
    ("backup_model_asset_ids", ["m2"], "backup_model_asset_ids"),
    ("scene_scripts[0].dh_id", "dh", "scene_scripts[0].dh_id"),
    ("scene_scripts[0].layer_config", [{"layer_type": "TEXT", "group_id": "g", "text_config": {
        "text_context": "5L2g5aW9"}, "position": {"dx": 1, "dy": 1, "layer_index": 1}}],
     "scene_scripts[0].layer_config[0].group_id"),
    ("review_config", {"no_need_review": True}, "review_config"),
    ("shared_config", {"shared_type": "PRIVATE"}, "shared_config"),
    ("live_event_callback_config", {"live_event_type_callback_url": "https://example.com/cb",
                                    "auth_type": "MEITUAN_DEFAULT"}, "live_event_callback_config.auth_type"),
])
def test_fields_accepted_without_effect_warn_each(path, value, field):
    assert not any(w.startswith(field) for w in warnings_of(BASE))
    found = [w for w in warnings_of(with_(path, value)) if w.startswith(field)]
    assert len(found) == 1 and "without effect" in found[0]


def test_a_callback_rule_without_a_callback_url_warns():
    rule = {"rule_index": "1", "enabled": True, "event_type": 1,
            "hit_condition": {"relation": "OR", "tags": []},
            "trigger": {"reply_mode": "CALLBACK", "reply_texts": ["hi"]}}
    room = with_("interaction_rules", [rule])
    assert any(w.startswith("interaction_rules[0].trigger.reply_mode: CALLBACK") for w in warnings_of(room))
    room = copy.deepcopy(room)
    room["interaction_callback_url"] = "https://example.com/hit"
    assert not any("reply_mode: CALLBACK" in w for w in warnings_of(room))
