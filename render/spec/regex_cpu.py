"""A REGEX tag's search, limited by the CPU time of the matching thread, not by the wall clock.

    found = search(pattern, text)     # bool; raises RegexTooSlow when the pattern is too slow
    problem = too_slow(value)         # validate: None, or why the pattern cannot finish in time

The `regex` module's `timeout` is wall-clock time: a thread descheduled by the OS, or waiting for
the GIL (the module releases it while it matches a str), loses its time without doing any work,
and a simple alternation against a short comment "timed out" on a busy machine (issue 26). So a
search runs with a wall-clock timeout and, when that fires, the thread's own CPU time
(time.thread_time) decides: the pattern used its CPU limit -> RegexTooSlow("REGEX_TIMEOUT"); it
did not -> the machine was busy, and the search runs again, with the CPU it has left as its
wall-clock timeout (the CPU of every attempt counts: a search costs the frame thread at most its
limit, whatever the load). A pattern that needs microseconds misses only if its thread is kept
from running for STARVED_AFTER seconds ("REGEX_STARVED"), reported the same way, never as a
silent miss; one that needs most of its limit may be cut off on a busy machine, and is reported.

A pattern that is only literal alternatives (`price|how much|多少钱`) is matched as substrings,
without the regex engine: it cannot backtrack, so it needs no timeout at all.
"""
from __future__ import annotations

import time

import regex

CPU_LIMIT = 0.02       # seconds of the matching thread's CPU a search may use
STARVED_AFTER = 5.0    # seconds of wall clock a search may wait for that CPU
_USED = 0.9            # share of CPU_LIMIT that counts as "the pattern used it" (timer granularity)
_MIN_ATTEMPT = 0.001   # seconds of wall clock an attempt gets at least
_SPECIAL = set(".^$*+?{}[]\\|()")
TEST_LENGTH = 2000     # characters of a validate test string (match.MAX_TEXT)


class RegexTooSlow(Exception):
    def __init__(self, reason: str, cpu: float, wall: float):
        super().__init__(f"{reason}: {cpu * 1000:.1f} ms of CPU in {wall * 1000:.0f} ms")
        self.reason, self.cpu, self.wall = reason, cpu, wall


def literals(value: str) -> tuple[str, ...] | None:
    """The alternatives of a pattern made only of literal text and `|`, else None."""
    parts = value.split("|")
    if any(c in _SPECIAL for p in parts for c in p) or any(not p.isprintable() for p in parts):
        return None
    return tuple(parts)


def search(pattern: regex.Pattern, text: str, cpu_limit: float = CPU_LIMIT,
           alternatives: tuple[str, ...] | None = None) -> bool:
    if alternatives is not None:
        return any(a in text for a in alternatives)
    spent = 0.0  # CPU of the attempts that ran out of wall-clock time
    w0 = time.perf_counter()
    while True:
        c0 = time.thread_time()
        try:
            # wall >= CPU, so an attempt costs at most what is left: a search never costs the
            # frame thread more than cpu_limit, however often it is descheduled
            return pattern.search(text, timeout=max(cpu_limit - spent, _MIN_ATTEMPT)) is not None
        except TimeoutError:
            spent += time.thread_time() - c0
            waited = time.perf_counter() - w0
            if spent >= cpu_limit * _USED:
                raise RegexTooSlow("REGEX_TIMEOUT", spent, waited) from None
            if waited >= STARVED_AFTER:
                raise RegexTooSlow("REGEX_STARVED", spent, waited) from None


def probe_strings(value: str) -> list[str]:
    """Strings that make a backtracking pattern show its worst: a run of each character the
    pattern names (and of a letter, a digit, a space), then one that ends the run."""
    chars = [c for c in dict.fromkeys(value) if c.isalnum() or c in " -_@#"][:8]
    chars += [c for c in "a0 " if c not in chars]
    return [c * (TEST_LENGTH - 1) + end for c in chars for end in ("!", "\n")]


def too_slow(value: str, cpu_limit: float = CPU_LIMIT) -> str | None:
    """Why a REGEX tag value cannot be matched in time (None: it can, or it does not compile)."""
    if literals(value) is not None:
        return None
    try:
        pattern = regex.compile(value)
    except regex.error:
        return None
    for s in probe_strings(value):
        try:
            search(pattern, s, cpu_limit)
        except RegexTooSlow as e:
            if e.reason == "REGEX_TIMEOUT":
                return (f"{value!r} takes more than {cpu_limit * 1000:.0f} ms of CPU on a test comment of "
                        f"{len(s)} characters ({s[0]!r} repeated): it would drop viewers' comments")
    return None
