"""render.api settings and the pure helpers of the job runner."""

from __future__ import annotations

import json

import pytest

from render.api import default_db_path, make_settings
from render.api.jobs import error_from_stderr, job_spec
from render.errors import SpecError


def test_default_db_path(tmp_path):
    assert default_db_path({"SMARTLIVE_DATA": str(tmp_path)}) == tmp_path / "smartlive.db"
    assert default_db_path({}).parts[-4:] == (".local", "share", "smartlive", "smartlive.db")


def test_make_settings(tmp_path):
    with pytest.raises(SpecError, match="--no-auth"):
        make_settings(tmp_path / "db", env={})
    open_ = make_settings(tmp_path / "db", no_auth=True, env={}, assets_dirs=[tmp_path])
    assert open_.no_auth and open_.worker_command[-4:] == ["render", "--assets", str(tmp_path), "push"]
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps([{"ak": "A", "sk": "S", "project_ids": ["p"]}]))
    s = make_settings(None, keys, max_jobs=3, env={"SMARTLIVE_DATA": str(tmp_path)})
    assert s.db_path == tmp_path / "smartlive.db" and s.max_jobs == 3 and s.credentials.keys["A"].sk == "S"
    with pytest.raises(SpecError, match="--max-jobs"):
        make_settings(None, keys, max_jobs=0, env={})


def test_job_spec_overrides_and_duration():
    room = {"room_name": "r", "output_urls": ["rtmp://a/live"], "stream_keys": ["a"], "priv_data": "x"}
    spec = job_spec(
        room,
        {
            "output_urls": ["rtmp://b/live"],
            "stream_keys": ["b"],
            "room_name": "ignored",
            "play_policy": {"live_exit_config": {"max_live_duration": 2}},
        },
    )
    assert spec["output_urls"] == ["rtmp://b/live"] and spec["room_name"] == "r" and spec["priv_data"] == "x"
    assert room["output_urls"] == ["rtmp://a/live"]  # the stored room is untouched
    assert spec["play_policy"]["live_exit_config"]["max_live_duration"] == 2  # the worker's programme applies it


def test_error_from_stderr():
    text = (
        "preparing: x\nMSS.10001004 File not found: a.png: no such file\nMSS.10001004 File not found: b.png\n"
    )
    assert error_from_stderr(text, 2) == (
        "MSS.10001004",
        "File not found: a.png: no such file; File not found: b.png",
    )
    code, msg = error_from_stderr("Traceback (most recent call last):\n  ...\nKeyError: 'x'\n", 1)
    assert code == "MSS.00000004" and msg.endswith("exited with code 1 (KeyError: 'x')")
    assert "SIGSEGV" in error_from_stderr("", -11)[1]
