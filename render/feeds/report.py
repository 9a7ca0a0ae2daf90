"""The Reporter: FeedEvents -> POST `{total, events}` to a job's live_event_report_url, in batches
of at most 100 (the server's limit) or every `interval` s, in order.

    reporter = Reporter(url, stats)
    reporter.start()                # its sending task, in the running loop
    await reporter.put(ev)          # waits while `max_pending` events wait (backpressure);
                                    # raises the FeedError that stopped the sending
    await reporter.close()          # sends what is left, then the task ends

The answer is honoured, so nothing is lost silently:
- 200 `{accepted: n}`: the first n were taken; the rest go again (after Retry-After when given).
  A server that does not say (the reference service) took them all.
- 429: none taken; the same batch goes again after Retry-After (default 1 s).
- each batch carries its own Idempotency-Key, the same on every resend: a batch whose answer
  was lost (a timeout) and that is sent again is not taken twice by smartlive's server.
- another 4xx: the URL or the events are refused for good: FeedError with the status and the
  API's error (an expired URL, an ended job). A 409 before any report was taken is retried as
  below: the job may still be preparing (a feed started with its job).
- network errors and 5xx: sent again with backoff for `give_up` s, then FeedError naming how
  many events were not reported.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from urllib.parse import urlsplit

from render.feeds.events import FeedEvent
from render.feeds.status import Stats
from render.spec.live_events import IDEMPOTENCY_HEADER, MAX_BATCH

INTERVAL = 0.5
_END = object()


class FeedError(Exception):
    """The report URL refused events or cannot be reached: the message says which and why."""


def explain(r) -> str:
    try:
        body = r.json()
        if isinstance(body, dict) and "error_code" in body:
            return f"{body['error_code']} {body.get('error_msg', '')}".strip()
    except ValueError:
        pass
    return r.text.strip()[:300] or r.reason_phrase


def retry_after(r, default: float = 1.0) -> float:
    try:
        return max(0.0, min(float(r.headers.get("retry-after", default)), 60.0))
    except ValueError:
        return default


def _label(batch: list[FeedEvent]) -> str:
    first, last = batch[0].where, batch[-1].where
    if first.startswith("line ") and last.startswith("line "):
        return first + (f"-{last[5:]}" if len(batch) > 1 else "")
    return f"{len(batch)} event(s)"


class Reporter:
    def __init__(self, url: str, stats: Stats | None = None, *, batch: int = MAX_BATCH,
                 interval: float = INTERVAL, max_pending: int = 10 * MAX_BATCH, timeout: float = 10.0,
                 give_up: float = 60.0):
        if urlsplit(url).scheme not in ("http", "https"):
            raise FeedError(f"--url: {url!r} is not an http(s) URL (the job's live_event_report_url)")
        self.url = url
        self.stats = stats or Stats()
        self.batch = max(1, min(batch, MAX_BATCH))
        self.interval = interval
        self.timeout = timeout
        self.give_up = give_up
        self._q: asyncio.Queue = asyncio.Queue(maxsize=max_pending)
        self.task: asyncio.Task | None = None

    @property
    def pending(self) -> int:
        return self._q.qsize()

    def start(self) -> asyncio.Task:
        self.task = asyncio.create_task(self.run())
        return self.task

    async def until(self, aw):
        """Await `aw` unless the sending stops first: then its FeedError (the URL refused)."""
        job = asyncio.ensure_future(aw)
        if self.task is None:
            return await job
        done, _ = await asyncio.wait({job, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if job not in done:
            job.cancel()
            self.task.result()  # raises what ended it
            raise FeedError("the report URL's sender stopped")
        return job.result()

    async def put(self, ev: FeedEvent) -> None:
        await self.until(self._q.put(ev))

    async def close(self) -> None:
        await self.until(self._q.put(_END))

    async def run(self) -> None:
        import httpx

        async with httpx.AsyncClient(timeout=self.timeout, trust_env=False) as client:
            batch: list[FeedEvent] = []
            ended = False
            while not (ended and not batch):
                if not batch:
                    item = await self._q.get()
                    if item is _END:
                        return
                    batch.append(item)
                    deadline = time.monotonic() + self.interval
                else:
                    deadline = time.monotonic()  # a rest left over: out again at once
                while len(batch) < self.batch and not ended:
                    wait = deadline - time.monotonic()
                    try:
                        item = self._q.get_nowait() if wait <= 0 else await asyncio.wait_for(self._q.get(), wait)
                    except (asyncio.QueueEmpty, asyncio.TimeoutError):
                        break
                    if item is _END:
                        ended = True
                    else:
                        batch.append(item)
                batch = await self._post(client, batch)

    async def _post(self, client, batch: list[FeedEvent]) -> list[FeedEvent]:
        """Report `batch` until the server takes some of it; returns what it did not take."""
        import httpx

        body = {"total": len(batch), "events": [e.live_event() for e in batch]}
        headers = {IDEMPOTENCY_HEADER: uuid.uuid4().hex}
        failing_since, delay = None, 0.5
        while True:
            try:
                r = await client.post(self.url, json=body, headers=headers)
            except httpx.HTTPError as e:
                problem = f"cannot report {_label(batch)} to {urlsplit(self.url).netloc}: {type(e).__name__}: {e}"
            else:
                if r.status_code == 429:
                    self.stats.busy += 1
                    await asyncio.sleep(retry_after(r))
                    continue
                if 200 <= r.status_code < 300:
                    return await self._taken(r, batch)
                problem = f"{_label(batch)}: the report URL answered HTTP {r.status_code}: {explain(r)}"
                starting = r.status_code == 409 and self.stats.batches == 0  # the job may still prepare
                if r.status_code < 500 and not starting:
                    raise FeedError(problem)
            now = time.monotonic()
            failing_since = failing_since or now
            if now - failing_since + delay > self.give_up:
                raise FeedError(problem + f" (gave up after {now - failing_since:.0f} s; "
                                f"{len(batch) + self.pending} event(s) not reported)")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def _taken(self, r, batch: list[FeedEvent]) -> list[FeedEvent]:
        accepted = len(batch)
        with contextlib.suppress(ValueError):
            body = r.json()
            n = body.get("accepted") if isinstance(body, dict) else None
            if isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= len(batch):
                accepted = n
        self.stats.sent += accepted
        self.stats.batches += 1
        rest = batch[accepted:]
        if rest:
            self.stats.busy += 1
            await asyncio.sleep(retry_after(r))
        return rest
