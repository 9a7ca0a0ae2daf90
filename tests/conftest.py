"""Shared test options and fixtures."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the golden PNG references under tests/golden/ instead of comparing")


@pytest.fixture(scope="session", autouse=True)
def hermetic_home(tmp_path_factory):
    """Caches (TTS, downloads) and API data of this session in a temp folder, never the user's;
    worker subprocesses inherit the variables."""
    base = tmp_path_factory.mktemp("smartlive-home")
    saved = {k: os.environ.get(k) for k in ("SMARTLIVE_CACHE", "SMARTLIVE_DATA")}
    os.environ["SMARTLIVE_CACHE"] = str(base / "cache")
    os.environ["SMARTLIVE_DATA"] = str(base / "data")
    yield base
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def update_golden(request) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
