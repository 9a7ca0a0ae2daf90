"""RESET_EXIT_CONFIG reaches the job runner: the worker's EXIT_CONFIG_RESET line changes the
max_exception_waiting_duration the runner enforces (issue 25, item 5)."""
from __future__ import annotations

import json
from pathlib import Path

from render.api.jobs import Worker, exception_wait


def test_an_exit_config_reset_line_changes_the_exception_wait():
    spec = {"play_policy": {"live_exit_config": {"max_exception_waiting_duration": 3}}}
    w = Worker("j", None, Path("."), "NORMAL", "p", "r", exception_wait=exception_wait(spec, 3, 60.0),
               wait_units=(3, 60.0))
    assert w.exception_wait == 180.0
    line = {"event_type": "EXIT_CONFIG_RESET",
            "message": json.dumps({"live_exit_config": {"max_exception_waiting_duration": 7}})}
    w.on_event(line)
    assert w.exception_wait == 420.0
    w.on_event({**line, "message": json.dumps({"live_exit_config": {"max_exception_waiting_duration": 0}})})
    assert w.exception_wait is None  # 0: no limit
    w.on_event({**line, "message": json.dumps({"live_exit_config": {}})})
    assert w.exception_wait == 180.0  # absent: the server's default
