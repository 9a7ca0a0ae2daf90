"""What rooms created over the API may reference: asset ids, files under --media-root, public
http(s) URLs. Everything else is MSS.00000003 naming the field, whether or not the file exists;
private addresses are refused without a connection; the job workers apply the same policy and
never see the server's secret key. The command line keeps local files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import httpx
import numpy as np
import pytest
from PIL import Image

from render.api.jobs import worker_env
from render.assets import POLICY_ENV
from tests.integration.api_harness import PROJECT, TOKEN, ApiServer, fake_worker, make_settings, wait_state
from tests.integration.test_api_media import image_layer, room


def png(path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8, 3), 90, np.uint8)).save(path)
    return str(path)


@pytest.fixture
def listener():
    """A loopback port that counts connections (none may arrive)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    accepted = []

    def count() -> int:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return len(accepted)
            accepted.append(conn)
            conn.close()

    yield sock.getsockname()[1], count
    sock.close()


def client(srv):
    return httpx.Client(base_url=f"{srv.url}/v1/{PROJECT}", headers={"X-Auth-Token": TOKEN}, timeout=30,
                        trust_env=False)


FIELD = "scene_scripts[0].layer_config[1].image_config.image_url"


def test_api_rooms_name_assets_media_roots_and_public_urls_only(tmp_path, listener):
    port, connections = listener
    png(tmp_path / "media" / "logo.png")
    secret = png(tmp_path / "private" / "secret.png")
    settings = make_settings(tmp_path, media_roots=[tmp_path / "media"])
    with ApiServer(settings) as srv, client(srv) as c:
        refused = [secret, str(tmp_path / "private" / "none.png"), f"file://{secret}", "../private/secret.png",
                   "/etc/passwd", "ftp://example.com/a.png",
                   f"http://127.0.0.1:{port}/a.png", f"http://localhost:{port}/a.png", "http://10.1.2.3/a.png",
                   "http://169.254.169.254/latest/meta-data/", "http://[::1]/a.png"]
        answers = []
        for ref in refused:
            r = c.post("/smart-live-rooms", json=room(image_layer(2, image_config={"image_url": ref})))
            assert r.status_code == 400, (ref, r.text)
            body = r.json()
            assert body["error_code"] == "MSS.00000003", (ref, body)
            assert body["error_msg"].startswith(f"Invalid parameter: {FIELD}: {ref} "), body
            answers.append(body["error_msg"].replace(ref, "REF"))
        assert answers[0] == answers[1]  # an existing and a missing file read the same: no oracle
        assert connections() == 0  # private URLs refused after DNS, never contacted
        assert c.get("/smart-live-rooms").json()["count"] == 0

        for ref in ("logo.png", str(tmp_path / "media" / "logo.png"), f"file://{tmp_path}/media/logo.png"):
            r = c.post("/smart-live-rooms", json=room(image_layer(2, image_config={"image_url": ref})))
            assert r.status_code == 200, (ref, r.text)
        r = c.post("/smart-live-rooms", json=room(image_layer(2, image_config={"image_url": "missing.png"})))
        assert r.status_code == 400 and r.json()["error_code"] == "MSS.10001004", r.text


def test_callback_urls_are_held_to_the_policy(tmp_path, listener):
    """A room's live event callback and a job's interaction_callback_url on a private address:
    400 MSS.00000003 naming the field, at create, update and start; nothing is contacted."""
    port, connections = listener
    private = f"http://127.0.0.1:{port}/cb"
    settings = make_settings(tmp_path, worker_command=fake_worker(tmp_path, "import sys; sys.exit(0)"))
    field = "live_event_callback_config.live_event_type_callback_url"
    with ApiServer(settings) as srv, client(srv) as c:
        body = room(image_layer(2, asset_id="showcase_gift"))
        r = c.post("/smart-live-rooms", json={**body, "live_event_callback_config": {
            "live_event_type_callback_url": private, "callback_event_type": ["SHOOT_SCRIPT_SWITCH"]}})
        assert r.status_code == 400 and r.json()["error_code"] == "MSS.00000003", r.text
        msg = r.json()["error_msg"]
        assert msg.startswith(f"Invalid parameter: {field}: {private} resolves to a non-public"), msg
        r = c.post("/smart-live-rooms", json=body)
        assert r.status_code == 200, r.text
        room_id = r.json()["room_id"]
        r = c.put(f"/smart-live-rooms/{room_id}", json={**body, "live_event_callback_config": {
            "live_event_type_callback_url": private}})
        assert r.status_code == 400 and field in r.json()["error_msg"], r.text
        r = c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json={"interaction_callback_url": private})
        assert r.status_code == 400 and "interaction_callback_url: " + private in r.json()["error_msg"], r.text
        r = c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json={"live_event_callback_config": {
            "live_event_type_callback_url": "http://10.1.2.3/cb"}})
        assert r.status_code == 400 and field in r.json()["error_msg"], r.text
        assert c.get(f"/smart-live-rooms/{room_id}/smart-live-jobs").json()["count"] == 0
    assert connections() == 0


