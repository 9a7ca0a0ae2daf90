"""A local Bilibili danmaku server for tests, speaking the documented protocol (16-byte headers,
auth within 5 s, auth reply code 0, heartbeat replies with a popularity count, zlib and brotli
bodies holding several packets), plus the two live-API calls the client makes first
(nav for the WBI keys, room_init, getDanmuInfo) on the same port. With `wbi=True` getDanmuInfo
refuses (code -352, as the platform does) a query whose WBI signature (w_rid, wts) is missing or
wrong, checked here from the documentation's worked example: its keys, its mixin key.

    with BilibiliServer(sessions=[[frame, frame, CLOSE], [frame, ...]]) as srv:
        srv.url        # ws://127.0.0.1:PORT/sub
        srv.api        # http://127.0.0.1:PORT (for Bilibili(api=...))
        srv.auths      # the auth bodies received (dicts), one a connection
        srv.heartbeats # heartbeats received

Each connection plays the next session's script after the auth reply: bytes are sent as a
binary frame, str as a text frame, CLOSE closes the connection, ("sleep", s) waits; after its
script a session stays open (silent) until the client leaves.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import zlib

import brotli
import websockets
from websockets.asyncio.server import serve

from render.feeds import bilibili_wire as wire

CLOSE = object()
# the WBI keys the nav answer gives, and their mixin key, from the platform's documentation
WBI_IMG, WBI_SUB = "7cd084941338484aae1ad9425b84077c", "4932caff0ff746eab6f01bf08b70ac45"
WBI_MIXIN = "ea1db124af3c7062474693fa704f4ff8"


def wbi_ok(query: str) -> bool:
    """A query signed as documented: md5 of its other fields sorted (as sent) and the mixin key."""
    fields = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
    given = fields.pop("w_rid", "")
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields))
    return "wts" in fields and hashlib.md5((text + WBI_MIXIN).encode()).hexdigest() == given


def message(cmd: dict, ver: int = wire.VER_JSON) -> bytes:
    return wire.encode(wire.OP_MESSAGE, json.dumps(cmd, ensure_ascii=False).encode(), ver)


def compressed(cmds: list[dict], how: str = "brotli") -> bytes:
    inner = b"".join(message(c) for c in cmds)
    if how == "brotli":
        return wire.encode(wire.OP_MESSAGE, brotli.compress(inner), wire.VER_BROTLI)
    return wire.encode(wire.OP_MESSAGE, zlib.compress(inner), wire.VER_ZLIB)


def danmu(uid: int, name: str, text: str, ts: int, *, level: int = 12, medal=(5, "fans")) -> dict:
    """A DANMU_MSG as the platform sends it: info[0] meta (ts at 4), [1] text, [2] user,
    [3] fan medal [level, name, ...], [4] user level [level, ...], [9] {ts, ct}."""
    meta = [0, 1, 25, 16777215, ts, ts // 1000, 0, "a1b2c3", 0, 0, 0, "", 0, "{}", "{}", {}]
    return {"cmd": "DANMU_MSG", "info": [meta, text, [uid, name, 0, 0, 0, 10000, 1, ""],
                                         [medal[0], medal[1], "anchor", 1, 0, "", 0] if medal else [],
                                         [level, 0, 0, ">50000", 0], ["", ""], 0, 0, None,
                                         {"ts": ts // 1000, "ct": f"{ts:X}"}]}


class BilibiliServer:
    def __init__(self, sessions: list[list] | None = None, *, room_id: int = 7734200, popularity: int = 4321,
                 danmu_info_code: int = 0, wbi: bool = False):
        self.sessions = list(sessions or [])
        self.room_id = room_id
        self.popularity = popularity
        self.auths: list[dict] = []
        self.heartbeats = 0
        self.connections = 0
        self.cookies: list[str] = []
        self.danmu_info_code = danmu_info_code  # not 0: getDanmuInfo refuses (as without a signed query)
        self.wbi = wbi
        self.paths: list[str] = []  # the live API's paths asked, in order
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.port = 0

    # -- the live API -------------------------------------------------------------------------
    def _http(self, connection, request):
        path, _, query = request.path.partition("?")
        if path == "/sub":
            return None  # the WebSocket
        self.cookies.append(request.headers.get("Cookie", ""))
        self.paths.append(path)
        if path == "/x/web-interface/nav":  # not logged in: -101, the keys all the same
            body = {"code": -101, "message": "账号未登录", "data": {"isLogin": False, "wbi_img": {
                "img_url": f"https://i0.hdslb.com/bfs/wbi/{WBI_IMG}.png",
                "sub_url": f"https://i0.hdslb.com/bfs/wbi/{WBI_SUB}.png"}}}
        elif path == "/room/v1/Room/room_init":
            body = {"code": 0, "data": {"room_id": self.room_id, "short_id": 0}}
        elif path == "/xlive/web-room/v1/index/getDanmuInfo" and self.wbi and not wbi_ok(query):
            body = {"code": -352, "message": "-352", "data": {}}
        elif path == "/xlive/web-room/v1/index/getDanmuInfo" and self.danmu_info_code:
            body = {"code": self.danmu_info_code, "message": "-352", "data": {}}
        elif path == "/xlive/web-room/v1/index/getDanmuInfo":
            body = {"code": 0, "data": {"token": "tok-123", "host_list": [
                {"host": "127.0.0.1", "port": self.port, "ws_port": self.port, "wss_port": 0}]}}
        else:
            return connection.respond(404, "no such path\n")
        resp = connection.respond(200, json.dumps(body))
        resp.headers["Content-Type"] = "application/json"
        return resp

    async def _handle(self, ws) -> None:
        self.connections += 1
        script = self.sessions.pop(0) if self.sessions else []
        first = await asyncio.wait_for(ws.recv(), 5)
        (auth,) = wire.decode(first)
        assert auth.op == wire.OP_AUTH
        self.auths.append(json.loads(auth.body))
        await ws.send(wire.encode(wire.OP_AUTH_REPLY, b'{"code":0}', wire.VER_INT))
        replies = asyncio.create_task(self._heartbeats(ws))
        try:
            for step in script:
                if step is CLOSE:
                    await ws.close()
                    return
                if isinstance(step, tuple) and step[0] == "sleep":
                    await asyncio.sleep(step[1])
                    continue
                await ws.send(step)
            await ws.wait_closed()
        finally:
            replies.cancel()

    async def _heartbeats(self, ws) -> None:
        try:
            async for msg in ws:
                for p in wire.decode(msg):
                    if p.op == wire.OP_HEARTBEAT:
                        self.heartbeats += 1
                        await ws.send(wire.encode(wire.OP_HEARTBEAT_REPLY, self.popularity.to_bytes(4, "big"),
                                                  wire.VER_INT))
        except websockets.ConnectionClosed:
            pass

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self._handle, "127.0.0.1", 0, process_request=self._http) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    def __enter__(self):
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),), daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/sub"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"
