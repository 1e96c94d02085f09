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


MIB, ENDLESS_MIB = b"x" * (1 << 20), 64


class App:
    def __init__(self) -> None:
        self.first_chunk_read = asyncio.Event()
        self.sent_all = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await answer(scope, send, self.first_chunk_read, self.sent_all)


async def answer(scope: Scope, send: Send, first_chunk_read: asyncio.Event, sent_all: asyncio.Event) -> None:
    path = scope["path"]
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"transfer-encoding", b"chunked")]})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await first_chunk_read.wait()  # held until the caller has read the first chunk: it must not wait for this
        await send({"type": "http.response.body", "body": b"second", "more_body": False})
        return
    if path == "/endless":  # a generator that never waits for anything but send(): only backpressure stops it
        await send({"type": "http.response.start", "status": 200, "headers": [(b"transfer-encoding", b"chunked")]})
        for _ in range(ENDLESS_MIB):
            await send({"type": "http.response.body", "body": MIB, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        sent_all.set()
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


async def test_an_app_sending_faster_than_its_caller_reads_is_held_back() -> None:
    """Writes are held for a loop turn, but never past the socket's backpressure: an app streaming from memory to a
    caller that reads nothing must be paused, not buffered whole."""
    app = App()
    async with serving(app) as port:
        _reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 16)
        writer.transport.pause_reading()  # a caller that reads nothing
        writer.write(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
        finished = asyncio.ensure_future(app.sent_all.wait())
        done, _ = await asyncio.wait([finished], timeout=3)
        finished.cancel()
        assert not done, f"all {ENDLESS_MIB} MiB were taken from the app while the caller read none of them"
        writer.transport.abort()
