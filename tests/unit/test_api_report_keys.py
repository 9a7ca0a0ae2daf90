"""Idempotency-Key on live-event-report (render.api.report_keys): a resend is answered as the
first was, its events taken once."""
from __future__ import annotations

import asyncio

import pytest

from render.api.report_keys import ReportKeys
from render.errors import SpecError


def run(coro):
    return asyncio.run(coro)


def test_a_resend_gets_the_first_answer_and_is_not_sent_again():
    async def main():
        keys, sent = ReportKeys(), []

        async def send():
            sent.append(1)
            return {"accepted": 3}

        first = await keys.once("job", "k1", b"body", send)
        again = await keys.once("job", "k1", b"body", send)
        other_job = await keys.once("job2", "k1", b"body", send)
        return first, again, other_job, len(sent)

    assert run(main()) == ({"accepted": 3}, {"accepted": 3}, {"accepted": 3}, 2)


def test_a_resend_while_the_first_is_on_its_way_waits_for_it():
    async def main():
        keys, sent, gate = ReportKeys(), [], asyncio.Event()

        async def send():
            sent.append(1)
            await gate.wait()
            return {"accepted": 2}

        a = asyncio.create_task(keys.once("job", "k", b"b", send))
        await asyncio.sleep(0.01)
        b = asyncio.create_task(keys.once("job", "k", b"b", send))
        await asyncio.sleep(0.01)
        gate.set()
        return await a, await b, len(sent)

    assert run(main()) == ({"accepted": 2}, {"accepted": 2}, 1)


def test_a_failed_first_is_forgotten_so_the_resend_goes_through():
    async def main():
        keys, calls = ReportKeys(), []

        async def send():
            calls.append(1)
            if len(calls) == 1:
                raise TimeoutError("the worker did not answer")
            return {"accepted": 1}

        with pytest.raises(TimeoutError):
            await keys.once("job", "k", b"b", send)
        return await keys.once("job", "k", b"b", send), len(calls)

    assert run(main()) == ({"accepted": 1}, 2)


def test_a_key_reused_for_another_body_or_malformed_is_refused_naming_the_header():
    async def main():
        keys = ReportKeys()

        async def send():
            return {"accepted": 1}

        await keys.once("job", "k", b"one", send)
        for key, body in (("k", b"two"), ("", b"x"), ("x" * 201, b"x"), ("a\nb", b"x")):
            with pytest.raises(SpecError, match="Idempotency-Key"):
                await keys.once("job", key, body, send)

    run(main())


def test_the_keys_remembered_are_bounded():
    async def main():
        keys = ReportKeys(kept=50)

        async def send():
            return {"accepted": 1}

        for n in range(500):
            await keys.once("job", f"k{n}", b"b", send)
        return len(keys)

    assert run(main()) == 50