def test_allow_private_urls_widens_the_policy(tmp_path, listener):
    port, connections = listener
    settings = make_settings(tmp_path, allow_private_urls=True)
    with ApiServer(settings) as srv, client(srv) as c:
        url = f"http://127.0.0.1:{port}/a.png"
        r = c.post("/smart-live-rooms", json=room(image_layer(2, image_config={"image_url": url})))
        assert r.status_code == 200, r.text  # checked at render, not fetched at create
    assert connections() == 0


ENV_WORKER = """
import json, os, pathlib, stat, sys
room = pathlib.Path(sys.argv[1])
out = {"env": dict(os.environ), "room_mode": stat.S_IMODE(room.stat().st_mode),
       "folder_mode": stat.S_IMODE(room.parent.stat().st_mode),
       "jobs_mode": stat.S_IMODE(room.parent.parent.stat().st_mode)}
pathlib.Path(__file__).with_name("seen.json").write_text(json.dumps(out))
"""


def test_workers_get_the_policy_not_the_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTLIVE_SK", "server-secret-key")
    monkeypatch.setenv("SMARTLIVE_TOKEN", "server-token")
    png(tmp_path / "media" / "logo.png")
    settings = make_settings(tmp_path, media_roots=[tmp_path / "media"],
                             worker_command=fake_worker(tmp_path, ENV_WORKER))
    with ApiServer(settings) as srv, client(srv) as c:
        room_id = c.post("/smart-live-rooms", json=room()).json()["room_id"]
        jobs = f"/smart-live-rooms/{room_id}/smart-live-jobs"
        job_id = c.post(jobs, json={}).json()["job_id"]
        assert wait_state(lambda: c.get(f"{jobs}/{job_id}").json()["state"], ("SUCCEED", "FAILED")) == "SUCCEED"
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert "SMARTLIVE_SK" not in seen["env"] and "SMARTLIVE_TOKEN" not in seen["env"]
    policy = json.loads(seen["env"][POLICY_ENV])
    assert policy["local_files"] is False and policy["private_urls"] is False
    assert policy["media_roots"] == [str((tmp_path / "media").resolve())]
    assert seen["room_mode"] == 0o600 and seen["folder_mode"] == 0o700 and seen["jobs_mode"] == 0o700
    assert worker_env(settings, {"SMARTLIVE_SK": "x", "PATH": "/bin"}).keys() == {"PATH", POLICY_ENV}


def test_the_worker_command_line_applies_the_policy_from_its_environment(tmp_path):
    """The job worker is `smartlive push`; `validate` resolves media the same way (cli._library)."""
    secret = png(tmp_path / "private" / "secret.png")
    room_file = tmp_path / "room.json"
    room_file.write_text(json.dumps(room(image_layer(2, image_config={"image_url": secret}))))
    cmd = [sys.executable, "-m", "render", "validate", str(room_file)]
    env = {k: v for k, v in os.environ.items() if k != POLICY_ENV}

    def run(media_root=None):
        if media_root is not None:
            env_ = worker_env(make_settings(tmp_path, media_roots=[media_root]), env)
        return subprocess.run(cmd, capture_output=True, text=True, env=env_ if media_root else env, timeout=120)

    assert run().returncode == 0  # the command line: the user's own files
    assert run(tmp_path / "private").returncode == 0  # the API's policy, the file under its media root
    worker = run(tmp_path / "media")
    assert worker.returncode == 2
    assert f"MSS.00000003 Invalid parameter: {FIELD}: {secret} is a local file outside" in worker.stderr
