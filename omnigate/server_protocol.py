"""uvicorn's HTTP protocol, writing each answer's head and body to the socket in one piece.

uvicorn writes the status line and headers as soon as the app sends ``http.response.start``, then the body: two
``send`` syscalls per answer, and the caller woken twice. For the gateway, whose answers are mostly small, joining
them lets one process relay about 10% more calls (``bench/RESULTS.md``). Here every write made during one turn of
the event loop is joined and handed to the socket at the end of that turn, so a head and body sent together leave
together; a streamed body still goes out as it comes, a turn at a time, and large writes are not held at all.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["CoalescingHttpToolsProtocol"]


_HOLD_LIMIT = 64 * 1024
"""Held bytes beyond this go to the socket at once, and a write this large is not held at all: the real transport
then sees them in time to pause the app (``pause_writing``) when the caller reads slower than it sends."""


class _CoalescedWrites:
    """The connection's transport, with small writes held until the end of the current loop turn.

    Everything else (flow control, closing, extra info) is the real transport's; a close or end of stream first
    sends what is held.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._held_size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._held:
            if len(data) >= _HOLD_LIMIT:
                self._transport.write(data)
                return
            self._loop.call_soon(self._send_held)
        self._held.append(bytes(data))
        self._held_size += len(data)
        if self._held_size >= _HOLD_LIMIT:
            self._send_held()

    def writelines(self, lines: list[bytes]) -> None:
        for data in lines:
            self.write(data)

    def _send_held(self) -> None:
        if not self._held:
            return
        data = b"".join(self._held) if len(self._held) > 1 else self._held[0]
        self._held.clear()
        self._held_size = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._held_size

    def write_eof(self) -> None:
        self._send_held()
        self._transport.write_eof()

    def close(self) -> None:
        self._send_held()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """``uvicorn.Config(http=CoalescingHttpToolsProtocol)``: uvicorn's httptools protocol over coalesced writes."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_CoalescedWrites(transport, self.loop))  # type: ignore[arg-type]
