"""The outputs of a live encode, and REFRESH_OUTPUT_URL's switch to new ones.

A switch keeps the outputs that work until a new one is CONNECTED: the new outputs join the
encode at once (at a keyframe, their timeline from 0) while the old ones keep streaming; the
first new output to connect retires the old ones. If every new output gives up, they are
dropped, the old ones stream on and `on_failed(urls, error)` reports it. A refresh that
arrives while another is pending replaces the pending one.

At most MAX_OUTPUTS outputs: each is a full copy of the stream upstream (5 x a 4 Mbit/s
stream is 20 Mbit/s), with its own writer thread and a queue of up to 400 packets; during a
switch the old and the new stream at once, so a show never holds more than 2 x MAX_OUTPUTS.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from render.errors import OutputError, RenderError, SpecError
from render.outputs import Output, all_given_up
from render.spec.models import MAX_OUTPUTS

log = logging.getLogger(__name__)


def check_count(n: int, field: str) -> None:
    """SpecError when more than MAX_OUTPUTS outputs are asked for (or none)."""
    if n > MAX_OUTPUTS:
        raise SpecError(f"{field}: {n} outputs; a live streams to at most {MAX_OUTPUTS} at once")
    if n < 1:
        raise SpecError(f"{field}: at least one output is needed")


class OutputSwitch:
    """`current`: the outputs the show streams to; `refresh(urls, keys)` switches (see the module doc)."""

    def __init__(self, outputs: list[Output], make: Callable[[str, str], Output], *,
                 on_failed: Callable[[list[str], RenderError], None], stop_event: threading.Event,
                 poll: float = 0.05):
        self.current: list[Output] = list(outputs)
        self.pending: list[Output] = []
        self._make, self._on_failed, self._stop, self._poll = make, on_failed, stop_event, poll
        self._encoder = None
        self._lock = threading.Lock()
        self._round = 0

    def attach(self, encoder) -> None:
        """The running encoder (render.encode.Encoder) whose outputs this switches."""
        self._encoder = encoder

    def live(self) -> list[Output]:
        """Every output streaming now: the current ones and those a pending switch waits for."""
        with self._lock:
            return [*self.current, *self.pending]

    def all_given_up(self) -> bool:
        return all_given_up(self.live())

    def refresh(self, urls: list[str], keys: list[str]) -> None:
        """Start a switch to these outputs; errors known at once (no stream yet, too many
        outputs, a bad URL or codec) raise here and change nothing."""
        encoder = self._encoder
        if encoder is None:
            raise OutputError("REFRESH_OUTPUT_URL: the stream has not started yet")
        check_count(len(urls), "params.output_urls")
        fresh = [self._make(u, k) for u, k in zip(urls, keys, strict=True)]
        for out in fresh:
            out.check(encoder.settings)
        with self._lock:
            dropped, self.pending = self.pending, fresh
            self._round += 1
            rnd = self._round
        for out in dropped:  # a switch still waiting is replaced by this one
            encoder.remove_output(out)
        for out in fresh:
            encoder.add_output(out)
        threading.Thread(target=self._settle, args=(encoder, rnd, fresh, urls), name="output switch",
                         daemon=True).start()

    def _settle(self, encoder, rnd: int, fresh: list[Output], urls: list[str]) -> None:
        """Wait for the first new output to connect (switch), or for all of them to give up (keep the old)."""
        while not self._stop.wait(self._poll):
            with self._lock:
                if rnd != self._round:
                    return  # replaced by a later refresh, which removed these
                if any(o.connected for o in fresh):
                    old, self.current, self.pending = self.current, fresh, []
                elif all(o.failure is not None for o in fresh):
                    old, self.pending = fresh, []
                else:
                    continue
            for out in old:
                encoder.remove_output(out)
            if old is fresh:
                why = "; ".join(_keyless(o) for o in fresh)
                error = OutputError(f"REFRESH_OUTPUT_URL: no new output connected ({why}); "
                                    f"the stream goes on to the previous outputs")
                log.warning("%s", error.message)
                self._on_failed(urls, error)
            return


def _keyless(out: Output) -> str:
    """Why an output failed, naming its url but not its stream key (a secret: this goes to events and logs)."""
    f = out.failure
    text = str(f.details[0] if f is not None and f.details else f)
    return text.replace(out.name, out.url) if out.name != out.url else text
