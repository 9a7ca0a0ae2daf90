"""The command line: validate | frame | preview | push | serve. The only place that reads flags."""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from render import __version__
from render.errors import RenderError


def _library(args, loaded):
    from render.assets import AssetLibrary

    return AssetLibrary.default(base_dir=loaded.base_dir, extra_dirs=[Path(d) for d in args.assets or []])


def _load(args):
    from render.spec import load_room

    loaded = load_room(args.room)
    for w in loaded.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return loaded


def check_media(loaded, library) -> list[RenderError]:
    """Resolve every local media reference of the room; URLs are fetched at render time."""
    from render.spec.references import media_references

    problems = []
    for field, ref, kind in media_references(loaded.room):
        if ref.startswith(("http://", "https://")):
            continue
        try:
            if kind in ("VOICE", "HUMAN_MODEL"):
                library.asset(ref, kind, field)
            else:
                library.resolve(ref, kind, field)
        except RenderError as e:
            problems.append(e)
    return problems


def summary(room) -> str:
    scenes = room.scene_scripts or []
    paragraphs = sum(len(s.shoot_scripts) for s in scenes)
    layers = Counter(layer.layer_type.value for s in scenes for layer in s.layer_config or [])
    layer_text = ", ".join(f"{n} {k}" for k, n in sorted(layers.items())) or "none"
    outputs = len(room.output_urls or [])
    return (f"valid: room {room.room_name!r} ({room.room_type.value}, {room.view_mode.value}): "
            f"{len(scenes)} scene(s), {paragraphs} paragraph(s); layers: {layer_text}; "
            f"{len(room.interaction_rules or [])} interaction rule(s); {outputs} RTMP output(s)")


def cmd_validate(args) -> int:
    from render.spec import load_room

    try:
        loaded = load_room(args.room)
    except RenderError as e:
        if args.json:
            print(json.dumps(e.body(), ensure_ascii=False))
        else:
            print("\n".join(e.lines()), file=sys.stderr)
        return 2
    problems = check_media(loaded, _library(args, loaded))
    if args.json:
        body = ({"valid": True, "warnings": loaded.warnings} if not problems else
                {"error_code": problems[0].code, "error_msg": "; ".join(p.message for p in problems)})
        print(json.dumps(body, ensure_ascii=False))
    else:
        for w in loaded.warnings:
            print(f"warning: {w}", file=sys.stderr)
        for p in problems:
            print("\n".join(p.lines()), file=sys.stderr)
        if not problems:
            print(summary(loaded.room))
    return 2 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="smartlive", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--version", action="version", version=f"smartlive {__version__}")
    p.add_argument("--assets", action="append", metavar="DIR",
                   help="an extra asset library folder (with manifest.json); repeatable")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check a room JSON against the spec")
    v.add_argument("room", help="the room JSON file")
    v.add_argument("--json", action="store_true", help="print the API's error body instead of lines")
    v.set_defaults(func=cmd_validate)
    for register in _commands():
        register(sub)
    return p


def _commands():
    """The subcommands added by the later stages (each module registers its own)."""
    from render import cli_render

    return cli_render.REGISTER


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except RenderError as e:
        print("\n".join(e.lines()), file=sys.stderr)
        return 2 if e.http_status == 400 else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
