"""Keep a long render's memory flat.

Two glibc settings, and a trim a live push makes once a minute (`trim_heap`).

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
TRIM_EVERY = 60.0  # seconds between two trims of a live push

_libc: ctypes.CDLL | None = None


def _glibc() -> ctypes.CDLL | None:
    """The C library on Linux (loaded once), else None."""
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        except OSError:
            return None
    return _libc


def fix_malloc_threshold(size: int = FRAME_SIZED, keep: int = KEEP_FREE) -> bool:
    """mallopt(M_MMAP_THRESHOLD, size) and mallopt(M_TRIM_THRESHOLD, keep) on glibc; does
    nothing elsewhere. True when set.

    The trim threshold keeps up to `keep` bytes of freed heap instead of handing it back to the
    kernel after every frame: otherwise each new 3 MB frame faults its ~760 pages in again
    (zeroed by the kernel), which cost 8% of a live push's CPU (bench/density.py). It only
    keeps what the peak already took, so the peak does not move."""
    libc = _glibc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, size)) and bool(libc.mallopt(M_TRIM_THRESHOLD, keep))


def trim_heap() -> bool:
    """Give the free pages inside the heap back to the kernel (glibc's malloc_trim(0)); True when
    something was returned.

    The heap of a live push does not grow, but what it frees in the middle (a reconnect's
    backlog, a reply's speech, a subtitle box) stays resident: measured on the soak's room, RSS
    crept by 15-20 MB over the first minutes with the heap in use flat, and one trim a minute
    (about 1 ms) kept it flat. Pages given back are faulted in again when reused; once a minute
    that is nothing next to the per-frame cost `fix_malloc_threshold` avoids."""
    libc = _glibc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    return bool(libc.malloc_trim(ctypes.c_size_t(0)))
