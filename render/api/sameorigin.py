"""Without authentication (--no-auth), a browser page from another site must not change state on
this server (issue 24 item 8): any web page can make a browser POST to 127.0.0.1.

    problem = cross_site_refusal(method, headers)   # None, or why the request is refused

A state-changing request (anything but GET, HEAD, OPTIONS) is refused when the browser says it
comes from another site: `Sec-Fetch-Site` other than same-origin or none (typed by the user), or,
from browsers that do not send that header, an `Origin` whose host and port are not the `Host`
the request was sent to. Clients that are not browsers (the SDK, curl, `smartlive feed`) send
neither header and are served as before; the console is same-origin and keeps working.

CONSOLE_HEADERS go on the console's page: a Content-Security-Policy that lets it load only its
own scripts and talk only to this server, and `frame-ancestors 'none'` (no other page frames it).
"""
from __future__ import annotations

from urllib.parse import urlsplit

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CONSOLE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def cross_site_refusal(method: str, headers: dict[bytes, bytes]) -> str | None:
    if method.upper() in SAFE_METHODS:
        return None
    site = headers.get(b"sec-fetch-site", b"").decode("latin-1").strip().lower()
    if site and site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site: {site}: authentication is off (--no-auth), so only this server's own pages " \
               "may change state"
    origin = headers.get(b"origin", b"").decode("latin-1").strip()
    if origin and not site:
        host = headers.get(b"host", b"").decode("latin-1").strip().lower()
        parts = urlsplit(origin.lower())
        default = {"http": 80, "https": 443}.get(parts.scheme)
        try:
            port = parts.port or default
        except ValueError:
            port = None
        where = parts.hostname or ""
        where = f"[{where}]" if ":" in where else where
        if origin == "null" or f"{where}:{port}" not in (host, f"{host}:{default}"):
            return f"Origin: {origin[:100]} is not this server: authentication is off (--no-auth), so only " \
                   "this server's own pages may change state"
    return None
