"""Numbers, prices, percentages and units read as a shopper says them, in English or Mandarin
(pure): ¥99.9 -> 九十九点九元 / "99.9 yuan", $19.99 -> 十九点九九美元 / "19 dollars 99 cents",
50% -> 百分之五十 / "50 percent", 2kg -> 两公斤 / "2 kilograms", 3件 -> 三件."""
from __future__ import annotations

import re

DIGITS = "零一二三四五六七八九"
UNITS_ZH = {"kg": "公斤", "g": "克", "mg": "毫克", "km": "公里", "m": "米", "cm": "厘米", "mm": "毫米",
            "l": "升", "ml": "毫升", "斤": "斤"}
UNITS_EN = {"kg": "kilograms", "g": "grams", "mg": "milligrams", "km": "kilometers", "m": "meters",
            "cm": "centimeters", "mm": "millimeters", "l": "liters", "ml": "milliliters"}
_NUM = r"(\d+(?:,\d{3})*(?:\.\d+)?)"
_UNIT = r"(kg|mg|km|cm|mm|ml|g|m|l)(?![A-Za-z])"
MEASURE = "件个只条双套块元斤瓶盒包袋箱台支张本杯份位次天年月号岁"


def zh_integer(n: int) -> str:
    """0..10^12 in Chinese numerals: 10 -> 十, 105 -> 一百零五, 20000 -> 两万."""
    if n == 0:
        return "零"
    out, zero = "", False
    for big, name in ((10**8, "亿"), (10**4, "万"), (1, "")):
        part, n = divmod(n, big)
        if not part:
            zero = bool(out)
            continue
        if zero or (out and part < 1000):
            out += "零"
        out += _below_10000(part) + name
        zero = False
    if out.startswith("一十"):
        out = out[1:]
    return out


def _below_10000(n: int) -> str:
    out, zero = "", False
    for value, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, value)
        if d:
            if zero and out:
                out += "零"
            out += DIGITS[d] + name
            zero = False
        else:
            zero = True
    return out


def zh_number(text: str, *, count: bool = False) -> str:
    """"99.9" -> 九十九点九; `count` (before a measure word or unit): 2 -> 两."""
    whole, _, frac = text.replace(",", "").partition(".")
    head = "两" if count and whole == "2" else zh_integer(int(whole))
    if head.startswith("二") and len(head) > 1 and head[1] in "千万亿":
        head = "两" + head[1:]
    return head + ("点" + "".join(DIGITS[int(c)] for c in frac) if frac else "")


def read_zh(text: str) -> str:
    text = re.sub(r"[¥￥]\s*" + _NUM + r"(\s*元)?", lambda m: zh_number(m.group(1)) + "元", text)
    text = re.sub(r"\$\s*" + _NUM, lambda m: zh_number(m.group(1)) + "美元", text)
    text = re.sub(_NUM + r"\s*[%％]", lambda m: "百分之" + zh_number(m.group(1)), text)
    text = re.sub(_NUM + r"\s*" + _UNIT, lambda m: zh_number(m.group(1), count=True) + UNITS_ZH[m.group(2)], text,
                  flags=re.IGNORECASE)
    text = re.sub(_NUM + f"(?=[{MEASURE}])", lambda m: zh_number(m.group(1), count=True), text)
    return re.sub(_NUM, lambda m: zh_number(m.group(1)), text)


def _dollars(m: re.Match) -> str:
    whole, _, cents = m.group(1).replace(",", "").partition(".")
    said = f"{whole} dollar{'' if whole == '1' else 's'}"
    cents = (cents + "0")[:2] if cents else ""
    return said + (f" {int(cents)} cent{'' if int(cents) == 1 else 's'}" if cents and int(cents) else "")


def read_en(text: str) -> str:
    text = re.sub(r"[¥￥]\s*" + _NUM, lambda m: m.group(1) + " yuan", text)
    text = re.sub(r"\$\s*" + _NUM, _dollars, text)
    text = re.sub(_NUM + r"\s*[%％]", lambda m: m.group(1) + " percent", text)
    return re.sub(_NUM + r"\s*" + _UNIT, lambda m: m.group(1) + " " + UNITS_EN[m.group(2).lower()], text,
                  flags=re.IGNORECASE)


def read(text: str, lang: str) -> str:
    return read_zh(text) if lang == "zh" else read_en(text)
