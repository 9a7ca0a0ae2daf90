"""The Bilibili client: `smartlive feed bilibili ROOM_ID`.

    src = Bilibili(room_id, cookie=..., server=None)
    async for ev in src.session(stats): ...     # one connection; ends or raises when it drops

Without `server`, each session asks the live API for the room's real id (room_init: a short id
becomes the long one) and for the danmaku host and token (getDanmuInfo, its query signed with
WBI: bilibili_wbi.py, the keys from the nav API, kept an hour); a login cookie (its `DedeUserID`
and `buvid3`) makes the connection a logged-in one, which the platform needs to show user names
in full. When getDanmuInfo still refuses (a login wanted, or no keys), the default host is used
without a token, as a guest.
With `server` (`ws://127.0.0.1:PORT/sub`), it connects there with the room
id as given and no token. Then: the auth packet within 5 s, its reply (code 0), a heartbeat
every 30 s, and every message packet through the Mapper. A packet that breaks the format or a
command whose fields are missing is logged and skipped (counted as a bad frame).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator

from render.feeds import bilibili_wbi as wbi
from render.feeds import bilibili_wire as wire
from render.feeds.bilibili_map import MapError, Mapper
from render.feeds.events import FeedEvent
from render.feeds.status import Stats

log = logging.getLogger(__name__)
API = "https://api.live.bilibili.com"
NAV_API = "https://api.bilibili.com"  # the WBI keys (/x/web-interface/nav)
WBI_KEPT = 3600.0  # s the WBI keys are used before they are asked again (they change daily)
DEFAULT_SUB = "wss://broadcastlv.chat.bilibili.com/sub"  # the danmaku host when none is given
HEARTBEAT = 30.0
AUTH_WAIT = 10.0
UA = "Mozilla/5.0 (X11; Linux x86_64) smartlive-feed"


class SourceError(Exception):
    """The platform refused (a bad room, a token refused): said once per reconnect."""


def cookie_value(cookie: str, name: str) -> str:
    m = re.search(rf"(?:^|;\s*){re.escape(name)}=([^;]*)", cookie or "")
    return m.group(1).strip() if m else ""


class Bilibili:
    def __init__(self, room_id: int, *, cookie: str = "", server: str | None = None, api: str = API,
                 nav_api: str | None = None, heartbeat: float = HEARTBEAT, default_sub: str = DEFAULT_SUB):
        self.room_id = room_id
        self.cookie = cookie
        self.server = server
        self.api = api.rstrip("/")
        # another live API (a proxy, a test server) answers nav too, unless told otherwise
        self.nav_api = (nav_api or (NAV_API if api == API else api)).rstrip("/")
        self._mixin: tuple[float, str] | None = None  # (when asked, the WBI mixin key)
        self.heartbeat = heartbeat
        self.default_sub = default_sub
        self.mapper = Mapper()
        self.name = f"bilibili {room_id}"

    async def connect_info(self) -> tuple[int, str, str]:
        """(real room id, WebSocket URL, token) from the live API, or as given with --server."""
        if self.server:
            return self.room_id, self.server, ""
        import httpx

        headers = {"User-Agent": UA, "Referer": "https://live.bilibili.com/"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        async with httpx.AsyncClient(timeout=10, headers=headers) as client:
            init = await self._get(client, "/room/v1/Room/room_init", {"id": self.room_id})
            room = int(init.get("room_id") or self.room_id)
            params: dict = {"id": room, "type": 0}
            mixin = await self._wbi_mixin(client)
            if mixin:
                params = wbi.signed(params, mixin, int(time.time()))
            try:
                info = await self._get(client, "/xlive/web-room/v1/index/getDanmuInfo", params)
            except SourceError as e:  # it may want a login: go on as a guest
                self._mixin = None  # the keys may have changed: asked again next time
                log.warning("bilibili: %s; connecting to the default host without a token", e)
                info = {}
        hosts = [h for h in info.get("host_list") or [] if isinstance(h, dict) and h.get("host")]
        if hosts and self.api.startswith("http://"):  # a plain local API (a test): its host's ws port
            url = f"ws://{hosts[0]['host']}:{hosts[0].get('ws_port', 80)}/sub"
        elif hosts:
            url = f"wss://{hosts[0]['host']}:{hosts[0].get('wss_port', 443)}/sub"
        else:
            url = self.default_sub
        return room, url, str(info.get("token") or "")

    async def _wbi_mixin(self, client) -> str | None:
        """The WBI mixin key from the nav API (kept WBI_KEPT s), None when it gives none (then the
        query goes unsigned). Not logged in, nav answers code -101 with the keys all the same."""
        if self._mixin is not None and time.monotonic() - self._mixin[0] < WBI_KEPT:
            return self._mixin[1]
        import httpx

        try:
            r = await client.get(self.nav_api + "/x/web-interface/nav")
            body = r.json()
            data = body.get("data") if isinstance(body, dict) else None
            mixin = wbi.mixin_key(*wbi.nav_keys(data if isinstance(data, dict) else {}))
        except (httpx.HTTPError, ValueError) as e:  # (wbi.WbiError and a body that is not JSON too)
            log.warning("bilibili: no WBI keys from %s/x/web-interface/nav (%s); getDanmuInfo unsigned",
                        self.nav_api, e)
            return None
        self._mixin = (time.monotonic(), mixin)
        return mixin

    async def _get(self, client, path: str, params: dict) -> dict:
        r = await client.get(self.api + path, params=params)
        try:
            body = r.json()
        except ValueError:
            raise SourceError(f"{path}: HTTP {r.status_code}, not JSON") from None
        if r.status_code != 200 or not isinstance(body, dict) or body.get("code") != 0:
            msg = body.get("message") if isinstance(body, dict) else ""
            raise SourceError(f"{path} for room {params['id']}: HTTP {r.status_code}, "
                              f"code {body.get('code') if isinstance(body, dict) else '?'} {msg or ''}".rstrip())
        return body.get("data") or {}

    async def session(self, stats: Stats) -> AsyncIterator[FeedEvent]:
        import websockets

        room, url, token = await self.connect_info()
        uid = cookie_value(self.cookie, "DedeUserID")
        auth = wire.auth_body(room, token, uid=int(uid) if uid.isdigit() else 0,
                              buvid=cookie_value(self.cookie, "buvid3"))
        extra = {"User-Agent": UA}
        if self.cookie:
            extra["Cookie"] = self.cookie
        async with websockets.connect(url, additional_headers=extra, max_size=wire.MAX_PACKET,
                                      open_timeout=10, ping_interval=None) as ws:
            await ws.send(wire.encode(wire.OP_AUTH, auth))
            await self._authenticated(ws)
            beat = asyncio.create_task(self._beat(ws))
            try:
                async for message in ws:
                    for ev in self._events(message, stats):
                        yield ev
            finally:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat

    async def _authenticated(self, ws) -> None:
        try:
            await asyncio.wait_for(self._auth_reply(ws), AUTH_WAIT)
        except asyncio.TimeoutError:
            raise SourceError(f"the danmaku server did not answer the auth packet within {AUTH_WAIT:g} s") from None

    async def _auth_reply(self, ws) -> None:
        async for message in ws:
            if not isinstance(message, bytes):
                continue
            try:
                packets = wire.decode(message)
            except wire.PacketError:
                continue
            for p in packets:
                if p.op == wire.OP_AUTH_REPLY:
                    try:
                        code = p.json().get("code", 0)
                    except (wire.PacketError, AttributeError):
                        code = 0
                    if code != 0:
                        raise SourceError(f"the danmaku server refused the auth packet (code {code})")
                    return
        raise SourceError("the danmaku server closed before answering the auth packet")

    async def _beat(self, ws) -> None:
        while True:
            await ws.send(wire.heartbeat())
            await asyncio.sleep(self.heartbeat)

    def _events(self, message, stats: Stats) -> list[FeedEvent]:
        if not isinstance(message, bytes):
            stats.bad_frames += 1
            log.warning("bilibili: a text frame (%d chars), not a packet; skipped", len(message))
            return []
        try:
            packets = wire.decode(message)
        except wire.PacketError as e:
            stats.bad_frames += 1
            log.warning("bilibili: a bad frame (%d bytes) skipped: %s", len(message), e)
            return []
        out: list[FeedEvent] = []
        for p in packets:
            try:
                if p.op == wire.OP_HEARTBEAT_REPLY:
                    out += self.mapper.popularity(p.popularity())
                elif p.op == wire.OP_MESSAGE:
                    out += self.mapper.command(p.json())
            except (wire.PacketError, MapError) as e:
                stats.bad_frames += 1
                log.warning("bilibili: a bad packet skipped: %s (%s)", e, _peek(p.body))
        return out


def _peek(body: bytes) -> str:
    text = body[:120].decode("utf-8", "replace")
    return json.dumps(text, ensure_ascii=False)
