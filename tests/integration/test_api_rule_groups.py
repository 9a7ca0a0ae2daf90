"""Rule libraries through the official SDK: the nine operations, and a room importing a group."""
from __future__ import annotations

import json

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkmetastudio.v1 import (
    CreateInteractionRuleGroupRequest,
    CreateInteractionRuleReq,
    CreateInteractionRuleRequest,
    CreateSmartLiveRoomReq,
    CreateSmartLiveRoomRequest,
    DeleteInteractionRuleGroupRequest,
    DeleteInteractionRuleRequest,
    HitCondition,
    HitConditionTag,
    InteractionRuleGroup,
    InteractionRuleInfo,
    ListInteractionRuleGroupsRequest,
    ListInteractionRuleGroupsSummaryRequest,
    ShowInteractionRuleGroupRequest,
    StartSmartLiveReq,
    StartSmartLiveRequest,
    TriggerProcess,
    UpdateInteractionRuleGroupRequest,
    UpdateInteractionRuleRequest,
)

from tests.integration.api_harness import ApiServer, fake_worker, make_settings, sdk_client, wait_state
from tests.integration.test_api_jobs import OK, ROOM


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def comment_rule(name: str, word: str, reply: str) -> InteractionRuleInfo:
    return InteractionRuleInfo(
        rule_name=name, event_type=1,
        hit_condition=HitCondition(relation="AND", tags=[HitConditionTag(tag="content", match="REGEX", value=word)]),
        trigger=TriggerProcess(reply_mode="SYSTEM_REPLY", reply_texts=[reply]))


def test_rule_groups_through_the_sdk(tmp_path):
    with ApiServer(make_settings(tmp_path, worker_command=fake_worker(tmp_path, OK))) as srv:
        c = sdk_client(srv.url)
        group_id = c.create_interaction_rule_group(CreateInteractionRuleGroupRequest(body=InteractionRuleGroup(
            group_name="greetings", interaction_rules=[comment_rule("hi", "hi|hello", "Hello {name}!")]))).group_id
        other = c.create_interaction_rule_group(CreateInteractionRuleGroupRequest(body=InteractionRuleGroup(
            group_name="price questions", interaction_rules=[]))).group_id

        shown = c.show_interaction_rule_group(ShowInteractionRuleGroupRequest(group_id=group_id))
        assert shown.group_name == "greetings" and shown.create_time.endswith("Z")
        rule = shown.interaction_rules[0]
        assert rule.rule_index == "1" and rule.rule_id and rule.trigger.reply_texts == ["Hello {name}!"]

        listed = c.list_interaction_rule_groups(ListInteractionRuleGroupsRequest(group_name="GREET"))
        assert listed.count == 1 and listed.interaction_rule_groups[0].interaction_rules[0].rule_name == "hi"
        summary = c.list_interaction_rule_groups_summary(ListInteractionRuleGroupsSummaryRequest(limit=10))
        assert summary.count == 2 and {g.group_id for g in summary.interaction_rule_groups} == {group_id, other}
        assert not c.list_interaction_rule_groups(ListInteractionRuleGroupsRequest(
            create_since="2000-01-01T00:00:00Z", create_until="2000-01-02T00:00:00Z")).count

        added = c.create_interaction_rule(CreateInteractionRuleRequest(group_id=group_id, body=CreateInteractionRuleReq(
            rule_name="gift", event_type=4, trigger=TriggerProcess(reply_mode="SYSTEM_REPLY",
                                                                   reply_texts=["Thanks for {giftName}"]))))
        assert added.rule_index == "2" and added.rule_id and added.event_type == 4
        changed = c.update_interaction_rule(UpdateInteractionRuleRequest(
            group_id=group_id, rule_id=added.rule_id, body=CreateInteractionRuleReq(
                rule_name="big gift", event_type=4,
                trigger=TriggerProcess(reply_mode="SYSTEM_REPLY", reply_texts=["Wow, {giftNum} {giftName}!"]))))
        assert changed.rule_id == added.rule_id and changed.rule_index == "2" and changed.rule_name == "big gift"
        c.delete_interaction_rule(DeleteInteractionRuleRequest(group_id=group_id, rule_id=rule.rule_id))
        now = c.show_interaction_rule_group(ShowInteractionRuleGroupRequest(group_id=group_id))
        assert [r.rule_name for r in now.interaction_rules] == ["big gift"]

        renamed = c.update_interaction_rule_group(UpdateInteractionRuleGroupRequest(
            group_id=other,
            body=InteractionRuleGroup(group_name="prices",
                                      interaction_rules=[comment_rule("price", "price|cost", "It is 99.")])))
        assert renamed.group_name == "prices" and renamed.interaction_rules[0].rule_name == "price"

        with pytest.raises(ClientRequestException) as err:  # invalid rule: 400 naming the field
            c.create_interaction_rule(CreateInteractionRuleRequest(group_id=group_id, body=CreateInteractionRuleReq(
                rule_name="bad", event_type=7)))
        assert err.value.status_code == 400 and "(body).event_type" in err.value.error_msg

        # a room imports the group: the job plays the group's rules, tagged with it
        body = {**ROOM, "interaction_rules": [{"group_id": other}, {"rule_name": "own", "event_type": 3}]}
        room_id = c.create_smart_live_room(CreateSmartLiveRoomRequest(body=CreateSmartLiveRoomReq(**body))).room_id
        job = c.start_smart_live(StartSmartLiveRequest(room_id=room_id, body=StartSmartLiveReq()))
        assert job.live_event_report_url and "auth_key=" in job.live_event_report_url
        store = srv.app.state.store
        wait_state(lambda: store.job(job.job_id)["state"], ("SUCCEED", "FAILED"), 30)
        seen = json.loads((tmp_path / "seen.json").read_text())["room"]["interaction_rules"]
        assert [(r.get("rule_name"), r.get("group_id"), r.get("group_name")) for r in seen] == [
            ("price", other, "prices"), ("own", None, None)]

        c.delete_interaction_rule_group(DeleteInteractionRuleGroupRequest(group_id=other))
        with pytest.raises(ClientRequestException) as err:
            c.show_interaction_rule_group(ShowInteractionRuleGroupRequest(group_id=other))
        assert err.value.status_code == 404 and err.value.error_code == "MSS.41000003"
        with pytest.raises(ClientRequestException) as err:  # the room's import is gone: the start says so
            c.start_smart_live(StartSmartLiveRequest(room_id=room_id, body=StartSmartLiveReq()))
        assert err.value.status_code == 400 and "interaction_rules[0].group_id" in err.value.error_msg
