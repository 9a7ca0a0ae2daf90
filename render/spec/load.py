"""JSON -> Room, or one SpecError/BodyError naming every violation by its JSON path."""
from __future__ import annotations

import copy
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from render.errors import BodyError, MediaFileError, SpecError
from render.spec.advice import advice_warnings
from render.spec.constraints import room_rule_violations
from render.spec.models import Room
from render.spec.rules import rule_errors, rule_warnings
from render.speech.ssml import parse as parse_ssml  # pure: parses, synthesizes nothing (speech needs no spec)


@dataclass
class LoadedRoom:
    room: Room
    warnings: list[str] = field(default_factory=list)
    base_dir: Path = field(default_factory=Path.cwd)
    source: str = "<room>"


def json_path(loc) -> str:
    """('scene_scripts', 0, 'shoot_scripts', 1, 'text') -> 'scene_scripts[0].shoot_scripts[1].text'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(("function-", "json-or-python")):
            out += ("." if out else "") + part
    return out or "(body)"


def _reason(err: ErrorDetails) -> str:
    msg = err["msg"]
    if err["type"] == "missing":
        return "field required"
    msg = msg.removeprefix("Value error, ")
    return msg[:1].lower() + msg[1:]


MAX_DEPTH = 64  # objects and arrays inside each other
MAX_INT_DIGITS = 30


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]}{'...' if len(text) > 20 else ''} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-'))} digits is out of range")
    return int(text)


def _check_tree(data: Any, source: str) -> None:
    """Nesting depth and text that storage can hold (no lone surrogates), without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise BodyError(f"{source}: nested deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for k, v in items:
                if k is not None:
                    stack.append((k, depth))
                stack.append((v, depth + 1))
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise BodyError(f"{source}: a string holds a lone surrogate (\\ud800-\\udfff), not text") from None


def parse_json(text: str, source: str = "body") -> Any:
    """JSON text -> data; BodyError for anything but plain JSON that storage can hold: NaN,
    Infinity, numbers out of double range, integers over 30 digits, nesting deeper than 64,
    lone surrogates."""
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except json.JSONDecodeError as e:
        raise BodyError(f"{source} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except ValueError as e:
        raise BodyError(f"{source} is not valid JSON: {e}") from None
    except RecursionError:
        raise BodyError(f"{source}: nested deeper than {MAX_DEPTH} levels") from None
    _check_tree(data, source)
    return data


def unknown_fields(model: BaseModel, path: tuple = ()) -> list[str]:
    """JSON paths of every field the spec does not define (kept, ignored, reported as warnings)."""
    found = [json_path(path + (k,)) for k in (model.model_extra or {})]
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for i, v in items:
            if isinstance(v, BaseModel):
                found += unknown_fields(v, path + ((name,) if i is None else (name, i)))
    return found


def script_violations(room: Room) -> list[tuple[str, str]]:
    """Malformed SSML in any paragraph's text (tag mode), found before any render."""
    out = []
    for s, scene in enumerate(room.scene_scripts or []):
        for p, para in enumerate(scene.shoot_scripts):
            if para.text_config is not None:
                where = f"scene_scripts[{s}].shoot_scripts[{p}].text_config.text"
                try:
                    parse_ssml(para.text_config.text, where)
                except SpecError as e:
                    out += [(d.split(": ", 1)[0], d.split(": ", 1)[1]) if ": " in d else (where, d)
                            for d in e.details]
    return out


def validate_room(data: Any) -> tuple[Room, list[str]]:
    """The dict of a create body -> (Room, warnings); SpecError with every violation otherwise."""
    if not isinstance(data, dict):
        raise SpecError("(body): must be a JSON object")
    problems = [(p, r) for p, r in room_rule_violations(data)]
    room = None
    try:
        room = Room.model_validate(data)
    except ValidationError as e:
        problems = [(json_path(err["loc"]), _reason(err)) for err in e.errors()] + problems
    checked = room if room is not None else salvage_room(data)  # SSML and REGEX of the valid rest too
    if checked is not None:
        problems += script_violations(checked) + rule_errors(checked)
    if problems or room is None:
        raise SpecError(details=[f"{p}: {r}" for p, r in problems])
    return room, ([f"{p}: unknown field, ignored" for p in unknown_fields(room)] + rule_warnings(room)
                  + advice_warnings(room))


def salvage_room(data: Any, tries: int = 50) -> Room | None:
    """A room made of the valid parts of an invalid body (each invalid field dropped, or the
    object that lacks a required field), so later checks (media, fonts) can run in the same
    pass as the spec's; None when nothing valid is left. Only for reporting, never rendering."""
    data = copy.deepcopy(data)
    for _ in range(tries):
        try:
            return Room.model_validate(data)
        except ValidationError as e:
            loc = e.errors()[0]["loc"]
        parent: Any = None
        key: Any = None
        node: Any = data
        for part in loc:  # down to the deepest part of the body the error names (past pydantic's markers)
            if isinstance(node, dict) and isinstance(part, str) and part in node:
                parent, key, node = node, part, node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                parent, key, node = node, part, node[part]
        if parent is None:
            return None
        del parent[key]
    return None


def load_room(source: Any) -> LoadedRoom:
    """A path (str/PathLike to a .json file), a JSON string or a dict -> LoadedRoom."""
    if isinstance(source, dict):
        room, warnings = validate_room(source)
        return LoadedRoom(room, warnings)
    if isinstance(source, (str, os.PathLike)) and not str(source).lstrip().startswith("{"):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MediaFileError(f"room file {path}: no such file") from None
        except (OSError, UnicodeDecodeError) as e:
            raise MediaFileError(f"room file {path}: cannot be read ({e})") from None
        room, warnings = validate_room(parse_json(text, str(path)))
        return LoadedRoom(room, warnings, path.resolve().parent, str(path))
    room, warnings = validate_room(parse_json(str(source)))
    return LoadedRoom(room, warnings)
