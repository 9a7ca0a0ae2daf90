"""Who may call the API: AK/SK `SDK-HMAC-SHA256` signatures (as huaweicloudsdkcore signs) and tokens.

    creds = load_credentials(path_or_None, os.environ)     # Credentials(keys, tokens)
    check_headers(creds, headers=..., project_id=..., now=datetime)   # before the body is read
    check_request(creds, method=..., raw_path=..., raw_query=..., headers=..., body=...,
                  project_id=..., now=datetime)            # the caller, or UnauthorizedError

The canonical request is rebuilt exactly as `huaweicloudsdkcore.signer.signer.Signer` builds it:
METHOD, the path unquoted then each segment quoted (safe "~") and always ending in "/", the query
pairs sorted and quoted the same way, `name:value` for each signed header (lower-case, values
stripped, in the order of SignedHeaders), the signed header names joined by ";", and the hex
sha256 of the body (the empty-body hash when there is none; the literal `UNSIGNED-PAYLOAD` when
X-Sdk-Content-Sha256 says so, as the SDK signs non-JSON bodies). Any other X-Sdk-Content-Sha256
must equal the body's sha256 (signed or not), else 401. Everything here is pure but
`load_credentials` (reads a file).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote

from render.errors import SpecError, UnauthorizedError

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_HASH = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_SKEW = timedelta(minutes=15)
_AUTH_RE = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)$"
)

log = logging.getLogger("smartlive.api.auth")


@dataclass(frozen=True)
class Key:
    ak: str
    sk: str
    project_ids: tuple[str, ...] = ()  # empty: any project

    def allows(self, project_id: str) -> bool:
        return not self.project_ids or project_id in self.project_ids


@dataclass
class Credentials:
    keys: dict[str, Key] = field(default_factory=dict)  # by AK
    tokens: dict[str, tuple[str, ...]] = field(default_factory=dict)  # token -> project ids (empty: any)

    def __bool__(self) -> bool:
        return bool(self.keys or self.tokens)


def load_credentials(path: str | Path | None, env: Mapping[str, str]) -> Credentials:
    """--credentials FILE (JSON list of {"ak","sk","project_ids"} / {"token","project_ids"}) plus
    SMARTLIVE_AK + SMARTLIVE_SK and SMARTLIVE_TOKEN from `env`. SpecError names a bad entry."""
    creds = Credentials()
    if path is not None:
        where = f"credentials file {path}"
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SpecError(f"{where}: no such file") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise SpecError(f"{where}: cannot be read as JSON ({e})") from None
        if not isinstance(data, list):
            raise SpecError(f'{where}: must be a JSON list of {{"ak", "sk", "project_ids"}} objects')
        for i, entry in enumerate(data):
            _add_entry(creds, entry, f"{where}: [{i}]")
    ak, sk = env.get("SMARTLIVE_AK"), env.get("SMARTLIVE_SK")
    if bool(ak) != bool(sk):
        raise SpecError("SMARTLIVE_AK and SMARTLIVE_SK: set both or neither")
    if ak:
        creds.keys[ak] = Key(ak, sk)
    if env.get("SMARTLIVE_TOKEN"):
        creds.tokens[env["SMARTLIVE_TOKEN"]] = ()
    return creds


def _add_entry(creds: Credentials, entry, where: str) -> None:
    if not isinstance(entry, dict):
        raise SpecError(f"{where}: must be an object")
    pids = entry.get("project_ids", [])
    if not isinstance(pids, list) or not all(isinstance(p, str) and p for p in pids):
        raise SpecError(f"{where}.project_ids: must be a list of project id strings")
    if "token" in entry:
        if not isinstance(entry["token"], str) or not entry["token"]:
            raise SpecError(f"{where}.token: must be a non-empty string")
        creds.tokens[entry["token"]] = tuple(pids)
        return
    for name in ("ak", "sk"):
        if not isinstance(entry.get(name), str) or not entry[name]:
            raise SpecError(f"{where}.{name}: field required (a non-empty string)")
    creds.keys[entry["ak"]] = Key(entry["ak"], entry["sk"], tuple(pids))


def _quote(s: str) -> str:
    return quote(s, safe="~")


def canonical_uri(raw_path: str) -> str:
    url_path = "/".join(_quote(seg) for seg in unquote(raw_path).split("/"))
    return url_path if url_path.endswith("/") else url_path + "/"


def canonical_query(raw_query: str) -> str:
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in pairs)


def payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    """The last line of the canonical request, as the SDK's signer writes it: the empty-body hash
    for no body, the literal `UNSIGNED-PAYLOAD` when X-Sdk-Content-Sha256 says so, else the hex
    sha256 of the body actually received (a declared hash is checked by `declared_hash_ok`,
    never trusted in place of the body)."""
    if not body:
        return EMPTY_HASH
    if headers.get("x-sdk-content-sha256", "").strip() == UNSIGNED_PAYLOAD:
        return UNSIGNED_PAYLOAD
    return hashlib.sha256(body).hexdigest()


def declared_hash_ok(body: bytes, headers: Mapping[str, str]) -> bool:
    """An X-Sdk-Content-Sha256 other than UNSIGNED-PAYLOAD must be the hex sha256 of the body."""
    declared = headers.get("x-sdk-content-sha256")
    if declared is None or declared.strip() == UNSIGNED_PAYLOAD:
        return True
    return hmac.compare_digest(declared.strip().lower(), hashlib.sha256(body).hexdigest())


def canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed_headers: list[str],
    body: bytes,
) -> str:
    """`headers`: lower-case names -> values as sent (str)."""
    lines = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(raw_query),
            lines,
            ";".join(signed_headers),
            payload_hash(body, headers),
        ]
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    return f"{ALGORITHM}\n{sdk_date}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def signature(sk: str, to_sign: str) -> str:
    return hmac.new(sk.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _deny(reason: str):
    log.warning("unauthorized: %s", reason)
    return UnauthorizedError()


def check_headers(
    creds: Credentials,
    *,
    headers: Mapping[str, str],
    project_id: str,
    now: datetime,
) -> Key | None:
    """Everything that can be checked before the body is read: a token (fully: None is returned)
    or the AK, the form of the signature, the date, the signed headers present and the project
    (the Key is returned; `check_request` then verifies the signature over the body)."""
    token = headers.get("x-auth-token")
    auth = headers.get("authorization")
    if token and not auth:
        if token not in creds.tokens:
            raise _deny("unknown X-Auth-Token")
        allowed = creds.tokens[token]
        if allowed and project_id not in allowed:
            raise _deny(f"token not valid for project {project_id}")
        return None
    if not auth:
        raise _deny("no Authorization or X-Auth-Token header")
    m = _AUTH_RE.match(auth.strip())
    if not m:
        raise _deny("Authorization is not an SDK-HMAC-SHA256 signature")
    ak, signed = m.group(1), m.group(2).split(";")
    key = creds.keys.get(ak)
    if key is None:
        raise _deny(f"unknown AK {ak}")
    if "x-sdk-date" not in signed or "host" not in signed:
        raise _deny("X-Sdk-Date and Host must be signed")
    sdk_date = headers.get("x-sdk-date", "").strip()
    try:
        t = datetime.strptime(sdk_date, DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise _deny(f"bad X-Sdk-Date {sdk_date!r}") from None
    if abs(now - t) > MAX_SKEW:
        raise _deny(f"X-Sdk-Date {sdk_date} is more than 15 minutes off")
    if any(name not in headers for name in signed):
        raise _deny("a signed header is missing")
    if not key.allows(project_id):
        raise _deny(f"AK {ak} is not allowed project {project_id}")
    declared_project = headers.get("x-project-id")
    if declared_project and declared_project != project_id:
        raise _deny(f"X-Project-Id {declared_project!r} differs from the path's {project_id!r}")
    return key


def check_request(
    creds: Credentials,
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    project_id: str,
    now: datetime,
    allow_unsigned: bool = False,
) -> str:
    """Verify a token or an AK/SK signature for `project_id`; returns the caller (AK or "token").
    The body is signed too unless `allow_unsigned` (UNSIGNED-PAYLOAD: the official SDK signs
    JSON bodies, the only kind this API takes).
    `headers` maps lower-case names to the values as sent. UnauthorizedError otherwise."""
    key = check_headers(creds, headers=headers, project_id=project_id, now=now)
    if key is None:
        return "token"
    m = _AUTH_RE.match(headers["authorization"].strip())
    signed, sig = m.group(2).split(";"), m.group(3).lower()
    if not declared_hash_ok(body, headers):
        raise _deny("X-Sdk-Content-Sha256 is not the sha256 of the body")
    if headers.get("x-sdk-content-sha256", "").strip() == UNSIGNED_PAYLOAD and not allow_unsigned:
        raise _deny("X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD is refused (the body must be signed; the server "
                    "accepts unsigned bodies only when started with --allow-unsigned-payload)")
    expected = signature(
        key.sk,
        string_to_sign(canonical_request(method, raw_path, raw_query, headers, signed, body),
                       headers["x-sdk-date"].strip()),
    )
    if not hmac.compare_digest(expected, sig):
        raise _deny(f"bad signature for AK {key.ak}")
    return key.ak


def header_map(raw_headers) -> dict[str, str]:
    """ASGI raw headers (bytes pairs) -> {lower-case name: value}; values decoded as the SDK sent
    them (it encodes UTF-8 text as latin-1 bytes)."""
    out: dict[str, str] = {}
    for k, v in raw_headers:
        try:
            value = v.decode("utf-8")
        except UnicodeDecodeError:
            value = v.decode("latin-1")
        out[k.decode("latin-1").lower()] = value
    return out
