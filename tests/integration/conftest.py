"""Fixtures shared by the integration tests: a real nginx-rtmp per test, loopback never sent
through a proxy (the official SDK and httpx honour proxy variables), and the job runners the
API's live-job tests run against (`runner`: local, and a real 2-node Ray cluster on loopback
shared by the session)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rtmp_server  # noqa: E402

SECRET = "node-must-never-see-this"  # SMARTLIVE_SK in the Ray nodes' environment: no worker may get it


@pytest.fixture
def nginx(tmp_path):
    yield from rtmp_server.running(tmp_path)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def ray_cluster():
    """Two Ray nodes of 1 CPU each on 127.0.0.1; their processes have SMARTLIVE_SK set."""
    from ray_cluster import RayCluster

    saved = os.environ.get("SMARTLIVE_SK")
    os.environ["SMARTLIVE_SK"] = SECRET
    try:
        with RayCluster() as rc:
            if saved is None:
                os.environ.pop("SMARTLIVE_SK")
            else:
                os.environ["SMARTLIVE_SK"] = saved
            yield rc
    finally:
        if saved is None:
            os.environ.pop("SMARTLIVE_SK", None)


@pytest.fixture(params=["local", pytest.param("ray", marks=pytest.mark.slow)])
def runner(request):
    """The Settings fields of a job runner: {} (the local subprocess runner) or the Ray cluster's;
    actors a Ray test leaves behind are removed after it."""
    if request.param == "local":
        yield {}
        return
    rc = request.getfixturevalue("ray_cluster")
    yield {"runner": "ray"}
    rc.clear()
