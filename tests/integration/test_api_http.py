"""Raw HTTP (httpx) against a real server: signatures, dates, projects, bodies, ids, headers."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from tests.integration.api_harness import AK, OTHER_PROJECT, PROJECT, SK, TOKEN, ApiServer, make_settings

UNAUTHORIZED = {"error_code": "MSS.00000001", "error_msg": "Unauthorized"}
BAD_ROOM = {
    "room_name": "",
    "room_type": "SOMETIMES",
    "scene_scripts": [{"script_name": "s", "model_asset_id": "m", "shoot_scripts": [{"sequence_no": "x"}]}],
    "video_config": {"codec": "H265", "bitrate": 5, "width": 720, "height": 1280},
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with ApiServer(make_settings(tmp_path_factory.mktemp("api"))) as s:
        yield s


@pytest.fixture
def http(srv):
    with httpx.Client(base_url=srv.url, timeout=30, trust_env=False) as c:
        yield c


def signed(
    method: str,
    path: str,
    body: bytes = b"",
    query=(),
    *,
    sk: str = SK,
    date: datetime | None = None,
    project: str = PROJECT,
) -> dict:
    """Headers the official SDK's signer puts on this request."""
    headers = {"Content-Type": "application/json", "X-Project-Id": project}
    if date is not None:
        headers["X-Sdk-Date"] = date.strftime("%Y%m%dT%H%M%SZ")
    req = SdkRequest(
        method=method,
        schema="http",
        host=HOST[0],
        resource_path=path,
        query_params=list(query),
        header_params=headers,
        body=body or None,
    )
    Signer(BasicCredentials(AK, sk, project)).sign(req)
    return req.header_params


HOST = [""]


@pytest.fixture(autouse=True)
def host(srv):
    HOST[0] = f"127.0.0.1:{srv.port}"


def call(http, method, path, body: bytes = b"", query=(), **kw) -> httpx.Response:
    return http.request(
        method,
        path,
        params=list(query),
        content=body or None,
        headers=signed(method, path, body, query, **kw),
    )


ROOMS = f"/v1/{PROJECT}/smart-live-rooms"


def test_signed_create_and_list_with_query(http):
    r = call(http, "POST", ROOMS, json.dumps({"room_name": "raw 直播"}).encode())
    assert r.status_code == 200 and set(r.json()) == {"room_id"} and len(r.headers["X-Request-Id"]) == 32
    r = call(http, "GET", ROOMS, query=[("room_name", "raw 直"), ("limit", 5), ("offset", 0)])
    assert r.status_code == 200 and r.json()["count"] == 1, r.text


def test_bad_signature_stale_date_and_no_credentials(http):
    for r in (
        call(http, "GET", ROOMS, sk="wrong-secret"),
        call(http, "GET", ROOMS, date=datetime.now(timezone.utc) - timedelta(minutes=20)),
        call(http, "GET", ROOMS, date=datetime.now(timezone.utc) + timedelta(minutes=16)),
        http.get(ROOMS),
        http.get(ROOMS, headers={"X-Auth-Token": "not-the-token"}),
    ):
        assert r.status_code == 401 and r.json() == UNAUTHORIZED and r.headers["X-Request-Id"]
    ok = call(http, "GET", ROOMS, date=datetime.now(timezone.utc) - timedelta(minutes=10))
    assert ok.status_code == 200
    # a body changed after signing
    headers = signed("POST", ROOMS, b'{"room_name": "a"}')
    r = http.post(ROOMS, content=b'{"room_name": "b"}', headers=headers)
    assert r.status_code == 401


def test_wrong_project(http):
    other = f"/v1/{OTHER_PROJECT}/smart-live-rooms"
    r = call(http, "GET", other, project=OTHER_PROJECT)
    assert r.status_code == 401 and r.json() == UNAUTHORIZED
    r = http.get(other, headers={"X-Auth-Token": TOKEN})
    assert r.status_code == 401


