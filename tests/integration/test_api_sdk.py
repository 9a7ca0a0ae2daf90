"""The official client (huaweicloudsdkmetastudio's MetaStudioClient, AK/SK signed) against a real server."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkmetastudio.v1 import (
    CreateSmartLiveRoomReq,
    CreateSmartLiveRoomRequest,
    DeleteSmartLiveRoomRequest,
    ListSmartLiveJobsRequest,
    ListSmartLiveRequest,
    ListSmartLiveRoomsRequest,
    ShowSmartLiveRequest,
    ShowSmartLiveRoomRequest,
    StartSmartLiveReq,
    StartSmartLiveRequest,
    StopSmartLiveRequest,
    UpdateSmartLiveRoomRequest,
)

from render.api.auth import Key
from tests.integration.api_harness import (
    AK,
    OTHER_PROJECT,
    SK,
    ApiServer,
    api_credentials,
    make_settings,
    push_room,
    sdk_client,
    wait_state,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ENDED = ("SUCCEED", "FAILED", "CANCELED")


def create(client, body: dict) -> str:
    return client.create_smart_live_room(
        CreateSmartLiveRoomRequest(body=CreateSmartLiveRoomReq(**body))
    ).room_id


def test_rooms_through_the_sdk(tmp_path):
    creds = api_credentials()
    creds.keys["ANYAK"] = Key("ANYAK", "any-sk")  # a key for any project
    with ApiServer(make_settings(tmp_path, credentials=creds)) as srv:
        c = sdk_client(srv.url)
        body = push_room("rtmp://127.0.0.1:1935/live", "main")
        resp = c.create_smart_live_room(CreateSmartLiveRoomRequest(body=CreateSmartLiveRoomReq(**body)))
        room_id = resp.room_id
        assert room_id and resp.x_request_id
        shown = c.show_smart_live_room(ShowSmartLiveRoomRequest(room_id=room_id))
        assert shown.room_name == "api push test" and shown.room_state == "ENABLE" and shown.create_time
        assert shown.scene_scripts[0].shoot_scripts[0].text_config.text.startswith("Hello everyone")
        assert shown.video_config.width == 720 and shown.output_urls == body["output_urls"]
        other = create(c, {"room_name": "second", "room_type": "TEMPLATE"})

        listed = c.list_smart_live_rooms(ListSmartLiveRoomsRequest(offset=0, limit=10))
        assert listed.count == 2 and {r.room_id for r in listed.smart_live_rooms} == {room_id, other}
        by_type = c.list_smart_live_rooms(ListSmartLiveRoomsRequest(room_type="TEMPLATE"))
        assert [r.room_id for r in by_type.smart_live_rooms] == [other]
        by_name = c.list_smart_live_rooms(ListSmartLiveRoomsRequest(room_name="PUSH"))
        assert [r.room_id for r in by_name.smart_live_rooms] == [room_id]
        page = c.list_smart_live_rooms(ListSmartLiveRoomsRequest(offset=1, limit=1))
        assert page.count == 2 and len(page.smart_live_rooms) == 1

        updated = c.update_smart_live_room(
            UpdateSmartLiveRoomRequest(
                room_id=room_id, body=CreateSmartLiveRoomReq(**{**body, "room_name": "renamed"})
            )
        )
        assert updated.room_name == "renamed" and updated.room_id == room_id
        assert c.show_smart_live_room(ShowSmartLiveRoomRequest(room_id=room_id)).room_name == "renamed"

        # another project (a key allowed for any project) sees none of these rooms
        stranger = sdk_client(srv.url, "ANYAK", "any-sk", OTHER_PROJECT)
        assert stranger.list_smart_live_rooms(ListSmartLiveRoomsRequest()).count == 0
        with pytest.raises(ClientRequestException) as e:
            stranger.show_smart_live_room(ShowSmartLiveRoomRequest(room_id=room_id))
        assert e.value.status_code == 404 and e.value.error_code == "MSS.41000003"
        # and our key may not use the other project at all
        with pytest.raises(ClientRequestException) as e:
            sdk_client(srv.url, AK, SK, OTHER_PROJECT).list_smart_live_rooms(ListSmartLiveRoomsRequest())
        assert e.value.status_code == 401 and e.value.error_code == "MSS.00000001"

        c.delete_smart_live_room(DeleteSmartLiveRoomRequest(room_id=other))
        with pytest.raises(ClientRequestException) as e:
            c.show_smart_live_room(ShowSmartLiveRoomRequest(room_id=other))
        assert e.value.status_code == 404 and e.value.error_code == "MSS.41000003"
        with pytest.raises(ClientRequestException) as e:
            c.create_smart_live_room(
                CreateSmartLiveRoomRequest(
                    body=CreateSmartLiveRoomReq(room_name="bad", room_type="SOMETIMES")
                )
            )
        assert e.value.status_code == 400 and e.value.error_code == "MSS.00000003"
        assert "room_type" in e.value.error_msg


def test_a_room_survives_a_restart(tmp_path):
    settings = make_settings(tmp_path)
    with ApiServer(settings) as srv:
        room_id = create(sdk_client(srv.url), {"room_name": "persistent", "room_description": "kept"})
    with ApiServer(settings) as srv:
        shown = sdk_client(srv.url).show_smart_live_room(ShowSmartLiveRoomRequest(room_id=room_id))
        assert shown.room_name == "persistent" and shown.room_description == "kept"


@pytest.mark.slow
@pytest.mark.rtmp
def test_start_show_and_stop_a_real_push_through_the_sdk(tmp_path, nginx):
    with ApiServer(make_settings(tmp_path)) as srv:
        c = sdk_client(srv.url)
        room_id = create(c, push_room("rtmp://127.0.0.1:9/nowhere", "unused", repeat_count=-1))
        started = c.start_smart_live(
            StartSmartLiveRequest(
                room_id=room_id, body=StartSmartLiveReq(output_urls=[nginx.url], stream_keys=["sdk"])
            )
        )
        job_id = started.job_id
        assert job_id

        def state():
            return c.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job_id)).state

        assert wait_state(state, ("PROCESSING", *ENDED)) == "PROCESSING"
        rec = nginx.recording("sdk")

        def progress():  # the recording grew, or the job ended (and then says why)
            if rec.exists() and rec.stat().st_size > 50_000:
                return "GROWN"
            return state()

        reached = wait_state(progress, ("GROWN", *ENDED), 90)
        if reached != "GROWN":
            job = c.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job_id))
            pytest.fail(f"job {reached}, error_info {job.error_info}, recording "
                        f"{rec.stat().st_size if rec.exists() else 'absent'}\n{nginx.log()}")
        in_room = c.list_smart_live(ListSmartLiveRequest(room_id=room_id))
        assert [j.job_id for j in in_room.smart_live_jobs] == [job_id]
        assert c.list_smart_live_jobs(ListSmartLiveJobsRequest(state="PROCESSING")).count == 1

        c.stop_smart_live(StopSmartLiveRequest(room_id=room_id, job_id=job_id))
        assert wait_state(state, ENDED, 60) == "CANCELED"
        job = c.show_smart_live(ShowSmartLiveRequest(room_id=room_id, job_id=job_id))
        assert job.start_time and job.end_time and job.duration > 0 and job.error_info is None
