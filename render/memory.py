"""Keep a long render's memory flat.

glibc raises its mmap threshold each time a large block is freed (up to 32 MB), so after a
while the 3 MB frames of a 1080x1920 render move from mmap into the heap, and the heap keeps
what it grew: the peak memory steps up minutes into a render. A fixed threshold above the
frame size keeps frames in the heap from the start, with no step and no per-frame mmap cost
(measured: RSS flat over a 400 s render; a 1 MB threshold was flat too but 15% slower).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
FRAME_SIZED = 8 * 1024 * 1024
KEEP_FREE = 16 * 1024 * 1024


def fix_malloc_threshold(size: int = FRAME_SIZED, keep: int = KEEP_FREE) -> bool:
    """mallopt(M_MMAP_THRESHOLD, size) and mallopt(M_TRIM_THRESHOLD, keep) on glibc; does
    nothing elsewhere. True when set.

    The trim threshold keeps up to `keep` bytes of freed heap instead of handing it back to the
    kernel after every frame: otherwise each new 3 MB frame faults its ~760 pages in again
    (zeroed by the kernel), which cost 8% of a live push's CPU (bench/density.py). It only
    keeps what the peak already took, so the peak does not move."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, size)) and bool(libc.mallopt(M_TRIM_THRESHOLD, keep))
    except (OSError, AttributeError):
        return False
