"""http(s) media -> a local file in a bounded cache, under a MediaPolicy's address rules.

    path = fetch(url, cache_dir, kind=..., field=..., policy=policy)

- Addresses: with `policy.private_urls` False every hop (the URL and each redirect) is resolved
  first and refused when any address is loopback, private, link-local (cloud metadata), multicast,
  reserved or otherwise not global; the connection then goes to the checked address (the Host
  header and TLS name stay the URL's), so a second DNS answer cannot swap it.
- Limits: a total deadline per download (plus at most one read timeout), the kind's size cap
  enforced while streaming, at most MAX_REDIRECTS redirects; an HTML page where media is expected
  is refused. A failed download leaves nothing in the cache.
- Cache: one file per URL plus a `.meta` JSON (ETag, Last-Modified, max-age). A cached copy is
  used while fresh (max-age), else revalidated (If-None-Match / If-Modified-Since: 304 keeps it),
  else fetched again. The cache is kept under `max_bytes`, least recently used files first.
- Errors name the field, the URL and the kind of failure; never anything the server sent.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from render.errors import MediaFileError, RenderError, SpecError

MB = 1024 * 1024
READ_TIMEOUT = 10.0
DEADLINE = 300.0  # seconds for one whole download
MAX_REDIRECTS = 5
CACHE_MAX_BYTES = 2048 * MB
_MEDIA_KINDS = ("IMAGE", "VIDEO", "AUDIO", "HUMAN_MODEL")


@dataclass(frozen=True)
class Limits:
    cap: int  # bytes
    deadline: float = DEADLINE
    read_timeout: float = READ_TIMEOUT
    cache_max_bytes: int = CACHE_MAX_BYTES


def address_refused(ip: str) -> bool:
    """Loopback, private, link-local (169.254.169.254), multicast, reserved, CGNAT...: not public."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return not addr.is_global or addr.is_multicast


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def check_url(url: str, field: str, policy, *, must_resolve: bool = True) -> tuple[str, int, str | None]:
    """(host, port, address to connect to) of an http(s) URL the policy allows; SpecError
    (MSS.00000003) naming the field and URL otherwise. Resolves the name, never connects.
    The address is None when the policy does not pin (private URLs allowed) or when a name that
    does not resolve is let through (`must_resolve` False: checked again when fetched)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise SpecError(f"{field}: {url} is not an http(s) URL")
    host = parts.hostname
    try:
        port = parts.port or _default_port(scheme)
    except ValueError:
        raise SpecError(f"{field}: {url} has an invalid port") from None
    if policy.private_urls or f"{host}:{port}" in policy.url_allow_hosts:
        return host, port, None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        if not must_resolve:
            return host, port, None
        raise MediaFileError(f"{field}: cannot download {url} (the host name does not resolve)") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    refused = [a for a in addresses if address_refused(a)]
    if refused or not addresses:
        raise SpecError(f"{field}: {url} resolves to a non-public address ({refused[0] if refused else 'none'}); "
                        "rooms created over the API may only name public http(s) URLs "
                        "(the server's --allow-private-urls widens this)")
    return host, port, addresses[0]


def _cache_paths(url: str, cache_dir: Path) -> tuple[Path, Path]:
    suffix = "".join(c for c in Path(urlsplit(url).path).suffix[:8] if c.isalnum() or c == ".")
    target = cache_dir / (hashlib.sha256(url.encode()).hexdigest()[:32] + suffix)
    return target, target.with_name(target.name + ".meta")


def _read_meta(meta_path: Path) -> dict:
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


def _max_age(cache_control: str) -> float | None:
    for part in cache_control.lower().split(","):
        name, _, value = part.strip().partition("=")
        if name in ("no-cache", "no-store"):
            return 0.0
        if name == "max-age":
            try:
                return float(value)
            except ValueError:
                return None
    return None


def fetch(url: str, cache_dir: Path, *, kind: str, field: str, policy, limits: Limits) -> Path:
    """The local copy of `url` (cached, fresh or revalidated); MediaFileError / SpecError naming
    the field and URL."""
    import httpx

    target, meta_path = _cache_paths(url, Path(cache_dir))
    meta = _read_meta(meta_path) if target.is_file() else {}
    if meta:  # a cached copy obeys the policy too (the cache is shared with the CLI's rooms)
        check_url(url, field, policy, must_resolve=False)
    if meta and time.time() - meta.get("fetched", 0) < (meta.get("max_age") or 0):
        _touch(target, meta_path)
        return target
    conditional = {}
    if meta.get("etag"):
        conditional["If-None-Match"] = meta["etag"]
    if meta.get("last_modified"):
        conditional["If-Modified-Since"] = meta["last_modified"]
    deadline = time.monotonic() + limits.deadline
    part = None
    try:
        with httpx.Client(timeout=limits.read_timeout, follow_redirects=False,
                          trust_env=policy.private_urls) as client:
            current = url
            for _ in range(MAX_REDIRECTS + 1):
                with _open(client, current, field, policy, conditional) as r:
                    if r.status_code in (301, 302, 303, 307, 308) and r.headers.get("location"):
                        current = urljoin(current, r.headers["location"])
                        continue
                    if r.status_code == 304 and conditional:
                        _write_meta(meta_path, url, r.headers)
                        _touch(target, meta_path)
                        return target
                    if r.status_code != 200:
                        raise MediaFileError(f"{field}: download of {url} failed with HTTP {r.status_code}")
                    _check_headers(r, url, kind, field, limits.cap)
                    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
                    part = Path(name)
                    with os.fdopen(fd, "wb") as f:
                        _stream(r, f, url, kind, field, limits.cap, deadline)
                    part.replace(target)  # atomic: concurrent downloads of one URL never mix bytes
                    part = None
                    _write_meta(meta_path, url, r.headers)
                    evict(target.parent, limits.cache_max_bytes, keep=target)
                    return target
            raise MediaFileError(f"{field}: download of {url} failed (more than {MAX_REDIRECTS} redirects)")
    except RenderError:
        raise
    except httpx.TimeoutException:
        raise MediaFileError(f"{field}: download of {url} failed (timed out)") from None
    except httpx.HTTPError as e:
        raise MediaFileError(f"{field}: download of {url} failed ({type(e).__name__})") from None
    except OSError as e:
        raise MediaFileError(f"{field}: cannot store the download of {url} ({e.strerror or type(e).__name__})") \
            from None
    finally:
        if part is not None:
            part.unlink(missing_ok=True)


def _open(client, url: str, field: str, policy, extra_headers: dict):
    """A streaming GET of one hop, connected to the address check_url allowed."""
    host, port, address = check_url(url, field, policy)
    headers = dict(extra_headers)
    request_url, extensions = url, {}
    if address is not None:
        parsed = client.build_request("GET", url).url
        headers["Host"] = parsed.netloc.decode("ascii")
        request_url = parsed.copy_with(host=address)
        if parsed.scheme == "https":
            extensions["sni_hostname"] = host
    request = client.build_request("GET", request_url, headers=headers, extensions=extensions)
    return _Response(client, request)


class _Response:
    """`with _Response(client, request) as r`: a streamed response, closed on exit."""

    def __init__(self, client, request):
        self.client, self.request, self.response = client, request, None

    def __enter__(self):
        self.response = self.client.send(self.request, stream=True)
        return self.response

    def __exit__(self, *exc):
        self.response.close()


def _check_headers(r, url: str, kind: str, field: str, cap: int) -> None:
    ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in _MEDIA_KINDS and ctype in ("text/html", "application/xhtml+xml"):
        article = "an" if kind[:1] in "AEIOU" else "a"  # "an IMAGE file"
        raise MediaFileError(f"{field}: {url} answered with an HTML page, not {article} {kind} file")
    length = r.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise MediaFileError(f"{field}: {url} is larger than the {cap // MB} MB allowed for {kind}")


def _stream(r, f, url: str, kind: str, field: str, cap: int, deadline: float) -> None:
    size = 0
    for chunk in r.iter_bytes():
        size += len(chunk)
        if size > cap:
            raise MediaFileError(f"{field}: {url} is larger than the {cap // MB} MB allowed for {kind}")
        if time.monotonic() > deadline:
            raise MediaFileError(f"{field}: download of {url} failed (took longer than the deadline)")
        f.write(chunk)


def _write_meta(meta_path: Path, url: str, headers) -> None:
    meta = {"url": url, "fetched": time.time(), "etag": headers.get("etag"),
            "last_modified": headers.get("last-modified"), "max_age": _max_age(headers.get("cache-control", ""))}
    fd, tmp = tempfile.mkstemp(dir=meta_path.parent, prefix=f".{meta_path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(meta))
    Path(tmp).replace(meta_path)


def _touch(*paths: Path) -> None:
    for p in paths:
        try:
            os.utime(p)
        except OSError:
            pass


def evict(cache_dir: Path, max_bytes: int, keep: Path | None = None) -> list[Path]:
    """Delete the least recently used cached files (and their .meta) until the folder holds at
    most max_bytes; never `keep` nor a download in progress. Returns what was deleted."""
    files = []
    for p in Path(cache_dir).iterdir():
        if p.name.startswith(".") or p.name.endswith((".meta", ".tmp")) or not p.is_file():
            continue
        try:
            st = p.stat()
        except OSError:
            continue
        files.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in files)
    deleted = []
    for _, size, p in sorted(files, key=lambda f: f[0]):
        if total <= max_bytes:
            break
        if keep is not None and p == keep:
            continue
        p.unlink(missing_ok=True)
        p.with_name(p.name + ".meta").unlink(missing_ok=True)
        total -= size
        deleted.append(p)
    return deleted
