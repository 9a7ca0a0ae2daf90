"""Timelines: JSON lines that steer a programme (`--events-in FILE|-`). Pure parsing.

Each line is a viewer event `{"at": 3.0, "type": 1, "content": {...}}` (content an object or a
JSON string, as the event report sends it) or a command `{"at": 5.0, "command": "...",
"params": {...}}`. `at` is seconds of stream time; a line without it applies when it is read
(live only). Blank lines and lines starting with # are skipped.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from render.errors import MediaFileError, SpecError
from render.spec.commands import Command, parse_command
from render.spec.live_events import ViewerEvent, parse_event


@dataclass(frozen=True)
class Entry:
    at: float | None
    command: Command | None = None
    event: ViewerEvent | None = None
    where: str = ""


def parse_entry(text: str, where: str) -> Entry | None:
    """One line -> Entry (None for blank and comment lines); SpecError naming `where` otherwise."""
    text = text.strip()
    if not text or text.startswith("#"):
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise SpecError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(obj, dict):
        raise SpecError(f"{where}: must be a JSON object (a viewer event or a command)")
    at = obj.get("at")
    if at is not None and (isinstance(at, bool) or not isinstance(at, (int, float))
                           or not math.isfinite(at) or at < 0):
        raise SpecError(f"{where}.at: {at!r} must be seconds of stream time, 0 or more")
    if "command" in obj:
        return Entry(at, command=parse_command(obj, where=where), where=where)
    if "type" in obj:
        return Entry(at, event=parse_event(obj, where, now_ms=0 if at is None else round(at * 1000)),
                     where=where)
    raise SpecError(f"{where}: neither a viewer event (type, content) nor a command (command, params)")


def read_timeline(path: Path, *, need_at: bool = True) -> list[Entry]:
    """Every entry of a timeline file, ordered by `at` (stable); a preview needs `at` on each."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise MediaFileError(f"--events-in {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise MediaFileError(f"--events-in {path}: cannot be read ({e})") from None
    entries, problems = [], []
    for n, line in enumerate(lines, 1):
        where = f"{Path(path).name}:{n}"
        try:
            entry = parse_entry(line, where)
        except SpecError as e:
            problems += e.details
            continue
        if entry is None:
            continue
        if need_at and entry.at is None:
            problems.append(f"{where}.at: needed in a preview (seconds of stream time)")
            continue
        entries.append(entry)
    if problems:
        raise SpecError(details=problems)
    return sorted(entries, key=lambda e: e.at or 0.0)
