"""Idempotency-Key on live-event-report: a report sent again with the key of one already taken
(its answer was lost to a timeout, the client cannot know whether it went through) gets the
first one's answer, and its events are not taken twice.

    keys = ReportKeys()
    taken = await keys.once(job_id, key, body, send)   # send(): the report to the live, awaited

A resend while the first is still on its way waits for that first answer. A first that failed
(the worker did not answer) is forgotten: the resend goes to the live. The same key with another
body is refused (400 naming the header). The newest KEPT keys are remembered, over every job:
a client resends within seconds, not after thousands of other reports.
"""
from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from render.errors import SpecError
from render.spec.live_events import IDEMPOTENCY_HEADER as HEADER

KEPT = 4096
MAX_KEY = 200  # characters


class ReportKeys:
    def __init__(self, kept: int = KEPT):
        self.kept = kept
        self._answers: OrderedDict[tuple[str, str], tuple[str, asyncio.Future]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    async def once(self, job_id: str, key: str, body: bytes, send: Callable[[], Awaitable[Any]]) -> Any:
        if not key or len(key) > MAX_KEY or not key.isprintable():
            raise SpecError(f"{HEADER}: give 1 to {MAX_KEY} printable characters, one value per report")
        digest = hashlib.sha256(body).hexdigest()
        k = (job_id, key)
        if k in self._answers:
            seen, fut = self._answers[k]
            if seen != digest:
                raise SpecError(f"{HEADER}: {key!r} was used for another report of this job; "
                                "give each report its own key, and a resend the key it had")
            return await asyncio.shield(fut)
        fut = asyncio.get_running_loop().create_future()
        self._answers[k] = (digest, fut)
        while len(self._answers) > self.kept:
            self._answers.popitem(last=False)
        try:
            taken = await send()
        except BaseException as e:
            self._answers.pop(k, None)  # not taken: a resend is sent
            fut.set_exception(e)
            fut.exception()  # retrieved here: a resend waiting on it gets it, or nobody needs it
            raise
        fut.set_result(taken)
        return taken
