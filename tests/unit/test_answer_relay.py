"""A streamed answer is relayed only while someone listens: when the caller goes away the gateway stops reading the
upstream's body and closes it, so the upstream connection and the bulkhead slot are free again at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from gateway.proxy import UpstreamAnswer, send_answer


async def test_a_streamed_answer_stops_and_is_closed_when_the_caller_goes_away() -> None:
    read_from_upstream = 0
    closed = asyncio.Event()
    sent: list[dict[str, Any]] = []
    caller_gone = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        nonlocal read_from_upstream
        while True:
            read_from_upstream += 1
            yield b"x" * 1024
            await asyncio.sleep(0)

    async def finish() -> None:
        closed.set()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if len(sent) == 3:
            caller_gone.set()

    async def receive() -> dict[str, Any]:
        await caller_gone.wait()
        return {"type": "http.disconnect"}

    answer = UpstreamAnswer(200, [(b"content-type", b"text/csv")], chunks=endless(), finish=finish)
    await asyncio.wait_for(send_answer(send, receive, answer), timeout=5)  # type: ignore[arg-type]

    assert closed.is_set(), "the upstream response was closed"
    assert sent[0]["type"] == "http.response.start"
    assert read_from_upstream < 50, "reading stopped once the caller was gone"


async def test_a_streamed_answer_is_relayed_whole_and_closed() -> None:
    closed = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def three() -> AsyncIterator[bytes]:
        for part in (b"a", b"b", b"c"):
            yield part

    async def finish() -> None:
        closed.set()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()  # the caller stays
        raise AssertionError("unreachable")

    answer = UpstreamAnswer(200, [], chunks=three(), finish=finish, extra_headers={"RateLimit": '"p";r=1;t=1'})
    await send_answer(send, receive, answer)  # type: ignore[arg-type]

    assert closed.is_set()
    assert (b"ratelimit", b'"p";r=1;t=1') in sent[0]["headers"]
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"abc"
    assert sent[-1]["more_body"] is False