def test_token(http):
    r = http.post(ROOMS, json={"room_name": "by token"}, headers={"X-Auth-Token": TOKEN})
    assert r.status_code == 200


def test_body_not_json(http):
    for body in (b"{not json", b"", b"\xff\xfe", b"[1, 2]"):
        r = call(http, "POST", ROOMS, body)
        assert r.status_code == 400 and r.json()["error_code"] == "MSS.00000002", (body, r.text)
        assert r.json()["error_msg"].startswith("Invalid body: body")


def test_invalid_parameters_name_every_path_like_validate(http, tmp_path):
    r = call(http, "POST", ROOMS, json.dumps(BAD_ROOM).encode())
    assert r.status_code == 400 and r.json()["error_code"] == "MSS.00000003"
    msg = r.json()["error_msg"]
    for path in (
        "room_name",
        "room_type",
        "scene_scripts[0].shoot_scripts[0].sequence_no",
        "video_config.codec",
        "video_config.bitrate",
    ):
        assert f"{path}:" in msg, (path, msg)
    room_file = tmp_path / "bad.json"
    room_file.write_text(json.dumps(BAD_ROOM))
    cli = subprocess.run(
        [sys.executable, "-m", "render", "validate", "--json", str(room_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(cli.stdout) == r.json()
    r = call(http, "GET", ROOMS, query=[("limit", 0)])
    assert (
        r.status_code == 400 and r.json()["error_code"] == "MSS.00000003" and "limit" in r.json()["error_msg"]
    )


def test_unknown_ids(http):
    room_id = call(http, "POST", ROOMS, b'{"room_name": "known"}').json()["room_id"]
    for method, path in (
        ("GET", f"{ROOMS}/no-such-room"),
        ("PUT", f"{ROOMS}/no-such-room"),
        ("DELETE", f"{ROOMS}/no-such-room"),
        ("GET", f"{ROOMS}/{room_id}/smart-live-jobs/no-such-job"),
        ("POST", f"{ROOMS}/{room_id}/smart-live-jobs/no-such-job/stop"),
        ("POST", f"{ROOMS}/no-such-room/smart-live-jobs"),
    ):
        body = b'{"room_name": "x"}' if method == "PUT" else b""
        r = call(http, method, path, body)
        assert r.status_code == 404 and r.json()["error_code"] == "MSS.41000003", (method, path, r.text)
        assert r.headers["X-Request-Id"]


def test_update_keeps_unknown_fields_and_delete(http):
    room_id = call(http, "POST", ROOMS, b'{"room_name": "v1"}').json()["room_id"]
    r = call(
        http, "PUT", f"{ROOMS}/{room_id}", json.dumps({"room_name": "v2", "my_extra": {"a": 1}}).encode()
    )
    assert r.status_code == 200 and r.json()["room_name"] == "v2" and r.json()["my_extra"] == {"a": 1}
    assert r.json()["create_time"] <= r.json()["update_time"]
    assert call(http, "DELETE", f"{ROOMS}/{room_id}").status_code == 204
    assert call(http, "GET", f"{ROOMS}/{room_id}").status_code == 404


def test_internal_error_has_no_trace(srv, http, monkeypatch):
    def broken(*a, **kw):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(srv.app.state.store, "list_rooms", broken)
    r = call(http, "GET", ROOMS)
    assert r.status_code == 500 and r.json() == {"error_code": "MSS.00000004", "error_msg": "Internal Error"}
    assert r.headers["X-Request-Id"] and "secret" not in r.text


def test_openapi_and_unknown_path(http):
    spec = http.get("/openapi.json").json()
    assert "/v1/{project_id}/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}/stop" in spec["paths"]
    create = spec["paths"]["/v1/{project_id}/smart-live-rooms"]["post"]
    assert (
        create["requestBody"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Room"
    )
    assert "scene_scripts" in spec["components"]["schemas"]["Room"]["properties"]
    assert "LiveVideoScriptInfo" in spec["components"]["schemas"]
    r = http.get("/v2/nothing")
    assert r.status_code == 404 and r.json()["error_code"] == "MSS.41000003" and r.headers["X-Request-Id"]


def test_no_auth_mode(tmp_path):
    with (
        ApiServer(make_settings(tmp_path, no_auth=True)) as s,
        httpx.Client(base_url=s.url, trust_env=False, timeout=30) as c,
    ):
        r = c.post(f"/v1/{OTHER_PROJECT}/smart-live-rooms", json={"room_name": "open"})
        assert r.status_code == 200
        assert c.get(f"/v1/{OTHER_PROJECT}/smart-live-rooms").json()["count"] == 1
        assert c.get(f"/v1/{PROJECT}/smart-live-rooms").json()["count"] == 0  # still per project


def test_forged_content_sha256_over_http(http):
    """A signed body swapped for another, with the original's hash declared in
    X-Sdk-Content-Sha256 (not among the signed headers): 401, nothing created."""
    original, evil = b'{"room_name": "signed"}', b'{"room_name": "forged"}'
    headers = signed("POST", ROOMS, original)
    headers["X-Sdk-Content-Sha256"] = hashlib.sha256(original).hexdigest()
    r = http.post(ROOMS, content=evil, headers=headers)
    assert r.status_code == 401 and r.json() == UNAUTHORIZED
    listed = call(http, "GET", ROOMS, query=[("room_name", "forged")]).json()
    assert listed["count"] == 0


def test_sdk_unsigned_payload_request_is_refused_unless_allowed(http, tmp_path):
    """The SDK signs a non-JSON Content-Type as UNSIGNED-PAYLOAD (its JSON bodies are always
    signed): refused by default, verified the same way by a server started to allow it."""
    body = json.dumps({"room_name": "unsigned payload"}).encode()
    req = SdkRequest(
        method="POST",
        schema="http",
        host=HOST[0],
        resource_path=ROOMS,
        query_params=[],
        header_params={"Content-Type": "text/plain", "X-Project-Id": PROJECT},
        body=body,
    )
    Signer(BasicCredentials(AK, SK, PROJECT)).sign(req)
    assert req.header_params["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
    r = http.post(ROOMS, content=body, headers=req.header_params)
    assert r.status_code == 401 and r.json() == UNAUTHORIZED
    with ApiServer(make_settings(tmp_path, allow_unsigned_payload=True)) as s, \
            httpx.Client(base_url=s.url, timeout=30, trust_env=False) as c:
        req.host = f"127.0.0.1:{s.port}"
        req.header_params = {"Content-Type": "text/plain", "X-Project-Id": PROJECT}
        Signer(BasicCredentials(AK, SK, PROJECT)).sign(req)
        r = c.post(ROOMS, content=body, headers=req.header_params)
        assert r.status_code == 200, r.text


def test_a_blocked_handler_does_not_block_the_server(srv, http, monkeypatch):
    """Blocking work (SQLite, the job runner) runs in the threadpool, off the event loop: while
    one request is stuck inside the store, another is answered."""
    store = srv.app.state.store
    release, entered = threading.Event(), threading.Event()
    real_list = store.list_rooms

    def stuck_list(*a, **kw):
        entered.set()
        release.wait(30)
        return real_list(*a, **kw)

    monkeypatch.setattr(store, "list_rooms", stuck_list)
    room_id = http.post(ROOMS, json={"room_name": "meanwhile"}, headers={"X-Auth-Token": TOKEN}).json()["room_id"]
    results = []
    t = threading.Thread(target=lambda: results.append(call(http, "GET", ROOMS)))
    t.start()
    try:
        assert entered.wait(20)
        with httpx.Client(base_url=srv.url, timeout=10, trust_env=False) as other:
            r = other.get(f"{ROOMS}/{room_id}", headers={"X-Auth-Token": TOKEN})
        assert r.status_code == 200 and t.is_alive()  # answered while the list is still stuck
    finally:
        release.set()
        t.join(30)
    assert results and results[0].status_code == 200
