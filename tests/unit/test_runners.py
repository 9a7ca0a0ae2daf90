"""The job-runner registry and the serve flags that choose a runner (no cluster needed)."""
from __future__ import annotations

import argparse

import pytest

from render.api.settings import Settings
from render.cli import _runner_options, build_parser
from render.errors import SpecError
from render.runners import RUNNERS, make_runner
from render.runners.local import LocalRunner, strip_secrets


def test_the_registry_builds_the_named_runner(tmp_path):
    assert set(RUNNERS) == {"local", "ray"}
    assert isinstance(make_runner(Settings(db_path=tmp_path / "db")), LocalRunner)
    with pytest.raises(SpecError, match="--runner: 'nope' is not a job runner"):
        make_runner(Settings(db_path=tmp_path / "db", runner="nope"))


def test_serve_flags_become_runner_settings():
    args = build_parser().parse_args(["serve", "--runner", "ray", "--ray-address", "10.0.0.1:6379",
                                      "--ray-num-cpus", "0.5"])
    assert _runner_options(args) == {"runner": "ray", "ray_address": "10.0.0.1:6379", "ray_num_cpus": 0.5}
    assert _runner_options(build_parser().parse_args(["serve"])) == {}
    with pytest.raises(SpecError, match="--ray-address: only with --runner ray"):
        _runner_options(build_parser().parse_args(["serve", "--ray-address", "x:1"]))
    with pytest.raises(SpecError, match="--ray-num-cpus"):
        _runner_options(argparse.Namespace(runner="ray", ray_address=None, ray_num_cpus=0.0))


def test_workers_never_get_the_servers_keys():
    env = strip_secrets({"PATH": "/bin", "SMARTLIVE_SK": "s", "SMARTLIVE_AK": "a", "SMARTLIVE_TOKEN": "t"}, "{}")
    assert env == {"PATH": "/bin", "SMARTLIVE_MEDIA_POLICY": "{}"}
