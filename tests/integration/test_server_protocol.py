"""What ``omnigate serve`` answers over a real socket, now that uvicorn's writes are joined per loop turn: whole
answers, in order on a kept-alive connection, streamed bodies as they come (not held to the end), large bodies
intact, and a closed connection only after its answer."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import uvicorn
from litestar.types import HTTPResponseStartEvent, Receive, Scope, Send

from omnigate.server_protocol import CoalescingHttpToolsProtocol

LARGE = bytes(range(256)) * 8192  # 2 MiB: more than the socket takes at once, so flow control pauses the writer


class App:
    def __init__(self) -> None:
        self.first_chunk_read = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await answer(scope, send, self.first_chunk_read)


async def answer(scope: Scope, send: Send, first_chunk_read: asyncio.Event) -> None:
    path = scope["path"]
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"transfer-encoding", b"chunked")]})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await first_chunk_read.wait()  # held until the caller has read the first chunk: it must not wait for this
        await send({"type": "http.response.body", "body": b"second", "more_body": False})
        return
    body = LARGE if path == "/large" else path.encode()
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-length", str(len(body)).encode())],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


@contextlib.asynccontextmanager
async def serving(app: App) -> AsyncIterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_config=None, http=CoalescingHttpToolsProtocol
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def read_answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    return head, await reader.readexactly(length)


async def test_answers_on_one_kept_alive_connection_arrive_whole_and_in_order() -> None:
    async with serving(App()) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n")
        first, second = await read_answer(reader), await read_answer(reader)
        assert (first[0].split(b"\r\n")[0], first[1], second[1]) == (b"HTTP/1.1 200 OK", b"/one", b"/two")
        writer.write(b"GET /large HTTP/1.1\r\nHost: x\r\n\r\n")
        _, large = await read_answer(reader)
        assert large == LARGE
        writer.close()


async def test_a_streamed_body_is_sent_as_it_comes() -> None:
    app = App()
    async with serving(app) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readuntil(b"\r\n\r\n")
        assert await asyncio.wait_for(reader.readuntil(b"first\r\n"), timeout=5) == b"5\r\nfirst\r\n"
        app.first_chunk_read.set()
        assert await reader.readuntil(b"0\r\n\r\n") == b"6\r\nsecond\r\n0\r\n\r\n"
        writer.close()


async def test_a_connection_the_caller_closes_gets_its_answer_first() -> None:
    async with serving(App()) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = await reader.read()  # to the end of the stream: the server closed it after answering
        assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"\r\n\r\n/bye")
        writer.close()
