"""The API's limits on bodies, connections and values, and its secrets at rest and in logs."""

from __future__ import annotations

import json
import logging
import socket
import stat
import time

import httpx
import pytest

from render.api.server import serve
from render.errors import SpecError
from tests.integration.api_harness import PROJECT, TOKEN, ApiServer, fake_worker, make_settings, wait_state
from tests.integration.test_api_media import room

ROOMS = f"/v1/{PROJECT}/smart-live-rooms"


@pytest.fixture
def srv(tmp_path):
    with ApiServer(make_settings(tmp_path, max_body_bytes=1024 * 1024, header_timeout=0.5)) as s:
        yield s


@pytest.fixture
def http(srv):
    with httpx.Client(base_url=srv.url, headers={"X-Auth-Token": TOKEN}, timeout=30, trust_env=False) as c:
        yield c


def raw(srv, head: bytes, body_chunks=(), timeout: float = 10.0) -> bytes:
    """Send a request head and some body bytes over a socket; what the server answers."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        s.sendall(head)
        try:
            for chunk in body_chunks:
                s.sendall(chunk)
        except OSError:  # the server closed the connection while the body was still coming
            pass
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
            part = s.recv(65536)
            if not part:
                break
            data += part
        return data


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


# 2. bodies and connections -----------------------------------------------------------------
def test_unauthenticated_and_oversized_bodies_are_refused_before_they_are_read(srv):
    started = time.monotonic()
    head = (f"POST {ROOMS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: 900000\r\n\r\n").encode()
    answer = raw(srv, head, [b"{" * 10])  # the other 899990 bytes never come
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    big = (f"POST {ROOMS} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: {TOKEN}\r\n"
           f"Content-Length: {400 * 1024 * 1024}\r\n\r\n").encode()
    answer = raw(srv, big, [b"{"])
    assert answer.startswith(b"HTTP/1.1 413") and b"MSS.00000002" in answer, answer[:300]
    assert time.monotonic() - started < 5  # neither waited for a body


def test_a_chunked_body_over_the_limit_is_refused_while_it_arrives(srv):
    head = (f"POST {ROOMS} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: {TOKEN}\r\n"
            f"Transfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    answer = raw(srv, head, [chunk] * 64)  # 4 MB over a 1 MB limit, never ended
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]


def test_slow_headers_are_dropped(srv):
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b"GET " + ROOMS.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        started = time.monotonic()
        assert s.recv(1024) == b""  # closed by the server
        assert time.monotonic() - started < 3


def test_listing_rooms_does_not_read_their_bodies(srv, http):
    big = room()
    big["room_description"] = "described"
    big["padding"] = "x" * 900_000  # an unknown field: kept in the body
    for _ in range(3):
        assert http.post(ROOMS, json=big).status_code == 200
    store = srv.app.state.store
    count, rows = store.list_rooms(PROJECT)
    assert count == 3 and all("body" not in r for r in rows)
    listed = http.get(ROOMS).json()
    assert [r["room_description"] for r in listed["smart_live_rooms"]] == ["described"] * 3
    assert len(json.dumps(listed)) < 5000


# 3. values that break storage -----------------------------------------------------------------
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "[" * 5000 + "]" * 5000,
                                   "[" * 200 + "]" * 200, "9" * 5000, '"\\ud800"', '{"k\\udfff": 1}'])
def test_values_storage_cannot_hold_are_400_at_create_and_update(http, value):
    good = json.dumps(room())
    bad = good[:-1] + f', "extra": {value}}}'
    r = http.post(ROOMS, content=bad, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error_code"] == "MSS.00000002", r.text
    room_id = http.post(ROOMS, content=good).json()["room_id"]
    r = http.put(f"{ROOMS}/{room_id}", content=bad)
    assert r.status_code == 400, r.text
    assert http.get(f"{ROOMS}/{room_id}").status_code == 200
    assert http.get(ROOMS).json()["count"] == 1


def test_malformed_requests_are_400_not_500(http):
    r = http.post(ROOMS, json={**room(), "view_mode": ["VERTICAL"]})
    assert r.status_code == 400 and "view_mode" in r.text
    room_id = http.post(ROOMS, json=room()).json()["room_id"]
    r = http.post(f"{ROOMS}/{room_id}/smart-live-jobs", json={"view_mode": ["VERTICAL"]})
    assert r.status_code == 400 and "view_mode" in r.text
    for path in (f"{ROOMS}/{'a' * 300}", f"/v1/{'p' * 300}/smart-live-rooms", f"{ROOMS}/{'é' * 200}"):
        r = http.get(path)
        assert r.status_code == 400 and r.json()["error_code"] == "MSS.00000003", r.text
    for offset in ("9" * 30, str(2**63)):
        r = http.get(ROOMS, params={"offset": offset})
        assert r.status_code == 400 and "offset" in r.text, r.text
    nested = room()
    text = "<speak>" + "<prosody rate='fast'>" * 3000 + "hi" + "</prosody>" * 3000 + "</speak>"
    nested["scene_scripts"][0]["shoot_scripts"][0]["text_config"]["text"] = text
    r = http.post(ROOMS, json=nested)
    assert r.status_code == 400 and "nested deeper" in r.text, r.text


# 5. secrets at rest and in logs ---------------------------------------------------------------
FAILING_WORKER = """
import sys
print("MSS.00000004 Internal Error: output rtmp://127.0.0.1:9/live/SECRETKEY42 refused the stream", file=sys.stderr)
sys.exit(1)
"""


def test_database_and_job_files_are_private_and_keys_are_masked(tmp_path, caplog):
    settings = make_settings(tmp_path, worker_command=fake_worker(tmp_path, FAILING_WORKER))
    caplog.set_level(logging.INFO, logger="smartlive")
    with ApiServer(settings) as srv, httpx.Client(
        base_url=srv.url + f"/v1/{PROJECT}", headers={"X-Auth-Token": TOKEN}, timeout=30, trust_env=False
    ) as c:
        body = {**room(), "stream_keys": ["SECRETKEY42"]}
        room_id = c.post("/smart-live-rooms", json=body).json()["room_id"]
        jobs = f"/smart-live-rooms/{room_id}/smart-live-jobs"
        job_id = c.post(jobs, json={}).json()["job_id"]
        assert wait_state(lambda: c.get(f"{jobs}/{job_id}").json()["state"], ("FAILED", "SUCCEED")) == "FAILED"
        info = c.get(f"{jobs}/{job_id}").json()["error_info"]
        assert "SECRETKEY42" not in info["error_msg"] and "rtmp://127.0.0.1:9/live/***" in info["error_msg"]
        db = settings.db_path
        for f in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(settings.jobs_dir.stat().st_mode) == 0o700
    assert "SECRETKEY42" not in caplog.text and job_id in caplog.text


def test_a_newline_in_a_path_cannot_forge_a_log_line(srv, http, caplog):
    caplog.set_level(logging.INFO, logger="smartlive")
    r = http.get("/v1/evil%0A2026-11-24 WARNING smartlive.api: forged/smart-live-rooms")
    assert r.status_code == 401
    messages = [rec.getMessage() for rec in caplog.records if rec.name.startswith("smartlive")]
    assert any("forged" in m for m in messages)
    assert not any("\n" in m or "\r" in m for m in messages)


def test_no_auth_is_loopback_only(tmp_path, monkeypatch):
    import uvicorn

    served = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *a, **kw: served.append(self.config.host))
    with pytest.raises(SpecError) as e:
        serve("0.0.0.0", 0, db_path=tmp_path / "x.db", no_auth=True)
    assert "--host" in e.value.message and served == []
    serve("127.0.0.1", 0, db_path=tmp_path / "x.db", no_auth=True)
    assert served == ["127.0.0.1"]
    monkeypatch.undo()
    with ApiServer(make_settings(tmp_path, no_auth=True)) as s, httpx.Client(trust_env=False, timeout=30) as c:
        assert c.get(f"{s.url}{ROOMS}").status_code == 200
        assert c.get(f"http://localhost:{s.port}{ROOMS}").status_code == 200
        r = c.get(f"{s.url}{ROOMS}", headers={"Host": f"attacker.example:{s.port}"})  # DNS rebinding
        assert r.status_code == 401 and r.json()["error_code"] == "MSS.00000001"


def test_openapi_lists_the_real_error_responses(http):
    spec = http.get("/openapi.json").json()
    assert "422" not in json.dumps(spec)
    paths = spec["paths"]
    create = paths["/v1/{project_id}/smart-live-rooms"]["post"]["responses"]
    start = paths["/v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs"]["post"]["responses"]
    delete = paths["/v1/{project_id}/smart-live-rooms/{room_id}"]["delete"]["responses"]
    assert {"400", "401", "413"} <= create.keys() and "404" not in create
    assert {"400", "401", "403", "404", "409", "413"} <= start.keys()
    assert {"401", "404", "409"} <= delete.keys()
    assert create["400"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ErrorBody"


def test_no_auth_refuses_cross_site_state_changes(tmp_path):
    """Issue 24 item 8: with --no-auth any web page could make a browser POST here; a state change
    that a browser marks cross-site (Sec-Fetch-Site, else Origin against Host) is refused, the
    same origin and clients that are not browsers are served, reads stay open."""
    room = {"room_name": "r", "scene_scripts": [{"script_name": "s", "shoot_scripts": [
        {"text_config": {"text": "Hello."}}]}]}
    with ApiServer(make_settings(tmp_path, no_auth=True)) as s, httpx.Client(trust_env=False, timeout=30) as c:
        url, me = f"{s.url}{ROOMS}", f"http://127.0.0.1:{s.port}"
        for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                        {"Origin": f"http://127.0.0.1:{s.port + 1}"},
                        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
                        {"Sec-Fetch-Site": "same-site", "Origin": f"http://localhost:{s.port + 1}"}):
            r = c.post(url, json=room, headers=headers)
            assert r.status_code == 401 and r.json()["error_code"] == "MSS.00000001", headers
            assert "--no-auth" in r.json()["error_msg"] and r.headers["X-Request-Id"]
        assert c.get(url, headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}).json()[
            "count"] == 0  # a read changes nothing (and the browser keeps the answer from that page)
        assert c.post(url, json=room).status_code == 200  # the SDK, curl
        assert c.post(url, json=room, headers={"Origin": me, "Sec-Fetch-Site": "same-origin"}).status_code == 200
        assert c.post(url, json=room, headers={"Origin": me}).status_code == 200  # an older browser
    with ApiServer(make_settings(tmp_path / "auth")) as s, httpx.Client(trust_env=False, timeout=30) as c:
        r = c.post(f"{s.url}{ROOMS}", json=room, headers={"Origin": "https://evil.example", "X-Auth-Token": TOKEN})
        assert r.status_code == 200  # with auth the token decides (a page cannot read it)
