"""What the proxy reads of a caller's request: repeated header fields as one list, and a body never past the
gateway's limit (a 413 before a byte is read when Content-Length says so, else as soon as it passes)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.exceptions import HTTPException

from gateway.proxy import IncomingCall
from service_kit.problems import BadRequest


def call(
    headers: list[tuple[bytes, bytes]], chunks: list[bytes], *, max_body: int = 10, path: str = "/erp/v1/items"
) -> IncomingCall:
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    return IncomingCall(scope, receive, max_body=max_body)  # type: ignore[arg-type]


def test_a_field_sent_twice_reads_as_one_list() -> None:
    incoming = call([(b"x-forwarded-for", b"10.0.0.1"), (b"accept", b"*/*"), (b"x-forwarded-for", b"10.0.0.2")], [])
    assert incoming.headers == {"x-forwarded-for": "10.0.0.1, 10.0.0.2", "accept": "*/*"}


async def test_a_body_of_unknown_length_is_cut_once_it_passes_the_limit() -> None:
    incoming = call([(b"transfer-encoding", b"chunked")], [b"12345", b"67890", b"X", b"never read"])
    assert incoming.streams()
    read: list[bytes] = []
    with pytest.raises(HTTPException) as refused:
        async for chunk in incoming.stream():
            read.append(chunk)
    assert refused.value.status_code == 413
    assert incoming.refusal is refused.value, "kept, so a failed upstream call still answers 413"
    assert read == [b"12345", b"67890"]


async def test_a_declared_length_past_the_limit_is_refused_before_reading() -> None:
    incoming = call([(b"content-length", b"11")], [b"x" * 11])
    with pytest.raises(HTTPException) as refused:
        incoming.streams()
    assert refused.value.status_code == 413
    with pytest.raises(HTTPException) as malformed:
        call([(b"content-length", b"ten")], []).streams()
    assert malformed.value.status_code == 400


@pytest.mark.parametrize("path", ["/storefront/v1/../../erp/v1/items", "/erp/v1/./items", "/erp/v1/items/..", "/./"])
def test_a_path_with_dot_segments_is_refused_before_any_policy_reads_it(path: str) -> None:
    with pytest.raises(BadRequest) as refused:
        call([], [], path=path)
    assert (refused.value.status_code, refused.value.problem_code) == (400, "dot_segment_in_path")


@pytest.mark.parametrize("path", ["/erp/v1/items/a..b", "/erp/v1/items/.hidden", "/erp/v1/items/v1.", "/erp/v1/..."])
def test_dots_inside_a_segment_are_just_characters(path: str) -> None:
    assert call([], [], path=path).path == path
