"""render.interrupt: a Ctrl-C or SIGTERM that lands in a ctypes callback is not lost."""
from __future__ import annotations

import ctypes
import signal

import pytest

from render import interrupt


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupt_dropped_by_a_ctypes_callback_is_still_seen_by_the_loop():
    interrupt.received.clear()
    interrupt.check()  # nothing came: goes on
    callback = ctypes.CFUNCTYPE(ctypes.c_int)(lambda: interrupt._handler(signal.SIGINT, None))
    callback()  # as espeak-ng's audio callback: ctypes prints the KeyboardInterrupt and drops it
    try:
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()
    finally:
        interrupt.received.clear()
