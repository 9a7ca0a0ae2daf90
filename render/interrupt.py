"""Ctrl-C and SIGTERM that are never lost.

Python raises KeyboardInterrupt wherever the main thread is when the signal comes; inside a
ctypes callback (espeak-ng hands its audio to one, on the main thread during a preview's speech)
or a `__del__`, the exception is printed and dropped, and a render asked to stop ran to its
end (CI saw it: SIGINT during the speech, the 600 s preview finished and exited 0). So the
handler also records the signal, and long loops `check()` it once per frame.

    interrupt.install()        # the CLI, once: SIGINT and SIGTERM
    interrupt.check()          # raises KeyboardInterrupt when one came (and was dropped)
"""
from __future__ import annotations

import signal

received: list[int] = []


def _handler(signum, frame):
    received.append(signum)
    raise KeyboardInterrupt


def install() -> None:
    received.clear()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _handler)


def check() -> None:
    if received:
        raise KeyboardInterrupt
