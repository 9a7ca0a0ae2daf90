"""Fixtures shared by the integration tests: a real nginx-rtmp per test, and loopback never
sent through a proxy (the official SDK and httpx honour proxy variables)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import rtmp_server  # noqa: E402


@pytest.fixture
def nginx(tmp_path):
    yield from rtmp_server.running(tmp_path)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
