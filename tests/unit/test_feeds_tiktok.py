"""TikTok: the library's own event objects (TikTokLive, the [tiktok] extra) through the mapping,
no network: each lands as the spec's event with the user's name, handle and levels."""
from __future__ import annotations

import pytest

pytest.importorskip("TikTokLive")

from TikTokLive.events import CommentEvent, FollowEvent, GiftEvent, JoinEvent, LikeEvent, RoomUserSeqEvent  # noqa: E402
from TikTokLive.events.proto_events import ExtendedGift, ExtendedUser  # noqa: E402
from TikTokLiveProto.v3.webcast.shared.message import CommonMessageData  # noqa: E402

from render.feeds.follow import Dedupe  # noqa: E402
from render.feeds.tiktok import TikTok, map_event  # noqa: E402
from render.spec.live_events import parse_event  # noqa: E402

T = 1796400000000
WANG = ExtendedUser(id=11, nickname="Wang Fang", display_id="wang_fang")


def common(msg_id):
    return CommonMessageData(msg_id=msg_id, create_time=T)


def spec(ev):
    return parse_event(ev.live_event()).content


def test_the_library_events_map_to_spec_events():
    (c,) = map_event(CommentEvent(user=WANG, content="how much?", common=common(5)))
    assert (c.type, c.timestamp, c.key) == (1, T, "tt:CommentEvent:5")
    assert spec(c) == {"user": {"userId": "wang_fang", "name": "Wang Fang"}, "content": "how much?"}

    rose = ExtendedGift(id=5655, name="Rose", diamond_count=1, type=1)  # type 1: a streak gift
    assert map_event(GiftEvent(user=WANG, gift=rose, repeat_count=3, repeat_end=0, common=common(6))) == []
    (g,) = map_event(GiftEvent(user=WANG, gift=rose, repeat_count=7, repeat_end=1, common=common(7)))
    assert g.type == 4 and spec(g)["gift"] == {"giftName": "Rose", "giftNum": 7, "giftValue": 1, "totalValue": 7}
    lion = ExtendedGift(id=6369, name="Lion", diamond_count=29999, type=2)
    (g2,) = map_event(GiftEvent(user=WANG, gift=lion, repeat_count=1, common=common(8)))
    assert spec(g2)["gift"]["totalValue"] == 29999

    assert map_event(JoinEvent(user=ExtendedUser(display_id="li"), common=common(9)))[0].type == 2
    assert spec(map_event(JoinEvent(user=ExtendedUser(display_id="li"), common=common(9)))[0]) == {
        "user": {"userId": "li", "name": "li"}}  # no nickname: the handle
    (lk,) = map_event(LikeEvent(user=WANG, count=15, total=300, common=common(10)))
    assert lk.type == 3 and spec(lk)["count"] == 15
    assert map_event(FollowEvent(user=WANG, common=common(11)))[0].type == 5
    (v,) = map_event(RoomUserSeqEvent(total=5466, common=common(12)))
    assert v.type == 6 and spec(v) == {"numberOfViewers": 5466}


def test_a_message_seen_twice_is_one_event():
    d = Dedupe()
    evs = [map_event(CommentEvent(user=WANG, content="hi", common=common(n)))[0] for n in (1, 1, 2)]
    assert [d.first(e.key) for e in evs] == [True, False, True]
    assert TikTok("wang_fang").name == "tiktok @wang_fang"
