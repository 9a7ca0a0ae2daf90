"""Bilibili: the packet codec, the command mapping, and the client kept running by `follow`
against a local server speaking the protocol (reconnection, silence, duplicates, bad frames)."""
from __future__ import annotations

import asyncio
import json
import time
import zlib

import pytest

from render.feeds import bilibili_wire as wire
from render.feeds.bilibili import Bilibili
from render.feeds.bilibili_map import MapError, Mapper
from render.feeds.follow import follow
from render.feeds.status import Stats
from render.spec.live_events import parse_event
from tests.bilibili_server import CLOSE, BilibiliServer, compressed, danmu, message

T = 1796400000000
GIFT = {"cmd": "SEND_GIFT", "data": {"giftName": "辣条", "num": 3, "uname": "Wang", "uid": 42, "price": 100,
                                     "total_coin": 300, "coin_type": "gold", "tid": "t-1", "timestamp": T // 1000,
                                     "batch_combo_id": "combo-1", "medal_info": {"medal_name": "fans",
                                                                                  "medal_level": 3}}}
COMBO = {"cmd": "COMBO_SEND", "data": {"uid": 42, "uname": "Wang", "gift_name": "辣条", "combo_num": 5,
                                       "total_num": 5, "batch_combo_id": "combo-1", "combo_total_coin": 500}}
ENTER = {"cmd": "INTERACT_WORD", "data": {"uid": 7, "uname": "Li", "msg_type": 1, "timestamp": T // 1000,
                                          "trigger_time": T * 1000, "fans_medal": {"medal_name": "", "medal_level": 0}}}
