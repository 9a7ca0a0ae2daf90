"""Test harness of the API: a real uvicorn server on a free loopback port, and SDK clients.

with ApiServer(settings) as srv:       # uvicorn in a thread; srv.url, srv.app
    client = sdk_client(srv.url, AK, SK, PROJECT)
"""

from __future__ import annotations

import socket
import sys
import textwrap
import threading
import time
from pathlib import Path

import uvicorn

from render.api import Settings, create_app
from render.api.auth import Credentials, Key
from render.api.server import uvicorn_config

AK, SK = "TESTAK0000000000000", "test-secret-key-0123456789abcdef"
PROJECT = "0123456789abcdef0123456789abcdef"
OTHER_PROJECT = "fedcba9876543210fedcba9876543210"
TOKEN = "test-token-abc"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_credentials() -> Credentials:
    return Credentials(keys={AK: Key(AK, SK, (PROJECT,))}, tokens={TOKEN: (PROJECT,)})


def make_settings(tmp_path: Path, **kw) -> Settings:
    kw.setdefault("credentials", api_credentials())
    kw.setdefault("poll_interval", 0.05)
    return Settings(db_path=tmp_path / "data" / "smartlive.db", **kw)


class ApiServer:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = None
        self.server = None
        self.thread = None

    def __enter__(self) -> ApiServer:
        self.app = create_app(self.settings)
        config = uvicorn_config(self.app, self.settings, "127.0.0.1", self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn-test", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the API server did not stop"


def sdk_client(url: str, ak: str = AK, sk: str = SK, project_id: str = PROJECT):
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkmetastudio.v1 import MetaStudioClient

    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    config.timeout = (10, 60)
    return (
        MetaStudioClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(ak, sk, project_id))
        .with_endpoints([url])
        .build()
    )


def fake_worker(tmp_path: Path, body: str) -> list[str]:
    """A tiny stand-in for `python -m render push` (the runner's test seam): argv = ROOM --events-out F ..."""
    script = tmp_path / "fake_worker.py"
    script.write_text(textwrap.dedent(body))
    return [sys.executable, str(script)]


def wait_state(get_state, states, timeout: float = 60.0):
    """Poll get_state() until it returns one of `states`; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        state = get_state()
        if state in states or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def push_room(
    output_url: str,
    stream_key: str,
    *,
    text: str = "Hello everyone, and welcome to this short test.",
    repeat_count: int = 0,
    room_type: str = "NORMAL",
) -> dict:
    """A small real room (library model and voice) pushing 720x1280 H264 to one RTMP output."""
    return {
        "room_name": "api push test",
        "room_type": room_type,
        "scene_scripts": [
            {
                "script_name": "only scene",
                "model_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a",
                "voice_config": {"voice_asset_id": "a5d295cdb345c11bd9f36bc22ced3a7a"},
                "shoot_scripts": [{"sequence_no": 1, "text_config": {"text": text}}],
            }
        ],
        "video_config": {"codec": "H264", "bitrate": 800, "width": 720, "height": 1280},
        "play_policy": {"repeat_count": repeat_count},
        "output_urls": [output_url],
        "stream_keys": [stream_key],
    }
