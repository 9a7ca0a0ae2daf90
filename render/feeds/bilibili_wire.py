"""Bilibili's live danmaku packets (the `/sub` WebSocket). Pure.

A packet is a 16-byte big-endian header and a body:

    offset 0  u32  packet length (header + body)
    offset 4  u16  header length (16)
    offset 6  u16  protocol version: 0 JSON, 1 heartbeat int, 2 zlib, 3 brotli
    offset 8  u32  operation: 2 heartbeat, 3 heartbeat reply, 5 message, 7 auth, 8 auth reply
    offset 12 u32  sequence (1)

A zlib (2) or brotli (3) body holds more packets end to end, each with its own header. A heartbeat
reply's body is a u32: the room's popularity. One WebSocket message may hold several packets.

    encode(OP_AUTH, auth_body(room_id, token, uid=0, buvid=""))  -> bytes
    for p in decode(message): p.op, p.body, p.json()              # nested bodies opened
"""
from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass

HEADER = struct.Struct(">IHHII")
HEADER_LEN = 16
VER_JSON, VER_INT, VER_ZLIB, VER_BROTLI = 0, 1, 2, 3
OP_HEARTBEAT, OP_HEARTBEAT_REPLY, OP_MESSAGE, OP_AUTH, OP_AUTH_REPLY = 2, 3, 5, 7, 8
MAX_PACKET = 16 * 1024 * 1024
MAX_DEPTH = 2  # a compressed body holds plain packets; deeper nesting is refused


class PacketError(ValueError):
    """A packet that does not follow the format (the reader logs it and goes on)."""


@dataclass(frozen=True)
class Packet:
    op: int
    body: bytes
    ver: int = VER_JSON

    def json(self):
        try:
            return json.loads(self.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise PacketError(f"operation {self.op}: the body is not JSON ({e})") from None

    def popularity(self) -> int:
        if len(self.body) < 4:
            raise PacketError(f"heartbeat reply: a body of {len(self.body)} bytes, not a 4-byte count")
        return int.from_bytes(self.body[:4], "big")


def encode(op: int, body: bytes = b"", ver: int = VER_INT, seq: int = 1) -> bytes:
    return HEADER.pack(HEADER_LEN + len(body), HEADER_LEN, ver, op, seq) + body


def auth_body(room_id: int, token: str = "", *, uid: int = 0, buvid: str = "", protover: int = VER_BROTLI) -> bytes:
    """The auth packet's JSON (sent within 5 s of connecting): uid 0 is a guest."""
    body = {"uid": uid, "roomid": room_id, "protover": protover, "platform": "web", "type": 2}
    if token:
        body["key"] = token
    if buvid:
        body["buvid"] = buvid
    return json.dumps(body, separators=(",", ":")).encode()


def heartbeat() -> bytes:
    return encode(OP_HEARTBEAT, b"[object Object]")


def _inflate(ver: int, body: bytes) -> bytes:
    if ver == VER_ZLIB:
        out = zlib.decompressobj()
        try:
            data = out.decompress(body, MAX_PACKET)
        except zlib.error as e:
            raise PacketError(f"a zlib body that does not open ({e})") from None
        if out.unconsumed_tail:
            raise PacketError(f"a zlib body larger than {MAX_PACKET} bytes")
        return data
    import brotli

    try:
        data = brotli.decompress(body)
    except brotli.error as e:
        raise PacketError(f"a brotli body that does not open ({e})") from None
    if len(data) > MAX_PACKET:
        raise PacketError(f"a brotli body larger than {MAX_PACKET} bytes")
    return data


def decode(data: bytes, depth: int = 0) -> list[Packet]:
    """Every packet in `data` (a WebSocket message), compressed bodies opened. PacketError for
    the first that breaks the format (the caller skips the message and goes on)."""
    out: list[Packet] = []
    at = 0
    while at < len(data):
        if len(data) - at < HEADER_LEN:
            raise PacketError(f"{len(data) - at} stray byte(s) after the packets, less than a header")
        size, head, ver, op, _ = HEADER.unpack_from(data, at)
        if head < HEADER_LEN or size < head or at + size > len(data) or size > MAX_PACKET:
            raise PacketError(f"a packet header that does not fit: length {size}, header {head}, "
                              f"{len(data) - at} byte(s) left")
        body = data[at + head: at + size]
        at += size
        if ver in (VER_ZLIB, VER_BROTLI) and op == OP_MESSAGE:
            if depth >= MAX_DEPTH:
                raise PacketError("compressed packets nested too deep")
            out += decode(_inflate(ver, body), depth + 1)
        elif ver in (VER_JSON, VER_INT, VER_ZLIB, VER_BROTLI):
            out.append(Packet(op, body, ver))
        else:
            raise PacketError(f"protocol version {ver} is not 0 (JSON), 1 (int), 2 (zlib) or 3 (brotli)")
    return out
