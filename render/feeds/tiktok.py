"""TikTok LIVE through TikTokLive (the optional `[tiktok]` extra, imported only here and only
when used): `smartlive feed tiktok @user`.

    map_event(ev) -> [FeedEvent]        # pure: one of the library's event objects
    TikTok("@user").session(stats)      # one connection, for render.feeds.follow

| TikTokLive event | spec event |
|---|---|
| CommentEvent | 1 comment `{user, content}` |
| GiftEvent | 4 gift `{user, gift: {giftName, giftNum, giftValue, totalValue}}` in diamonds; |
|           | a streak is reported once, when it ends (its repeat_count gifts) |
| JoinEvent | 2 join |
| LikeEvent | 3 like, `count` the likes of that tap burst |
| FollowEvent | 5 follow |
| RoomUserSeqEvent | 6 `{numberOfViewers}` (its total) |

The user: name = nickname (else the @handle), userId = the @handle, level = the gifter level,
badge "fans" with badgeLevel = the member level when the user has one.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from render.feeds.events import FeedEvent, now_ms, user
from render.feeds.status import Stats

log = logging.getLogger(__name__)


def _user(u) -> dict:
    if u is None:
        return {"name": ""}
    handle = getattr(u, "display_id", "") or ""
    name = getattr(u, "nickname", "") or handle
    level = member = None
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        level = u.gifter_level
        member = u.member_level
    return user(name, user_id=handle or getattr(u, "id", None) or None, level=level,
                badge="fans" if member else None, badge_level=member)


def _meta(ev) -> tuple[int, str]:
    common = getattr(ev, "common", None)
    ts = getattr(common, "create_time", 0) or 0
    msg_id = getattr(common, "msg_id", 0) or 0
    return (int(ts) if ts > 10**11 else int(ts * 1000)) if ts else now_ms(), str(msg_id) if msg_id else ""


def map_event(ev) -> list[FeedEvent]:
    from TikTokLive.events import CommentEvent, FollowEvent, GiftEvent, JoinEvent, LikeEvent, RoomUserSeqEvent

    ts, key = _meta(ev)
    key = f"tt:{type(ev).__name__}:{key}" if key else ""
    if isinstance(ev, CommentEvent):
        return [FeedEvent(1, {"user": _user(ev.user), "content": ev.content or ""}, ts, key=key)]
    if isinstance(ev, GiftEvent):
        if ev.streaking or ev.gift is None:  # mid-streak: its end carries the whole count
            return []
        n = max(1, int(ev.repeat_count or 1))
        each = int(ev.gift.diamond_count or 0)
        gift = {"giftName": ev.gift.name or "", "giftNum": n, "giftValue": each, "totalValue": each * n}
        return [FeedEvent(4, {"user": _user(ev.user), "gift": gift}, ts, key=key)]
    if isinstance(ev, JoinEvent):
        return [FeedEvent(2, {"user": _user(ev.user)}, ts, key=key)]
    if isinstance(ev, LikeEvent):
        return [FeedEvent(3, {"user": _user(ev.user), "count": max(1, int(ev.count or 1))}, ts, key=key)]
    if isinstance(ev, FollowEvent):
        return [FeedEvent(5, {"user": _user(ev.user)}, ts, key=key)]
    if isinstance(ev, RoomUserSeqEvent):
        return [FeedEvent(6, {"numberOfViewers": int(ev.total or 0)}, ts)]
    return []


class TikTok:
    def __init__(self, unique_id: str):
        self.unique_id = unique_id if unique_id.startswith("@") else f"@{unique_id}"
        self.name = f"tiktok {self.unique_id}"

    async def session(self, stats: Stats) -> AsyncIterator[FeedEvent]:
        try:
            from TikTokLive import TikTokLiveClient
            from TikTokLive.events import (
                CommentEvent,
                DisconnectEvent,
                FollowEvent,
                GiftEvent,
                JoinEvent,
                LikeEvent,
                RoomUserSeqEvent,
            )
        except ImportError:
            from render.feeds.report import FeedError

            raise FeedError("feed tiktok needs the TikTokLive library: pip install 'smartlive[tiktok]'") from None
        client = TikTokLiveClient(unique_id=self.unique_id)
        q: asyncio.Queue = asyncio.Queue()
        for cls in (CommentEvent, GiftEvent, JoinEvent, LikeEvent, FollowEvent, RoomUserSeqEvent):
            client.add_listener(cls, q.put_nowait)
        client.add_listener(DisconnectEvent, lambda _: q.put_nowait(None))
        task = await client.start()
        try:
            while True:
                get = asyncio.ensure_future(q.get())
                await asyncio.wait({get, task}, return_when=asyncio.FIRST_COMPLETED)
                if not get.done():
                    get.cancel()
                    task.result()  # its error ends the session (follow reconnects)
                    return
                ev = get.result()
                if ev is None:
                    return
                try:
                    mapped = map_event(ev)
                except (AttributeError, TypeError, ValueError) as e:
                    stats.bad_frames += 1
                    log.warning("tiktok: a %s that does not map (%s); skipped", type(ev).__name__, e)
                    continue
                for fe in mapped:
                    yield fe
        finally:
            with contextlib.suppress(Exception):
                await client.disconnect(close_client=True)
