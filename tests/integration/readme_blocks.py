"""The README's code blocks as a test sees them (pure): fenced ```sh and ```python blocks run, in
order; anything else (json, indented synopses) is text. A marker on the line before a fence says
how a block runs:

    <!-- readme-test: skip (why) -->           not run (a display, `make test` itself, a long render)
    <!-- readme-test: background -->          started and left running to the end (a server)
    <!-- readme-test: background-section -->  started, and ended where its section ends

A README section added later is covered as soon as it uses an sh/python fence; it opts out with
`skip` and a reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

RUN_LANGS = ("sh", "python")
_MARKER = re.compile(r"^<!--\s*readme-test:\s*([a-z-]+)\b.*-->\s*$")
_FENCE = re.compile(r"^```(\w*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s")


@dataclass(frozen=True)
class Block:
    line: int           # 1-based line of the opening fence
    lang: str
    text: str
    mode: str           # run | skip | background | background-section
    level: int          # the level of the heading the block is under (0: none)


@dataclass(frozen=True)
class Heading:
    line: int
    level: int


def parse(readme: str) -> list[Block | Heading]:
    """Headings and code blocks in document order."""
    out: list[Block | Heading] = []
    lines = readme.splitlines()
    level, marker, i = 0, None, 0
    while i < len(lines):
        ln = lines[i]
        fence = _FENCE.match(ln)
        if fence:
            lang, start, body = fence.group(1), i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            mode = marker or "run"
            if lang not in RUN_LANGS:
                mode = "skip"
            out.append(Block(start, lang, "\n".join(body) + "\n", mode, level))
            marker = None
        elif (m := _HEADING.match(ln)) is not None:
            level = len(m.group(1))
            out.append(Heading(i + 1, level))
            marker = None
        elif (m := _MARKER.match(ln.strip())) is not None:
            marker = m.group(1)
        elif ln.strip():
            marker = None
        i += 1
    return out
