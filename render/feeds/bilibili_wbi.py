"""Bilibili's WBI signature of web API queries (pure), as its public API documentation describes
it (bilibili-API-collect, docs/misc/sign/wbi.md): getDanmuInfo may refuse an unsigned query.

    img, sub = nav_keys(nav_data)        # from /x/web-interface/nav: data.wbi_img.{img_url,sub_url}
    query = signed({"id": room, "type": 0}, mixin_key(img, sub), wts=int(time.time()))

The two keys are the file names (no extension) of the nav answer's two URLs; they change daily.
The mixin key is their concatenation reordered by the fixed 64-entry table below, its first 32
characters. A query is signed by adding `wts` (Unix seconds), removing the characters !'()*
from every value, encoding it sorted by name (UTF-8, upper-case %XX, a space as %20) and taking
the MD5 of that text followed by the mixin key: `w_rid`.
"""
from __future__ import annotations

import hashlib
from urllib.parse import quote, urlsplit

# the character order of the mixin key (the documentation's MIXIN_KEY_ENC_TAB)
MIXIN_ORDER = (46, 47, 18, 2, 53, 8, 23, 32, 15, 50, 10, 31, 58, 3, 45, 35, 27, 43, 5, 49,
               33, 9, 42, 19, 29, 28, 14, 39, 12, 38, 41, 13, 37, 48, 7, 16, 24, 55, 40,
               61, 26, 17, 0, 1, 60, 51, 30, 4, 22, 25, 54, 21, 56, 59, 6, 63, 57, 62, 11,
               36, 20, 34, 44, 52)
DROPPED = str.maketrans("", "", "!'()*")


class WbiError(ValueError):
    """The nav answer holds no usable keys."""


def nav_keys(nav_data: dict) -> tuple[str, str]:
    """(img_key, sub_key) of the nav API's `data` (its `wbi_img` URLs' file names)."""
    img = (nav_data.get("wbi_img") or {}) if isinstance(nav_data, dict) else {}
    keys = []
    for field in ("img_url", "sub_url"):
        name = urlsplit(str(img.get(field) or "")).path.rsplit("/", 1)[-1].split(".", 1)[0]
        if len(name) != 32:
            raise WbiError(f"nav: wbi_img.{field} holds no 32-character key ({img.get(field)!r})")
        keys.append(name)
    return keys[0], keys[1]


def mixin_key(img_key: str, sub_key: str) -> str:
    raw = img_key + sub_key
    if len(raw) != 64:
        raise WbiError(f"WBI keys: 64 characters together expected, got {len(raw)}")
    return "".join(raw[i] for i in MIXIN_ORDER)[:32]


def _encode(params: dict) -> str:
    return "&".join(f"{quote(str(k), safe='')}={quote(str(v).translate(DROPPED), safe='')}"
                    for k, v in sorted(params.items()))


def w_rid(params: dict, mixin: str, wts: int) -> str:
    """The signature of `params` at `wts`."""
    return hashlib.md5((_encode({**params, "wts": wts}) + mixin).encode()).hexdigest()  # noqa: S324 (the protocol's)


def signed(params: dict, mixin: str, wts: int) -> dict:
    """`params` with `wts` and `w_rid` added (values as given: the signature covers them filtered)."""
    return {**params, "wts": wts, "w_rid": w_rid(params, mixin, wts)}