LIKE = {"cmd": "LIKE_INFO_V3_CLICK", "data": {"uid": 8, "uname": "Zhao", "like_text": "liked"}}
SC = {"cmd": "SUPER_CHAT_MESSAGE", "data": {"id": 99, "uid": 9, "message": "加油", "price": 30,
                                            "start_time": T // 1000, "user_info": {"uname": "Sun", "user_level": 20}}}
WATCHED = {"cmd": "WATCHED_CHANGE", "data": {"num": 5466, "text_small": "5466"}}
ONLINE = {"cmd": "ONLINE_RANK_COUNT", "data": {"count": 120, "online_count": 321}}


# ---- the codec -----------------------------------------------------------------------------

def test_packets_round_trip_with_nested_zlib_and_brotli_bodies():
    auth = wire.encode(wire.OP_AUTH, wire.auth_body(123, "tok", uid=5, buvid="b-1"))
    (p,) = wire.decode(auth)
    assert auth[:16] == (16 + len(p.body)).to_bytes(4, "big") + b"\x00\x10\x00\x01\x00\x00\x00\x07\x00\x00\x00\x01"
    assert p.json() == {"uid": 5, "roomid": 123, "protover": 3, "platform": "web", "type": 2, "key": "tok",
                        "buvid": "b-1"}
    for how in ("brotli", "zlib"):
        got = wire.decode(compressed([danmu(1, "a", "hi", T), LIKE], how) + message(ONLINE))
        assert [q.json()["cmd"] for q in got] == ["DANMU_MSG", "LIKE_INFO_V3_CLICK", "ONLINE_RANK_COUNT"]
    (beat,) = wire.decode(wire.encode(wire.OP_HEARTBEAT_REPLY, (4321).to_bytes(4, "big")))
    assert beat.popularity() == 4321


@pytest.mark.parametrize("data, says", [
    (b"\x00\x00\x00\x20\x00\x10", "stray byte"),
    (wire.encode(wire.OP_MESSAGE, b"{}")[:-1] + b"", "does not fit"),
    (b"\x00\x00\x00\x10\x00\x10\x00\x09\x00\x00\x00\x05\x00\x00\x00\x01", "protocol version 9"),
    (wire.encode(wire.OP_MESSAGE, b"not brotli", wire.VER_BROTLI), "brotli body that does not open"),
    (wire.encode(wire.OP_MESSAGE, b"not zlib", wire.VER_ZLIB), "zlib body that does not open"),
    (wire.encode(wire.OP_MESSAGE, zlib.compress(wire.encode(wire.OP_MESSAGE, zlib.compress(
        wire.encode(wire.OP_MESSAGE, zlib.compress(message(LIKE)), wire.VER_ZLIB)), wire.VER_ZLIB)),
        wire.VER_ZLIB), "nested too deep"),
])
def test_bad_packets_are_refused_with_the_reason(data, says):
    with pytest.raises(wire.PacketError, match=says):
        wire.decode(data)


# ---- the mapping ----------------------------------------------------------------------------

def spec(ev):
    """What the API would parse from the reported event (the spec's shape, checked)."""
    return parse_event(ev.live_event()).content


def test_commands_map_to_the_spec_events_with_name_and_level():
    m = Mapper()
    (c,) = m.command(danmu(1001, "Wang Fang", "多少钱?", T, level=21, medal=(7, "小星星")))
    assert (c.type, c.timestamp) == (1, T)
    assert spec(c) == {"user": {"userId": "1001", "name": "Wang Fang", "level": 21, "badge": "小星星",
                                "badgeLevel": 7}, "content": "多少钱?"}
    (g,) = m.command(GIFT)
    assert g.type == 4 and spec(g)["gift"] == {"giftName": "辣条", "giftNum": 3, "giftValue": 0.1, "totalValue": 0.3}
    assert spec(g)["user"]["badge"] == "fans"
    (combo,) = m.command(COMBO)  # 5 in the combo, 3 already reported by its SEND_GIFT
    assert spec(combo)["gift"]["giftNum"] == 2 and spec(combo)["gift"]["totalValue"] == pytest.approx(0.2)
    assert m.command(COMBO) == []  # the same combo again: nothing new
    (e,) = m.command(ENTER)
    assert e.type == 2 and spec(e) == {"user": {"userId": "7", "name": "Li"}}
    assert m.command({**ENTER, "data": {**ENTER["data"], "msg_type": 2}})[0].type == 5
    (lk,) = m.command(LIKE)
    assert lk.type == 3 and spec(lk) == {"user": {"userId": "8", "name": "Zhao"}, "count": 1}
    (sc,) = m.command(SC)
    assert sc.type == 1 and spec(sc)["content"] == "加油" and spec(sc)["superChat"] == {"price": 30}
    assert spec(sc)["user"]["level"] == 20
    assert spec(m.command(WATCHED)[0])["numberOfViewers"] == 5466
    assert spec(m.command(ONLINE)[0])["numberOfViewers"] == 321
    assert m.popularity(4321)[0].heartbeat and m.popularity(1) == []
    assert m.command({"cmd": "DANMU_MSG:4:0:2:2:2:0", "info": danmu(1, "a", "b", T)["info"]})[0].type == 1
    assert m.command({"cmd": "STOP_LIVE_ROOM_LIST", "data": {}}) == []
    with pytest.raises(MapError, match="DANMU_MSG: a field is missing"):
        m.command({"cmd": "DANMU_MSG", "info": []})
    with pytest.raises(MapError, match="SEND_GIFT.num"):
        m.command({**GIFT, "data": {**GIFT["data"], "num": "three"}})


# ---- the client, kept running ----------------------------------------------------------------

def run_follow(srv, source, *, want, silence=30.0, timeout=15.0):
    """`follow` until `want(events)` holds; (events, stats)."""
    stats, got = Stats(), []

    async def main():
        stop = asyncio.Event()

        async def put(ev):
            got.append(ev)
            if want(got):
                stop.set()

        task = asyncio.create_task(follow(source, put, stats, stop=stop, silence=silence, backoff=(0.05, 0.2),
                                          say=lambda s: None))
        await asyncio.wait_for(task, timeout)

    asyncio.run(main())
    return got, stats


def test_the_feed_reconnects_skips_bad_frames_and_drops_duplicates():
    first = danmu(1, "Wang", "hello", T)
    sessions = [
        [compressed([first, GIFT, ENTER, LIKE]), b"\x00\x01garbage", "a text frame",
         compressed([WATCHED, SC, {"cmd": "DANMU_MSG", "info": [[], 5]}], "zlib"), CLOSE],
        [message(first), message(danmu(2, "Li", "again", T + 5))],  # the first re-sent: a duplicate; then silent
        [message(danmu(3, "Zhao", "back", T + 9))],
    ]
    with BilibiliServer(sessions) as srv:
        t0 = time.monotonic()
        got, stats = run_follow(srv, Bilibili(5050, server=srv.url), silence=1.0,
                                want=lambda evs: any(e.content.get("content") == "back" for e in evs))
        took = time.monotonic() - t0
    words = [e.content.get("content") for e in got if e.type == 1]
    assert words == ["hello", "加油", "again", "back"]  # once each, in order
    assert [e.type for e in got if not e.heartbeat][:6] == [1, 4, 2, 3, 6, 1]
    assert stats.dropped["duplicate"] == 1
    assert stats.bad_frames == 3  # the garbage, the text frame, the DANMU_MSG without fields
    assert stats.reconnects == 2 and srv.connections == 3  # closed, then silent for 1 s
    assert took < 10
    assert srv.auths[0]["roomid"] == 5050 and "key" not in srv.auths[0]
    assert srv.heartbeats >= 2  # one as each connection opens (the last may close before it is read)


def test_the_room_lookup_gives_the_real_room_and_token_and_sends_the_cookie():
    with BilibiliServer([[message(danmu(1, "Wang", "hi", T))]], room_id=7734200) as srv:
        src = Bilibili(12, api=srv.api, cookie="SESSDATA=s3cr3t; DedeUserID=99; buvid3=BV-XYZ")
        got, _ = run_follow(srv, src, want=lambda evs: any(e.type == 1 for e in evs))
    assert [e.content["content"] for e in got if e.type == 1] == ["hi"]
    assert srv.auths == [{"uid": 99, "roomid": 7734200, "protover": 3, "platform": "web", "type": 2,
                          "key": "tok-123", "buvid": "BV-XYZ"}]
    assert all("SESSDATA=s3cr3t" in c for c in srv.cookies) and len(srv.cookies) == 3


def test_get_danmu_info_is_signed_with_wbi_keys_from_nav():
    """A platform that refuses unsigned getDanmuInfo queries (-352) gives the token and host to a
    query signed with the nav API's keys; the keys are asked once, not at each reconnect."""
    with BilibiliServer([[CLOSE], [message(danmu(1, "Wang", "signed", T))]], room_id=7734200, wbi=True) as srv:
        src = Bilibili(12, api=srv.api, default_sub=srv.url)  # (a guest would come here, keyless)
        got, _ = run_follow(srv, src, want=lambda evs: any(e.type == 1 for e in evs))
    assert [e.content["content"] for e in got if e.type == 1] == ["signed"]
    assert [a.get("key") for a in srv.auths] == ["tok-123", "tok-123"]  # not a guest: the signature held
    assert srv.paths.count("/x/web-interface/nav") == 1 and srv.paths.count("/room/v1/Room/room_init") == 2


def test_a_refused_danmu_info_connects_as_a_guest_to_the_default_host():
    with BilibiliServer([[message(danmu(1, "Wang", "hi", T))]], room_id=7734200, danmu_info_code=-352) as srv:
        src = Bilibili(12, api=srv.api, default_sub=srv.url)
        got, _ = run_follow(srv, src, want=lambda evs: any(e.type == 1 for e in evs))
    assert [e.content["content"] for e in got if e.type == 1] == ["hi"]
    assert srv.auths[0]["roomid"] == 7734200 and "key" not in srv.auths[0]


def test_a_popularity_count_alone_does_not_hold_off_the_silence_reconnect():
    with BilibiliServer([[], [message(danmu(1, "Wang", "finally", T))]]) as srv:
        src = Bilibili(5050, server=srv.url, heartbeat=0.2)  # replies every 0.2 s, never a message
        got, stats = run_follow(srv, src, silence=1.0, want=lambda evs: any(e.type == 1 for e in evs))
    assert stats.reconnects == 1 and any(e.heartbeat for e in got)
    (comment,) = [e for e in got if e.type == 1]
    assert json.loads(comment.live_event()["content"])["content"] == "finally"


def test_wbi_signature_matches_the_documentations_worked_example():
    from render.feeds import bilibili_wbi as wbi

    img, sub = wbi.nav_keys({"wbi_img": {"img_url": "https://i0.hdslb.com/bfs/wbi/7cd084941338484aae1ad9425b84077c.png",
                                         "sub_url": "https://i0.hdslb.com/bfs/wbi/4932caff0ff746eab6f01bf08b70ac45.png"}})
    mixin = wbi.mixin_key(img, sub)
    assert mixin == "ea1db124af3c7062474693fa704f4ff8"
    query = wbi.signed({"foo": "114", "bar": "514", "zab": 1919810}, mixin, 1702204169)
    assert query["w_rid"] == "8f6f2b5b3d485fe1886cec6a0be8c5d4" and query["wts"] == 1702204169
    # UTF-8 upper-case escapes, a space as %20, !'()* left out of the signed text
    assert wbi.w_rid({"foo": "one one four", "bar": "五一四", "baz": 1919810}, mixin, 1) == wbi.w_rid(
        {"foo": "one (one) four!", "bar": "五一四", "baz": "1919810"}, mixin, 1)
    with pytest.raises(wbi.WbiError, match="img_url"):
        wbi.nav_keys({"wbi_img": {"img_url": "", "sub_url": "x"}})
