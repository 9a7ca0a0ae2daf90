"""render.api.auth against the official SDK's own signer (huaweicloudsdkcore), no network."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from render.api.auth import Credentials, Key, check_request, load_credentials
from render.errors import SpecError, UnauthorizedError

AK, SK = "AKTEST123", "sk-secret-456"
PID, OTHER = "p" * 32, "q" * 32
CREDS = Credentials(keys={AK: Key(AK, SK, (PID,))}, tokens={"tok": (PID,)})


def sdk_signed(
    method="GET",
    path=f"/v1/{PID}/smart-live-rooms",
    query=(),
    body=None,
    date=None,
    sk=SK,
    content_type="application/json",
    project=PID,
):
    """What the SDK would put on the wire: (method, raw_path, raw_query, lower-case headers, body)."""
    headers = {
        "Content-Type": content_type,
        "X-Project-Id": project,
        "User-Agent": "huaweicloud-usdk-python/3.0",
    }
    if date is not None:
        headers["X-Sdk-Date"] = date.strftime("%Y%m%dT%H%M%SZ")
    req = SdkRequest(
        method=method,
        schema="http",
        host="127.0.0.1:8080",
        resource_path=path,
        query_params=list(query),
        header_params=headers,
        body=body,
    )
    Signer(BasicCredentials(AK, sk, PID)).sign(req)
    raw_query = req.uri.split("?", 1)[1] if "?" in req.uri else ""
    sent = {k.lower(): v.encode("latin-1").decode("utf-8") for k, v in req.header_params.items()}
    return dict(method=method, raw_path=path, raw_query=raw_query, headers=sent, body=req.body or b"")


def check(req, project_id=PID, now=None, creds=CREDS, allow_unsigned=False):
    return check_request(creds, project_id=project_id, now=now or datetime.now(timezone.utc),
                         allow_unsigned=allow_unsigned, **req)


@pytest.mark.parametrize(
    "method,path,query,body",
    [
        ("GET", f"/v1/{PID}/smart-live-rooms", [], None),
        (
            "GET",
            f"/v1/{PID}/smart-live-rooms",
            [("offset", 0), ("limit", 10), ("room_name", "A b+c&d=é/中")],
            None,
        ),
        ("GET", f"/v1/{PID}/smart-live-jobs", [("state", ["WAITING", "PROCESSING"]), ("flag", True)], None),
        ("GET", f"/v1/{PID}/smart-live-rooms/", [("z", "~-_."), ("a", "")], None),
        ("POST", f"/v1/{PID}/smart-live-rooms", [], json.dumps({"room_name": "直播 room"}).encode()),
        ("PUT", f"/v1/{PID}/smart-live-rooms/a%20b%2Fc%C3%BC", [], b'{"room_name": "x"}'),
        ("POST", f"/v1/{PID}/smart-live-rooms/r1/smart-live-jobs/j1/stop", [], None),
    ],
)
def test_sdk_signatures_verify(method, path, query, body):
    assert check(sdk_signed(method, path, query, body)) == AK


def test_tampering_is_refused():
    base = sdk_signed("POST", f"/v1/{PID}/smart-live-rooms", [("a", "1")], b'{"room_name": "x"}')
    for change in (
        dict(body=b'{"room_name": "y"}'),
        dict(raw_query="a=2"),
        dict(method="PUT"),
        dict(raw_path=f"/v1/{PID}/smart-live-rooms/x"),
        dict(headers={**base["headers"], "host": "evil:80"}),
    ):
        with pytest.raises(UnauthorizedError) as e:
            check({**base, **change})
        assert e.value.body() == {"error_code": "MSS.00000001", "error_msg": "Unauthorized"}


def test_wrong_secret_unknown_key_and_wrong_project():
    with pytest.raises(UnauthorizedError):
        check(sdk_signed(sk="not-the-secret"))
    with pytest.raises(UnauthorizedError):
        check(sdk_signed(), creds=Credentials(keys={"OTHER": Key("OTHER", SK)}))
    with pytest.raises(UnauthorizedError):  # signed fine, but the key may not use this project
        check(sdk_signed(path=f"/v1/{OTHER}/smart-live-rooms", project=OTHER), project_id=OTHER)
    any_project = Credentials(keys={AK: Key(AK, SK)})
    assert (
        check(
            sdk_signed(path=f"/v1/{OTHER}/smart-live-rooms", project=OTHER),
            project_id=OTHER,
            creds=any_project,
        )
        == AK
    )
    with pytest.raises(UnauthorizedError):  # X-Project-Id must name the path's project
        check(sdk_signed(path=f"/v1/{OTHER}/smart-live-rooms"), project_id=OTHER, creds=any_project)


def test_sdk_date_must_be_within_15_minutes():
    now = datetime.now(timezone.utc).replace(microsecond=0)
    assert check(sdk_signed(date=now - timedelta(minutes=14)), now=now) == AK
    assert check(sdk_signed(date=now + timedelta(minutes=14)), now=now) == AK
    for off in (timedelta(minutes=16), -timedelta(minutes=16), timedelta(days=2)):
        with pytest.raises(UnauthorizedError):
            check(sdk_signed(date=now - off), now=now)


def test_missing_or_garbled_authorization():
    req = sdk_signed()
    for headers in (
        {},
        {"authorization": "Basic abc"},
        {**req["headers"], "authorization": req["headers"]["authorization"].replace(";x-sdk-date", "")},
    ):
        with pytest.raises(UnauthorizedError):
            check({**req, "headers": headers})


def test_tokens():
    req = dict(method="GET", raw_path=f"/v1/{PID}/smart-live-rooms", raw_query="", body=b"")
    assert check({**req, "headers": {"x-auth-token": "tok"}}) == "token"
    with pytest.raises(UnauthorizedError):
        check({**req, "headers": {"x-auth-token": "nope"}})
    with pytest.raises(UnauthorizedError):
        check({**req, "headers": {"x-auth-token": "tok"}}, project_id=OTHER)


def test_load_credentials(tmp_path):
    f = tmp_path / "creds.json"
    f.write_text(
        json.dumps(
            [
                {"ak": "A1", "sk": "S1", "project_ids": ["p1"]},
                {"ak": "A2", "sk": "S2"},
                {"token": "T", "project_ids": []},
            ]
        )
    )
    c = load_credentials(f, {"SMARTLIVE_AK": "A3", "SMARTLIVE_SK": "S3", "SMARTLIVE_TOKEN": "T2"})
    assert c.keys["A1"].project_ids == ("p1",) and c.keys["A2"].allows("anything") and c.keys["A3"].sk == "S3"
    assert set(c.tokens) == {"T", "T2"}
    assert not load_credentials(None, {})
    f.write_text(json.dumps([{"ak": "A1"}]))
    with pytest.raises(SpecError, match=r"\[0\]\.sk"):
        load_credentials(f, {})
    with pytest.raises(SpecError, match="no such file"):
        load_credentials(tmp_path / "missing.json", {})
    with pytest.raises(SpecError, match="SMARTLIVE_SK"):
        load_credentials(None, {"SMARTLIVE_AK": "A"})


def test_forged_content_sha256_header_cannot_cover_a_tampered_body():
    """A captured signed request replayed with another body and the original body's hash in an
    X-Sdk-Content-Sha256 header: the declared hash is checked against the body, not trusted."""
    original = b'{"room_name": "x"}'
    base = sdk_signed("POST", f"/v1/{PID}/smart-live-rooms", [], original)
    assert "x-sdk-content-sha256" not in base["headers"]  # JSON bodies are hashed, not declared
    forged = {**base["headers"], "x-sdk-content-sha256": hashlib.sha256(original).hexdigest()}
    with pytest.raises(UnauthorizedError):
        check({**base, "body": b'{"room_name": "evil"}', "headers": forged})
    # the same header with the true body's hash is consistent and still verifies
    assert check({**base, "headers": forged}) == AK
    with pytest.raises(UnauthorizedError):  # a declared hash that matches nothing
        check({**base, "headers": {**base["headers"], "x-sdk-content-sha256": "0" * 64}})


def test_sdk_unsigned_payload_request_verifies_only_when_the_server_allows_it():
    """The SDK signs a non-JSON body as X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD (that literal is
    the canonical request's last line). Such a body could be swapped by anyone who sees the
    request, so it is refused unless the server allows it (issue 24 item 10); then it is accepted
    as the SDK signed it."""
    body = b"\x00binary payload\xff"
    req = sdk_signed("POST", f"/v1/{PID}/smart-live-rooms", [], body, content_type="application/octet-stream")
    assert req["headers"]["x-sdk-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert "x-sdk-content-sha256" in req["headers"]["authorization"]
    with pytest.raises(UnauthorizedError):
        check(req)
    assert check(req, allow_unsigned=True) == AK
    with pytest.raises(UnauthorizedError):  # the header itself is signed: dropping it breaks the signature
        check({**req, "headers": {k: v for k, v in req["headers"].items() if k != "x-sdk-content-sha256"}},
              allow_unsigned=True)
