"""Bilibili's danmaku commands -> FeedEvents in the spec's shapes (interaction.md). Pure.

    m = Mapper()
    m.command({"cmd": "DANMU_MSG", "info": [...]})   -> [FeedEvent]  ([] for commands not mapped)
    m.popularity(n)                                   -> [FeedEvent]  (the heartbeat reply)

| command | event |
|---|---|
| DANMU_MSG | 1 comment `{user, content}`, level from the user level, badge the fan medal |
| SUPER_CHAT_MESSAGE | 1 comment, plus `superChat: {price}` (CNY) |
| SEND_GIFT | 4 gift `{user, gift: {giftName, giftNum, giftValue, totalValue}}` (CNY; silver gifts 0) |
| COMBO_SEND | 4 gift: only the part of the combo its SEND_GIFTs did not already report |
| INTERACT_WORD msg_type 1 / 2 | 2 join / 5 follow `{user}` |
| LIKE_INFO_V3_CLICK | 3 like `{user, count: 1}` |
| ONLINE_RANK_COUNT, WATCHED_CHANGE, heartbeat reply | 6 `{numberOfViewers}` (online, watched, popularity) |

A command missing what its mapping needs raises MapError (the reader logs it and goes on).
"""
from __future__ import annotations

from collections import OrderedDict

from render.feeds.events import FeedEvent, now_ms, user

GOLD_PER_CNY = 1000  # gift prices are in gold coins (battery * 100); 1000 = 1 CNY
COMBOS_KEPT = 1000


class MapError(ValueError):
    """A command whose fields are not where the protocol puts them."""


def _medal(d: dict | None) -> tuple[str | None, object]:
    if not isinstance(d, dict):
        return None, None
    return d.get("medal_name") or None, d.get("medal_level")


