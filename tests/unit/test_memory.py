"""render.memory: what a long push does to keep its memory flat."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from render.memory import trim_heap


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trim_gives_free_pages_inside_the_heap_back():
    """Blocks freed between kept ones cannot be returned by the heap's top: they stay resident
    until trim_heap gives their pages back."""
    blocks = [bytearray(b"x" * 64 * 1024) for _ in range(3200)]  # 200 MB in the heap, touched
    keep = blocks[::16]  # one kept block in 16 pins the heap's top
    del blocks
    before = rss_mb()
    assert trim_heap()
    after = rss_mb()
    assert before - after > 100, (before, after)
    assert len(keep) == 200
