"""render.downloads against small local HTTP servers on 127.0.0.1: address refusal without
connecting, redirects re-checked, deadlines, caps while streaming, the bounded cache, revalidation."""
from __future__ import annotations

import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from render.assets import MediaPolicy
from render.downloads import Limits, address_refused, check_url, evict, fetch
from render.errors import MediaFileError, SpecError
from render.speech.recorded import read_srt

OPEN = MediaPolicy.restricted(allow_private_urls=True)  # the local test servers are on 127.0.0.1


class Listener:
    """A TCP socket on 127.0.0.1 that counts the connections made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0

    def count(self) -> int:
        while True:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                return self.accepted
            conn.close()
            self.accepted += 1


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.sock.close()


class Server:
    """A threaded HTTP server whose answers the test sets: routes[path] = callable(handler)."""

    def __init__(self):
        self.routes = {}
        self.hits: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hits.append((self.path, dict(self.headers)))
                outer.routes[self.path](self)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.close()


def reply(status=200, body=b"", headers=None):
    def handle(h):
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if "Content-Length" not in (headers or {}):
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return handle


def cached(tmp_path) -> list:
    folder = tmp_path / "cache"
    return sorted(folder.iterdir()) if folder.exists() else []


def get(url, tmp_path, policy=OPEN, kind="IMAGE", **limits):
    limits.setdefault("cap", 1024 * 1024)
    return fetch(url, tmp_path / "cache", kind=kind, field="f.image_url", policy=policy, limits=Limits(**limits))


def test_private_addresses_are_refused_without_connecting(listener, tmp_path):
    strict = MediaPolicy.restricted()
    for url in (f"http://127.0.0.1:{listener.port}/a.png", f"http://localhost:{listener.port}/a.png",
                "http://10.1.2.3/a.png", "http://169.254.169.254/latest/meta-data/", "http://[::1]/a.png",
                "http://192.168.1.1/a.png", "http://0.0.0.0/a.png"):
        with pytest.raises(SpecError) as e:
            check_url(url, "f.image_url", strict)
        assert e.value.code == "MSS.00000003" and "f.image_url" in e.value.message and url in e.value.message
        with pytest.raises(SpecError):
            get(url, tmp_path, strict)
    assert listener.count() == 0 and not (tmp_path / "cache").exists()
    assert not address_refused("93.184.216.34") and address_refused("100.64.0.1")
    assert address_refused("::ffff:169.254.169.254")


def test_a_redirect_to_a_refused_address_is_refused(server, listener, tmp_path):
    """The test seam lets 127.0.0.1:<server> count as public; its redirects are checked again."""
    policy = MediaPolicy.restricted(url_allow_hosts=(f"127.0.0.1:{server.port}",))
    png = b"\x89PNG fake"
    server.routes["/ok.png"] = reply(body=png, headers={"Content-Type": "image/png"})
    server.routes["/to-local"] = reply(302, headers={"Location": f"http://127.0.0.1:{listener.port}/x.png"})
    server.routes["/to-metadata"] = reply(301, headers={"Location": "http://169.254.169.254/latest/"})
    server.routes["/to-self"] = reply(302, headers={"Location": "/ok.png"})
    assert get(f"{server.url}/to-self", tmp_path, policy).read_bytes() == png
    for path, refused in (("/to-local", f"127.0.0.1:{listener.port}"), ("/to-metadata", "169.254.169.254")):
        with pytest.raises(SpecError) as e:
            get(f"{server.url}{path}", tmp_path, policy)
        assert refused in e.value.message and "non-public" in e.value.message
    assert listener.count() == 0


def test_errors_never_echo_what_the_server_sent(server, tmp_path):
    server.routes["/gone.png"] = reply(500, b"SECRET-BODY", {"Content-Type": "text/plain"})
    server.routes["/page.png"] = reply(200, b"<html>SECRET-PAGE</html>", {"Content-Type": "text/html"})
    for path in ("/gone.png", "/page.png"):
        with pytest.raises(MediaFileError) as e:
            get(server.url + path, tmp_path)
        assert "SECRET" not in e.value.message and f"{server.url}{path}" in e.value.message
        assert "f.image_url" in e.value.message
    assert "not an IMAGE file" in e.value.message  # the HTML page, with its article right
    assert cached(tmp_path) == []  # failed downloads are never kept
    srt = tmp_path / "bad.srt"
    srt.write_text("SECRET-LINE\n1\n00:00:01,000 --> 00:00:02,000\nhello\n")
    with pytest.raises(MediaFileError) as e:
        read_srt(srt)
    assert "SECRET" not in e.value.message and "line" in e.value.message


def test_a_trickling_server_hits_the_deadline(server, tmp_path):
    def trickle(h):
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(1000):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.3)
    server.routes["/slow.png"] = trickle
    started = time.monotonic()
    with pytest.raises(MediaFileError) as e:
        get(f"{server.url}/slow.png", tmp_path, deadline=1.5, read_timeout=1.0)
    assert time.monotonic() - started < 4 and "deadline" in e.value.message
    assert cached(tmp_path) == []


def test_the_size_cap_is_enforced_while_streaming(server, tmp_path):
    def endless(h):  # no Content-Length: only counting the bytes can stop it
        h.send_response(200)
        h.send_header("Connection", "close")
        h.end_headers()
        try:
            for _ in range(10_000):
                h.wfile.write(b"y" * 65536)
        except OSError:
            pass
    server.routes["/big.png"] = endless
    server.routes["/declared.png"] = reply(200, b"", {"Content-Length": str(50 * 1024 * 1024)})
    for path in ("/big.png", "/declared.png"):
        with pytest.raises(MediaFileError) as e:
            get(server.url + path, tmp_path, cap=1024 * 1024)
        assert "larger than" in e.value.message
    assert cached(tmp_path) == []


def test_validators_revalidate_and_a_changed_file_is_fetched_again(server, tmp_path):
    state = {"etag": '"v1"', "body": b"first"}

    def versioned(h):
        if h.headers.get("If-None-Match") == state["etag"]:
            h.send_response(304)
            h.end_headers()
            return
        reply(200, state["body"], {"ETag": state["etag"], "Content-Type": "image/png"})(h)
    server.routes["/v.png"] = versioned
    url = f"{server.url}/v.png"
    assert get(url, tmp_path).read_bytes() == b"first"
    assert get(url, tmp_path).read_bytes() == b"first"  # 304: kept
    assert server.hits[-1][1].get("If-None-Match") == '"v1"'
    state.update(etag='"v2"', body=b"second")
    assert get(url, tmp_path).read_bytes() == b"second"

    server.routes["/fresh.png"] = reply(200, b"fresh", {"Cache-Control": "max-age=3600"})
    get(f"{server.url}/fresh.png", tmp_path)
    hits = len(server.hits)
    assert get(f"{server.url}/fresh.png", tmp_path).read_bytes() == b"fresh"
    assert len(server.hits) == hits  # fresh: not asked again


def test_an_html_answer_is_not_kept_and_a_later_fix_is_fetched(server, tmp_path):
    server.routes["/logo.png"] = reply(200, b"<html>login</html>", {"Content-Type": "text/html"})
    with pytest.raises(MediaFileError):
        get(f"{server.url}/logo.png", tmp_path)
    server.routes["/logo.png"] = reply(200, b"PNGDATA", {"Content-Type": "image/png"})
    assert get(f"{server.url}/logo.png", tmp_path).read_bytes() == b"PNGDATA"


def test_the_cache_is_bounded_least_recently_used_first(server, tmp_path):
    for name in ("a", "b", "c"):
        server.routes[f"/{name}.png"] = reply(200, name.encode() * 400_000, {"Content-Type": "image/png"})
    a = get(f"{server.url}/a.png", tmp_path, cache_max_bytes=700_000)
    old = time.time() - 100
    os.utime(a, (old, old))
    b = get(f"{server.url}/b.png", tmp_path, cache_max_bytes=700_000)
    assert not a.exists() and b.exists()  # 800 kB > 700 kB: a (least recently used) goes
    os.utime(b, (old, old))
    c = get(f"{server.url}/c.png", tmp_path, cache_max_bytes=700_000)
    assert c.exists() and not b.exists() and not b.with_name(b.name + ".meta").exists()
    assert evict(tmp_path / "cache", 0, keep=c) == []


def test_the_library_resolves_urls_under_its_policy(server, tmp_path, listener):
    from render.assets import AssetLibrary

    server.routes["/a.png"] = reply(200, b"PNG", {"Content-Type": "image/png", "ETag": '"1"'})
    url = f"{server.url}/a.png"
    cli = AssetLibrary([], cache_dir=tmp_path / "cache")  # the command line: any URL
    assert cli.resolve(url, "IMAGE", "f").read_bytes() == b"PNG"
    assert cli.resolve(url, "IMAGE", "f").read_bytes() == b"PNG"
    assert len(server.hits) == 1  # once per library (render), not once per layer
    api = AssetLibrary([], cache_dir=tmp_path / "cache", policy=MediaPolicy.restricted())
    for ref in (url, f"http://127.0.0.1:{listener.port}/b.png"):
        with pytest.raises(SpecError):
            api.resolve(ref, "IMAGE", "f")
    assert listener.count() == 0 and len(server.hits) == 1