def _num(v, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise MapError(f"{where}: {v!r} is not a number")
    return v


def _ts(seconds) -> int:
    return int(seconds * 1000) if isinstance(seconds, (int, float)) and seconds > 0 else now_ms()


class Mapper:
    def __init__(self):
        self._combos: OrderedDict[str, int] = OrderedDict()  # batch_combo_id -> gifts reported

    def command(self, msg: dict) -> list[FeedEvent]:
        if not isinstance(msg, dict):
            raise MapError("a message that is not a JSON object")
        cmd = str(msg.get("cmd", "")).split(":", 1)[0]  # "DANMU_MSG:4:0:2:2:2:0" in some rooms
        handler = getattr(self, f"_{cmd.lower()}", None) if cmd in HANDLED else None
        if handler is None:
            return []
        try:
            return handler(msg)
        except (KeyError, IndexError, TypeError, AttributeError) as e:
            raise MapError(f"{cmd}: a field is missing or of the wrong kind ({type(e).__name__}: {e})") from None

    def popularity(self, n: int) -> list[FeedEvent]:
        if n <= 1:  # 1: the room does not say
            return []
        return [FeedEvent(6, {"numberOfViewers": n, "source": "popularity"}, now_ms(), heartbeat=True)]

    # -- the commands ---------------------------------------------------------------------
    def _danmu_msg(self, msg: dict) -> list[FeedEvent]:
        info = msg["info"]
        meta, text, who = info[0], info[1], info[2]
        level = info[4][0] if len(info) > 4 and isinstance(info[4], list) and info[4] else None
        medal = info[3] if len(info) > 3 and isinstance(info[3], list) and len(info[3]) > 1 else []
        if not isinstance(text, str):
            raise MapError(f"DANMU_MSG: the text is {type(text).__name__}, not a string")
        ts = meta[4] if len(meta) > 4 and isinstance(meta[4], int) else now_ms()
        extra = info[9] if len(info) > 9 and isinstance(info[9], dict) else {}
        u = user(str(who[1]), user_id=who[0], level=level, badge=medal[1] if medal else None,
                 badge_level=medal[0] if medal else None)
        return [FeedEvent(1, {"user": u, "content": text}, ts,
                          key=f"dm:{who[0]}:{ts}:{extra.get('ct', '')}:{text}")]

    def _super_chat_message(self, msg: dict) -> list[FeedEvent]:
        d = msg["data"]
        ui = d.get("user_info") or {}
        badge, badge_level = _medal(d.get("medal_info"))
        u = user(str(ui.get("uname", d.get("uname", ""))), user_id=d.get("uid"), level=ui.get("user_level"),
                 badge=badge, badge_level=badge_level)
        price = _num(d.get("price", 0), "SUPER_CHAT_MESSAGE.price")
        return [FeedEvent(1, {"user": u, "content": str(d["message"]), "superChat": {"price": price}},
                          _ts(d.get("start_time")), key=f"sc:{d.get('id', '')}:{d.get('uid')}:{d['message']}")]

    def _send_gift(self, msg: dict) -> list[FeedEvent]:
        d = msg["data"]
        num = int(_num(d["num"], "SEND_GIFT.num"))
        gold = d.get("coin_type", "gold") == "gold"
        price = _num(d.get("price", 0), "SEND_GIFT.price") / GOLD_PER_CNY if gold else 0
        total = _num(d.get("total_coin", 0), "SEND_GIFT.total_coin") / GOLD_PER_CNY if gold else 0
        combo = d.get("batch_combo_id")
        if combo:
            self._count_combo(str(combo), num)
        badge, badge_level = _medal(d.get("medal_info"))
        u = user(str(d["uname"]), user_id=d.get("uid"), level=d.get("wealth_level"), badge=badge,
                 badge_level=badge_level)
        gift = {"giftName": str(d["giftName"]), "giftNum": num, "giftValue": price, "totalValue": total or price * num}
        return [FeedEvent(4, {"user": u, "gift": gift}, _ts(d.get("timestamp")),
                          key=f"gift:{d.get('tid') or (d.get('uid'), d.get('timestamp'), d['giftName'], num)}")]

    def _combo_send(self, msg: dict) -> list[FeedEvent]:
        d = msg["data"]
        combo = str(d.get("batch_combo_id") or "")
        total = int(_num(d.get("total_num", d.get("combo_num")), "COMBO_SEND.total_num"))
        reported = self._combos.get(combo, 0) if combo else 0
        missing = total - reported
        if combo:
            self._count_combo(combo, missing)
        if missing <= 0:
            return []
        coins = _num(d.get("combo_total_coin", 0), "COMBO_SEND.combo_total_coin") / GOLD_PER_CNY
        each = coins / total if total else 0
        badge, badge_level = _medal(d.get("medal_info"))
        u = user(str(d["uname"]), user_id=d.get("uid"), badge=badge, badge_level=badge_level)
        gift = {"giftName": str(d["gift_name"]), "giftNum": missing, "giftValue": each, "totalValue": each * missing}
        return [FeedEvent(4, {"user": u, "gift": gift}, now_ms(), key=f"combo:{combo}:{total}")]

    def _count_combo(self, combo: str, n: int) -> None:
        self._combos[combo] = self._combos.get(combo, 0) + max(0, n)
        self._combos.move_to_end(combo)
        while len(self._combos) > COMBOS_KEPT:
            self._combos.popitem(last=False)

    def _interact_word(self, msg: dict) -> list[FeedEvent]:
        d = msg["data"]
        kind = {1: 2, 2: 5}.get(d.get("msg_type"))
        if kind is None:  # shares and special follows: not a spec event
            return []
        badge, badge_level = _medal(d.get("fans_medal"))
        u = user(str(d["uname"]), user_id=d.get("uid"), badge=badge, badge_level=badge_level)
        return [FeedEvent(kind, {"user": u}, _ts(d.get("timestamp")),
                          key=f"iw:{kind}:{d.get('uid')}:{d.get('trigger_time') or d.get('timestamp')}")]

    def _like_info_v3_click(self, msg: dict) -> list[FeedEvent]:
        d = msg["data"]
        badge, badge_level = _medal(d.get("fans_medal"))
        u = user(str(d["uname"]), user_id=d.get("uid"), badge=badge, badge_level=badge_level)
        return [FeedEvent(3, {"user": u, "count": 1}, now_ms())]

    def _online_rank_count(self, msg: dict) -> list[FeedEvent]:
        d = msg["data"]
        n = d.get("online_count", d.get("count"))
        return [FeedEvent(6, {"numberOfViewers": int(_num(n, "ONLINE_RANK_COUNT.count")), "source": "online"},
                          now_ms())]

    def _watched_change(self, msg: dict) -> list[FeedEvent]:
        n = int(_num(msg["data"]["num"], "WATCHED_CHANGE.num"))
        return [FeedEvent(6, {"numberOfViewers": n, "source": "watched"}, now_ms())]


HANDLED = {"DANMU_MSG", "SUPER_CHAT_MESSAGE", "SEND_GIFT", "COMBO_SEND", "INTERACT_WORD", "LIKE_INFO_V3_CLICK",
           "ONLINE_RANK_COUNT", "WATCHED_CHANGE"}
