"""`render.api.serve` as its own process: the loud --no-auth banner, a server killed with a job
running (its worker dies with it, the job is FAILED at the next start), and a clean SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.integration.api_harness import PROJECT, fake_worker, free_port, wait_state

FOREVER = """
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(0.05)
"""
ROOM = {"room_name": "served", "scene_scripts": [{"script_name": "s",
                           "shoot_scripts": [{"text_config": {"text": "Hello."}}]}],
        "output_urls": ["rtmp://127.0.0.1:1935/live"], "stream_keys": ["k"]}


def start_server(tmp_path, port, worker):
    code = (
        "import sys; from render.api import serve; "
        f"serve(port={port}, db_path={str(tmp_path / 'db.sqlite')!r}, no_auth=True, log_level='warning', "
        f"worker_command={worker!r}, poll_interval=0.05)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2, trust_env=False)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"the server did not start: {proc.communicate()[1]}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is dead
        return f.read().split(") ", 1)[1][0] != "Z"


def test_killed_server_restart_and_clean_stop(tmp_path):
    worker = fake_worker(tmp_path, FOREVER)
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1/{PROJECT}"
    proc = start_server(tmp_path, port, worker)
    try:
        with httpx.Client(base_url=base, timeout=30, trust_env=False) as c:
            room_id = c.post("/smart-live-rooms", json=ROOM).json()["room_id"]
            job_id = c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json={}).json()["job_id"]
            job_url = f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}"
            assert wait_state(lambda: c.get(job_url).json()["state"], ("PROCESSING",)) == "PROCESSING"
            children = subprocess.run(
                ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
            ).stdout.split()
            assert children, "no worker process"
        proc.kill()  # the server dies without any cleanup
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(alive(int(p)) for p in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(int(p)) for p in children), "the worker outlived its server"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()

    proc = start_server(tmp_path, port, worker)
    try:
        with httpx.Client(base_url=base, timeout=30, trust_env=False) as c:
            job = c.get(job_url).json()
            assert job["state"] == "FAILED" and job["error_info"]["error_code"] == "MSS.00000004"
            assert c.get(f"/smart-live-rooms/{room_id}").json()["room_name"] == "served"
            job_id = c.post(f"/smart-live-rooms/{room_id}/smart-live-jobs", json={}).json()["job_id"]
            job_url = f"/smart-live-rooms/{room_id}/smart-live-jobs/{job_id}"
            assert wait_state(lambda: c.get(job_url).json()["state"], ("PROCESSING",)) == "PROCESSING"
        proc.send_signal(signal.SIGTERM)  # a clean stop: the job is ended, not left PROCESSING
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
        err = proc.stderr.read()
        assert "authentication is OFF" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    import sqlite3

    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        (state,) = db.execute("SELECT state FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    assert state == "FAILED"
